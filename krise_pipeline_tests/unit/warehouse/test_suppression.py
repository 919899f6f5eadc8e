"""Primary and secondary suppression on hand-made cell bases."""

from krise_pipeline.warehouse.suppression import suppress

ADULT = ["alle", "kjonn"]
CHILD = ["alle", "kjonn", "aldersgruppe", "aldersgruppe_grov"]


def child_bases(*, k: int, m: int, a02: int, a35: int, a610: int, a1117: int) -> dict[tuple[str, str], int]:
    total = a02 + a35 + a610 + a1117
    return {
        ("alle", "alle"): total,
        ("kjonn", "K"): k,
        ("kjonn", "M"): m,
        ("aldersgruppe", "0-2"): a02,
        ("aldersgruppe", "3-5"): a35,
        ("aldersgruppe", "6-10"): a610,
        ("aldersgruppe", "11-17"): a1117,
        ("aldersgruppe_grov", "0-2"): a02,
        ("aldersgruppe_grov", "3-5"): a35,
        ("aldersgruppe_grov", "6-17"): a610 + a1117,
    }


def test_nothing_suppressed_when_every_base_reaches_20() -> None:
    assert suppress({("alle", "alle"): 60, ("kjonn", "K"): 40, ("kjonn", "M"): 20}, ADULT) == set()


def test_base_below_20_is_suppressed_and_its_only_sibling_too() -> None:
    # M = 19 is primary; K could then be recomputed as alle - M, so it goes too.
    got = suppress({("alle", "alle"): 80, ("kjonn", "K"): 61, ("kjonn", "M"): 19}, ADULT)
    assert got == {("kjonn", "K"), ("kjonn", "M")}


def test_small_total_suppresses_everything() -> None:
    got = suppress({("alle", "alle"): 12, ("kjonn", "K"): 10, ("kjonn", "M"): 2}, ADULT)
    assert got == {("alle", "alle"), ("kjonn", "K"), ("kjonn", "M")}


def test_empty_category_is_suppressed() -> None:
    got = suppress({("alle", "alle"): 45, ("kjonn", "K"): 45, ("kjonn", "M"): 0}, ADULT)
    assert got == {("kjonn", "K"), ("kjonn", "M")}


def test_age_group_suppressed_in_both_breakdowns_with_next_smallest() -> None:
    # 0-2 (10) is primary. In aldersgruppe the next smallest is 3-5 (21): 0-2 and 3-5 go, in both
    # age breakdowns, and nothing else is needed: 6-10, 11-17 and 6-17 stay published.
    got = suppress(child_bases(k=100, m=31, a02=10, a35=21, a610=40, a1117=60), CHILD)
    assert got == {
        ("aldersgruppe", "0-2"), ("aldersgruppe", "3-5"),
        ("aldersgruppe_grov", "0-2"), ("aldersgruppe_grov", "3-5"),
    }


def test_nested_age_groups_never_reveal_6_to_10() -> None:
    # 0-2 (10) primary; the next smallest in aldersgruppe is 6-10 (25); aldersgruppe_grov then has
    # only 0-2 suppressed, so 3-5 (30) goes as well. With 11-17 and 6-17 published, 6-10 would be
    # 6-17 - 11-17: 11-17 must be suppressed too.
    got = suppress(child_bases(k=60, m=45, a02=10, a35=30, a610=25, a1117=40), CHILD)
    assert got == {
        ("aldersgruppe", "0-2"), ("aldersgruppe", "3-5"), ("aldersgruppe", "6-10"),
        ("aldersgruppe", "11-17"), ("aldersgruppe_grov", "0-2"), ("aldersgruppe_grov", "3-5"),
    }
    assert ("aldersgruppe_grov", "6-17") not in got


def test_two_small_categories_need_no_secondary() -> None:
    got = suppress(child_bases(k=70, m=50, a02=12, a35=15, a610=43, a1117=50), CHILD)
    # 0-2 and 3-5 are both primary; alle - 6-17 gives only their sum.
    assert got == {
        ("aldersgruppe", "0-2"), ("aldersgruppe", "3-5"),
        ("aldersgruppe_grov", "0-2"), ("aldersgruppe_grov", "3-5"),
    }
