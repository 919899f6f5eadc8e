"""The small wording and rounding rules of the exports, with values worked out by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from krise_pipeline.language import rules
from krise_pipeline.language.texts import footnote
from krise_pipeline.publication.model import LabelChangeRow


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.5, 1), (1.5, 2), (2.5, 3), (3.5, 4), (0.49, 0), (-0.5, -1), (Decimal("26.5"), 27), (28.5, 29), (7, 7)],
)
def test_round_half_up(value: float | Decimal | int, expected: int) -> None:
    assert rules.round_half_up(value) == expected


@pytest.mark.parametrize(
    ("n", "base", "expected"),
    [(1, 2, 50), (1, 8, 13), (39, 40, 98), (49, 200, 25), (53, 200, 27), (17, 40, 43), (0, 5, 0), (5, 5, 100),
     (1, 3, 33), (2, 3, 67)],
)
def test_percent_is_exact_half_up(n: int, base: int, expected: int) -> None:
    assert rules.percent(n, base) == expected


def test_percent_rejects_empty_base_and_impossible_counts() -> None:
    with pytest.raises(ValueError):
        rules.percent(0, 0)
    with pytest.raises(ValueError):
        rules.percent(6, 5)


@pytest.mark.parametrize(("share", "expected"), [(0.285, 29), (0.125, 13), (0.245, 25), (0.975, 98), (1.0, 100)])
def test_percent_of_share(share: float, expected: int) -> None:
    assert rules.percent_of_share(share) == expected


@pytest.mark.parametrize(
    ("n", "base", "expected"),
    [(43, 43, "alle"), (42, 43, "nesten alle"), (40, 43, "nesten alle"), (39, 43, None), (0, 43, "ingen"),
     (39, 42, "nesten alle"), (9, 10, "nesten alle"), (3, 4, None), (17, 20, None), (0, 0, None)],
)
def test_quantifier(n: int, base: int, expected: str | None) -> None:
    assert rules.quantifier(n, base) == expected


@pytest.mark.parametrize(
    ("pct", "expected"),
    [(20, "2 av 10"), (60, "6 av 10"), (91, "omtrent 9 av 10"), (79, "omtrent 8 av 10"), (81, "omtrent 8 av 10"),
     (87, "knapt 9 av 10"), (85, "knapt 9 av 10"), (78, "knapt 8 av 10"), (84, "drøyt 8 av 10"),
     (62, "drøyt 6 av 10"), (100, "alle"), (97, "nesten alle"), (95, "nesten alle"), (3, "færre enn 1 av 10"),
     (0, "ingen"), (5, "knapt 1 av 10")],
)
def test_tenths_phrase(pct: int, expected: str) -> None:
    assert rules.tenths_phrase(pct) == expected


def test_number_and_list_formatting() -> None:
    assert rules.format_int(13586) == "13\u00a0586"
    assert rules.format_int(999) == "999"
    assert rules.join_nb([]) == ""
    assert rules.join_nb(["a"]) == "a"
    assert rules.join_nb(["a", "b"]) == "a og b"
    assert rules.join_nb(["a", "b", "c"]) == "a, b og c"
    assert rules.lower_first("Primærkontakt") == "primærkontakt"
    assert rules.lower_first("SARA-samarbeid") == "SARA-samarbeid"
    assert rules.lower_first("=Praktisk") == "=Praktisk"
    assert rules.centres(1) == "1 senter"
    assert rules.centres(5) == "5 sentre"
    assert rules.centres(43, "krisesenter") == "43 krisesentre"


def test_footnote_wording() -> None:
    change = LabelChangeRow(2021, "q", "i", "Deltakelse i ansvarsgrupper", "Deltakelse i samarbeidsgrupper")
    assert footnote(change) == "2021: «Deltakelse i ansvarsgrupper» ble endret til «Deltakelse i samarbeidsgrupper»"
    new = LabelChangeRow(2019, "q", "sara", None, "Samarbeid med risikoanalytikere/SARA")
    assert footnote(new) == "2019: «Samarbeid med risikoanalytikere/SARA» var ny kategori"
