"""The stays and visits (contract 1.2-1.5): read by DuckDB, checked by their pandera models where
they lie (`record_models`, pandera's Ibis backend on the DuckDB table).

For the warehouse, `insert_checked` reads a clean file once into a table: `reading.quick_scan`
checks its header and counts its lines, DuckDB reads the rows (a line it cannot parse stops the
read), the file's model validates the table, and the typed rows are inserted into
`validated.<table>` from it (the caller's transaction is rolled back at the first problem). To find
and locate problems (`validate`, or after that rollback), each file is checked by
`reading.scan_csv`, then DuckDB reads it into the table `<schema>._read_<table>` (every column as
delivered text), keeping the lines it cannot parse in its rejects table, and the model validates
that table; a row's line number comes from the read order (row i is the i-th line that was neither
rejected by DuckDB nor left out by the scan). A file without problems becomes the typed view
`<schema>.<table>` over its table.
"""

from __future__ import annotations

import bisect
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Final

import duckdb

from krise_pipeline.metadata import contract
from krise_pipeline.raw import reading
from krise_pipeline.validated import messages
from krise_pipeline.validated.problems import MAX_LISTED, Problem, ProblemLog, shown_value

if TYPE_CHECKING:
    import ibis.expr.types as ir

CENTRES_TABLE: Final = "_centres"
"""The temporary table of the year's survey centres (`record_models.CENTRES_TABLE`)."""


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
    rows: str  # the table DuckDB read the file into
    lines: LineMap | None = None  # for a table: row number -> delivered line

    @property
    def table(self) -> str:
        return self.rows


def read_records(year_dir: Path, schema: str, spec: RecordFile, con: duckdb.DuckDBPyConnection,
                 log: ProblemLog, year: int | None = None) -> Loaded | None:
    """Read one CSV file into `<schema>._read_<table>` and (a `year` given) check it with its model;
    None if it could not be read at all. The centres of the year's survey are in the temporary
    table CENTRES_TABLE (none: the survey could not be read, and no senter_id is compared)."""
    file = spec.name
    try:
        located = reading.locate(year_dir, spec.name)
        file = located.delivered_as
        with tempfile.TemporaryDirectory(prefix="krise-csv-") as work:
            source = reading.scan_csv(located, spec.columns, Path(work))
            for issue in source.issues:
                log.add(messages.problem_from_issue(file, issue))
            rejects = f"_rejects_{spec.table}"
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
        check_records(con, loaded, year, log)
    return loaded


def _drop_rejects(con: duckdb.DuckDBPyConnection, rejects: str) -> None:
    con.execute(f"DROP TABLE IF EXISTS {rejects}; DROP TABLE IF EXISTS {rejects}_scan")


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


def _record_models() -> ModuleType:
    """The models of the record files, imported in this one place (about 1 s of imports)."""
    from krise_pipeline.validated import record_models  # pandera and ibis: only when records are checked

    return record_models


def _model_table(con: duckdb.DuckDBPyConnection, table: str, year: int) -> ir.Table:
    """The rows of `table` as the models see them: read_row (the rowid), year, the delivered text."""
    models = _record_models()
    view = f"{table.split('.')[1]}_checked"
    con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT rowid AS {models.ROW}, "
                f"{int(year)}::BIGINT AS {models.YEAR}, * FROM {table}")
    return models.table(con, view)


