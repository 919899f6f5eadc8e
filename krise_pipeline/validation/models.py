"""Row-level rules of the delivery files as pandera models (contract sections 1.1-1.5).

A frame holds a file's text as delivered: one text column per contract column (pandas categoricals
for the low-cardinality columns of the CSV files), indexed by the supplier's row (CSV line number
or sheet row). The reporting year is `frame.attrs["year"]`.

Every check is named after its rule: "<rule>" for a check of one column, "<rule>/<column>" for a
check of one column that needs other columns of the row, and "<rule>" for a check of the survey
that returns one result per cell. Checks evaluate a rule once per distinct value where they can,
which keeps a chunk of a million rows at a fraction of a second.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrorReason, SchemaErrors
from pandera.typing import Series

from krise_pipeline import contract
from krise_pipeline.validation.problems import MAX_LISTED

FLAG_VALUES: Final = ("0", "1", "")
N_FAILURE_CASES: Final = MAX_LISTED + 1
_SENTER_ID = re.compile(r"KS[0-9]{3}")
_KOMMUNE_NR = re.compile(r"[0-9]{4}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


# --- vectorised helpers ------------------------------------------------------------------------


def _codes(series: pd.Series) -> tuple[np.ndarray, list[Any]]:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy(), list(series.cat.categories)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return codes, list(uniques)


def values_ok(series: pd.Series, ok: Callable[[str], bool]) -> np.ndarray:
    """`ok` of every value, evaluated once per distinct value (a missing value passes)."""
    codes, values = _codes(series)
    table = np.fromiter((bool(ok(str(v))) for v in values), dtype=bool, count=len(values))
    return np.append(table, True)[codes]


def per_value(series: pd.Series, ok: Callable[[str], bool]) -> pd.Series:
    """The result of a column check: `ok` of every value (see values_ok)."""
    return pd.Series(values_ok(series, ok), index=series.index)


def iso_day(text: str) -> int:
    """The ordinal day of a YYYY-MM-DD date that exists; 0 for anything else."""
    if not _ISO_DATE.fullmatch(text):
        return 0
    try:
        return date(int(text[:4]), int(text[5:7]), int(text[8:])).toordinal()
    except ValueError:
        return 0


def day_numbers(series: pd.Series) -> np.ndarray:
    """Ordinal day of every value (0 when empty or not a date)."""
    codes, values = _codes(series)
    table = np.array([iso_day(str(v)) for v in values] + [0], dtype=np.int64)
    return table[codes]


def non_empty(series: pd.Series) -> pd.Series:
    """Whether each value is not the empty text."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return per_value(series, bool)
    return pd.Series(series.to_numpy(dtype=object).astype(bool), index=series.index)


def is_value(series: pd.Series, value: str) -> np.ndarray:
    return (series == value).to_numpy(dtype=bool)


def whole_number_in(low: int, high: int) -> Callable[[str], bool]:
    def ok(text: str) -> bool:
        return 0 < len(text) <= 4 and text.isascii() and text.isdigit() and low <= int(text) <= high

    return ok


def _year_bounds(frame: pd.DataFrame) -> tuple[int, int]:
    year = int(frame.attrs["year"])
    return date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal()


def _is_flag(text: str) -> bool:
    return text in FLAG_VALUES


def _result(frame: pd.DataFrame, ok: np.ndarray) -> pd.Series:
    return pd.Series(ok, index=frame.index)


def column_check(*columns: str, rule: str) -> Any:
    """Decorator: a check of each of `columns` alone, named by its rule."""
    return pa.check(*columns, name=rule, ignore_na=False, n_failure_cases=N_FAILURE_CASES)


def row_check(rule: str, column: str, ok: Callable[[pd.DataFrame], np.ndarray]) -> Any:
    """A check of `column` that needs other columns of the row; `ok` gives one result per row."""

    def check(cls: Any, frame: pd.DataFrame) -> pd.Series:
        return _result(frame, ok(frame))

    check.__name__ = f"{rule}__{column}"
    return pa.dataframe_check(check, name=f"{rule}/{column}", ignore_na=False,
                              n_failure_cases=N_FAILURE_CASES)


