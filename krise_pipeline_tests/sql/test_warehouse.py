"""The warehouse SQL on small validated tables written by hand (no files, no Dagster)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import duckdb
import pytest

from krise_pipeline.metadata import ddl
from krise_pipeline.warehouse import build


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    ddl.create_validated_tables(c, "validated")
    build.load_dimensions(c)
    yield c
    c.close()


def load_years(con: duckdb.DuckDBPyConnection) -> None:
    """warehouse.years as the years asset writes it: every year of the survey delivered, all drafts."""
    build.reconcile_years(con, build.loaded_years(con), {}, [])


def add_centre(con: duckdb.DuckDBPyConnection, year: int, sid: str, *, women: bool, men: bool,
               men_type: str | None = None) -> None:
    con.execute("INSERT INTO validated.sentreskjema VALUES (?, ?, ?, '0301', ?, ?, ?)",
                [year, sid, f"Senter {sid}", women, men, men_type])


def tick(con: duckdb.DuckDBPyConnection, year: int, sid: str, question: str, item: str, group: str,
         ticked: bool = True) -> None:
    con.execute("INSERT INTO validated.senter_svar VALUES (?, ?, ?, ?, ?, ?)",
                [year, sid, question, item, group, ticked])


def offers(con: duckdb.DuckDBPyConnection, year: int, question: str, item: str) -> dict[str, tuple]:
    rows = con.execute(
        "SELECT target_group, n_centres, n_base, share, label FROM warehouse.centre_offers "
        "WHERE year = ? AND question = ? AND item = ?", [year, question, item]).fetchall()
    return {r[0]: r[1:] for r in rows}


def three_centres(con: duckdb.DuckDBPyConnection, year: int = 2024) -> None:
    add_centre(con, year, "KS001", women=True, men=True, men_type="egne_lokaler")
    add_centre(con, year, "KS002", women=True, men=False)
    add_centre(con, year, "KS003", women=False, men=True, men_type="midlertidig")  # men only
    tick(con, year, "KS001", "tilbud_beboere", "inntakssamtale", "kvinner")
    tick(con, year, "KS001", "tilbud_beboere", "inntakssamtale", "menn")
    tick(con, year, "KS002", "tilbud_beboere", "inntakssamtale", "kvinner")
    tick(con, year, "KS003", "tilbud_beboere", "inntakssamtale", "menn", ticked=False)
    tick(con, year, "KS003", "tilbud_beboere", "barnepass", "menn")
    tick(con, year, "KS001", "nettside", "egen_nettside", "alle")
    tick(con, year, "KS003", "nettside", "egen_nettside", "alle")
    tick(con, year, "KS002", "nettside", "egen_nettside", "alle", ticked=False)


def test_centre_counts_use_the_base_of_each_target_group(con: duckdb.DuckDBPyConnection) -> None:
    three_centres(con)
    load_years(con)
    build.build_centre_offers(con)
    got = offers(con, 2024, "tilbud_beboere", "inntakssamtale")
    assert got["kvinner"][:3] == (2, 2, 1.0)
    assert got["menn"][:3] == (1, 2, 0.5)
    assert got["kvinner"][3] == "Inntakssamtale"
    # scope senter: one answer per centre, base all reporting centres
    assert offers(con, 2024, "nettside", "egen_nettside") == {"alle": (2, 3, 2 / 3, "Egen nettside")}


def test_minst_ett_counts_centres_with_any_item(con: duckdb.DuckDBPyConnection) -> None:
    three_centres(con)
    load_years(con)
    build.build_centre_offers(con)
    got = offers(con, 2024, "tilbud_beboere", "minst_ett")
    # women: KS001, KS002; men: KS001 (inntakssamtale) and KS003 (barnepass)
    assert got == {"kvinner": (2, 2, 1.0, "Minst ett av tilbudene"),
                   "menn": (2, 2, 1.0, "Minst ett av tilbudene")}
    # a question nobody ticked still has its minst_ett row, with 0
    assert offers(con, 2024, "mal_barn", "minst_ett")["menn"][:2] == (0, 2)


def test_organisering_items(con: duckdb.DuckDBPyConnection) -> None:
    three_centres(con)
    load_years(con)
    build.build_centre_offers(con)
    assert offers(con, 2024, "organisering", "har_tilbud") == {
        "kvinner": (2, 3, 2 / 3, "Har botilbud"), "menn": (2, 3, 2 / 3, "Har botilbud")}
    assert offers(con, 2024, "organisering", "botilbud_menn_egne_lokaler")["menn"][:2] == (1, 2)
    assert offers(con, 2024, "organisering", "botilbud_menn_samme_bygning")["menn"][:2] == (0, 2)
    assert offers(con, 2024, "organisering", "botilbud_menn_midlertidig")["menn"][:2] == (1, 2)
    assert offers(con, 2024, "organisering", "minst_ett") == {}


def test_labels_follow_the_year_and_items_follow_the_codebook(con: duckdb.DuckDBPyConnection) -> None:
    for year in (2018, 2020, 2024):
        add_centre(con, year, "KS001", women=True, men=False)
    load_years(con)
    build.build_centre_offers(con)
    assert offers(con, 2020, "tilbud_beboere", "samarbeidsgrupper")["kvinner"][3] == \
        "Deltakelse i ansvarsgrupper rundt beboeren"
    assert offers(con, 2024, "tilbud_beboere", "samarbeidsgrupper")["kvinner"][3] == \
        "Deltakelse i samarbeidsgrupper rundt beboeren"
    # SARA is new in 2019: no row in 2018
    assert offers(con, 2018, "sikkerhetstiltak", "sara") == {}
    assert offers(con, 2020, "sikkerhetstiltak", "sara")["kvinner"][:2] == (0, 1)
    # no men's offer: base 0, share NULL
    assert offers(con, 2024, "tilbud_beboere", "inntakssamtale")["menn"] == (0, 0, None, "Inntakssamtale")


def add_adults(con: duckdb.DuckDBPyConnection, year: int, n: int, *, kjonn: str, reserved: bool = False,
               intake: int = 0, senter: range = range(0), andre: range = range(0), first: int = 0) -> None:
    """n adult stays; the first `intake` had an intake talk; threat mapping by row number ranges."""
    for i in range(n):
        help_ = None if reserved else (
            i < intake, False, i in senter, i in andre, False, False)
        con.execute(
            "INSERT INTO validated.beboere_opphold VALUES (?, ?, ?, 'KS001', ?, 40, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?)",
            [year, f"O{kjonn}{reserved}{i}", f"P{kjonn}{reserved}{i}", kjonn, dt.date(year, 3, 1),
             i < first, reserved, *(help_ or (None,) * 6)])


def build_user_tables(con: duckdb.DuckDBPyConnection) -> None:
    load_years(con)
    build.build_cell_aggregates(con)
    build.build_suppression(con)
    build.build_service_shares(con)
    build.build_user_counts(con)


def share(con: duckdb.DuckDBPyConnection, population: str, measure: str, breakdown: str = "alle",
          category: str = "alle", year: int = 2024) -> tuple:
    row = con.execute(
        "SELECT n_with, n_base, share, suppressed FROM warehouse.service_shares WHERE year = ? AND "
        "population = ? AND measure = ? AND breakdown = ? AND category = ?",
        [year, population, measure, breakdown, category]).fetchone()
    assert row is not None
    return tuple(row)


def test_shares_exclude_reserved_stays_and_derive_threat_measures(con: duckdb.DuckDBPyConnection) -> None:
    add_centre(con, 2024, "KS001", women=True, men=True, men_type="egne_lokaler")
    add_adults(con, 2024, 22, kjonn="K", intake=11, senter=range(0, 10), andre=range(5, 15), first=20)
    add_adults(con, 2024, 3, kjonn="K", reserved=True, first=3)
    add_adults(con, 2024, 4, kjonn="M", intake=4, first=4)
    build_user_tables(con)
    assert share(con, "voksne_opphold", "inntakssamtale") == (15, 26, 15 / 26, False)
    assert share(con, "voksne_opphold", "kartlegging_trusler_senter")[:2] == (10, 26)
    assert share(con, "voksne_opphold", "kartlegging_trusler_andre")[:2] == (10, 26)
    assert share(con, "voksne_opphold", "kartlegging_trusler_totalt")[:2] == (15, 26)  # 10 + 10 - 5
    assert share(con, "voksne_opphold", "kartlegging_trusler_begge")[:2] == (5, 26)
    # M has 4 stays (primary); K (22) would be alle - M: secondary
    assert share(con, "voksne_opphold", "inntakssamtale", "kjonn", "M") == (None, None, None, True)
    assert share(con, "voksne_opphold", "inntakssamtale", "kjonn", "K") == (None, None, None, True)
    counts = dict(((b, c), (r, p, s)) for b, c, r, p, s in con.execute(
        "SELECT breakdown, category, n_records, n_persons, suppressed FROM warehouse.user_counts "
        "WHERE population = 'beboere'").fetchall())
    assert counts[("alle", "alle")] == (29, 27, False)  # reserved stays count as stays
    assert counts[("kjonn", "K")] == (None, None, True)  # K = 25 but M = 4 is suppressed
    # populations without any record are present and suppressed
    assert share(con, "dagsbesok", "kartlegging_hjelpebehov") == (None, None, None, True)
    assert con.execute("SELECT count(*) FROM warehouse.service_shares WHERE population = 'barn_opphold'"
                       ).fetchone() == (7 * 10,)


def test_children_age_groups_and_suppression(con: duckdb.DuckDBPyConnection) -> None:
    add_centre(con, 2024, "KS001", women=True, men=False)
    # ages: 10 stays aged 1, 30 aged 4, 25 aged 8, 40 aged 14; girls are every stay with i % 7 < 4
    ages = [1] * 10 + [4] * 30 + [8] * 25 + [14] * 40
    for i, age in enumerate(ages):
        con.execute(
            "INSERT INTO validated.barn_opphold VALUES (2024, ?, ?, 'KS001', ?, ?, DATE '2024-05-01', NULL, "
            "true, false, ?, false, false, false, false)",
            [f"B{i}", f"C{i}", "K" if i % 7 < 4 else "M", age, age >= 4])
    build_user_tables(con)
    assert share(con, "barn_opphold", "velkomstsamtale") == (95, 105, 95 / 105, False)
    assert share(con, "barn_opphold", "velkomstsamtale", "aldersgruppe_grov", "6-17") == (65, 65, 1.0, False)
    for b, c in [("aldersgruppe", "0-2"), ("aldersgruppe", "3-5"), ("aldersgruppe", "6-10"),
                 ("aldersgruppe", "11-17"), ("aldersgruppe_grov", "0-2"), ("aldersgruppe_grov", "3-5")]:
        assert share(con, "barn_opphold", "velkomstsamtale", b, c)[3] is True, (b, c)
    girls = sum(1 for i in range(105) if i % 7 < 4)
    assert share(con, "barn_opphold", "plan_under_opphold", "kjonn", "K") == (0, girls, 0.0, False)


def test_insert_rows_writes_each_row_in_order_with_the_table_s_types() -> None:
    with duckdb.connect() as con:
        con.execute("CREATE TABLE t (year INTEGER, label VARCHAR, share DOUBLE, seen BOOLEAN, built TIMESTAMP)")
        ddl.insert_rows(con, "t", [(2024, "Alle", 0.5, True, dt.datetime(2025, 1, 2, 3, 4, 5)),
                                        (2023, None, 1, None, None), (2022, "Ø, «x»", None, False, None)])
        ddl.insert_rows(con, "t", [])
        assert con.execute("SELECT * FROM t").fetchall() == [
            (2024, "Alle", 0.5, True, dt.datetime(2025, 1, 2, 3, 4, 5)), (2023, None, 1.0, None, None),
            (2022, "Ø, «x»", None, False, None)]
        with pytest.raises(ValueError):  # a row of another length is refused, not padded
            ddl.insert_rows(con, "t", [(2021, "a", 0.1, True, None), (2020, "b")])
