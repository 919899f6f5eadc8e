"""The stays and visits (contract 1.2-1.5): read by DuckDB, checked by SQL where they lie.

For the warehouse, `insert_checked` reads a clean file once: `reading.quick_scan` checks its header
and counts its lines, then DuckDB writes its typed rows into `validated.<table>` while every row
rule guards the insert, and the rows written are counted and checked for repeats (the caller's
transaction is rolled back at the first problem). To find and locate problems (`validate`, or
after that rollback), each file is checked by `reading.scan_csv`, then one query over DuckDB's
read of the file (every column as delivered text)
counts the lines DuckDB cannot parse (its rejects) and the rows breaking each rule, storing
nothing; a file without problems becomes the typed view `<schema>.<table>` over that read. A file
with problems is read into the table `<schema>._read_<table>`, where every problem is located: a
row's line number comes from the read order (row i is the i-th line that was neither rejected by
DuckDB nor left out by the scan).
"""

from __future__ import annotations

import bisect
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import duckdb

from krise_pipeline import contract, reading
from krise_pipeline.validation import messages
from krise_pipeline.validation.problems import MAX_LISTED, Problem, ProblemLog, shown_value
from krise_pipeline.validation.rules import Rule, file_rules, text, unknown_centre

CENTRES_TABLE: Final = "_centres"


@dataclass(frozen=True)
class RecordFile:
    """A CSV file of stays or visits and its rules."""

    name: str  # the contract's file name
    table: str  # the validated table it fills
    columns: tuple[str, ...]
    record_id: str  # unique in the year
    person: str  # the pseudonym of the person
    first_flag: str  # the person's first stay/visit in the year

    @property
    def read_table(self) -> str:
        return f"_read_{self.table}"


RECORD_FILES: Final = (
    RecordFile(contract.ADULT_FILE, "beboere_opphold", contract.ADULT_COLUMNS,
               "opphold_id", "person_id", "forste_opphold_i_aret"),
    RecordFile(contract.CHILD_FILE, "barn_opphold", contract.CHILD_COLUMNS,
               "opphold_id", "barn_id", "forste_opphold_i_aret"),
    RecordFile(contract.VISIT_FILE, "dagsbesok", contract.VISIT_COLUMNS,
               "besok_id", "person_id", "forste_besok_i_aret"),
)


def typed(column: str, sql_type: str, nullable: bool) -> str:
    """SQL turning the delivered text of `column` into its validated type (valid text only)."""
    value = f'"{column}"'
    if sql_type == "BOOLEAN":
        if nullable:
            return f"CASE {value} WHEN '1' THEN true WHEN '0' THEN false END"
        return f"coalesce({value} = '1', false)"
    if sql_type == "VARCHAR":
        return f"coalesce({value}, '')" if not nullable else f"NULLIF({value}, '')"
    return f"TRY_CAST(NULLIF({value}, '') AS {sql_type})"


