"""The stays and visits (contract 1.2-1.5): streamed through pandera, staged and checked in DuckDB.

Each CSV file is read in chunks; every chunk is validated row by row with its pandera model and
appended to a working table `_validate_<table>` that keeps the supplier's line number
beside the typed values. The rules over a whole file or across files (unique ids, one first-stay
flag per person, centres known from the survey) then run as SQL over these tables.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import duckdb
import numpy as np
import pandas as pd
import pandera.pandas as pa

from krise_pipeline import contract, reading
from krise_pipeline.validation import messages, models
from krise_pipeline.validation.problems import MAX_LISTED, Problem, ProblemLog, shown_value

CHUNK_VIEW: Final = "krise_validation_chunk"
CENTRES_TABLE: Final = "_validate_centres"


@dataclass(frozen=True)
class RecordFile:
    """A CSV file of stays or visits and its rules."""

    name: str  # the contract's file name
    table: str  # the validated table it fills
    model: type[pa.DataFrameModel]
    columns: tuple[str, ...]
    record_id: str  # unique in the year
    person: str  # the pseudonym of the person
    first_flag: str  # the person's first stay/visit in the year

    @property
    def ids(self) -> tuple[str, str]:
        """The high-cardinality columns, read as plain strings; the rest are read as categoricals."""
        return (self.record_id, self.person)

    @property
    def working_table(self) -> str:
        return f"_validate_{self.table}"


RECORD_FILES: Final = (
    RecordFile(contract.ADULT_FILE, "beboere_opphold", models.BeboereOpphold, contract.ADULT_COLUMNS,
               "opphold_id", "person_id", "forste_opphold_i_aret"),
    RecordFile(contract.CHILD_FILE, "barn_opphold", models.BarnOpphold, contract.CHILD_COLUMNS,
               "opphold_id", "barn_id", "forste_opphold_i_aret"),
    RecordFile(contract.VISIT_FILE, "dagsbesok", models.Dagsbesok, contract.VISIT_COLUMNS,
               "besok_id", "person_id", "forste_besok_i_aret"),
)


def _typed(column: str, sql_type: str, nullable: bool) -> str:
    """SQL turning the delivered text of `column` into its validated type (valid text only)."""
    text = f'CAST("{column}" AS VARCHAR)'
    if sql_type == "BOOLEAN":
        if nullable:
            return f"CASE {text} WHEN '1' THEN true WHEN '0' THEN false END"
        return f"coalesce({text} = '1', false)"
    if sql_type == "VARCHAR":
        return text
    return f"TRY_CAST(NULLIF({text}, '') AS {sql_type})"


class Workspace:
    """The working tables of one validation and a worker that finishes files in the background.

    The working tables live in a private in-memory database attached to the connection, so that
    a second connection (a cursor) can run the rules over a whole file and copy it to the
    validated table while the main thread reads the next file. `close()` waits for the worker and
    detaches the database.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, schema: str) -> None:
        self.con = con
        self.schema = schema
        self.name = f"krise_validation_{secrets.token_hex(6)}"
        con.execute(f"ATTACH ':memory:' AS {self.name}")
        self.cursor = con.cursor()
        self.cursor.execute("SET enable_progress_bar = false")
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="krise-validation")
        self._pending: list[Future[None]] = []

    def table(self, name: str) -> str:
        return f"{self.name}.main.{name}"

    def create_like(self, spec: RecordFile) -> str:
        """A working table with the line number and the columns of the validated table."""
        name = self.table(spec.working_table)
        self.con.execute(
            f"CREATE OR REPLACE TABLE {name} AS "
            f"SELECT 0::BIGINT AS line, * EXCLUDE (year) FROM {self.schema}.{spec.table} LIMIT 0"
        )
        return name

    def column_types(self, table: str) -> list[tuple[str, str, bool]]:
        """(name, type, nullable) of the columns of a validated table."""
        rows = self.con.execute(
            "SELECT column_name, data_type, is_nullable FROM duckdb_columns() "
            "WHERE database_name = current_database() AND schema_name = ? AND table_name = ? "
            "ORDER BY column_index",
            [self.schema, table],
        ).fetchall()
        return [(str(name), str(kind), bool(nullable)) for name, kind, nullable in rows]

    def store_centres(self, centre_ids: list[str]) -> str:
        """The working table of the centres of the survey."""
        name = self.table(CENTRES_TABLE)
        self.con.execute(f"CREATE OR REPLACE TABLE {name} (senter_id VARCHAR)")
        if centre_ids:
            frame = pd.DataFrame({"senter_id": pd.Series(centre_ids, dtype=object)})
            self.append(name, f"SELECT senter_id FROM {CHUNK_VIEW}", frame)
        return name

    def append(self, table: str, select: str, frame: pd.DataFrame) -> None:
        self.con.register(CHUNK_VIEW, frame)
        try:
            self.con.execute(f"INSERT INTO {table} {select}")
        finally:
            self.con.unregister(CHUNK_VIEW)

    def in_background(self, job: Callable[[duckdb.DuckDBPyConnection], None]) -> None:
        """Run `job(cursor)` on the worker; its exceptions are raised by `wait()`."""
        self._pending.append(self._worker.submit(job, self.cursor))

    def wait(self) -> None:
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()

    def close(self) -> None:
        self._worker.shutdown(wait=True, cancel_futures=True)
        self.cursor.close()
        self.con.execute(f"DETACH DATABASE IF EXISTS {self.name}")


