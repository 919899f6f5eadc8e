"""Validation of a delivery folder: every rule of contract section 1, the typed tables, bad files."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import random
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from krise_pipeline.cli import commands
from krise_pipeline.metadata import codebook, contract
from krise_pipeline.raw import reading
from krise_pipeline.validated import (
    MAX_LISTED,
    Problem,
    check_delivery,
    format_report,
    load_deliveries,
    load_delivery,
    messages,
    record_models,
    report,
    summarise,
    validate_delivery,
)
from krise_pipeline.validated.problems import format_problem
from krise_pipeline_tests.support.deliveries import (
    Formula,
    adult_stay,
    centre,
    child_stay,
    csv_bytes,
    visit,
    write_rows,
    write_survey,
)

YEAR = 2024
SURVEY, ADULTS, CHILDREN, VISITS = (contract.SURVEY_FILE, contract.ADULT_FILE, contract.CHILD_FILE,
                                    contract.VISIT_FILE)
NO_ADULT_HELP = dict.fromkeys(contract.ADULT_HELP, "")
NO_CHILD_HELP = dict.fromkeys(contract.CHILD_HELP, "")
NO_VISIT_HELP = dict.fromkeys(contract.VISIT_HELP, "")


def base_rows() -> dict[str, list[dict[str, Any]]]:
    """A valid delivery: KS001 (women and men) and KS002 (women only); users at KS001."""
    return {
        "survey_rows": [
            centre("KS001", kommune_nr="0301", **{"tilbud_beboere__inntakssamtale__k": 1,
                                                  "tilbud_beboere__inntakssamtale__m": 1,
                                                  "nettside__egen_nettside": 1}),
            centre("KS002", kommune_nr="5001", har_tilbud_menn=0),
        ],
        "adults": [
            adult_stay(),
            adult_stay(opphold_id="O2", person_id="P2", kjonn="A", alder="", reservert="1",
                       innflyttet="2023-12-20", utflyttet="", forste_opphold_i_aret="", **NO_ADULT_HELP),
        ],
        "children": [
            child_stay(),
            child_stay(opphold_id="C2", barn_id="B2", kjonn="U", alder="0", reservert="1", **NO_CHILD_HELP),
        ],
        "visits": [
            visit(),
            visit(besok_id="V2", forste_besok_i_aret="0", dato="2024-12-31", kjonn="A"),
            visit(besok_id="V3", person_id="P10", reservert="1", **NO_VISIT_HELP),
        ],
    }


def deliver(root: Path, gzip: frozenset[str] = frozenset(), **rows: list[dict[str, Any]]) -> Path:
    data = base_rows()
    data.update(rows)
    return write_rows(root / str(YEAR), data, gzip=gzip)


def validate(year_dir: Path, con: duckdb.DuckDBPyConnection | None = None) -> list[Problem]:
    if con is not None:
        return validate_delivery(year_dir, con)
    with duckdb.connect() as own:
        return validate_delivery(year_dir, own)


def assert_one(problems: list[Problem], file: str, location: str, column: str, rule: str,
               value: str | None = None) -> Problem:
    """Exactly one problem, with these fields; its report line names all of them."""
    assert len(problems) == 1, format_report(problems, Path("."))
    p = problems[0]
    assert (p.file, p.location, p.column, p.rule) == (file, location, column, rule), p
    if value is not None:
        assert p.value == value
    line = format_problem(p)
    for part in (file, location, column, f"rule {rule}"):
        assert part in line
    assert len(p.message) > 10
    return p


def cell(column: str, row: int) -> str:
    return f"svar!{get_column_letter(codebook.survey_columns(YEAR).index(column) + 1)}{row}"


# --- a valid delivery -------------------------------------------------------------------------


def test_valid_delivery_fills_the_typed_tables(tmp_path: Path) -> None:
    year_dir = deliver(tmp_path)
    con = duckdb.connect()
    con.execute("CREATE SCHEMA staging")
    assert validate(year_dir, con) == []
    assert con.execute("SELECT * FROM staging.sentreskjema ORDER BY senter_id").fetchall() == [
        (YEAR, "KS001", "Krisesenter KS001", "0301", True, True, "egne_lokaler"),
        (YEAR, "KS002", "Krisesenter KS002", "5001", True, False, None),
    ]
    assert con.execute("SELECT * FROM staging.beboere_opphold ORDER BY opphold_id").fetchall() == [
        (YEAR, "O1", "P1", "KS001", "K", 34, dt.date(2024, 3, 1), dt.date(2024, 3, 20), True, False,
         True, True, True, False, True, False),
        (YEAR, "O2", "P2", "KS001", "A", None, dt.date(2023, 12, 20), None, False, True,
         None, None, None, None, None, None),
    ]
    assert con.execute("SELECT * FROM staging.barn_opphold ORDER BY opphold_id").fetchall() == [
        (YEAR, "C1", "B1", "KS001", "M", 7, dt.date(2024, 3, 1), None, True, False, True, True, False, False,
         True),
        (YEAR, "C2", "B2", "KS001", "U", 0, dt.date(2024, 3, 1), None, True, True, None, None, None, None,
         None),
    ]
    assert con.execute("SELECT * FROM staging.dagsbesok ORDER BY besok_id").fetchall() == [
        (YEAR, "V1", "P9", "KS001", "K", dt.date(2024, 5, 2), True, False, True, False, False),
        (YEAR, "V2", "P9", "KS001", "A", dt.date(2024, 12, 31), False, False, True, False, False),
        (YEAR, "V3", "P10", "KS001", "K", dt.date(2024, 5, 2), True, True, None, None, None),
    ]
    n_answers = sum(len(codebook.items_in_year(q.question, YEAR)) * len(q.target_groups)
                    for q in codebook.survey_questions())
    assert con.execute("SELECT count(*) FROM staging.senter_svar").fetchone() == (2 * n_answers,)
    assert con.execute(
        "SELECT senter_id, question, item, target_group FROM staging.senter_svar WHERE ticked ORDER BY ALL"
    ).fetchall() == [
        ("KS001", "nettside", "egen_nettside", "alle"),
        ("KS001", "tilbud_beboere", "inntakssamtale", "kvinner"),
        ("KS001", "tilbud_beboere", "inntakssamtale", "menn"),
    ]
    assert con.execute("SELECT DISTINCT year FROM staging.senter_svar").fetchall() == [(YEAR,)]
    # validating again replaces the delivery's rows (a staging schema holds one delivery)
    con.execute("INSERT INTO staging.sentreskjema SELECT 2023, * EXCLUDE (year) FROM staging.sentreskjema")
    assert validate(year_dir, con) == []
    assert con.execute("SELECT year, count(*) FROM staging.dagsbesok GROUP BY year").fetchall() == [(YEAR, 3)]
    assert con.execute("SELECT year, count(*) FROM staging.sentreskjema GROUP BY year ORDER BY year").fetchall() \
        == [(2023, 2), (YEAR, 2)]


def test_gzip_bom_crlf_quotes_and_blank_lines_are_accepted(tmp_path: Path) -> None:
    year_dir = deliver(tmp_path, gzip=frozenset({VISITS, CHILDREN}))
    text = csv_bytes(contract.ADULT_COLUMNS, base_rows()["adults"]).decode()
    lines = text.splitlines()
    quoted = ",".join(f'"{v}"' for v in lines[1].split(","))
    (year_dir / ADULTS).write_bytes(("\ufeff" + "\r\n".join([lines[0], quoted, "", lines[2], ""]) + "\r\n")
                                    .encode())
    assert validate(year_dir) == []


def test_kommune_nr_number_cell_is_zero_padded(tmp_path: Path) -> None:
    rows = base_rows()["survey_rows"]
    rows[0]["kommune_nr"] = 301
    year_dir = deliver(tmp_path, survey_rows=rows)
    con = duckdb.connect()
    assert validate(year_dir, con) == []
    assert con.execute("SELECT kommune_nr FROM staging.sentreskjema WHERE senter_id = 'KS001'").fetchone() \
        == ("0301",)


def test_numbers_as_float_cells_and_text_cells_are_answers(tmp_path: Path) -> None:
    rows = base_rows()["survey_rows"]
    rows[0].update({"har_tilbud_kvinner": 1.0, "tilbud_beboere__enesamtaler__k": "1"})
    assert validate(deliver(tmp_path, survey_rows=rows)) == []


# --- one test per row rule --------------------------------------------------------------------

Change = Callable[[dict[str, list[dict[str, Any]]]], None]


def edit(kind: str, index: int, **values: Any) -> Change:
    def change(rows: dict[str, list[dict[str, Any]]]) -> None:
        rows[kind][index].update(values)

    return change


def add(kind: str, row: dict[str, Any]) -> Change:
    def change(rows: dict[str, list[dict[str, Any]]]) -> None:
        rows[kind].append(row)

    return change


RowRule = tuple[str, Change, str, str, str, str, str]
USER_FILES = {"adults": ADULTS, "children": CHILDREN, "visits": VISITS}


def bad_cell(name: str, kind: str, index: int, rule: str, **cell: str) -> RowRule:
    """One cell of a user file's row `index` (line index + 2) set to a value reported there under `rule`."""
    [(column, value)] = cell.items()
    return name, edit(kind, index, **cell), USER_FILES[kind], f"line {index + 2}", column, rule, value


