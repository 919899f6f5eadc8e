"""The rules of the stays and visits (contract 1.2-1.5) as pandera models, run inside DuckDB.

One `DataFrameModel` per file (`BeboereOpphold`, `BarnOpphold`, `Dagsbesok`), validated with
pandera's Ibis backend on the table DuckDB read the file into (`records`): every check compiles to
SQL and runs where the rows are. The table the models see holds the delivered text of every
contract column (an empty field is NULL or ''), so that a value is judged exactly as the supplier
wrote it, and two more columns: `read_row`, the row's position in DuckDB's read (the table's
rowid, which `records.LineMap` turns into the supplier's line; pandera's own failure index is a
row position of the backend's output, not of the file), and `year`, the delivery's year.

Every check is one rule of one column, named "<rule>/<column>"; it is true for the rows that keep
the rule. The rules across files are checks here too: a stay's or visit's year (the `year`
column), one first-stay (first-visit) flag per person and unique record ids (over the whole
table), and every `senter_id` known to the survey (the temporary table CENTRES_TABLE, which
`records` fills from the year's survey before the models run).

Each model has a whole-file form (`WHOLE_FILE_MODELS`) made from the same rules: one check that
returns one boolean column per rule, judged by pandera in one query instead of one query per
check (ibis compiles each check in 10-15 ms before DuckDB does any work). A file is first
validated by it; only when it fails does the file's model (one check per rule) find which rules
and rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

import duckdb
import ibis
import ibis.expr.types as ir
import pandera.ibis as pa
from pandera.errors import SchemaError, SchemaErrorReason, SchemaErrors

from krise_pipeline.metadata import contract
from krise_pipeline.validated.problems import MAX_LISTED

CENTRES_TABLE: Final = "_centres"
"""Temporary table (one column senter_id) of the centres in the year's survey."""
ROW: Final = "read_row"
YEAR: Final = "year"
FLAG_VALUES: Final = ("0", "1")
SENTER_ID: Final = "^KS[0-9]{3}$"

Fails = Callable[[ir.Table], ir.BooleanValue]
"""The rows of the table that break a rule (NULL counts as keeping it)."""


# --- the terms the rules are written in ---------------------------------------------------------


def text(t: ir.Table, column: str) -> ir.StringValue:
    """The delivered text of `column`, '' when empty."""
    return t[column].fill_null("")


def blank(t: ir.Table, column: str) -> ir.BooleanValue:
    return text(t, column) == ""


def is_date(t: ir.Table, column: str) -> ir.BooleanValue:
    """The value is a date that exists, written YYYY-MM-DD (it reads back as itself)."""
    value = t[column]
    return ((value.length() == 10) & (value.try_cast("date").cast("string") == value)).fill_null(False)


def as_date(t: ir.Table, column: str) -> ir.DateValue:
    return t[column].try_cast("date")


def is_senter_id(t: ir.Table) -> ir.BooleanValue:
    return t["senter_id"].re_search(SENTER_ID).fill_null(False)


def reserved(t: ir.Table) -> ir.BooleanValue:
    return (t["reservert"] == "1").fill_null(False)


def first_day(t: ir.Table) -> ir.DateValue:
    return ibis.date(t[YEAR], 1, 1)


def last_day(t: ir.Table) -> ir.DateValue:
    return ibis.date(t[YEAR], 12, 31)


# --- one rule of one column -------------------------------------------------------------------


def rule_name(rule: str, column: str) -> str:
    return f"{rule}/{column}"


def split_name(name: str) -> tuple[str, str]:
    """(rule, column) of a check's name."""
    rule, column = name.split("/", 1)
    return rule, column


def check(rule: str, column: str, fails: Fails) -> Any:
    """A check of the model: true for the rows that do not break `rule` in `column`."""

    def keeps(cls: Any, data: Any) -> ir.BooleanValue:
        return ~fails(data.table).fill_null(False)

    keeps.__name__ = f"{rule}__{column}"
    return pa.dataframe_check(keeps, name=rule_name(rule, column), ignore_na=False,
                              n_failure_cases=MAX_LISTED + 1)


def required(column: str) -> tuple[str, str, Fails]:
    return "required", column, lambda t: blank(t, column)


def flag(column: str) -> tuple[str, str, Fails]:
    return "flag", column, lambda t: ~text(t, column).isin((*FLAG_VALUES, ""))


def pattern(column: str) -> tuple[str, str, Fails]:
    return "pattern", column, lambda t: ~blank(t, column) & ~is_senter_id(t)


def code_list(column: str, codes: Sequence[str]) -> tuple[str, str, Fails]:
    return "code_list", column, lambda t: ~text(t, column).isin(tuple(codes))


def a_date(column: str) -> tuple[str, str, Fails]:
    return "date", column, lambda t: ~blank(t, column) & ~is_date(t, column)


def whole_number(column: str, low: int, high: int) -> tuple[str, str, Fails]:
    def fails(t: ir.Table) -> ir.BooleanValue:
        value = t[column]
        number = value.re_search("^[0-9]{1,4}$") & value.try_cast("int32").between(low, high)
        return ~blank(t, column) & ~number.fill_null(False)

    return "range", column, fails


