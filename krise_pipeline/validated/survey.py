"""The centre survey (contract 1.1): columns of the year, row rules, and the typed tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from krise_pipeline.metadata import codebook, contract
from krise_pipeline.raw import reading
from krise_pipeline.validated import messages
from krise_pipeline.validated.problems import Problem, ProblemLog, shown_value

if TYPE_CHECKING:
    from krise_pipeline.validated import models

Columns = dict[str, np.ndarray]
"""Typed rows for DuckDB: column name -> one array (DuckDB reads a dict of arrays like a table)."""

HEADER_ROW = f"{contract.SURVEY_SHEET}!1:1"


@dataclass
class Survey:
    """What was read of the survey: the text of each contract column found, per centre."""

    file: str  # as delivered
    rows: list[int]  # the sheet row of each centre
    columns: dict[str, list[str]]  # contract column -> the text of its cell in each row


def _columns(sheet: reading.SurveySheet, year: int, file: str, log: ProblemLog) -> dict[str, int]:
    """Position of every expected column found in the header; header problems go to the log."""
    expected = codebook.survey_columns(year)
    wanted = set(expected)
    positions: dict[str, int] = {}
    for position, name in enumerate(sheet.header):
        if not name:
            filled = [(row, values[position]) for row, values in zip(sheet.rows, sheet.data, strict=True)
                      if values[position]]
            if filled:
                row, value = filled[0]
                log.add(Problem(file, sheet.cell(row, position), "", "unknown_column", shown_value(value),
                                f"column {reading.column_letter(position + 1)} has values but no header"))
            continue
        if name in positions:
            log.add(Problem(file, sheet.cell(1, position), name, "duplicate_column", shown_value(name),
                            f"the header names column {name} more than once"))
        elif name not in wanted:
            log.add(Problem(file, sheet.cell(1, position), name, "unknown_column", shown_value(name),
                            f"{name} is not a column of the survey for {year} (see codebook.csv)"))
        else:
            positions[name] = position
    for name in expected:
        if name not in positions:
            log.add(Problem(file, HEADER_ROW, name, "missing_column", "",
                            f"the survey for {year} must have the column {name}"))
    return positions


def read_survey(year_dir: Path, year: int, log: ProblemLog) -> Survey | None:
    """Read and check the survey; None when it cannot be read at all."""
    file = contract.SURVEY_FILE
    try:
        located = reading.locate(year_dir, contract.SURVEY_FILE)
        file = located.delivered_as
        sheet = reading.read_survey(located.path, contract.SURVEY_SHEET, {"kommune_nr": 4})
    except reading.UnreadableFile as exc:
        for issue in exc.issues:
            log.add(messages.problem_from_issue(file, issue))
        return None
    positions = _columns(sheet, year, file, log)
    data_by_row = dict(zip(sheet.rows, sheet.data, strict=True))
    for row, position in sorted(sheet.formulas):
        column = sheet.header[position] if row > 1 else ""
        text = data_by_row[row][position] if row > 1 else sheet.header[position]
        log.add(Problem(file, sheet.cell(row, position), column, "formula", shown_value(text),
                        "the cell holds a formula; the survey must hold values only"))
    if not sheet.rows:
        log.add(Problem(file, "", "", "no_rows", "", f"the sheet {contract.SURVEY_SHEET} has no centres"))
    columns = {name: [values[position] for values in sheet.data] for name, position in positions.items()}
    complete = all(c in positions for c in contract.SURVEY_FIXED_COLUMNS)
    if complete and sheet.rows:
        from krise_pipeline.validated import models  # pandas and pandera: when a survey is checked

        outcome = models.validate_frame(models.Sentreskjema, models.text_frame(sheet.rows, columns))

        def locate(failure: models.Failure) -> str | None:
            position = positions[failure.column]
            if (failure.row, position) in sheet.formulas:
                return None
            return sheet.cell(int(failure.row), position)

        messages.log_outcome(log, file, outcome, year, locate)
    return Survey(file, list(sheet.rows), columns)


def _text(values: Sequence[str | None]) -> np.ndarray:
    return np.array(values, dtype=object)


def typed_tables(survey: Survey, year: int) -> tuple[Columns, Columns]:
    """The rows of sentreskjema and senter_svar of a valid survey, in the tables' column order."""
    text = survey.columns
    n = len(survey.rows)
    centres = {
        "year": np.full(n, year, dtype=np.int32),
        "senter_id": _text(text["senter_id"]),
        "senter_navn": _text(text["senter_navn"]),
        "kommune_nr": _text(text["kommune_nr"]),
        "har_tilbud_kvinner": np.array([v == "1" for v in text["har_tilbud_kvinner"]], dtype=bool),
        "har_tilbud_menn": np.array([v == "1" for v in text["har_tilbud_menn"]], dtype=bool),
        "botilbud_menn_type": _text([v or None for v in text["botilbud_menn_type"]]),
    }
    columns: list[str] = []
    keys: list[tuple[str, str, str]] = []
    for q in codebook.survey_questions():
        for item, _ in codebook.items_in_year(q.question, year):
            for group in q.target_groups:
                columns.append(f"{q.question}__{item}" if q.scope == contract.SCOPE_CENTRE
                               else f"{q.question}__{item}__{contract.SUFFIX_BY_GROUP[group]}")
                keys.append((q.question, item, group))
    ticked = np.array([[v == "1" for v in text[c]] for c in columns], dtype=bool).reshape(len(columns), n)
    answers = {  # column by column: all centres for the first answer column, then the next
        "year": np.full(n * len(columns), year, dtype=np.int32),
        "senter_id": np.tile(_text(text["senter_id"]), len(columns)),
        "question": np.repeat(np.array([k[0] for k in keys], dtype=object), n),
        "item": np.repeat(np.array([k[1] for k in keys], dtype=object), n),
        "target_group": np.repeat(np.array([k[2] for k in keys], dtype=object), n),
        "ticked": ticked.ravel(),
    }
    return centres, answers