def repeated_stay_rules(kind: str, file: str, make: Callable[..., dict[str, str]], person: str,
                        names: tuple[str, str]) -> list[RowRule]:
    """A third stay (line 4) repeating the first one's opphold_id, or its person's first-stay flag."""
    first = make()
    new_id, new_person = first["opphold_id"][0] + "3", first[person][0] + "3"
    return [
        (names[0], add(kind, make(**{person: new_person})), file, "line 4", "opphold_id", "unique",
         first["opphold_id"]),
        (names[1], add(kind, make(opphold_id=new_id)), file, "line 4", person, "first_flag", first[person]),
    ]


ROW_RULES: list[RowRule] = [
    # survey (row 2 = KS001 with offers for women and men, row 3 = KS002 with an offer for women only)
    ("senter_id pattern", edit("survey_rows", 1, senter_id="KS02"), SURVEY, "svar!A3", "senter_id", "pattern",
     "KS02"),
    ("senter_id required", edit("survey_rows", 1, senter_id=""), SURVEY, "svar!A3", "senter_id", "required", ""),
    ("senter_id unique", edit("survey_rows", 1, senter_id="KS001"), SURVEY, "svar!A3", "senter_id", "unique",
     "KS001"),
    ("senter_navn required", edit("survey_rows", 1, senter_navn="  "), SURVEY, "svar!B3", "senter_navn",
     "required", "  "),
    ("kommune_nr text of three digits", edit("survey_rows", 1, kommune_nr="301"), SURVEY, "svar!C3",
     "kommune_nr", "pattern", "301"),
    ("kommune_nr number of five digits", edit("survey_rows", 1, kommune_nr=12345), SURVEY, "svar!C3",
     "kommune_nr", "pattern", "12345"),
    ("kommune_nr required", edit("survey_rows", 1, kommune_nr=""), SURVEY, "svar!C3", "kommune_nr", "required",
     ""),
    ("har_tilbud flag", edit("survey_rows", 1, har_tilbud_kvinner=2), SURVEY, "svar!D3", "har_tilbud_kvinner",
     "flag", "2"),
    ("botilbud code list", edit("survey_rows", 0, botilbud_menn_type="annet"), SURVEY, "svar!F2",
     "botilbud_menn_type", "code_list", "annet"),
    ("botilbud required with an offer for men", edit("survey_rows", 0, botilbud_menn_type=""), SURVEY, "svar!F2",
     "botilbud_menn_type", "required", ""),
    ("botilbud empty without an offer for men", edit("survey_rows", 1, botilbud_menn_type="midlertidig"), SURVEY,
     "svar!F3", "botilbud_menn_type", "must_be_empty", "midlertidig"),
    ("answer flag", edit("survey_rows", 0, **{"tilbud_beboere__enesamtaler__k": "ja"}), SURVEY,
     cell("tilbud_beboere__enesamtaler__k", 2), "tilbud_beboere__enesamtaler__k", "flag", "ja"),
    ("centre answer flag", edit("survey_rows", 0, **{"nettside__egen_nettside": 0.5}), SURVEY,
     cell("nettside__egen_nettside", 2), "nettside__egen_nettside", "flag", "0.5"),
    ("men's answer without an offer for men", edit("survey_rows", 1, **{"mal_barn__oppfolging_under__m": 1}),
     SURVEY, cell("mal_barn__oppfolging_under__m", 3), "mal_barn__oppfolging_under__m", "no_offer", "1"),
    ("women's answer without an offer for women",
     edit("survey_rows", 1, har_tilbud_kvinner="", **{"tilbud_barn__velkomstsamtale__k": 1}), SURVEY,
     cell("tilbud_barn__velkomstsamtale__k", 3), "tilbud_barn__velkomstsamtale__k", "no_offer", "1"),
    # adult stays (line 2 = O1, line 3 = O2 reserved)
    bad_cell("opphold_id required", "adults", 0, "required", opphold_id=""),
    bad_cell("person_id required", "adults", 1, "required", person_id=""),
    bad_cell("senter_id pattern in a user file", "adults", 0, "pattern", senter_id="ks001"),
    bad_cell("adult kjonn", "adults", 0, "code_list", kjonn="k"),
    bad_cell("adult alder below 18", "adults", 0, "range", alder="7"),
    bad_cell("adult alder above 110", "adults", 0, "range", alder="111"),
    bad_cell("adult alder not a number", "adults", 0, "range", alder="34.5"),
    bad_cell("innflyttet required", "adults", 1, "required", innflyttet=""),
    bad_cell("innflyttet not a real date", "adults", 0, "date", innflyttet="2024-02-30"),
    bad_cell("innflyttet not ISO", "adults", 0, "date", innflyttet="01.03.2024"),
    bad_cell("utflyttet not a date", "adults", 0, "date", utflyttet="2024-3-20"),
    bad_cell("utflyttet before innflyttet", "adults", 0, "date_order", utflyttet="2024-02-29"),
    ("stay starting after the year", edit("adults", 0, innflyttet="2025-01-01", utflyttet=""), ADULTS, "line 2",
     "innflyttet", "not_in_year", "2025-01-01"),
    ("stay ending before the year", edit("adults", 0, innflyttet="2023-11-01", utflyttet="2023-12-31"), ADULTS,
     "line 2", "utflyttet", "not_in_year", "2023-12-31"),
    bad_cell("first-stay flag", "adults", 0, "flag", forste_opphold_i_aret="ja"),
    bad_cell("reservert flag", "adults", 0, "flag", reservert="2"),
    bad_cell("help required when not reserved", "adults", 0, "required", plan_etter_opphold=""),
    bad_cell("help flag", "adults", 0, "flag", inntakssamtale="J"),
    bad_cell("help empty when reserved", "adults", 1, "must_be_empty", kartlegging_trusler_andre="0"),
    *repeated_stay_rules("adults", ADULTS, adult_stay, "person_id",
                         ("opphold_id unique", "one first-stay flag per person")),
    bad_cell("centre not in the survey", "adults", 1, "unknown_centre", senter_id="KS003"),
    # children's stays (line 2 = C1, line 3 = C2 reserved)
    bad_cell("barn_id required", "children", 0, "required", barn_id=""),
    bad_cell("child kjonn", "children", 0, "code_list", kjonn="A"),
    bad_cell("child alder required", "children", 0, "required", alder=""),
    bad_cell("child alder 0-17", "children", 1, "range", alder="18"),
    bad_cell("child help required", "children", 0, "required", velkomstsamtale=""),
    bad_cell("child help empty when reserved", "children", 1, "must_be_empty", plan_under_opphold="1"),
    *repeated_stay_rules("children", CHILDREN, child_stay, "barn_id",
                         ("child opphold_id unique", "one first-stay flag per child")),
    bad_cell("child centre not in the survey", "children", 0, "unknown_centre", senter_id="KS999"),
    # day visits (line 2 = V1, 3 = V2, 4 = V3 reserved)
    bad_cell("besok_id required", "visits", 0, "required", besok_id=""),
    bad_cell("dato required", "visits", 1, "required", dato=""),
    bad_cell("dato not a date", "visits", 1, "date", dato="2024-04-31"),
    bad_cell("visit outside the year", "visits", 1, "not_in_year", dato="2023-12-31"),
    bad_cell("visit kjonn", "visits", 0, "code_list", kjonn="X"),
    bad_cell("first-visit flag", "visits", 0, "flag", forste_besok_i_aret="2"),
    bad_cell("visit help empty when reserved", "visits", 2, "must_be_empty", kartlegging_hjelpebehov="1"),
    bad_cell("visit help required", "visits", 1, "required", kartlegging_trusler_senter=""),
    ("besok_id unique", add("visits", visit(person_id="P11", forste_besok_i_aret="0")), VISITS, "line 5",
     "besok_id", "unique", "V1"),
    ("one first-visit flag per person", add("visits", visit(besok_id="V4")), VISITS, "line 5", "person_id",
     "first_flag", "P9"),
    bad_cell("visit centre not in the survey", "visits", 2, "pattern", senter_id="KS002x"),
]