def check_records(con: duckdb.DuckDBPyConnection, loaded: Loaded, year: int, log: ProblemLog) -> None:
    """Every rule of a file read into a table: when the file's whole-file model finds a rule broken,
    its model (one check per rule) finds which, and each failed check's rows are located and
    reported (the first MAX_LISTED in line order, the rest counted, the line range of all)."""
    models = _record_models()
    rows = _model_table(con, loaded.table, year)
    if models.keeps_every_rule(loaded.spec.name, rows):
        return
    lines = loaded.lines
    assert lines is not None
    row = models.ROW
    for rule, column, keeps in models.failed_rules(loaded.spec.name, rows):
        broken = rows.filter(~keeps)
        count, first, last = con.execute(models.to_sql(broken.aggregate(
            n=broken.count(), lo=broken[row].min(), hi=broken[row].max()))).fetchall()[0]
        if not count:
            continue
        listed = con.execute(models.to_sql(broken.order_by(row).select(row, column).limit(MAX_LISTED))).fetchall()
        firsts = _first_lines(con, loaded, rows, rule, column, [v for _, v in listed])
        for rowid, value in listed:
            sentence = messages.message(loaded.spec.name, rule, column, year, firsts.get(value))
            log.add(Problem(loaded.file, f"line {lines.line(int(rowid))}", column, rule, shown_value(value),
                            sentence))
        log.add_unlisted(loaded.file, column, rule, int(count) - len(listed))
        log.add_range(loaded.file, column, rule, lines.line(int(first)), lines.line(int(last)))


def _first_lines(con: duckdb.DuckDBPyConnection, loaded: Loaded, rows: ir.Table, rule: str, column: str,
                 values: list[Any]) -> dict[Any, int]:
    """For a repeat rule: the line of the first row of each listed key."""
    models = _record_models()
    spec = loaded.spec
    if rule == "unique":
        members = models.unique_members(spec.record_id)
    elif rule == "first_flag":
        members = models.flag_members(spec.person, spec.first_flag)
    else:
        return {}
    twice = models.repeats(rows, column, members)
    found = con.execute(models.to_sql(twice.filter(twice[column].isin(values)).select(column, "first_row"))).fetchall()
    assert loaded.lines is not None
    return {key: loaded.lines.line(int(first)) for key, first in found}


def _typed_select(types: list[tuple[str, str, bool]], year: str) -> str:
    return ", ".join(f"{year} AS year" if name == "year" else f"{typed(name, kind, nullable)}::{kind} AS \"{name}\""
                     for name, kind, nullable in types)


def create_typed_view(con: duckdb.DuckDBPyConnection, schema: str, loaded: Loaded, year: int) -> None:
    """`<schema>.<table>`: the read rows typed as the validated table (the file passed every rule)."""
    table = loaded.spec.table
    select = _typed_select(column_types(con, schema, table), f"{int(year)}::INTEGER")
    con.execute(f"DROP TABLE IF EXISTS {schema}.{table}")
    con.execute(f"CREATE OR REPLACE VIEW {schema}.{table} AS SELECT {select} FROM {loaded.rows}")


def insert_checked(con: duckdb.DuckDBPyConnection, year_dir: Path, spec: RecordFile, year: int,
                   target: str) -> bool:
    """Check a clean file and insert its typed rows into `target`; False at the first problem of
    any kind.

    DuckDB reads the file into the temporary table `_read_<table>` (a line it cannot parse stops the
    read; the rows read are counted against the file's lines), the file's model validates that
    table (stopping at the first failed check), and the typed rows are inserted from it. The
    caller holds the open transaction and rolls it back on False; nothing is logged:
    `read_records` locates the problems.
    """
    try:
        source = reading.quick_scan(reading.locate(year_dir, spec.name), spec.columns)
    except (reading.UnreadableFile, OSError):
        return False
    if source is None:
        return False
    schema, table = target.split(".")
    read = f"temp.main.{spec.read_table}"  # in memory (spilled to disk beyond DuckDB's limit): not written twice
    select = ", ".join(f'"{c}"' for c in spec.columns)
    try:
        written = con.execute(f"CREATE OR REPLACE TEMP TABLE {spec.read_table} AS SELECT {select} FROM "
                              f"{reading.read_csv_sql(source, None)}").fetchall()
    except duckdb.Error:
        return False
    try:
        if int(written[0][0]) != source.data_lines or not _record_models().keeps_every_rule(
                spec.name, _model_table(con, read, year)):
            return False
        typed_select = _typed_select(column_types(con, schema, table), f"{int(year)}::INTEGER")
        con.execute(f"INSERT INTO {target} SELECT {typed_select} FROM {read}")
    finally:
        con.execute(f"DROP TABLE IF EXISTS {read}")
    return True
