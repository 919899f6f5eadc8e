"""The row rules of the stays and visits (contract 1.2-1.5) as SQL over the delivered text.

Each file's model is a tuple of `Rule`s built by a pure function from the contract: the rule's
id, the column it reports, and the SQL condition under which a row breaks it. The conditions read
the columns as delivered (text; an empty field is NULL or ''), so that a value is judged exactly
as the supplier wrote it. `records` runs every rule of a file in one pass over the table DuckDB
read; a rule's name and sentence come from `messages`, whatever order the models are built in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from krise_pipeline import contract

FLAG_VALUES = ("0", "1")
SENTER_ID = "KS[0-9]{3}"


@dataclass(frozen=True)
class Rule:
    """One rule of one column: rows where `fails` holds break it."""

    rule: str
    column: str
    fails: str  # SQL over the delivered text columns


def text(column: str) -> str:
    """The delivered text of `column`, '' when empty."""
    return f"coalesce(\"{column}\", '')"


def _quoted(values: Sequence[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def is_date(column: str) -> str:
    """The value is a date that exists, written YYYY-MM-DD (it reads back as itself)."""
    return (f"coalesce(length(\"{column}\") = 10 AND try_cast(\"{column}\" AS DATE)::VARCHAR = \"{column}\", "
            "false)")


def as_date(column: str) -> str:
    return f"try_cast(\"{column}\" AS DATE)"


def _required(column: str) -> Rule:
    return Rule("required", column, f"{text(column)} = ''")


def _flag(column: str) -> Rule:
    return Rule("flag", column, f"{text(column)} NOT IN ({_quoted((*FLAG_VALUES, ''))})")


def _pattern(column: str) -> Rule:
    return Rule("pattern", column,
                f"{text(column)} <> '' AND NOT regexp_full_match(\"{column}\", '{SENTER_ID}')")


def _code_list(column: str, codes: Sequence[str]) -> Rule:
    return Rule("code_list", column, f"{text(column)} NOT IN ({_quoted(codes)})")


def _date(column: str) -> Rule:
    return Rule("date", column, f"{text(column)} <> '' AND NOT {is_date(column)}")


def _whole_number(column: str, low: int, high: int) -> Rule:
    return Rule("range", column,
                f"{text(column)} <> '' AND NOT (regexp_full_match(\"{column}\", '[0-9]{{1,4}}') "
                f"AND try_cast(\"{column}\" AS INTEGER) BETWEEN {low} AND {high})")


def help_rules(columns: Sequence[str]) -> list[Rule]:
    """The help columns are 0/1, all empty exactly when `reservert` is 1."""
    reserved = "\"reservert\" = '1'"
    not_reserved = f"{text('reservert')} IN ('0', '')"
    rules: list[Rule] = []
    for column in columns:
        rules += [
            Rule("must_be_empty", column, f"{reserved} AND {text(column)} <> ''"),
            Rule("required", column, f"{not_reserved} AND {text(column)} = ''"),
            Rule("flag", column, f"{text(column)} NOT IN ('0', '1', '') AND NOT coalesce({reserved}, false)"),
        ]
    return rules


def stay_rules(file: str, year: int) -> tuple[Rule, ...]:
    """The rules of beboere_opphold.csv or barn_opphold.csv."""
    child = file == contract.CHILD_FILE
    first, last = date(year, 1, 1).isoformat(), date(year, 12, 31).isoformat()
    inn, ut = as_date("innflyttet"), as_date("utflyttet")
    rules = [
        _required("opphold_id"),
        _required("barn_id" if child else "person_id"),
        _required("senter_id"),
        _required("innflyttet"),
        _pattern("senter_id"),
        _code_list("kjonn", contract.CHILD_KJONN if child else contract.ADULT_KJONN),
        _date("innflyttet"),
        _date("utflyttet"),
        _flag("forste_opphold_i_aret"),
        _flag("reservert"),
        # the cheap comparison first: it is false for nearly every row, and the rest is then skipped
        Rule("date_order", "utflyttet",
             f"{ut} < {inn} AND {is_date('innflyttet')} AND {is_date('utflyttet')}"),
        Rule("not_in_year", "innflyttet", f"{inn} > DATE '{last}' AND {is_date('innflyttet')}"),
        Rule("not_in_year", "utflyttet", f"{ut} < DATE '{first}' AND {is_date('utflyttet')}"),
    ]
    if child:
        rules += [_required("alder"), _whole_number("alder", 0, 17)]
    else:
        rules.append(_whole_number("alder", 18, 110))
    rules += help_rules(contract.CHILD_HELP if child else contract.ADULT_HELP)
    return tuple(rules)


def visit_rules(year: int) -> tuple[Rule, ...]:
    """The rules of dagsbesok.csv."""
    first, last = date(year, 1, 1).isoformat(), date(year, 12, 31).isoformat()
    return (
        _required("besok_id"),
        _required("person_id"),
        _required("senter_id"),
        _required("dato"),
        _pattern("senter_id"),
        _code_list("kjonn", contract.ADULT_KJONN),
        _date("dato"),
        _flag("forste_besok_i_aret"),
        _flag("reservert"),
        Rule("not_in_year", "dato",
             f"{as_date('dato')} NOT BETWEEN DATE '{first}' AND DATE '{last}' AND {is_date('dato')}"),
        *help_rules(contract.VISIT_HELP),
    )


def file_rules(file: str, year: int) -> tuple[Rule, ...]:
    """The row rules of one record file in `year`."""
    if file == contract.VISIT_FILE:
        return visit_rules(year)
    if file in (contract.ADULT_FILE, contract.CHILD_FILE):
        return stay_rules(file, year)
    raise ValueError(f"not a record file: {file}")


def unknown_centre(centres: str) -> Rule:
    """A well-formed senter_id that is not a centre of the year's survey (`centres`: a table)."""
    return Rule("unknown_centre", "senter_id",
                f"\"senter_id\" NOT IN (SELECT senter_id FROM {centres}) "
                f"AND regexp_full_match(\"senter_id\", '{SENTER_ID}')")