@pytest.mark.parametrize(
    ("change", "file", "location", "column", "rule", "value"),
    [pytest.param(*case[1:], id=case[0]) for case in ROW_RULES],
)
def test_row_rule(tmp_path: Path, change: Change, file: str, location: str, column: str, rule: str,
                  value: str) -> None:
    rows = base_rows()
    change(rows)
    year_dir = write_rows(tmp_path / str(YEAR), rows)
    assert_one(validate(year_dir), file, location, column, rule, value)


def validated_rows(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    return {t: con.execute(f"SELECT * FROM validated.{t} ORDER BY ALL").fetchall()
            for t in ("sentreskjema", "senter_svar", "beboere_opphold", "barn_opphold", "dagsbesok")}


def test_load_delivery_writes_the_rows_it_checked(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "krise.duckdb"))
    assert not load_delivery(con, deliver(tmp_path), YEAR)
    assert con.execute("SELECT * FROM validated.dagsbesok ORDER BY besok_id").fetchall() == [
        (YEAR, "V1", "P9", "KS001", "K", dt.date(2024, 5, 2), True, False, True, False, False),
        (YEAR, "V2", "P9", "KS001", "A", dt.date(2024, 12, 31), False, False, True, False, False),
        (YEAR, "V3", "P10", "KS001", "K", dt.date(2024, 5, 2), True, True, None, None, None),
    ]
    assert con.execute("SELECT opphold_id, alder, utflyttet FROM validated.beboere_opphold ORDER BY 1").fetchall() \
        == [("O1", 34, dt.date(2024, 3, 20)), ("O2", None, None)]
    # the same rows as the typed tables `validate` checks (every column of every table)
    staged = duckdb.connect()
    check_delivery(tmp_path / str(YEAR), staged, "validated")
    assert validated_rows(con) == validated_rows(staged)
    # a new delivery of the year replaces its rows; other years stay
    con.execute("INSERT INTO validated.dagsbesok SELECT 2023, * EXCLUDE (year) FROM validated.dagsbesok")
    rows = base_rows()
    rows["visits"] = rows["visits"][:1]
    assert not load_delivery(con, write_rows(tmp_path / "again" / str(YEAR), rows), YEAR)
    assert con.execute("SELECT year, count(*) FROM validated.dagsbesok GROUP BY year ORDER BY year").fetchall() \
        == [(2023, 3), (YEAR, 1)]
    assert con.execute("SELECT count(*) FROM duckdb_schemas() WHERE schema_name LIKE 'staging%'").fetchall() == [(0,)]