@dataclass
class Loaded:
    """A record file that was read (possibly with problems), staged in `working`."""

    spec: RecordFile
    file: str  # as delivered
    working: str  # schema-qualified working table


def read_records(
    year_dir: Path, year: int, spec: RecordFile, work: Workspace, log: ProblemLog
) -> Loaded | None:
    """Validate one CSV file chunk by chunk and stage its rows; None if it could not be opened."""
    file = spec.name
    try:
        located = reading.locate(year_dir, spec.name)
    except reading.UnreadableFile as exc:
        for issue in exc.issues:
            log.add(messages.problem_from_issue(file, issue))
        return None
    file = located.delivered_as
    working = work.create_like(spec)
    types = work.column_types(spec.table)
    select = "SELECT line, " + ", ".join(_typed(name, kind, nullable)
                                         for name, kind, nullable in types if name != "year")
    select += f" FROM {CHUNK_VIEW}"
    categorical = [c for c in spec.columns if c not in spec.ids]

    def report(issue: reading.ReadIssue) -> None:
        log.add(messages.problem_from_issue(file, issue))

    try:
        for frame in reading.prefetched(reading.iter_csv(located, spec.columns, categorical, report)):
            if frame.empty:
                continue
            frame.attrs["year"] = year
            outcome = models.validate_frame(spec.model, frame)
            messages.log_outcome(log, file, outcome, year, lambda f: f"line {f.row}")
            frame["line"] = frame.index.to_numpy(dtype=np.int64)
            work.append(working, select, frame)
    except reading.UnreadableFile as exc:
        for issue in exc.issues:
            report(issue)
    return Loaded(spec, file, working)


def _listed_with_total(
    con: duckdb.DuckDBPyConnection, query: str, params: list[object] | None = None
) -> tuple[list[tuple[object, ...]], int]:
    """The first MAX_LISTED rows of `query` (ordered by line) and how many rows it has in all."""
    rows = con.execute(
        f"SELECT *, count(*) OVER () AS _total FROM ({query}) ORDER BY line LIMIT {MAX_LISTED}", params or []
    ).fetchall()
    total = int(rows[0][-1]) if rows else 0
    return [r[:-1] for r in rows], total


def _log_rows(log: ProblemLog, file: str, column: str, rule: str,
              rows: list[tuple[object, ...]], total: int, message: str) -> None:
    for line, value, *extra in rows:
        log.add(Problem(file, f"line {line}", column, rule, shown_value(value),
                        message.format(*extra)))
    log.add_unlisted(file, column, rule, total - len(rows))


def check_sets(con: duckdb.DuckDBPyConnection, loaded: Loaded, year: int,
               centres: str | None, log: ProblemLog) -> None:
    """The rules over the whole file and across files (contract 1.2-1.5)."""
    spec, table, file = loaded.spec, loaded.working, loaded.file
    key = spec.record_id
    rows, total = _listed_with_total(con, f"""
        WITH twice AS (SELECT "{key}" AS id, min(line) AS first_line FROM {table}
                       WHERE "{key}" <> '' GROUP BY "{key}" HAVING count(*) > 1)
        SELECT t.line, t."{key}", twice.first_line FROM {table} t JOIN twice ON t."{key}" = twice.id
        WHERE t.line > twice.first_line""")
    _log_rows(log, file, key, "unique", rows, total,
              f"{key} must be unique in the year; the same {key} is already on line {{}}")

    person, flag = spec.person, spec.first_flag
    rows, total = _listed_with_total(con, f"""
        WITH twice AS (SELECT "{person}" AS id, min(line) AS first_line FROM {table}
                       WHERE "{flag}" AND "{person}" <> '' GROUP BY "{person}" HAVING count(*) > 1)
        SELECT t.line, t."{person}", twice.first_line FROM {table} t JOIN twice ON t."{person}" = twice.id
        WHERE t."{flag}" AND t.line > twice.first_line""")
    _log_rows(log, file, person, "first_flag", rows, total,
              f"this {person} already has {flag} = 1 on line {{}}; a person has at most one such "
              f"row in a year")

    if centres is not None:
        rows, total = _listed_with_total(con, f"""
            SELECT line, senter_id FROM {table} t
            WHERE regexp_full_match(senter_id, 'KS[0-9]{{3}}')
              AND NOT EXISTS (SELECT 1 FROM {centres} c WHERE c.senter_id = t.senter_id)""")
        _log_rows(log, file, "senter_id", "unknown_centre", rows, total,
                  f"senter_id is not in {contract.SURVEY_FILE} for {year}")


def copy_to_validated(con: duckdb.DuckDBPyConnection, schema: str, loaded: Loaded, year: int) -> None:
    """Append the staged rows of a file to its validated table."""
    con.execute(f"INSERT INTO {schema}.{loaded.spec.table} BY NAME "
                f"SELECT {int(year)} AS year, * EXCLUDE (line) FROM {loaded.working}")
