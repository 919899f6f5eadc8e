"""The survey screen agrees with the pandera model: `clean` exactly when the model finds nothing.

A clean survey never reaches pandera (pandas and pandera are not even imported), so a screen that
let through what the model refuses would publish a bad delivery. Hand-made cases break each of
the model's rules once; fuzzed sheets change a few cells to tricky text.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from krise_pipeline import codebook, contract
from krise_pipeline.validation import models, survey_screen
from krise_pipeline_tests.deliveries import adult_stay, centre, child_stay, visit, write_rows

YEAR = 2024
COLUMNS = codebook.survey_columns(YEAR)
ANSWERS = COLUMNS[len(contract.SURVEY_FIXED_COLUMNS):]
MEN_ANSWER = next(c for c in ANSWERS if c.endswith("__m"))
WOMEN_ANSWER = next(c for c in ANSWERS if c.endswith("__k"))
CENTRE_ANSWER = next(c for c in ANSWERS if not c.endswith(("__k", "__m")))


def survey(*changes: tuple[int, str, str]) -> dict[str, list[str]]:
    """Three valid centres as the reader gives them (text), then (centre, column, text) changes."""
    rows = [centre("KS001"), centre("KS002", har_tilbud_menn=0), centre("KS003", har_tilbud_kvinner=0)]
    columns = {name: ["" if row[name] is None else str(row[name]) for row in rows] for name in COLUMNS}
    columns[WOMEN_ANSWER] = ["1", "1", "0"]
    columns[MEN_ANSWER] = ["1", "", "1"]
    for index, column, text in changes:
        columns[column][index] = text
    return columns


def model_failures(columns: dict[str, list[str]]) -> set[tuple[str, str]]:
    """(rule, column) of every failure the pandera model finds."""
    rows = list(range(2, 2 + len(columns["senter_id"])))
    outcome = models.validate_frame(models.Sentreskjema, models.text_frame(rows, columns))
    return {(f.rule, f.column) for f in outcome.failures} | {(rule, column) for column, rule in outcome.counts}


def test_a_valid_survey_is_clean_and_the_model_agrees() -> None:
    columns = survey()
    assert survey_screen.clean(columns)
    assert model_failures(columns) == set()


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
def test_each_broken_rule_is_doubted_and_the_model_names_it(change: tuple[int, str, str], rule: str,
                                                             column: str) -> None:
    columns = survey(change)
    assert not survey_screen.clean(columns)
    assert (rule, column) in model_failures(columns)


def test_a_value_that_is_not_text_is_doubted() -> None:
    columns: dict[str, list[object]] = {name: list(values) for name, values in survey().items()}
    columns[CENTRE_ANSWER][0] = 1
    assert not survey_screen.clean(columns)


_TEXT = st.sampled_from(["", "0", "1", "2", " ", " 1", "1 ", "01", "KS001", "KS002", "KS1234", "ks001",
                         "0301", "301", "03010", "egne_lokaler", "samme_bygning", "midlertidig", "Egne_lokaler",
                         "x", "ø", "\u00a0", "1.0"])


@settings(max_examples=300, deadline=None)
@given(changes=st.lists(st.tuples(st.integers(0, 2),
                                  st.sampled_from([*contract.SURVEY_FIXED_COLUMNS, CENTRE_ANSWER, WOMEN_ANSWER,
                                                   MEN_ANSWER]), _TEXT), max_size=4))
def test_the_screen_is_clean_exactly_when_the_model_finds_nothing(changes: list[tuple[int, str, str]]) -> None:
    columns = survey(*changes)
    assert survey_screen.clean(columns) == (model_failures(columns) == set())


@pytest.mark.e2e
def test_a_clean_delivery_is_validated_without_pandas(tmp_path: Path) -> None:
    """`validate` of a clean delivery, and loading the pipeline's Definitions, import neither pandas
    nor pandera (each costs more than checking the survey); a survey with a problem still gets the
    model's report."""
    clean = write_rows(tmp_path / "ok" / str(YEAR), {
        "survey_rows": [centre("KS001"), centre("KS002", har_tilbud_menn=0)],
        "adults": [adult_stay()], "children": [child_stay()], "visits": [visit()]})
    broken = write_rows(tmp_path / "bad" / str(YEAR), {
        "survey_rows": [centre("KS001"), centre("KS002", har_tilbud_menn=0, botilbud_menn_type="midlertidig")],
        "adults": [adult_stay()], "children": [child_stay()], "visits": [visit()]})
    script = (
        "import sys\n"
        "import krise_pipeline.definitions\n"
        "from krise_pipeline import cli\n"
        "code = cli.main(['validate', sys.argv[1]])\n"
        "print('exit', code, 'pandas' in sys.modules, 'pandera' in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    ran = subprocess.run([sys.executable, "-c", script, str(clean)], capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=120)
    assert ran.stdout.strip().splitlines()[-1] == "exit 0 False False", ran.stdout + ran.stderr
    ran = subprocess.run([sys.executable, "-c", script, str(broken)], capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=120)
    assert ran.stdout.strip().splitlines()[-1] == "exit 1 True True", ran.stdout + ran.stderr
    assert "botilbud_menn_type must be empty when har_tilbud_menn is 0 or empty" in ran.stderr
    assert "rule must_be_empty" in ran.stderr
