"""Problems from failures: the human sentence of each (file, rule, column), and their logging."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

from krise_pipeline.metadata import contract
from krise_pipeline.raw import reading
from krise_pipeline.validated.problems import Problem, ProblemLog, shown_value

if TYPE_CHECKING:
    from krise_pipeline.validated import models

HELP_COLUMNS = frozenset(contract.ADULT_HELP) | frozenset(contract.CHILD_HELP) | frozenset(contract.VISIT_HELP)
FIRST_FLAGS = ("forste_opphold_i_aret", "forste_besok_i_aret")


def _offer_text(column: str) -> str:
    group = "kvinner" if column.endswith("__k") else "menn"
    who = "women" if group == "kvinner" else "men"
    return (f"{column} is ticked, but har_tilbud_{group} is not 1: a centre without an offer "
            f"for {who} cannot answer for it")


def message(file: str, rule: str, column: str, year: int, first_line: int | None = None) -> str:
    """The sentence explaining a rule broken in one cell (`first_line`: for a repeat in a CSV file,
    the line of the first row with the same key)."""
    child = file.startswith(contract.CHILD_FILE)
    if rule == "unique" and column != "senter_id":
        return f"{column} must be unique in the year; the same {column} is already on line {first_line}"
    if rule == "first_flag":
        flag = FIRST_FLAGS[1] if file.startswith(contract.VISIT_FILE) else FIRST_FLAGS[0]
        return (f"this {column} already has {flag} = 1 on line {first_line}; "
                "a person has at most one such row in a year")
    if rule == "required":
        if column in HELP_COLUMNS:
            return f"{column} must be 0 or 1 when reservert is 0 or empty"
        if column == "botilbud_menn_type":
            return "botilbud_menn_type is required when har_tilbud_menn is 1"
        if column == "alder" and child:
            return "alder is required for a child (0-17)"
        return f"{column} must not be empty"
    if rule == "must_be_empty":
        if column == "botilbud_menn_type":
            return "botilbud_menn_type must be empty when har_tilbud_menn is 0 or empty"
        return f"{column} must be empty when reservert is 1 (the person opted out of registration)"
    if rule == "flag":
        return f"{column} must be 0, 1 or empty"
    if rule == "pattern":
        if column == "kommune_nr":
            return "kommune_nr must be four digits, e.g. 0301"
        return "senter_id must be KS followed by three digits, e.g. KS001"
    if rule == "unique":
        return "senter_id must be unique: this centre is already on an earlier row"
    if rule == "code_list":
        if column == "botilbud_menn_type":
            return "botilbud_menn_type must be " + ", ".join(contract.BOTILBUD_MENN_TYPES) + " or empty"
        codes = contract.CHILD_KJONN if child else contract.ADULT_KJONN
        return f"{column} must be one of " + ", ".join(codes)
    if rule == "range":
        return "alder must be a whole number 0-17" if child else "alder must be a whole number 18-110 or empty"
    if rule == "date":
        if column == "utflyttet":
            return "utflyttet must be a date that exists, written YYYY-MM-DD, or empty"
        return f"{column} must be a date that exists, written YYYY-MM-DD"
    if rule == "date_order":
        return "utflyttet is before innflyttet"
    if rule == "not_in_year":
        if column == "innflyttet":
            return f"innflyttet is after 31 Dec {year}, so the stay does not overlap {year}"
        if column == "utflyttet":
            return f"utflyttet is before 1 Jan {year}, so the stay does not overlap {year}"
        return f"dato is not in {year}"
    if rule == "no_offer":
        return _offer_text(column)
    if rule == "unknown_centre":
        return f"senter_id is not in {contract.SURVEY_FILE} for {year}"
    return f"{column} breaks rule {rule}"


def log_outcome(
    log: ProblemLog, file: str, outcome: models.Outcome, year: int,
    locate: Callable[[models.Failure], str | None],
) -> None:
    """Add the failures of a pandera run; `locate` gives a failure's location (None: not reported)."""
    handled: Counter[tuple[str, str]] = Counter()
    for failure in outcome.failures:
        if not log.wants(file, failure.column, failure.rule):
            continue
        handled[(failure.column, failure.rule)] += 1
        location = locate(failure)
        if location is None:
            continue
        log.add(Problem(file, location, failure.column, failure.rule, shown_value(failure.value),
                        message(file, failure.rule, failure.column, year)))
    for (column, rule), count in outcome.counts.items():
        log.add_unlisted(file, column, rule, count - handled[(column, rule)])


def problem_from_issue(file: str, issue: reading.ReadIssue) -> Problem:
    """The problem of a reading issue of `file` (as delivered)."""
    return Problem(file, issue.location, issue.column, issue.rule, shown_value(issue.value), issue.message)