def column_types(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[tuple[str, str, bool]]:
    """(name, type, nullable) of the columns of a table."""
    rows = con.execute(
        "SELECT column_name, data_type, is_nullable FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = ? AND table_name = ? "
        "ORDER BY column_index",
        [schema, table],
    ).fetchall()
    return [(str(name), str(kind), bool(nullable)) for name, kind, nullable in rows]


class LineMap:
    """Row number of the read table -> the supplier's line number."""

    def __init__(self, source: reading.CsvFile, rejected: list[int]) -> None:
        self.source = source
        self.rejected = sorted(set(rejected))  # lines of `source.path` DuckDB did not keep

    def line(self, row: int) -> int:
        """The delivered line of row `row` (0-based, in read order)."""
        line = row + 2
        position = 0
        while True:  # the row's line is the (row + 1)-th data line that was not rejected
            skipped = bisect.bisect_right(self.rejected, line) - position
            if skipped == 0:
                break
            position += skipped
            line += skipped
        return self.source.delivered_line(line)


@dataclass
class Loaded:
    """A record file that was read and checked; its rows are `SELECT ... FROM {rows}`."""

    spec: RecordFile
    file: str  # as delivered
    rows: str  # the table DuckDB read the file into, or (a file without problems) a read_csv(...)
    lines: LineMap | None = None  # for a table: row number -> delivered line

    @property
    def table(self) -> str:
        return self.rows


def read_records(year_dir: Path, schema: str, spec: RecordFile, con: duckdb.DuckDBPyConnection,
                 log: ProblemLog, year: int | None = None, centres: str | None = None) -> Loaded | None:
    """Read and check one CSV file; None if it could not be read at all.

    A file DuckDB can read as delivered is first checked in one pass without storing anything.
    Only when that finds a problem (or the scan had to clean the file, or no `year` is given: read
    only, no rules) is the file read into `<schema>._read_<table>` and every problem located.
    """
    file = spec.name
    try:
        located = reading.locate(year_dir, spec.name)
        file = located.delivered_as
        with tempfile.TemporaryDirectory(prefix="krise-csv-") as work:
            source = reading.scan_csv(located, spec.columns, Path(work))
            for issue in source.issues:
                log.add(messages.problem_from_issue(file, issue))
            rejects = f"_rejects_{spec.table}"
            if year is not None and source.kept is None and not _any_failure(con, source, spec, year, centres,
                                                                               rejects):
                return Loaded(spec, file, reading.read_csv_sql(source, None))
            table = f"{schema}.{spec.read_table}"
            select = ", ".join(f'"{c}"' for c in spec.columns)
            _drop_rejects(con, rejects)
            con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT {select} FROM "
                        f"{reading.read_csv_sql(source, rejects)}")
            rejected = _log_rejects(con, rejects, source, file, log)
            _drop_rejects(con, rejects)
    except reading.UnreadableFile as exc:
        for issue in exc.issues:
            log.add(messages.problem_from_issue(file, issue))
        return None
    except duckdb.Error as exc:  # DuckDB refused the file as a whole
        log.add(Problem(file, "", "", "unreadable", "", f"the file cannot be read as CSV ({exc})"))
        return None
    loaded = Loaded(spec, file, table, LineMap(source, rejected))
    if year is not None:
        check_records(con, loaded, year, centres, log)
    return loaded


def _drop_rejects(con: duckdb.DuckDBPyConnection, rejects: str) -> None:
    con.execute(f"DROP TABLE IF EXISTS {rejects}; DROP TABLE IF EXISTS {rejects}_scan")


def _rules(spec: RecordFile, year: int, centres: str | None) -> list[Rule]:
    checks = list(file_rules(spec.name, year))
    if centres is not None:
        checks.append(unknown_centre(centres))
    return checks


def _any_failure(con: duckdb.DuckDBPyConnection, source: reading.CsvFile, spec: RecordFile, year: int,
                 centres: str | None, rejects: str) -> bool:
    """One pass over the file as DuckDB reads it: does any line or rule fail? Nothing is stored."""
    _drop_rejects(con, rejects)
    parts = ["count(*)"]
    parts += [f"count(*) FILTER (WHERE {r.fails})" for r in _rules(spec, year, centres)]
    key, person, flag = spec.record_id, spec.person, spec.first_flag
    parts += [
        f"count(\"{key}\") FILTER (WHERE \"{key}\" <> '') - "
        f"count(DISTINCT \"{key}\") FILTER (WHERE \"{key}\" <> '')",
        f"count(\"{person}\") FILTER (WHERE \"{flag}\" = '1' AND \"{person}\" <> '') - "
        f"count(DISTINCT \"{person}\") FILTER (WHERE \"{flag}\" = '1' AND \"{person}\" <> '')",
    ]
    # DuckDB skips the lines it cannot parse; it does not always store them in this query's rejects
    # table, so a line count short of the scan's says that some line is bad
    row = con.execute(f"SELECT {', '.join(parts)} FROM {reading.read_csv_sql(source, rejects)}").fetchone()
    _drop_rejects(con, rejects)
    assert row is not None
    return int(row[0]) != source.data_lines or any(int(v or 0) for v in row[1:])


def _count_rejects(con: duckdb.DuckDBPyConnection, rejects: str) -> int:
    """Lines in the rejects table (DuckDB creates it only when a read stores rejects)."""
    exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [rejects]).fetchone()
    if not exists or not exists[0]:
        return 0
    row = con.execute(f"SELECT count(*) FROM {rejects}").fetchone()
    return int(row[0]) if row else 0


