"""Validation of one year's delivery folder, and the typed tables it fills."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

import duckdb

from krise_pipeline.metadata import contract, ddl
from krise_pipeline.validated import records, survey
from krise_pipeline.validated.problems import Problem, ProblemLog, Report, shown_value

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


def _insert(con: duckdb.DuckDBPyConnection, table: str, columns: survey.Columns) -> None:
    """INSERT the rows of `columns` (in the table's column order) into `table`."""
    con.register("_krise_frame", columns)
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
    ddl.create_validated_tables(con, schema)
    for table in ddl.VALIDATED_TABLES:
        con.execute(f"DELETE FROM {schema}.{table} WHERE year = ?", [year])
    read = survey.read_survey(year_dir, year, log)
    _centres(con, read if read is not None and "senter_id" in read.columns else None)
    by_name = {spec.name: spec for spec in records.RECORD_FILES}
    loaded: list[records.Loaded] = []
    try:
        for name in _ORDER:
            done = records.read_records(year_dir, schema, by_name[name], con, log, year)
            if done is not None:
                loaded.append(done)
    finally:
        con.execute(f"DROP TABLE IF EXISTS temp.main.{records.CENTRES_TABLE}")
    if not log and read is not None:
        for done in loaded:
            records.create_typed_view(con, schema, done, year)
        centre_rows, answers = survey.typed_tables(read, year)
        _insert(con, f"{schema}.sentreskjema", centre_rows)
        _insert(con, f"{schema}.senter_svar", answers)
    return log.report()


def _centres(con: duckdb.DuckDBPyConnection, read: survey.Survey | None) -> None:
    """The temporary table of the survey's centres that the record models compare senter_id with;
    one NULL (not known) when the survey's centres could not be read."""
    ids = [None] if read is None else [str(v) for v in read.columns["senter_id"]]
    con.execute(f"CREATE OR REPLACE TEMP TABLE {records.CENTRES_TABLE} AS "
                "SELECT unnest($ids::VARCHAR[]) AS senter_id", {"ids": ids})


def staging_schema(year: int) -> str:
    return f"staging_{int(year)}"


def load_delivery(con: duckdb.DuckDBPyConnection, year_dir: Path, year: int) -> Report:
    """`load_deliveries` of one year."""
    return load_deliveries(con, [(Path(year_dir), year)])[year]


def load_deliveries(con: duckdb.DuckDBPyConnection, deliveries: Sequence[tuple[Path, int]]) -> dict[int, Report]:
    """The validated asset's step: check the years' deliveries and, only when none has a problem,
    replace those years' rows of validated.* in one transaction (checkpointed and on disk when this
    returns). Returns each year's report; validated.* is unchanged unless every report is empty.

    Deliveries without problems are read once: each CSV file is read into a table, validated by its
    pandera model and its typed rows inserted from that table (`records.insert_checked`). At the
    first problem the transaction is rolled back and `check_delivery` locates every problem of every
    year in scratch schemas.
    """
    ddl.create_validated_tables(con, "validated")
    surveys: list[tuple[Path, int, survey.Survey]] = []
    for year_dir, year in deliveries:
        log = ProblemLog()
        read = survey.read_survey(Path(year_dir), year, log)
        if log or read is None:
            break
        surveys.append((Path(year_dir), year, read))
    else:
        try:
            loaded = _transaction(con, lambda: all(_insert_year(con, *delivery) for delivery in surveys))
        finally:
            con.execute(f"DROP TABLE IF EXISTS temp.main.{records.CENTRES_TABLE}")
        if loaded:
            _durable(con)
            return {year: Report([], []) for _, year in deliveries}
    return _check_and_load(con, deliveries)


def _check_and_load(con: duckdb.DuckDBPyConnection, deliveries: Sequence[tuple[Path, int]]) -> dict[int, Report]:
    """Every problem of every year, located; the years are loaded from their checked rows when there
    is none (the one-read path stopped at something that is not a problem, e.g. a blank line)."""
    schemas = {year: staging_schema(year) for _, year in deliveries}
    try:
        reports = {}
        for year_dir, year in deliveries:
            con.execute(f"DROP SCHEMA IF EXISTS {schemas[year]} CASCADE")
            reports[year] = check_delivery(Path(year_dir), con, schemas[year])
        if not any(reports.values()) and _transaction(con, lambda: all(
                _replace_year(con, year, functools.partial(_copy_from, schema)) for year, schema in schemas.items())):
            _durable(con)
    finally:
        for schema in schemas.values():
            con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    return reports


def _copy_from(schema: str, table: str) -> str:
    return f"INSERT INTO validated.{table} SELECT * FROM {schema}.{table}"


def _insert_year(con: duckdb.DuckDBPyConnection, year_dir: Path, year: int, read: survey.Survey) -> bool:
    """Replace the year's validated rows with the delivery's, every file checked on the way; False
    at the first problem (the caller's transaction is then rolled back)."""
    _centres(con, read)
    specs = {spec.name: spec for spec in records.RECORD_FILES}
    _replace_year(con, year, lambda table: None)
    if not all(records.insert_checked(con, year_dir, specs[name], year, f"validated.{specs[name].table}")
               for name in _ORDER):
        return False
    centre_rows, answers = survey.typed_tables(read, year)
    _insert(con, "validated.sentreskjema", centre_rows)
    _insert(con, "validated.senter_svar", answers)
    return True


def _replace_year(con: duckdb.DuckDBPyConnection, year: int, insert: Callable[[str], str | None]) -> bool:
    """Delete the year's rows of validated.* and run `insert(table)` per table (in the caller's
    transaction)."""
    for table in ddl.VALIDATED_TABLES:
        con.execute(f"DELETE FROM validated.{table} WHERE year = ?", [year])
        sql = insert(table)
        if sql:
            con.execute(sql)
    return True


def _transaction(con: duckdb.DuckDBPyConnection, body: Callable[[], bool]) -> bool:
    """Run `body` in one transaction: commit when it says so, else (or when it raises) roll back."""
    # rows read in parallel and written in insertion order come in pieces that the next checkpoint
    # merges (16 s at 1000x); the order means nothing here
    con.execute("SET preserve_insertion_order = false")
    previous = _lower_memory_limit(con, LOAD_MEMORY_GIB)
    try:
        con.execute("BEGIN")
        try:
            ok = body()
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT" if ok else "ROLLBACK")
    finally:
        con.execute("RESET preserve_insertion_order")
        if previous is not None:
            con.execute(f"SET memory_limit = '{previous}'")
    return ok


LOAD_MEMORY_GIB: Final = 1.4
"""DuckDB's memory limit while a load runs (its default is 80% of the machine's memory). Each
file's delivered text is held in a temporary table while its model checks it: at 1000x the 2024
volume that is 2.5 GiB of peak memory without a limit, 1.7 GiB with this one (DuckDB spills the
rest to its temporary directory, about 1 s slower)."""

_SIZE = re.compile(r"([0-9.]+) ?([KMGT]i?B|bytes)")
_UNIT_GIB = {"bytes": 1024**-3, "KiB": 1024**-2, "KB": 1000 / 1024**3, "MiB": 1024**-1, "MB": 1e6 / 1024**3,
             "GiB": 1.0, "GB": 1e9 / 1024**3, "TiB": 1024.0, "TB": 1e12 / 1024**3}


def _lower_memory_limit(con: duckdb.DuckDBPyConnection, gib: float) -> str | None:
    """Lower DuckDB's memory limit to `gib` (never raise it); the previous setting, if changed."""
    row = con.execute("SELECT current_setting('memory_limit')").fetchone()
    previous = str(row[0]) if row else ""
    size = _SIZE.fullmatch(previous)
    if size is None or float(size.group(1)) * _UNIT_GIB[size.group(2)] <= gib:
        return None
    con.execute(f"SET memory_limit = '{gib}GiB'")
    return previous


def _durable(con: duckdb.DuckDBPyConnection) -> None:
    """Checkpoint, and flush the database file to disk: the validated rows survive a crash."""
    con.execute("CHECKPOINT")
    row = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    if row and row[0]:
        fd = os.open(str(row[0]), os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
