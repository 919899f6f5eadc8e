"""Validation of one year's delivery folder, and the typed tables it fills."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import duckdb

from krise_pipeline import contract, sqlfiles
from krise_pipeline.validation import records, survey
from krise_pipeline.validation.problems import Problem, ProblemLog, shown_value

_SCHEMA = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# The largest file first, so that its rules and copy run while the others are read.
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
    counted in a summary problem). Without problems, the year's rows of `{schema}.sentreskjema`,
    `senter_svar`, `beboere_opphold`, `barn_opphold` and `dagsbesok` are exactly the delivery;
    with problems their content is unspecified. Bad input never raises.
    """
    if not _SCHEMA.fullmatch(schema):
        raise ValueError(f"not a schema name: {schema!r}")
    year_dir = Path(year_dir)
    log = ProblemLog()
    year = _year(year_dir, log)
    if year is None:
        return log.problems()
    sqlfiles.create_validated_tables(con, schema)
    for table in sqlfiles.VALIDATED_TABLES:
        con.execute(f"DELETE FROM {schema}.{table} WHERE year = ?", [year])
    work = records.Workspace(con, schema)
    try:
        read = survey.read_survey(year_dir, year, log)
        centres = None
        if read is not None and "senter_id" in read.frame.columns:
            centres = work.store_centres([str(v) for v in read.frame["senter_id"]])
        by_name = {spec.name: spec for spec in records.RECORD_FILES}
        for name in _ORDER:
            loaded = records.read_records(year_dir, year, by_name[name], work, log)
            if loaded is not None:
                work.in_background(_finisher(loaded, schema, year, centres, log))
        work.wait()
        if not log and read is not None:
            centre_rows, answers = survey.typed_tables(read, year)
            work.append(f"{schema}.sentreskjema", f"SELECT * FROM {records.CHUNK_VIEW}", centre_rows)
            work.append(f"{schema}.senter_svar", f"SELECT * FROM {records.CHUNK_VIEW}", answers)
    finally:
        work.close()
    return log.problems()


def _finisher(
    loaded: records.Loaded, schema: str, year: int, centres: str | None, log: ProblemLog
) -> Callable[[duckdb.DuckDBPyConnection], None]:
    """The work on a file after it was read: the rules over the whole file, then its copy."""
    def finish(cursor: duckdb.DuckDBPyConnection) -> None:
        records.check_sets(cursor, loaded, year, centres, log)
        if not log:
            records.copy_to_validated(cursor, schema, loaded, year)

    return finish