def test_years_load_together_or_not_at_all(tmp_path: Path) -> None:
    """Several years in one transaction: one bad year stops all of them, and each year's report
    names its own problems."""
    con = duckdb.connect(str(tmp_path / "krise.duckdb"))
    good = write_rows(tmp_path / "a" / str(YEAR), base_rows())
    earlier = base_rows()
    for kind in ("adults", "children", "visits"):
        for row in earlier[kind]:
            for column in ("innflyttet", "dato"):
                if row.get(column):
                    row[column] = row[column].replace("2024", "2023").replace("2023-12-20", "2022-12-20")
            if kind == "visits" and row["besok_id"] == "V2":
                row["dato"] = "2023-12-31"
    first = write_rows(tmp_path / "a" / "2023", earlier)
    reports = load_deliveries(con, [(first, 2023), (good, YEAR)])
    assert reports == {2023: reports[2023], YEAR: reports[YEAR]} and not any(reports.values())
    assert con.execute("SELECT year, count(*) FROM validated.dagsbesok GROUP BY year ORDER BY year").fetchall() \
        == [(2023, 3), (YEAR, 3)]
    before = validated_rows(con)
    bad = base_rows()
    bad["adults"][1]["kjonn"] = "X"
    reports = load_deliveries(con, [(first, 2023), (write_rows(tmp_path / "b" / str(YEAR), bad), YEAR)])
    assert not reports[2023]
    assert_one(reports[YEAR].problems, ADULTS, "line 3", "kjonn", "code_list", "X")
    assert validated_rows(con) == before


@pytest.mark.parametrize(
    ("change", "file", "location", "column", "rule", "value"),
    [pytest.param(*case[1:], id=case[0]) for case in ROW_RULES],
)
def test_row_rule_stops_the_load_and_changes_nothing(tmp_path: Path, change: Change, file: str, location: str,
                                                     column: str, rule: str, value: str) -> None:
    """The rows a year held stay as they were; the report is the one `validate` gives."""
    con = duckdb.connect(str(tmp_path / "krise.duckdb"))
    assert not load_delivery(con, deliver(tmp_path / "first"), YEAR)
    before = validated_rows(con)
    rows = base_rows()
    change(rows)
    result = load_delivery(con, write_rows(tmp_path / "second" / str(YEAR), rows), YEAR)
    assert_one(result.problems, file, location, column, rule, value)
    assert validated_rows(con) == before
    assert con.execute("SELECT count(*) FROM duckdb_schemas() WHERE schema_name LIKE 'staging%'").fetchall() == [(0,)]


def hostile(year_dir: Path, name: str, lines: Callable[[list[str]], list[str]], encoding: str = "utf-8") -> None:
    text = (year_dir / name).read_text(encoding="utf-8").splitlines()
    (year_dir / name).write_bytes("\n".join(lines(text)).encode(encoding) + b"\n")


@pytest.mark.parametrize(("name", "lines", "encoding", "problem"), [
    pytest.param(VISITS, lambda t: [t[0], "", t[1], "   ", *t[2:]], "utf-8", None, id="blank lines"),
    pytest.param(ADULTS, lambda t: [f"\ufeff{t[0]}\r", *(f"{line}\r" for line in t[1:])], "utf-8", None,
                 id="BOM and CRLF"),
    pytest.param(VISITS, lambda t: [*t[:3], t[0], t[3]], "utf-8", (VISITS, "line 4", "repeated_header"),
                 id="repeated header"),
    pytest.param(VISITS, lambda t: [t[0], t[1].replace("V1", '"V1'), *t[2:]], "utf-8", (VISITS, "line 2", "malformed"),
                 id="unclosed quote"),
    pytest.param(VISITS, lambda t: [t[0], t[1] + ",x", *t[2:]], "utf-8", (VISITS, "line 2", "field_count"),
                 id="a field too many"),
    pytest.param(ADULTS, lambda t: [t[0], t[1].replace("P1", "Bodø"), *t[2:]], "cp1252",
                 (ADULTS, "line 2", "encoding"), id="Windows-1252"),
    pytest.param(VISITS, lambda t: [t[0], t[1].replace("V1", "V\x001"), *t[2:]], "utf-8",
                 (VISITS, "line 2", "nul_byte"), id="NUL byte"),
])
def test_hostile_files_load_as_they_validate(tmp_path: Path, name: str, lines: Callable[[list[str]], list[str]],
                                             encoding: str, problem: tuple[str, str, str] | None) -> None:
    """A file the one-read load lets DuckDB judge is loaded as `validate` judges it: the same rows,
    or the same problem and nothing written."""
    year_dir = deliver(tmp_path)
    hostile(year_dir, name, lines, encoding)
    with duckdb.connect(str(tmp_path / "krise.duckdb")) as con:
        result = load_delivery(con, year_dir, YEAR)
        written = validated_rows(con)
    if problem is None:
        assert not result
        with duckdb.connect() as con:
            assert not check_delivery(year_dir, con, "validated")
            assert written == validated_rows(con)
        assert len(written["dagsbesok"]) == 3 and len(written["beboere_opphold"]) == 2
    else:
        assert [(p.file, p.location, p.rule) for p in result.problems] == [problem]
        assert written == {t: [] for t in written}


def test_every_problem_of_a_delivery_is_reported(tmp_path: Path) -> None:
    rows = base_rows()
    rows["adults"][0].update(alder="7", kjonn="X", innflyttet="2024-02-30")
    rows["visits"][1].update(dato="2023-01-01")
    rows["survey_rows"][1].update(senter_id="KS1")
    problems = validate(write_rows(tmp_path / str(YEAR), rows))
    assert {(p.file, p.location, p.rule) for p in problems} == {
        (ADULTS, "line 2", "range"), (ADULTS, "line 2", "code_list"), (ADULTS, "line 2", "date"),
        (VISITS, "line 3", "not_in_year"), (SURVEY, "svar!A3", "pattern"),
    }


