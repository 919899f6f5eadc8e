"""The pandera models state the contract: every column of each delivered file and every rule of
contract section 1, each declared once; the survey's model finds each broken rule by its name.

The expectations are written out here by hand from the contract (section 1), not taken from the
models: a rule dropped from a model, or a column it no longer declares, fails a test.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from krise_pipeline.metadata import codebook, contract
from krise_pipeline.validated import messages, models, record_models
from krise_pipeline_tests.support.deliveries import centre

YEAR = 2024
COLUMNS = codebook.survey_columns(YEAR)
ANSWERS = COLUMNS[len(contract.SURVEY_FIXED_COLUMNS):]
MEN_ANSWER = next(c for c in ANSWERS if c.endswith("__m"))
WOMEN_ANSWER = next(c for c in ANSWERS if c.endswith("__k"))
CENTRE_ANSWER = next(c for c in ANSWERS if not c.endswith(("__k", "__m")))

ADULT_COLUMNS = ("opphold_id", "person_id", "senter_id", "kjonn", "alder", "innflyttet", "utflyttet",
                 "forste_opphold_i_aret", "reservert", "inntakssamtale", "kartlegging_hjelpebehov",
                 "kartlegging_trusler_senter", "kartlegging_trusler_andre", "plan_under_opphold",
                 "plan_etter_opphold")
CHILD_COLUMNS = ("opphold_id", "barn_id", "senter_id", "kjonn", "alder", "innflyttet", "utflyttet",
                 "forste_opphold_i_aret", "reservert", "velkomstsamtale", "kartlegging_hjelpebehov",
                 "kartlegging_trusler_senter", "kartlegging_trusler_andre", "plan_under_opphold")
VISIT_COLUMNS = ("besok_id", "person_id", "senter_id", "kjonn", "dato", "forste_besok_i_aret", "reservert",
                 "kartlegging_hjelpebehov", "kartlegging_trusler_senter", "kartlegging_trusler_andre")


def help_rules(*columns: str) -> set[tuple[str, str]]:
    return {(rule, c) for c in columns for rule in ("required", "must_be_empty", "flag")}


STAY_RULES = {
    ("required", "opphold_id"), ("required", "senter_id"), ("required", "innflyttet"),
    ("pattern", "senter_id"), ("code_list", "kjonn"), ("date", "innflyttet"), ("date", "utflyttet"),
    ("flag", "forste_opphold_i_aret"), ("flag", "reservert"), ("date_order", "utflyttet"),
    ("not_in_year", "innflyttet"), ("not_in_year", "utflyttet"), ("range", "alder"),
    ("unique", "opphold_id"), ("unknown_centre", "senter_id"),
}
EXPECTED_RULES = {
    contract.ADULT_FILE: STAY_RULES | {("required", "person_id"), ("first_flag", "person_id")}
    | help_rules(*ADULT_COLUMNS[9:]),
    contract.CHILD_FILE: STAY_RULES | {("required", "barn_id"), ("first_flag", "barn_id"), ("required", "alder")}
    | help_rules(*CHILD_COLUMNS[9:]),
    contract.VISIT_FILE: {
        ("required", "besok_id"), ("required", "person_id"), ("required", "senter_id"), ("required", "dato"),
        ("pattern", "senter_id"), ("code_list", "kjonn"), ("date", "dato"), ("flag", "forste_besok_i_aret"),
        ("flag", "reservert"), ("not_in_year", "dato"), ("unique", "besok_id"), ("first_flag", "person_id"),
        ("unknown_centre", "senter_id"),
    } | help_rules(*VISIT_COLUMNS[7:]),
}
EXPECTED_COLUMNS = {contract.ADULT_FILE: ADULT_COLUMNS, contract.CHILD_FILE: CHILD_COLUMNS,
                    contract.VISIT_FILE: VISIT_COLUMNS}


@pytest.mark.parametrize("file", [contract.ADULT_FILE, contract.CHILD_FILE, contract.VISIT_FILE])
def test_each_record_model_states_its_files_columns_and_rules(file: str) -> None:
    schema = record_models.MODELS[file].to_schema()
    assert tuple(schema.columns) == ("read_row", "year", *EXPECTED_COLUMNS[file])
    assert tuple(schema.columns)[2:] == {contract.ADULT_FILE: contract.ADULT_COLUMNS,
                                         contract.CHILD_FILE: contract.CHILD_COLUMNS,
                                         contract.VISIT_FILE: contract.VISIT_COLUMNS}[file]
    assert schema.strict is True
    assert all(schema.columns[c].dtype.type.is_string() for c in EXPECTED_COLUMNS[file])
    names = [record_models.split_name(str(c.name)) for c in schema.checks]
    assert len(names) == len(set(names)), "a rule is declared twice"
    assert set(names) == EXPECTED_RULES[file]


def test_the_survey_model_states_the_fixed_columns_and_its_rules() -> None:
    schema = models.Sentreskjema.to_schema()
    assert tuple(schema.columns) == ("senter_id", "senter_navn", "kommune_nr", "har_tilbud_kvinner",
                                     "har_tilbud_menn", "botilbud_menn_type")
    column_rules = {(check.name, name) for name, column in schema.columns.items() for check in column.checks}
    assert column_rules == {
        ("required", "senter_id"), ("required", "kommune_nr"), ("required", "senter_navn"),
        ("pattern", "senter_id"), ("unique", "senter_id"), ("pattern", "kommune_nr"),
        ("flag", "har_tilbud_kvinner"), ("flag", "har_tilbud_menn"), ("code_list", "botilbud_menn_type"),
    }
    # across the row: botilbud_menn_type with har_tilbud_menn, the answers' values and offers
    assert {str(c.name) for c in schema.checks} == {"required/botilbud_menn_type",
                                                    "must_be_empty/botilbud_menn_type", "flag", "no_offer"}


def survey(*changes: tuple[int, str, str]) -> dict[str, list[str]]:
    """Three valid centres as the reader gives them (text), then (centre, column, text) changes."""
    rows = [centre("KS001"), centre("KS002", har_tilbud_menn=0), centre("KS003", har_tilbud_kvinner=0)]
    columns = {name: ["" if row[name] is None else str(row[name]) for row in rows] for name in COLUMNS}
    columns[WOMEN_ANSWER] = ["1", "1", "0"]
    columns[MEN_ANSWER] = ["1", "", "1"]
    for index, column, text in changes:
        columns[column][index] = text
    return columns


def survey_failures(columns: dict[str, list[str]]) -> set[tuple[str, str, int]]:
    """(rule, column, sheet row) of every failure the survey's model finds (rows 2, 3, 4)."""
    outcome = models.validate_frame(models.Sentreskjema, models.text_frame([2, 3, 4], columns))
    return {(f.rule, f.column, int(f.row)) for f in outcome.failures}