def help_rules(columns: Sequence[str]) -> list[tuple[str, str, Fails]]:
    """The help columns are 0/1, all empty exactly when `reservert` is 1."""

    def given_when_reserved(c: str) -> Fails:
        return lambda t: reserved(t) & ~blank(t, c)

    def missing_when_not_reserved(c: str) -> Fails:
        return lambda t: text(t, "reservert").isin(("0", "")) & blank(t, c)

    def not_a_flag(c: str) -> Fails:
        return lambda t: ~text(t, c).isin((*FLAG_VALUES, "")) & ~reserved(t)

    rules: list[tuple[str, str, Fails]] = []
    for column in columns:
        rules += [("must_be_empty", column, given_when_reserved(column)),
                  ("required", column, missing_when_not_reserved(column)),
                  ("flag", column, not_a_flag(column))]
    return rules


def stay_dates() -> list[tuple[str, str, Fails]]:
    """utflyttet not before innflyttet; the stay overlaps the year."""
    return [
        ("date_order", "utflyttet", lambda t: (as_date(t, "utflyttet") < as_date(t, "innflyttet"))
         & is_date(t, "innflyttet") & is_date(t, "utflyttet")),
        ("not_in_year", "innflyttet", lambda t: (as_date(t, "innflyttet") > last_day(t)) & is_date(t, "innflyttet")),
        ("not_in_year", "utflyttet", lambda t: (as_date(t, "utflyttet") < first_day(t)) & is_date(t, "utflyttet")),
    ]


def visit_date() -> tuple[str, str, Fails]:
    return "not_in_year", "dato", lambda t: ~as_date(t, "dato").between(first_day(t), last_day(t)) & is_date(t, "dato")


def known_centre() -> tuple[str, str, Fails]:
    """A well-formed senter_id must be a centre of the year's survey. When the survey could not be
    read (its own problem is reported), CENTRES_TABLE holds one NULL: every centre is then unknown
    in SQL's sense (NOT IN gives NULL), and no row breaks the rule."""

    def fails(t: ir.Table) -> ir.BooleanValue:
        centres = t.get_backend().table(CENTRES_TABLE, database=("temp", "main"))
        return ~t["senter_id"].isin(centres["senter_id"]) & is_senter_id(t)

    return "unknown_centre", "senter_id", fails


# --- repeats within the file ------------------------------------------------------------------


def unique_members(key: str) -> Callable[[ir.Table], ir.BooleanValue]:
    """The rows whose `key` must be unique in the file: every row with a key."""
    return lambda t: ~blank(t, key)


def flag_members(person: str, first_flag: str) -> Callable[[ir.Table], ir.BooleanValue]:
    """The rows of which a person has at most one: those with the first-stay (first-visit) flag."""
    return lambda t: (t[first_flag] == "1").fill_null(False) & ~blank(t, person)


def repeats(t: ir.Table, key: str, members: Callable[[ir.Table], ir.BooleanValue]) -> ir.Table:
    """(key, first_row) of every key held by more than one member row."""
    among = t.filter(members(t))
    return (among.group_by(key).aggregate(first_row=among[ROW].min(), n=among.count())
            .filter(ibis._.n > 1))


def repeated(rule: str, key: str, members: Callable[[ir.Table], ir.BooleanValue]) -> tuple[str, str, Fails]:
    """A member row whose key an earlier member row already has."""

    def fails(t: ir.Table) -> ir.BooleanValue:
        twice = repeats(t, key, members)
        return members(t) & t[key].isin(twice[key]) & ~t[ROW].isin(twice["first_row"])

    return rule, key, fails


# --- the models ---------------------------------------------------------------------------------


class RecordModel(pa.DataFrameModel):
    """The columns every record table carries besides the contract's (see the module's note)."""

    # never NULL; declared nullable because pandera's null check fails on a table without rows
    read_row: int = pa.Field(nullable=True)
    year: int = pa.Field(nullable=True)

    class Config:
        strict = True
        coerce = False


WHOLE_FILE: Final = "all_rules"
"""The name of the check of every rule together (`WHOLE_FILE_MODELS`)."""


def all_rules(rules: Sequence[tuple[str, str, Fails]]) -> Any:
    """One check of the model's rules together: a dict of one boolean column per rule, which
    pandera's Ibis backend ANDs into one column and judges in one query (one check per rule costs
    one query each, 10-15 ms at any size)."""

    def keep_all(cls: Any, data: Any) -> dict[str, ir.BooleanValue]:
        return {f"r{i}": ~fails(data.table).fill_null(False) for i, (_, _, fails) in enumerate(rules)}

    return pa.dataframe_check(keep_all, name=WHOLE_FILE, ignore_na=False, n_failure_cases=1)