def test_repeated_problems_are_capped_with_a_summary(tmp_path: Path) -> None:
    n = MAX_LISTED + 25
    adults = [adult_stay(opphold_id=f"O{i}", person_id=f"P{i}", alder="9") for i in range(n)]
    problems = validate(deliver(tmp_path, adults=adults))
    listed = [p for p in problems if p.location]
    assert len(listed) == MAX_LISTED
    assert [p.location for p in listed] == [f"line {i + 2}" for i in range(MAX_LISTED)]
    (summary,) = [p for p in problems if not p.location]
    assert (summary.file, summary.column, summary.rule) == (ADULTS, "alder", "range")
    assert summary.message.startswith("25 more problems")
    assert summarise(problems) == {f"{ADULTS}:range": n}
    report = format_report(problems, tmp_path / "2024")
    assert report.splitlines()[0] == f"Delivery {tmp_path / '2024'}: {n} problems ({MAX_LISTED + 1} listed)"


# --- files and folders ------------------------------------------------------------------------


@pytest.mark.parametrize("name", contract.DELIVERY_FILES)
def test_missing_file(tmp_path: Path, name: str) -> None:
    year_dir = deliver(tmp_path)
    (year_dir / name).unlink()
    problems = [p for p in validate(year_dir) if p.rule != "unknown_centre"]
    assert_one(problems, name, "", "", "missing_file")


def test_both_forms_of_a_csv_file(tmp_path: Path) -> None:
    year_dir = deliver(tmp_path)
    (year_dir / f"{VISITS}.gz").write_bytes(gzip.compress((year_dir / VISITS).read_bytes()))
    p = assert_one(validate(year_dir), VISITS, "", "", "duplicate_file")
    assert "dagsbesok.csv.gz" in p.message


def test_other_files_are_ignored(tmp_path: Path) -> None:
    year_dir = deliver(tmp_path)
    (year_dir / "notes.txt").write_text("hello")
    (year_dir / "~$sentreskjema.xlsx").write_bytes(b"lock")
    assert validate(year_dir) == []


@pytest.mark.parametrize("name", ["24", "2024-ny", "abcd"])
def test_folder_name_must_be_a_year(tmp_path: Path, name: str) -> None:
    year_dir = write_rows(tmp_path / name, base_rows(), year=YEAR)
    assert_one(validate(year_dir), name, "", "", "year_folder", name)


def test_missing_folder(tmp_path: Path) -> None:
    assert_one(validate(tmp_path / "2024"), "2024", "", "", "missing_folder")


def test_random_bytes_named_xlsx(tmp_path: Path) -> None:
    year_dir = deliver(tmp_path)
    (year_dir / SURVEY).write_bytes(random.Random(1).randbytes(5000))
    problems = [p for p in validate(year_dir) if p.file == SURVEY]
    assert_one(problems, SURVEY, "", "", "not_xlsx")


@pytest.mark.parametrize("doctype", [
    '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
    '<!DOCTYPE worksheet SYSTEM "http://example.invalid/x.dtd">',
])
def test_a_sheet_declaring_a_dtd_is_refused(tmp_path: Path, doctype: str) -> None:
    """Entities and external DTDs are never expanded or fetched: such a sheet is not read at all."""
    year_dir = deliver(tmp_path)
    path = year_dir / SURVEY
    with zipfile.ZipFile(path) as z:
        parts = {info.filename: z.read(info) for info in z.infolist()}
    sheet = next(name for name in parts if name.startswith("xl/worksheets/sheet"))
    body = parts[sheet].decode("utf-8")
    assert body.startswith("<worksheet")  # openpyxl writes no XML declaration
    parts[sheet] = f'<?xml version="1.0" encoding="UTF-8"?>{doctype}{body}'.encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    problems = [p for p in validate(year_dir) if p.file == SURVEY]
    assert_one(problems, SURVEY, "", "", "not_xlsx")
    assert "cannot be read" in problems[0].message


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    year_dir = deliver(tmp_path)
    with zipfile.ZipFile(year_dir / SURVEY, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    problems = [p for p in validate(year_dir) if p.file == SURVEY]
    assert_one(problems, SURVEY, "", "", "not_xlsx")


def test_missing_sheet(tmp_path: Path) -> None:
    year_dir = deliver(tmp_path)
    write_survey(year_dir / SURVEY, base_rows()["survey_rows"], sheet="Ark1")
    problems = [p for p in validate(year_dir) if p.file == SURVEY]
    p = assert_one(problems, SURVEY, "", "", "missing_sheet")
    assert "Ark1" in p.message


def test_formula_cell(tmp_path: Path) -> None:
    rows = base_rows()["survey_rows"]
    rows[1]["har_tilbud_kvinner"] = Formula("=1+0")
    assert_one(validate(deliver(tmp_path, survey_rows=rows)), SURVEY, "svar!D3", "har_tilbud_kvinner",
               "formula", "=1+0")


def test_text_starting_with_equals_is_not_a_formula(tmp_path: Path) -> None:
    rows = base_rows()["survey_rows"]
    rows[1]["senter_navn"] = "=Krisesenteret"
    assert validate(deliver(tmp_path, survey_rows=rows)) == []


def test_survey_columns_of_the_year(tmp_path: Path) -> None:
    year_dir = deliver(tmp_path)
    columns = list(codebook.survey_columns(YEAR))
    columns.remove("tilbud_barn__velkomstsamtale__m")
    columns.append("tilbud_beboere__telepati__k")
    columns.append("senter_navn")
    write_survey(year_dir / SURVEY, base_rows()["survey_rows"], columns=columns)
    problems = validate(year_dir)
    found = {(p.location, p.column, p.rule) for p in problems}
    assert found == {
        ("svar!1:1", "tilbud_barn__velkomstsamtale__m", "missing_column"),
        (f"svar!{get_column_letter(len(columns) - 1)}1", "tilbud_beboere__telepati__k", "unknown_column"),
        (f"svar!{get_column_letter(len(columns))}1", "senter_navn", "duplicate_column"),
    }


def test_item_of_another_year_is_an_unknown_column(tmp_path: Path) -> None:
    old = [c for c in codebook.survey_columns(2017) if c not in codebook.survey_columns(YEAR)]
    new = [c for c in codebook.survey_columns(YEAR) if c not in codebook.survey_columns(2017)]
    assert old == [] and new
    year_dir = deliver(tmp_path)
    write_survey(year_dir / SURVEY, base_rows()["survey_rows"], columns=codebook.survey_columns(2017))
    assert {p.rule for p in validate(year_dir)} == {"missing_column"}


def test_survey_without_centres(tmp_path: Path) -> None:
    year_dir = deliver(tmp_path)
    write_survey(year_dir / SURVEY, [])
    problems = [p for p in validate(year_dir) if p.rule != "unknown_centre"]
    assert_one(problems, SURVEY, "", "", "no_rows")


def test_workbook_too_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "MAX_XLSX_BYTES", 1000)
    problems = [p for p in validate(deliver(tmp_path)) if p.file == SURVEY]
    assert_one(problems, SURVEY, "", "", "too_large")