def test_a_valid_survey_passes_the_model() -> None:
    assert survey_failures(survey()) == set()


@pytest.mark.parametrize(("change", "rule", "column"), [
    ((0, "senter_id", "KS01"), "pattern", "senter_id"),
    ((0, "senter_id", ""), "required", "senter_id"),
    ((1, "senter_id", "KS001"), "unique", "senter_id"),
    ((0, "kommune_nr", "301"), "pattern", "kommune_nr"),
    ((0, "kommune_nr", ""), "required", "kommune_nr"),
    ((0, "senter_navn", "  "), "required", "senter_navn"),
    ((0, "har_tilbud_kvinner", "2"), "flag", "har_tilbud_kvinner"),
    ((0, "har_tilbud_menn", "ja"), "flag", "har_tilbud_menn"),
    ((0, "botilbud_menn_type", "hytte"), "code_list", "botilbud_menn_type"),
    ((0, "botilbud_menn_type", ""), "required", "botilbud_menn_type"),
    ((1, "botilbud_menn_type", "midlertidig"), "must_be_empty", "botilbud_menn_type"),
    ((0, CENTRE_ANSWER, "2"), "flag", CENTRE_ANSWER),
    ((0, WOMEN_ANSWER, " 1"), "flag", WOMEN_ANSWER),
    ((1, MEN_ANSWER, "1"), "no_offer", MEN_ANSWER),
    ((2, WOMEN_ANSWER, "1"), "no_offer", WOMEN_ANSWER),
])
def test_the_survey_model_names_each_broken_rule_at_its_row(change: tuple[int, str, str], rule: str,
                                                            column: str) -> None:
    assert survey_failures(survey(change)) == {(rule, column, change[0] + 2)}


def test_a_record_model_runs_inside_duckdb_and_reports_read_rows(tmp_path: Path) -> None:
    """The Ibis backend on a DuckDB table: the failing rows carry their read_row (pandera's own
    index is a row position of its output), and the year and centres come from the table."""
    import ibis
    from pandera.errors import SchemaErrors

    con = duckdb.connect(str(tmp_path / "t.duckdb"))
    names = ", ".join(f"'' AS {c}" for c in VISIT_COLUMNS[5:])
    con.execute(f"""CREATE TABLE v AS SELECT * REPLACE (
        CASE WHEN i = 7 THEN '2023-12-31' ELSE '2024-06-01' END AS dato,
        CASE WHEN i = 9 THEN 'KS009' ELSE 'KS001' END AS senter_id)
        FROM (SELECT i, 'V' || i AS besok_id, 'P' || i AS person_id, 'KS001' AS senter_id, 'K' AS kjonn,
                     '' AS dato, {names} FROM range(12) t(i))""")
    con.execute("UPDATE v SET reservert = '1'")
    con.execute(f"CREATE VIEW checked AS SELECT i * 10 AS read_row, {YEAR}::BIGINT AS year, "
                f"* EXCLUDE (i) FROM v ORDER BY i DESC")
    con.execute("CREATE TEMP TABLE _centres AS SELECT 'KS001' AS senter_id")
    table = ibis.duckdb.from_connection(con).table("checked")
    with pytest.raises(SchemaErrors) as raised:
        record_models.Dagsbesok.validate(table, lazy=True)
    found = {(str(e.check.name), tuple(sorted(case["read_row"] for case in e.failure_cases["failure_case"])))
             for e in raised.value.schema_errors}
    assert found == {("not_in_year/dato", (70,)), ("unknown_centre/senter_id", (90,))}


@pytest.mark.parametrize(("file", "rule", "column", "sentence"), [
    (contract.ADULT_FILE, "unique", "opphold_id",
     "opphold_id must be unique in the year; the same opphold_id is already on line 2"),
    (contract.VISIT_FILE, "first_flag", "person_id",
     "this person_id already has forste_besok_i_aret = 1 on line 2; a person has at most one such row in a year"),
    (contract.CHILD_FILE, "first_flag", "barn_id",
     "this barn_id already has forste_opphold_i_aret = 1 on line 2; a person has at most one such row in a year"),
    (contract.CHILD_FILE, "unknown_centre", "senter_id", "senter_id is not in sentreskjema.xlsx for 2024"),
    (contract.SURVEY_FILE, "unique", "senter_id", "senter_id must be unique: this centre is already on an earlier row"),
])
def test_the_sentences_of_the_rules_across_rows(file: str, rule: str, column: str, sentence: str) -> None:
    assert messages.message(file, rule, column, YEAR, 2) == sentence