def _model(name: str, doc: str, columns: Sequence[str], rules: Sequence[tuple[str, str, Fails]],
           together: bool = False) -> type[RecordModel]:
    """A model with one text column per contract column and one check per rule, in this order (or,
    `together`, one check of all of them)."""
    namespace: dict[str, Any] = {
        "__doc__": doc,
        "__module__": __name__,
        "__qualname__": name,
        "__annotations__": dict.fromkeys(columns, str),
    }
    namespace.update({column: pa.Field(nullable=True) for column in columns})
    if together:
        namespace["all_rules"] = all_rules(rules)
    else:
        for rule, column, fails in rules:
            namespace[f"{rule}__{column}"] = check(rule, column, fails)
    return type(name, (RecordModel,), namespace)


def _models(name: str, doc: str, columns: Sequence[str],
            rules: Sequence[tuple[str, str, Fails]]) -> tuple[type[RecordModel], type[RecordModel]]:
    """The model of a file (one check per rule) and its whole-file form (the same rules in one check)."""
    return (_model(name, doc, columns, rules),
            _model(f"{name}WholeFile", f"{doc} Every rule in one check.", columns, rules, together=True))


def _stay_rules(child: bool) -> list[tuple[str, str, Fails]]:
    person = "barn_id" if child else "person_id"
    rules = [
        required("opphold_id"), required(person), required("senter_id"), required("innflyttet"),
        pattern("senter_id"),
        code_list("kjonn", contract.CHILD_KJONN if child else contract.ADULT_KJONN),
        a_date("innflyttet"), a_date("utflyttet"),
        flag("forste_opphold_i_aret"), flag("reservert"),
        *stay_dates(),
        *([required("alder"), whole_number("alder", 0, 17)] if child else [whole_number("alder", 18, 110)]),
        *help_rules(contract.CHILD_HELP if child else contract.ADULT_HELP),
        known_centre(),
        repeated("unique", "opphold_id", unique_members("opphold_id")),
        repeated("first_flag", person, flag_members(person, "forste_opphold_i_aret")),
    ]
    return rules


BeboereOpphold, _BeboereWhole = _models(
    "BeboereOpphold", "beboere_opphold.csv: one row per adult stay (contract 1.2, 1.5).",
    contract.ADULT_COLUMNS, _stay_rules(child=False))

BarnOpphold, _BarnWhole = _models(
    "BarnOpphold", "barn_opphold.csv: one row per child's stay (contract 1.3, 1.5).",
    contract.CHILD_COLUMNS, _stay_rules(child=True))

Dagsbesok, _DagsbesokWhole = _models(
    "Dagsbesok", "dagsbesok.csv: one row per day visit (contract 1.4, 1.5).",
    contract.VISIT_COLUMNS, [
        required("besok_id"), required("person_id"), required("senter_id"), required("dato"),
        pattern("senter_id"),
        code_list("kjonn", contract.ADULT_KJONN),
        a_date("dato"),
        flag("forste_besok_i_aret"), flag("reservert"),
        visit_date(),
        *help_rules(contract.VISIT_HELP),
        known_centre(),
        repeated("unique", "besok_id", unique_members("besok_id")),
        repeated("first_flag", "person_id", flag_members("person_id", "forste_besok_i_aret")),
    ])

MODELS: Final = {contract.ADULT_FILE: BeboereOpphold, contract.CHILD_FILE: BarnOpphold,
                 contract.VISIT_FILE: Dagsbesok}
"""The model of each record file: one check per rule, whose failures locate the broken rows."""

WHOLE_FILE_MODELS: Final = {contract.ADULT_FILE: _BeboereWhole, contract.CHILD_FILE: _BarnWhole,
                            contract.VISIT_FILE: _DagsbesokWhole}
"""The same models with every rule in one check (one query): whether a file keeps every rule."""


# --- running the models -----------------------------------------------------------------------


def table(con: duckdb.DuckDBPyConnection, view: str) -> ir.Table:
    """The temporary view `view` of `con` as an Ibis table."""
    return ibis.duckdb.from_connection(con).table(view, database=("temp", "main"))


def to_sql(expr: ir.Expr) -> str:
    return str(ibis.to_sql(expr, dialect="duckdb"))


def keeps_every_rule(file: str, rows: ir.Table) -> bool:
    """Whether the rows keep every rule of `file` (its whole-file model: one query)."""
    try:
        WHOLE_FILE_MODELS[file].validate(rows)
    except (SchemaErrors, SchemaError):
        return False
    return True


def failed_rules(file: str, rows: ir.Table) -> list[tuple[str, str, ir.BooleanValue]]:
    """Validate the rows with the file's model: (rule, column, rows keeping it) of each failed
    check, in the model's order."""
    model = MODELS[file]
    try:
        model.validate(rows, lazy=True)
    except SchemaErrors as exc:
        failed = []
        for error in exc.schema_errors:
            if error.reason_code != SchemaErrorReason.DATAFRAME_CHECK or error.check is None:
                raise RuntimeError(f"{model.__name__}: {error}") from None
            rule, column = split_name(str(error.check.name))
            failed.append((rule, column, error.check_output))
        order = {split_name(str(c.name)): i for i, c in enumerate(model.to_schema().checks)}
        return sorted(failed, key=lambda f: order[(f[0], f[1])])
    return []
