"""Validation of one year's delivery folder, and the typed tables it fills."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd

from krise_pipeline import contract, sqlfiles
from krise_pipeline.validation import records, survey
from krise_pipeline.validation.problems import Problem, ProblemLog, Report, shown_value

_SCHEMA = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ORDER = (contract.VISIT_FILE, contract.ADULT_FILE, contract.CHILD_FILE)


def _year(year_dir: Path, log: ProblemLog) -> int | None:
    name = year_dir.name
    if not re.fullmatch(r"[0-9]{4}", name) or int(name) == 0:
        log.add(Problem(name, "", "", "year_folder", shown_value(name),
                        "the delivery folder must be named by its four-digit year, e.g. 2024"))
        return None
    if not year_dir.is_dir():
        log.add(Problem(name, "", "", "missing_folder", "", f"{year_dir} is not a folder"))
        return None
    return int(name)


def validate_delivery(year_dir: Path, con: duckdb.DuckDBPyConnection, schema: str = "staging") -> list[Problem]:
    """Check every file of a delivery folder and fill the typed tables of `schema`.

    Returns every problem found (a bounded number listed per file, column and rule, the rest
    counted in a summary problem); `check_delivery` adds the count and line range per rule.
    """
    return check_delivery(year_dir, con, schema).problems


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    con.register("_krise_frame", frame)
    try:
        con.execute(f"INSERT INTO {table} SELECT * FROM _krise_frame")
    finally:
        con.unregister("_krise_frame")


def check_delivery(year_dir: Path, con: duckdb.DuckDBPyConnection, schema: str = "staging") -> Report:
    """Check every file of a delivery folder and fill `schema` with the delivery's typed rows.

    Without problems, `{schema}.sentreskjema` and `senter_svar` hold the survey's rows and
    `{schema}.beboere_opphold`, `barn_opphold` and `dagsbesok` are views of the rows DuckDB read
    (typed like the validated tables); with problems their content is unspecified. Bad input
    never raises.
    """
    if not _SCHEMA.fullmatch(schema):
        raise ValueError(f"not a schema name: {schema!r}")
    year_dir = Path(year_dir)
    log = ProblemLog()
    year = _year(year_dir, log)
    if year is None:
        return log.report()
    for spec in records.RECORD_FILES:
        con.execute(f"DROP VIEW IF EXISTS {schema}.{spec.table}")
    sqlfiles.create_validated_tables(con, schema)
    for table in sqlfiles.VALIDATED_TABLES:
        con.execute(f"DELETE FROM {schema}.{table} WHERE year = ?", [year])
    read = survey.read_survey(year_dir, year, log)
    centres = None
    if read is not None and "senter_id" in read.frame.columns:
        centres = f"{schema}.{records.CENTRES_TABLE}"
        con.execute(f"CREATE OR REPLACE TABLE {centres} (senter_id VARCHAR)")
        _insert(con, centres, pd.DataFrame({"senter_id": pd.Series(
            [str(v) for v in read.frame["senter_id"]], dtype=object)}))
    by_name = {spec.name: spec for spec in records.RECORD_FILES}
    loaded: list[records.Loaded] = []
    for name in _ORDER:
        done = records.read_records(year_dir, schema, by_name[name], con, log, year, centres)
        if done is not None:
            loaded.append(done)
    if not log and read is not None:
        for done in loaded:
            records.create_typed_view(con, schema, done, year)
        centre_rows, answers = survey.typed_tables(read, year)
        _insert(con, f"{schema}.sentreskjema", centre_rows)
        _insert(con, f"{schema}.senter_svar", answers)
    return log.report()


def staging_schema(year: int) -> str:
    return f"staging_{int(year)}"


def stage_delivery(con: duckdb.DuckDBPyConnection, year_dir: Path, year: int) -> Report:
    """The validated asset's step: check the delivery into a fresh `staging_<year>` schema.

    Without problems the schema holds the delivery for `warehouse.promote_year`; with problems it
    is dropped again and the report says why.
    """
    staging = staging_schema(year)
    con.execute(f"DROP SCHEMA IF EXISTS {staging} CASCADE")
    result = check_delivery(year_dir, con, staging)
    if result:
        con.execute(f"DROP SCHEMA IF EXISTS {staging} CASCADE")
    return result