def test_zip_bomb_is_refused_before_parsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    year_dir = deliver(tmp_path)
    with zipfile.ZipFile(year_dir / SURVEY, "a", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/padding.bin", b"\0" * (3 * 1024**2))
    called: list[object] = []
    monkeypatch.setattr(reading.xlsx, "open_sheet", lambda *a, **k: called.append(a))
    problems = [p for p in validate(year_dir) if p.file == SURVEY]
    p = assert_one(problems, SURVEY, "", "", "too_large")
    assert "zip bomb" in p.message and called == []


def test_latin1_csv(tmp_path: Path) -> None:
    year_dir = deliver(tmp_path)
    text = csv_bytes(contract.ADULT_COLUMNS, base_rows()["adults"]).decode().replace("P2", "Bodø")
    (year_dir / ADULTS).write_bytes(text.encode("latin-1"))
    p = assert_one(validate(year_dir), ADULTS, "line 3", "", "encoding", "0xF8")
    assert "UTF-8" in p.message


def test_nul_bytes(tmp_path: Path) -> None:
    year_dir = deliver(tmp_path)
    data = (year_dir / VISITS).read_bytes().replace(b"V3", b"V\x003")
    (year_dir / VISITS).write_bytes(data)
    assert_one(validate(year_dir), VISITS, "line 4", "", "nul_byte")


def test_truncated_gzip(tmp_path: Path) -> None:
    year_dir = deliver(tmp_path, gzip=frozenset({VISITS}))
    data = (year_dir / f"{VISITS}.gz").read_bytes()
    (year_dir / f"{VISITS}.gz").write_bytes(data[: len(data) - 12])
    problems = validate(year_dir)
    assert [(p.file, p.rule) for p in problems] == [(f"{VISITS}.gz", "truncated")]
    assert problems[0].location.startswith("line ")


def test_gzip_name_without_gzip_data(tmp_path: Path) -> None:
    year_dir = deliver(tmp_path)
    (year_dir / VISITS).rename(year_dir / f"{VISITS}.gz")
    assert_one(validate(year_dir), f"{VISITS}.gz", "", "", "corrupt")


def test_header_repeated_mid_file(tmp_path: Path) -> None:
    year_dir = deliver(tmp_path)
    text = csv_bytes(contract.VISIT_COLUMNS, base_rows()["visits"]).decode().splitlines()
    (year_dir / VISITS).write_text("\n".join([*text[:3], text[0], text[3]]) + "\n")
    assert_one(validate(year_dir), VISITS, "line 4", "", "repeated_header")


def test_wrong_number_of_fields(tmp_path: Path) -> None:
    year_dir = deliver(tmp_path)
    lines = csv_bytes(contract.VISIT_COLUMNS, base_rows()["visits"]).decode().splitlines()
    lines[1] += ",extra"
    lines[3] = lines[3].rsplit(",", 1)[0]
    (year_dir / VISITS).write_text("\n".join(lines) + "\n")
    problems = validate(year_dir)
    assert [(p.file, p.location, p.rule, p.value) for p in problems] == [
        (VISITS, "line 2", "field_count", "11"), (VISITS, "line 4", "field_count", "9"),
    ]


def test_unclosed_quote(tmp_path: Path) -> None:
    year_dir = deliver(tmp_path)
    lines = csv_bytes(contract.VISIT_COLUMNS, base_rows()["visits"]).decode().splitlines()
    lines[2] = lines[2].replace("V2", '"V2')
    (year_dir / VISITS).write_text("\n".join(lines) + "\n")
    assert_one(validate(year_dir), VISITS, "line 3", "", "malformed")


def test_line_numbers_stay_exact_after_blank_lines(tmp_path: Path) -> None:
    year_dir = deliver(tmp_path)
    lines = csv_bytes(contract.VISIT_COLUMNS, base_rows()["visits"]).decode().splitlines()
    lines[3] = lines[3].replace("2024-05-02", "2024-13-02")
    (year_dir / VISITS).write_text("\n".join([lines[0], "", lines[1], "   ", lines[2], lines[3]]) + "\n")
    assert_one(validate(year_dir), VISITS, "line 6", "dato", "date", "2024-13-02")


@pytest.mark.parametrize(
    ("header", "rule", "column"),
    [
        (lambda cols: [c for c in cols if c != "kjonn"], "missing_column", "kjonn"),
        (lambda cols: [*cols, "kommentar"], "unknown_column", "kommentar"),
        (lambda cols: [*cols, "dato"], "duplicate_column", "dato"),
        (lambda cols: [c.upper() if c == "dato" else c for c in cols], "unknown_column", "DATO"),
    ],
)
def test_csv_header(tmp_path: Path, header: Callable[[list[str]], list[str]], rule: str, column: str) -> None:
    year_dir = deliver(tmp_path)
    columns = header(list(contract.VISIT_COLUMNS))
    (year_dir / VISITS).write_bytes(csv_bytes(columns, base_rows()["visits"]))
    problems = [p for p in validate(year_dir) if p.column == column]
    assert_one(problems, VISITS, "line 1", column, rule)


def test_empty_csv_file(tmp_path: Path) -> None:
    year_dir = deliver(tmp_path)
    (year_dir / CHILDREN).write_bytes(b"")
    assert_one(validate(year_dir), CHILDREN, "", "", "empty_file")


def test_header_only_csv_file_is_a_year_without_records(tmp_path: Path) -> None:
    year_dir = deliver(tmp_path, children=[])
    con = duckdb.connect()
    assert validate(year_dir, con) == []
    assert con.execute("SELECT count(*) FROM staging.barn_opphold").fetchone() == (0,)


# --- the report -------------------------------------------------------------------------------


def test_format_report_sorts_by_file_and_location() -> None:
    problems = [
        Problem(VISITS, "line 10", "dato", "date", "x", "dato must be a date"),
        Problem(ADULTS, "line 17", "alder", "range", "7", "alder must be 18-110 or empty"),
        Problem(VISITS, "line 9", "dato", "date", "y", "dato must be a date"),
        Problem(SURVEY, "svar!B10", "senter_navn", "required", "", "senter_navn must not be empty"),
        Problem(SURVEY, "svar!AA2", "x", "flag", "2", "x must be 0, 1 or empty"),
        Problem(CHILDREN, "", "", "missing_file", "", "barn_opphold.csv is missing"),
    ]
    report = format_report(problems, Path("data/raw/2024")).splitlines()
    assert report == [
        "Delivery data/raw/2024: 6 problems",
        "barn_opphold.csv: rule missing_file - barn_opphold.csv is missing",
        "beboere_opphold.csv line 17, column alder: rule range: value '7' - alder must be 18-110 or empty",
        "dagsbesok.csv line 9, column dato: rule date: value 'y' - dato must be a date",
        "dagsbesok.csv line 10, column dato: rule date: value 'x' - dato must be a date",
        "sentreskjema.xlsx svar!AA2, column x: rule flag: value '2' - x must be 0, 1 or empty",
        "sentreskjema.xlsx svar!B10, column senter_navn: rule required: value '' - senter_navn must not be "
        "empty",
    ]
    assert summarise(problems) == {f"{VISITS}:date": 2, f"{ADULTS}:range": 1, f"{SURVEY}:required": 1,
                                   f"{SURVEY}:flag": 1, f"{CHILDREN}:missing_file": 1}
    assert format_report([], Path("data/raw/2024")) == "Delivery data/raw/2024: OK, no problems found"


def test_values_are_truncated_and_escaped(tmp_path: Path) -> None:
    rows = base_rows()
    rows["visits"][0]["kjonn"] = "K\t" + "x" * 500
    (p,) = validate(write_rows(tmp_path / str(YEAR), rows))
    assert p.value.startswith("K\\tx") and p.value.endswith("...") and len(p.value) <= 60


# --- bad bytes never raise --------------------------------------------------------------------


@pytest.fixture(scope="module")
def valid_delivery() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="krise-validation-"))
    year_dir = write_rows(root / "valid" / str(YEAR), base_rows(), gzip={CHILDREN})
    yield year_dir
    shutil.rmtree(root, ignore_errors=True)