def with_help_rules(help_columns: Sequence[str]) -> Callable[[type[pa.DataFrameModel]], type[pa.DataFrameModel]]:
    """Class decorator: the help columns are 0/1, all empty exactly when `reservert` is 1."""

    def rules(column: str) -> dict[str, Any]:
        def reserved(frame: pd.DataFrame) -> np.ndarray:
            return is_value(frame["reservert"], "1")

        def not_reserved(frame: pd.DataFrame) -> np.ndarray:
            return is_value(frame["reservert"], "0") | is_value(frame["reservert"], "")

        def must_be_empty(frame: pd.DataFrame) -> np.ndarray:
            return ~(reserved(frame) & ~is_value(frame[column], ""))

        def required(frame: pd.DataFrame) -> np.ndarray:
            return ~(not_reserved(frame) & is_value(frame[column], ""))

        def flag(frame: pd.DataFrame) -> np.ndarray:
            return reserved(frame) | values_ok(frame[column], _is_flag)

        return {
            f"must_be_empty__{column}": row_check("must_be_empty", column, must_be_empty),
            f"required__{column}": row_check("required", column, required),
            f"flag__{column}": row_check("flag", column, flag),
        }

    def decorate(model: type[pa.DataFrameModel]) -> type[pa.DataFrameModel]:
        for column in help_columns:
            for name, check in rules(column).items():
                setattr(model, name, check)
        return model

    return decorate


# --- the stays and visits ----------------------------------------------------------------------


def _stay_date_order(frame: pd.DataFrame) -> np.ndarray:
    inn, ut = day_numbers(frame["innflyttet"]), day_numbers(frame["utflyttet"])
    return ~((inn > 0) & (ut > 0) & (ut < inn))


def _stay_starts_in_time(frame: pd.DataFrame) -> np.ndarray:
    _, last = _year_bounds(frame)
    return day_numbers(frame["innflyttet"]) <= last  # 0 (not a date) passes: reported as "date"


def _stay_ends_in_time(frame: pd.DataFrame) -> np.ndarray:
    first, _ = _year_bounds(frame)
    ut = day_numbers(frame["utflyttet"])
    return (ut == 0) | (ut >= first)


def _visit_in_year(frame: pd.DataFrame) -> np.ndarray:
    first, last = _year_bounds(frame)
    day = day_numbers(frame["dato"])
    return (day == 0) | ((day >= first) & (day <= last))


Text = Series[pd.CategoricalDtype]
"""A low-cardinality text column, read as a pandas categorical."""
Ids = Series[object]
"""A high-cardinality text column (identifiers), read as Python strings."""


class _Stays(pa.DataFrameModel):
    """What adult and child stays have in common."""

    opphold_id: Ids
    senter_id: Text
    kjonn: Text
    alder: Text
    innflyttet: Text
    utflyttet: Text
    forste_opphold_i_aret: Text
    reservert: Text

    @column_check("opphold_id", "senter_id", "innflyttet", rule="required")
    def _required(cls, series: pd.Series) -> pd.Series:
        return non_empty(series)

    @column_check("senter_id", rule="pattern")
    def _senter_id(cls, series: pd.Series) -> pd.Series:
        return per_value(series, lambda v: v == "" or bool(_SENTER_ID.fullmatch(v)))

    @column_check("innflyttet", rule="date")
    def _innflyttet(cls, series: pd.Series) -> pd.Series:
        return per_value(series, lambda v: v == "" or iso_day(v) > 0)

    @column_check("utflyttet", rule="date")
    def _utflyttet(cls, series: pd.Series) -> pd.Series:
        return per_value(series, lambda v: v == "" or iso_day(v) > 0)

    @column_check("forste_opphold_i_aret", "reservert", rule="flag")
    def _flags(cls, series: pd.Series) -> pd.Series:
        return per_value(series, _is_flag)

    date_order = row_check("date_order", "utflyttet", _stay_date_order)
    starts_in_time = row_check("not_in_year", "innflyttet", _stay_starts_in_time)
    ends_in_time = row_check("not_in_year", "utflyttet", _stay_ends_in_time)

    class Config:
        strict = True
        coerce = False


@with_help_rules(contract.ADULT_HELP)
class BeboereOpphold(_Stays):
    """beboere_opphold.csv: one row per stay of an adult resident (contract 1.2)."""

    person_id: Ids
    inntakssamtale: Text
    kartlegging_hjelpebehov: Text
    kartlegging_trusler_senter: Text
    kartlegging_trusler_andre: Text
    plan_under_opphold: Text
    plan_etter_opphold: Text

    @column_check("person_id", rule="required")
    def _person_required(cls, series: pd.Series) -> pd.Series:
        return non_empty(series)

    @column_check("kjonn", rule="code_list")
    def _kjonn(cls, series: pd.Series) -> pd.Series:
        return per_value(series, lambda v: v in contract.ADULT_KJONN)

    @column_check("alder", rule="range")
    def _alder(cls, series: pd.Series) -> pd.Series:
        adult = whole_number_in(18, 110)
        return per_value(series, lambda v: v == "" or adult(v))