def _log_rejects(con: duckdb.DuckDBPyConnection, rejects: str, source: reading.CsvFile, file: str,
                 log: ProblemLog) -> list[int]:
    """Report the lines DuckDB could not parse; their line numbers in the file it read."""
    if not _count_rejects(con, rejects):
        return []
    rows = con.execute(
        f"SELECT line, any_value(error_type ORDER BY column_idx), any_value(csv_line), "
        f"any_value(error_message ORDER BY column_idx) FROM {rejects} GROUP BY line ORDER BY line"
    ).fetchall()
    width = len(source.names)
    for line, error_type, csv_line, error_message in rows:
        where = source.delivered_line(int(line))
        if error_type in ("TOO MANY COLUMNS", "MISSING COLUMNS"):
            n = reading.field_count(str(csv_line or ""))
            log.add(Problem(file, f"line {where}", "", "field_count", str(n),
                            f"line {where} has {n} fields; the header has {width}"))
        elif error_type == "LINE SIZE OVER MAXIMUM":
            log.add(Problem(file, f"line {where}", "", "line_too_long", "",
                            f"line {where} is longer than {reading.MAX_LINE_BYTES} bytes; "
                            "is this really a CSV file?"))
        else:
            log.add(Problem(file, f"line {where}", "", "malformed", "",
                            f"line {where} is not valid CSV ({str(error_message).split('.')[0].lower()})"))
    return [int(r[0]) for r in rows]


def check_records(con: duckdb.DuckDBPyConnection, loaded: Loaded, year: int, centres: str | None,
                  log: ProblemLog) -> None:
    """Every rule of a file read into a table: the row rules and the unknown centres in one pass,
    then the sets."""
    _run_row_rules(con, loaded, _rules(loaded.spec, year, centres), year, log)
    _run_set_rules(con, loaded, year, log)


def _run_row_rules(con: duckdb.DuckDBPyConnection, loaded: Loaded, checks: list[Rule], year: int,
                   log: ProblemLog) -> None:
    aggregates = ", ".join(
        f"count(*) FILTER (WHERE {r.fails}), min(rowid) FILTER (WHERE {r.fails}), "
        f"max(rowid) FILTER (WHERE {r.fails})" for r in checks
    )
    row = con.execute(f"SELECT {aggregates} FROM {loaded.table}").fetchone()
    assert row is not None and loaded.lines is not None
    lines = loaded.lines
    for i, rule in enumerate(checks):
        count, first, last = row[3 * i], row[3 * i + 1], row[3 * i + 2]
        if not count:
            continue
        sentence = messages.message(loaded.spec.name, rule.rule, rule.column, year)
        if rule.rule == "unknown_centre":
            sentence = f"senter_id is not in {contract.SURVEY_FILE} for {year}"
        listed = con.execute(
            f"SELECT rowid, {text(rule.column)} FROM {loaded.table} WHERE {rule.fails} "
            f"ORDER BY rowid LIMIT {MAX_LISTED}"
        ).fetchall()
        for rowid, value in listed:
            log.add(Problem(loaded.file, f"line {lines.line(int(rowid))}", rule.column, rule.rule,
                            shown_value(value), sentence))
        log.add_unlisted(loaded.file, rule.column, rule.rule, int(count) - len(listed))
        log.add_range(loaded.file, rule.column, rule.rule, lines.line(int(first)), lines.line(int(last)))


def _run_set_rules(con: duckdb.DuckDBPyConnection, loaded: Loaded, year: int, log: ProblemLog) -> None:
    """Unique record ids and one first-stay (first-visit) flag per person in the year."""
    spec, table = loaded.spec, loaded.table
    key, person, flag = spec.record_id, spec.person, spec.first_flag
    row = con.execute(f"""
        SELECT count("{key}") FILTER (WHERE "{key}" <> '') - count(DISTINCT "{key}") FILTER (WHERE "{key}" <> ''),
               count("{person}") FILTER (WHERE "{flag}" = '1' AND "{person}" <> '')
               - count(DISTINCT "{person}") FILTER (WHERE "{flag}" = '1' AND "{person}" <> '')
        FROM {table}""").fetchone()
    assert row is not None
    repeated_ids, repeated_flags = int(row[0] or 0), int(row[1] or 0)
    if repeated_ids:
        _log_repeats(con, loaded, key, "unique", f"""
            WITH twice AS (SELECT "{key}" AS id, min(rowid) AS first_row FROM {table}
                           WHERE "{key}" <> '' GROUP BY "{key}" HAVING count(*) > 1)
            SELECT t.rowid AS r, t."{key}", twice.first_row FROM {table} t JOIN twice ON t."{key}" = twice.id
            WHERE t.rowid > twice.first_row""",
            f"{key} must be unique in the year; the same {key} is already on line {{}}", log)
    if repeated_flags:
        _log_repeats(con, loaded, person, "first_flag", f"""
            WITH twice AS (SELECT "{person}" AS id, min(rowid) AS first_row FROM {table}
                           WHERE "{flag}" = '1' AND "{person}" <> '' GROUP BY "{person}" HAVING count(*) > 1)
            SELECT t.rowid AS r, t."{person}", twice.first_row FROM {table} t JOIN twice ON t."{person}" = twice.id
            WHERE t."{flag}" = '1' AND t.rowid > twice.first_row""",
            f"this {person} already has {flag} = 1 on line {{}}; a person has at most one such row in a year",
            log)