_TRICKY = st.sampled_from(["", "0", "1", "2", "=1+1", "KS001", "ø", "\x00", "2024-02-30", "\ufeff", '"',
                           ",", "\n", "\r", "-1", "1e309", "K"])
_NUMBERS = st.one_of(st.integers(-10**20, 10**20), st.floats(allow_nan=True, allow_infinity=True))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_deliveries_never_raise(valid_delivery: Path, data: st.DataObject) -> None:
    work = Path(tempfile.mkdtemp(prefix="krise-mutation-"))
    try:
        year_dir = work / str(YEAR)
        shutil.copytree(valid_delivery, year_dir)
        files = sorted(p.name for p in year_dir.iterdir())
        name = data.draw(st.sampled_from(files), label="file")
        path = year_dir / name
        kind = data.draw(st.sampled_from(["bytes", "truncate", "insert", "cell"]), label="mutation")
        if kind == "cell" and name == SURVEY:
            workbook = load_workbook(path)
            sheet = workbook[contract.SURVEY_SHEET]
            row = data.draw(st.integers(1, sheet.max_row + 2), label="row")
            col = data.draw(st.integers(1, sheet.max_column + 2), label="col")
            value = data.draw(st.one_of(_TRICKY, _NUMBERS, st.none()), label="value")
            # a workbook cannot hold control characters (the byte mutations put them into files)
            assume(not (isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value)))
            sheet.cell(row=row, column=col).value = value
            workbook.save(path)
        else:
            raw = bytearray(path.read_bytes())
            position = data.draw(st.integers(0, max(len(raw) - 1, 0)), label="position")
            if kind == "truncate":
                del raw[position:]
            elif kind == "insert":
                raw[position:position] = data.draw(st.binary(min_size=1, max_size=8), label="inserted")
            else:
                for offset, byte in enumerate(data.draw(st.binary(min_size=1, max_size=8), label="written")):
                    if position + offset < len(raw):
                        raw[position + offset] = byte
            path.write_bytes(bytes(raw))
        with duckdb.connect() as con:
            problems = validate_delivery(year_dir, con)
        assert all(isinstance(getattr(p, f), str) for p in problems for f in Problem.__dataclass_fields__)
        assert format_report(problems, year_dir)
        # loading agrees: the same problems and nothing written, or exactly the rows validate typed
        with duckdb.connect(str(work / "krise.duckdb")) as con:
            loaded = load_delivery(con, year_dir, YEAR)
            assert loaded.problems == problems
            written = validated_rows(con)
        if problems:
            assert written == {t: [] for t in written}
        else:
            with duckdb.connect() as con:
                check_delivery(year_dir, con, "validated")
                assert written == validated_rows(con)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_a_gzip_bomb_stops_at_the_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "MAX_CSV_BYTES", 4 * 1024**2)
    year_dir = deliver(tmp_path)
    (year_dir / VISITS).unlink()
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb") as out:
        out.write(csv_bytes(contract.VISIT_COLUMNS, []))
        out.write(b"\n" * (8 * 1024**2))
    (year_dir / f"{VISITS}.gz").write_bytes(buffer.getvalue())
    assert_one(validate(year_dir), f"{VISITS}.gz", "", "", "too_large")


# --- the report a supplier can act on ---------------------------------------------------------


def last_years_rows() -> dict[str, list[dict[str, Any]]]:
    """The base delivery as if it were last year's: every stay in 2023, every visit in 2023."""
    rows = base_rows()
    for kind in ("adults", "children"):
        for row in rows[kind]:
            row.update(innflyttet="2023-03-01", utflyttet="2023-03-20")
    for row in rows["visits"]:
        row.update(dato="2023-05-02")
    return rows


