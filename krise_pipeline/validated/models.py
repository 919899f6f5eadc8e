"""Row-level rules of the centre survey as a pandera model (contract section 1.1).

The survey sheet is small, so it is checked in pandas: a frame holds the sheet's text as
delivered, one text column per contract column, indexed by the sheet row (`text_frame`). (The
stays and visits are checked by their pandera models inside DuckDB: see `record_models`.)

Every check is named after its rule: "<rule>" for a check of one column, "<rule>/<column>" for a
check of one column that needs other columns of the row, and "<rule>" for a check that returns
one result per cell.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrorReason, SchemaErrors
from pandera.typing import Series

from krise_pipeline.metadata import contract
from krise_pipeline.validated.problems import MAX_LISTED

N_FAILURE_CASES: Final = MAX_LISTED + 1
FLAG_VALUES: Final = ("0", "1", "")
SENTER_ID: Final = re.compile(r"KS[0-9]{3}")
KOMMUNE_NR: Final = re.compile(r"[0-9]{4}")
BOTILBUD_VALUES: Final = (*contract.BOTILBUD_MENN_TYPES, "")


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


def non_empty(series: pd.Series) -> pd.Series:
    """Whether each value is not the empty text."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return per_value(series, bool)
    return pd.Series(series.to_numpy(dtype=object).astype(bool), index=series.index)


def is_value(series: pd.Series, value: str) -> np.ndarray:
    return (series == value).to_numpy(dtype=bool)


def column_check(*columns: str, rule: str) -> Any:
    """Decorator: a check of each of `columns` alone, named by its rule."""
    return pa.check(*columns, name=rule, ignore_na=False, n_failure_cases=N_FAILURE_CASES)


def row_check(rule: str, column: str, ok: Callable[[pd.DataFrame], np.ndarray]) -> Any:
    """A check of `column` that needs other columns of the row; `ok` gives one result per row."""

    def check(cls: Any, frame: pd.DataFrame) -> pd.Series:
        return pd.Series(ok(frame), index=frame.index)

    check.__name__ = f"{rule}__{column}"
    return pa.dataframe_check(check, name=f"{rule}/{column}", ignore_na=False,
                              n_failure_cases=N_FAILURE_CASES)


# --- the centre survey -------------------------------------------------------------------------


def answer_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c not in contract.SURVEY_FIXED_COLUMNS]


def _type_required(frame: pd.DataFrame) -> np.ndarray:
    return ~(is_value(frame["har_tilbud_menn"], "1") & is_value(frame["botilbud_menn_type"], ""))


def _type_empty(frame: pd.DataFrame) -> np.ndarray:
    no_offer = is_value(frame["har_tilbud_menn"], "0") | is_value(frame["har_tilbud_menn"], "")
    return ~(no_offer & ~is_value(frame["botilbud_menn_type"], ""))


def _cells(ok: np.ndarray, frame: pd.DataFrame) -> pd.DataFrame | bool:
    """A check's result per cell; just True when every cell passes (pandera then skips looking
    for failure cases column by column, which takes longer than the check)."""
    return True if ok.all() else pd.DataFrame(ok, index=frame.index, columns=frame.columns)


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
        return (series == "") | series.map(lambda v: bool(SENTER_ID.fullmatch(v)))

    @column_check("senter_id", rule="unique")
    def _unique(cls, series: pd.Series) -> pd.Series:
        return (series == "") | ~series.duplicated(keep="first")

    @column_check("kommune_nr", rule="pattern")
    def _kommune_nr(cls, series: pd.Series) -> pd.Series:
        return (series == "") | series.map(lambda v: bool(KOMMUNE_NR.fullmatch(v)))

    @column_check("har_tilbud_kvinner", "har_tilbud_menn", rule="flag")
    def _offers(cls, series: pd.Series) -> pd.Series:
        return series.isin(FLAG_VALUES)

    @column_check("botilbud_menn_type", rule="code_list")
    def _botilbud(cls, series: pd.Series) -> pd.Series:
        return series.isin(BOTILBUD_VALUES)

    type_required = row_check("required", "botilbud_menn_type", _type_required)
    type_empty = row_check("must_be_empty", "botilbud_menn_type", _type_empty)

    @pa.dataframe_check(name="flag", ignore_na=False)
    def _answers(cls, frame: pd.DataFrame) -> pd.DataFrame | bool:
        ok = np.ones(frame.shape, dtype=bool)
        positions = [i for i, c in enumerate(frame.columns) if c not in contract.SURVEY_FIXED_COLUMNS]
        if positions:
            values = frame.iloc[:, positions].to_numpy(dtype=object)
            ok[:, positions] = (values == "0") | (values == "1") | (values == "")
        return _cells(ok, frame)

    @pa.dataframe_check(name="no_offer", ignore_na=False)
    def _no_offer(cls, frame: pd.DataFrame) -> pd.DataFrame | bool:
        ok = np.ones(frame.shape, dtype=bool)
        for group, suffix in contract.SUFFIX_BY_GROUP.items():
            offer = frame[f"har_tilbud_{group}"].to_numpy(dtype=object)
            without = (offer == "0") | (offer == "")
            positions = [i for i, c in enumerate(frame.columns)
                         if c not in contract.SURVEY_FIXED_COLUMNS and c.endswith(f"__{suffix}")]
            if positions:
                ticked = frame.iloc[:, positions].to_numpy(dtype=object) == "1"
                ok[:, positions] = ~(without[:, None] & ticked)
        return _cells(ok, frame)

    class Config:
        strict = False
        coerce = False


def text_frame(rows: Sequence[int], columns: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """The frame the model checks: one text column per contract column, indexed by the sheet row."""
    return pd.DataFrame(dict(columns), index=pd.Index(list(rows), dtype="int64"), dtype=object)


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