def _log_repeats(con: duckdb.DuckDBPyConnection, loaded: Loaded, column: str, rule: str, query: str,
                 message: str, log: ProblemLog) -> None:
    rows = con.execute(
        f"SELECT *, count(*) OVER () AS total, min(r) OVER () AS lo, max(r) OVER () AS hi "
        f"FROM ({query}) ORDER BY r LIMIT {MAX_LISTED}"
    ).fetchall()
    lines = loaded.lines
    assert lines is not None
    for rowid, value, first_row, *_ in rows:
        log.add(Problem(loaded.file, f"line {lines.line(int(rowid))}", column, rule, shown_value(value),
                        message.format(lines.line(int(first_row)))))
    total, lo, hi = int(rows[0][3]), int(rows[0][4]), int(rows[0][5])
    log.add_unlisted(loaded.file, column, rule, total - len(rows))
    log.add_range(loaded.file, column, rule, lines.line(lo), lines.line(hi))


def _typed_select(types: list[tuple[str, str, bool]], year: str) -> str:
    return ", ".join(f"{year} AS year" if name == "year" else f"{typed(name, kind, nullable)}::{kind} AS \"{name}\""
                     for name, kind, nullable in types)


def create_typed_view(con: duckdb.DuckDBPyConnection, schema: str, loaded: Loaded, year: int) -> None:
    """`<schema>.<table>`: the read rows typed as the validated table (the file passed every rule)."""
    table = loaded.spec.table
    select = _typed_select(column_types(con, schema, table), f"{int(year)}::INTEGER")
    con.execute(f"DROP TABLE IF EXISTS {schema}.{table}")
    con.execute(f"CREATE OR REPLACE VIEW {schema}.{table} AS SELECT {select} FROM {loaded.rows}")


GUARD: Final = "krise: a delivered row breaks a rule"
"""The error a row breaking a rule raises in `insert_checked` (the caller then locates every problem)."""


def insert_checked(con: duckdb.DuckDBPyConnection, year_dir: Path, spec: RecordFile, year: int, centres: str,
                   target: str) -> bool:
    """Check a clean file and insert its typed rows into `target` in the same read; False at the first
    problem of any kind.

    Every row rule guards the insert (a breaking row raises GUARD inside DuckDB, which stops the
    read), a line DuckDB cannot parse stops it too, and the rows written are then counted against
    the file's lines and checked for repeated ids and first-stay flags. The caller holds the open
    transaction and rolls it back on False; nothing is logged: `read_records` locates the problems.
    """
    try:
        source = reading.quick_scan(reading.locate(year_dir, spec.name), spec.columns)
    except (reading.UnreadableFile, OSError):
        return False
    if source is None:
        return False
    breaks = " OR ".join(f"({r.fails})" for r in _rules(spec, year, centres))
    year_sql = f"CASE WHEN {breaks} THEN error('{GUARD}') ELSE {int(year)} END::INTEGER"
    schema, table = target.split(".")
    select = _typed_select(column_types(con, schema, table), year_sql)
    try:
        written = con.execute(f"INSERT INTO {target} SELECT {select} FROM {reading.read_csv_sql(source, None)}"
                              ).fetchall()
    except duckdb.Error:
        return False
    if int(written[0][0]) != source.data_lines:
        return False
    # distinct 64-bit hashes prove the ids distinct and cost half of distinct strings; a collision
    # only sends the file to `read_records`, which compares the ids themselves
    key, person, flag = spec.record_id, spec.person, spec.first_flag
    repeats = con.execute(
        f'SELECT count(*) - count(DISTINCT hash("{key}")), '
        f'count(*) FILTER (WHERE "{flag}") - count(DISTINCT hash("{person}")) FILTER (WHERE "{flag}") '
        f"FROM {target} WHERE year = ?", [year]).fetchall()
    return not any(int(v or 0) for v in repeats[0])