def test_last_years_files_in_a_new_years_folder(tmp_path: Path) -> None:
    result = check_delivery(write_rows(tmp_path / str(YEAR), last_years_rows()), duckdb.connect())
    for file in (ADULTS, CHILDREN):
        mine = [p for p in result.problems if p.file == file]
        # one problem per row, naming the column and a readable rule (never the model)
        assert [(p.location, p.column, p.rule, p.value) for p in mine] == [
            ("line 2", "utflyttet", "not_in_year", "2023-03-20"), ("line 3", "utflyttet", "not_in_year", "2023-03-20"),
        ]
        assert all(p.message == "utflyttet is before 1 Jan 2024, so the stay does not overlap 2024" for p in mine)
    assert [(p.location, p.column, p.rule) for p in result.problems if p.file == VISITS] == [
        ("line 2", "dato", "not_in_year"), ("line 3", "dato", "not_in_year"), ("line 4", "dato", "not_in_year"),
    ]
    summaries = {(s.file, s.column, s.rule): (s.count, s.first, s.last) for s in result.summaries}
    assert summaries == {
        (ADULTS, "utflyttet", "not_in_year"): (2, 2, 3),
        (CHILDREN, "utflyttet", "not_in_year"): (2, 2, 3),
        (VISITS, "dato", "not_in_year"): (3, 2, 4),
    }
    (adult,) = [s for s in result.summaries if s.file == ADULTS]
    assert report.summary_sentence(adult, YEAR) == (
        "2 opphold i beboere_opphold.csv linje 2-3 slutter før 1. januar 2024: er dette fjorårets fil?")


def test_summary_counts_beyond_the_listed_problems(tmp_path: Path) -> None:
    n = MAX_LISTED + 30
    adults = [adult_stay(opphold_id=f"O{i}", person_id=f"P{i}", utflyttet="2023-12-31", innflyttet="2023-12-01")
              for i in range(n)]
    adults.insert(10, adult_stay(opphold_id="OK", person_id="PK"))
    result = check_delivery(deliver(tmp_path, adults=adults), duckdb.connect())
    (summary,) = result.summaries
    assert (summary.count, summary.first, summary.last) == (n, 2, n + 2)
    assert len(result.problems) == MAX_LISTED + 1  # the listed ones and the "more" line
    assert "line 12" not in {p.location for p in result.problems}  # the valid stay


def test_every_rule_has_one_name_and_sentence_whatever_the_order(tmp_path: Path) -> None:
    files = [ADULTS, CHILDREN, VISITS]

    def described(order: list[str]) -> dict[str, list[tuple[str, str, str, str, str]]]:
        built = {file: [record_models.split_name(c.name) for c in record_models.MODELS[file].to_schema().checks]
                 for file in order}
        return {file: sorted((rule, column, messages.message(file, rule, column, YEAR, 2),
                              report.RULE_NAMES[rule], report.sentence(file, rule, column, YEAR))
                             for rule, column in rs) for file, rs in built.items()}

    forward, backward = described(files), described(list(reversed(files)))
    assert forward == backward
    for file, entries in forward.items():
        for rule, column, english, name, bokmal in entries:
            assert "breaks rule" not in english and name != rule, (file, rule, column)
            assert column in english and column in bokmal, (file, rule, column)
    stay = {(r, c): e for r, c, e, *_ in forward[CHILDREN]}
    assert stay[("not_in_year", "utflyttet")] == "utflyttet is before 1 Jan 2024, so the stay does not overlap 2024"


def test_a_semicolon_file_is_one_problem_with_the_fix(tmp_path: Path) -> None:
    year_dir = deliver(tmp_path)
    (year_dir / ADULTS).write_bytes(csv_bytes(contract.ADULT_COLUMNS, base_rows()["adults"]).replace(b",", b";"))
    p = assert_one(validate(year_dir), ADULTS, "line 1", "", "delimiter", ";")
    assert "semicolons" in p.message and "comma" in p.message


def test_a_windows_1252_file_is_read_and_its_other_problems_reported(tmp_path: Path) -> None:
    year_dir = deliver(tmp_path)
    rows = base_rows()["adults"]
    rows[1]["person_id"] = "Bodø"
    rows[0]["innflyttet"] = "01.03.2024"
    (year_dir / ADULTS).write_bytes(csv_bytes(contract.ADULT_COLUMNS, rows).decode().encode("cp1252"))
    problems = validate(year_dir)
    assert [(p.file, p.location, p.column, p.rule, p.value) for p in problems] == [
        (ADULTS, "line 3", "", "encoding", "0xF8"),
        (ADULTS, "line 2", "innflyttet", "date", "01.03.2024"),
    ]
    assert "Windows-1252" in problems[0].message


def test_report_file_for_the_supplier(tmp_path: Path) -> None:
    rows = last_years_rows()
    rows["adults"][0]["kjonn"] = "X"
    year_dir = write_rows(tmp_path / str(YEAR), rows)
    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "rapport.xlsx"
    assert commands.main(["validate", str(year_dir), "--report", str(target)], out, err) == 1
    assert "Summary by file and rule:" in err.getvalue()
    assert "2 x rule not_in_year in beboere_opphold.csv lines 2-3, column utflyttet: is this last year's file?" \
        in err.getvalue()
    wb = load_workbook(target, read_only=True)
    summary = [list(r) for r in wb["Oppsummering"].iter_rows(values_only=True)]
    assert summary[2] == ["Fil", "Regel", "Regel-id", "Kolonne", "Antall", "Første linje/rad", "Siste linje/rad",
                          "Oppsummering", "Hva du gjør"]
    by_rule = {(r[0], r[2], r[3]): r for r in summary[3:]}
    adult = by_rule[(ADULTS, "not_in_year", "utflyttet")]
    assert adult[1] == "Utenfor året" and adult[4:7] == [2, 2, 3]
    assert adult[7] == "2 opphold i beboere_opphold.csv linje 2-3 slutter før 1. januar 2024: er dette fjorårets fil?"
    assert by_rule[(ADULTS, "code_list", "kjonn")][4] == 1
    problems = [list(r) for r in wb["Problemer"].iter_rows(values_only=True)]
    assert problems[2] == ["Fil", "Linje/celle", "Kolonne", "Regel", "Regel-id", "Verdi", "Hva er galt",
                           "Hva du gjør"]
    assert [ADULTS, "linje 2", "kjonn", "Ukjent kode", "code_list", "X", "kjonn må være en av K, M, A, U",
            "Bruk en av kodene i leveransebeskrivelsen."] in problems
    assert sum(1 for r in problems[3:] if r[0] == CHILDREN) == 2
    html_path = tmp_path / "rapport.html"
    assert commands.main(["validate", str(year_dir), "--report", str(html_path)], io.StringIO(), io.StringIO()) == 1
    page = html_path.read_text(encoding="utf-8")
    assert '<html lang="nb">' in page and "er dette fjorårets fil?" in page and "Hva du gjør" in page
    assert commands.main(["validate", str(year_dir), "--report", str(tmp_path / "r.txt")], io.StringIO(), err) == 2