@with_help_rules(contract.CHILD_HELP)
class BarnOpphold(_Stays):
    """barn_opphold.csv: one row per stay of a child (contract 1.3)."""

    barn_id: Ids
    velkomstsamtale: Text
    kartlegging_hjelpebehov: Text
    kartlegging_trusler_senter: Text
    kartlegging_trusler_andre: Text
    plan_under_opphold: Text

    @column_check("barn_id", "alder", rule="required")
    def _child_required(cls, series: pd.Series) -> pd.Series:
        return non_empty(series)

    @column_check("kjonn", rule="code_list")
    def _kjonn(cls, series: pd.Series) -> pd.Series:
        return per_value(series, lambda v: v in contract.CHILD_KJONN)

    @column_check("alder", rule="range")
    def _alder(cls, series: pd.Series) -> pd.Series:
        child = whole_number_in(0, 17)
        return per_value(series, lambda v: v == "" or child(v))


@with_help_rules(contract.VISIT_HELP)
class Dagsbesok(pa.DataFrameModel):
    """dagsbesok.csv: one row per day visit (contract 1.4)."""

    besok_id: Ids
    person_id: Ids
    senter_id: Text
    kjonn: Text
    dato: Text
    forste_besok_i_aret: Text
    reservert: Text
    kartlegging_hjelpebehov: Text
    kartlegging_trusler_senter: Text
    kartlegging_trusler_andre: Text

    @column_check("besok_id", "person_id", "senter_id", "dato", rule="required")
    def _required(cls, series: pd.Series) -> pd.Series:
        return non_empty(series)

    @column_check("senter_id", rule="pattern")
    def _senter_id(cls, series: pd.Series) -> pd.Series:
        return per_value(series, lambda v: v == "" or bool(_SENTER_ID.fullmatch(v)))

    @column_check("kjonn", rule="code_list")
    def _kjonn(cls, series: pd.Series) -> pd.Series:
        return per_value(series, lambda v: v in contract.ADULT_KJONN)

    @column_check("dato", rule="date")
    def _dato(cls, series: pd.Series) -> pd.Series:
        return per_value(series, lambda v: v == "" or iso_day(v) > 0)

    @column_check("forste_besok_i_aret", "reservert", rule="flag")
    def _flags(cls, series: pd.Series) -> pd.Series:
        return per_value(series, _is_flag)

    in_year = row_check("not_in_year", "dato", _visit_in_year)

    class Config:
        strict = True
        coerce = False


# --- the centre survey -------------------------------------------------------------------------


def answer_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c not in contract.SURVEY_FIXED_COLUMNS]


def _type_required(frame: pd.DataFrame) -> np.ndarray:
    return ~(is_value(frame["har_tilbud_menn"], "1") & is_value(frame["botilbud_menn_type"], ""))


def _type_empty(frame: pd.DataFrame) -> np.ndarray:
    no_offer = is_value(frame["har_tilbud_menn"], "0") | is_value(frame["har_tilbud_menn"], "")
    return ~(no_offer & ~is_value(frame["botilbud_menn_type"], ""))


class Sentreskjema(pa.DataFrameModel):
    """sentreskjema.xlsx, sheet svar: one row per centre (contract 1.1).

    The answer columns (`<question>__<item>[__k|__m]`) are checked as a group; which of them must
    be present in a year is checked before this model runs.
    """

    senter_id: Series[str]
    senter_navn: Series[str]
    kommune_nr: Series[str]
    har_tilbud_kvinner: Series[str]
    har_tilbud_menn: Series[str]
    botilbud_menn_type: Series[str]

    @column_check("senter_id", "kommune_nr", rule="required")
    def _required(cls, series: pd.Series) -> pd.Series:
        return non_empty(series)

    @column_check("senter_navn", rule="required")
    def _name_required(cls, series: pd.Series) -> pd.Series:
        return series.str.strip() != ""

    @column_check("senter_id", rule="pattern")
    def _senter_id(cls, series: pd.Series) -> pd.Series:
        return (series == "") | series.map(lambda v: bool(_SENTER_ID.fullmatch(v)))

    @column_check("senter_id", rule="unique")
    def _unique(cls, series: pd.Series) -> pd.Series:
        return (series == "") | ~series.duplicated(keep="first")

    @column_check("kommune_nr", rule="pattern")
    def _kommune_nr(cls, series: pd.Series) -> pd.Series:
        return (series == "") | series.map(lambda v: bool(_KOMMUNE_NR.fullmatch(v)))

    @column_check("har_tilbud_kvinner", "har_tilbud_menn", rule="flag")
    def _offers(cls, series: pd.Series) -> pd.Series:
        return series.isin(FLAG_VALUES)

    @column_check("botilbud_menn_type", rule="code_list")
    def _botilbud(cls, series: pd.Series) -> pd.Series:
        return series.isin((*contract.BOTILBUD_MENN_TYPES, ""))

    type_required = row_check("required", "botilbud_menn_type", _type_required)
    type_empty = row_check("must_be_empty", "botilbud_menn_type", _type_empty)

    @pa.dataframe_check(name="flag", ignore_na=False)
    def _answers(cls, frame: pd.DataFrame) -> pd.DataFrame:
        ok = np.ones(frame.shape, dtype=bool)
        positions = [i for i, c in enumerate(frame.columns) if c not in contract.SURVEY_FIXED_COLUMNS]
        if positions:
            values = frame.iloc[:, positions].to_numpy(dtype=object)
            ok[:, positions] = (values == "0") | (values == "1") | (values == "")
        return pd.DataFrame(ok, index=frame.index, columns=frame.columns)

    @pa.dataframe_check(name="no_offer", ignore_na=False)
    def _no_offer(cls, frame: pd.DataFrame) -> pd.DataFrame:
        ok = np.ones(frame.shape, dtype=bool)
        for group, suffix in contract.SUFFIX_BY_GROUP.items():
            offer = frame[f"har_tilbud_{group}"].to_numpy(dtype=object)
            without = (offer == "0") | (offer == "")
            positions = [i for i, c in enumerate(frame.columns)
                         if c not in contract.SURVEY_FIXED_COLUMNS and c.endswith(f"__{suffix}")]
            if positions:
                ticked = frame.iloc[:, positions].to_numpy(dtype=object) == "1"
                ok[:, positions] = ~(without[:, None] & ticked)
        return pd.DataFrame(ok, index=frame.index, columns=frame.columns)

    class Config:
        strict = False
        coerce = False


# --- running a model ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    rule: str
    column: str
    row: Any  # the frame's index label: a line number or a sheet row
    value: Any


@dataclass
class Outcome:
    """The failures of one validation: the listed ones and how many there are of each kind."""

    failures: list[Failure]
    counts: dict[tuple[str, str], int]  # (column, rule) -> number of failing cells


def _failing(output: Any) -> int:
    if isinstance(output, pd.DataFrame):
        return int((~output.to_numpy(dtype=bool)).sum())
    if isinstance(output, pd.Series | np.ndarray):
        return int((~np.asarray(output, dtype=bool)).sum())
    return 0 if output else 1


def _cases(error: Any) -> Iterator[tuple[str, str, Any, Any, int]]:
    """(rule, column, row, value, failing cells) of one pandera SchemaError."""
    check = error.check
    name = check.name if check is not None else ""
    cases = error.failure_cases
    if "/" in name:  # one column, judged with the rest of the row
        rule, column = name.split("/", 1)
        count = _failing(error.check_output)
        if isinstance(cases, pd.DataFrame) and "column" in cases:
            mine = cases[cases["column"] == column]
            for row, value in zip(mine["index"], mine["failure_case"], strict=True):
                yield rule, column, row, value, count
                count = 0
        return
    if isinstance(error.check_output, pd.DataFrame):  # one result per cell
        for row, cells in zip(cases["index"], cases["failure_case"], strict=True):
            for column, value in cells.items():
                yield name, str(column), row, value, 0
        for column, failing in (~error.check_output.astype(bool)).sum().items():
            if failing:
                yield name, str(column), None, None, int(failing)
        return
    column = str(error.schema.name)
    count = _failing(error.check_output)
    for row, value in zip(cases["index"], cases["failure_case"], strict=True):
        yield name, column, row, value, count
        count = 0


def validate_frame(model: type[pa.DataFrameModel], frame: pd.DataFrame) -> Outcome:
    """Run `model` over `frame` and collect every failure (a bounded number listed per kind)."""
    try:
        model.validate(frame, lazy=True, inplace=True)
    except SchemaErrors as errors:
        failures: list[Failure] = []
        counts: dict[tuple[str, str], int] = {}
        for error in errors.schema_errors:
            if error.reason_code != SchemaErrorReason.DATAFRAME_CHECK:
                raise RuntimeError(f"{model.__name__}: {error}") from None
            for rule, column, row, value, count in _cases(error):
                if row is not None:
                    failures.append(Failure(rule, column, row, value))
                if count:
                    counts[(column, rule)] = counts.get((column, rule), 0) + count
        failures.sort(key=lambda f: (f.row, f.column))
        return Outcome(failures, counts)
    return Outcome([], {})
