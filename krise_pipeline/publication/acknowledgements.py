"""Acknowledged warnings: a checked, real change recorded in the data folder.

`data/acknowledgements.csv` (`year,check,key,note,acknowledged_by,acknowledged_at`) lists the
warning-check results somebody has looked into and found real ("the 2022 day-visit figures rose
because two new centres started registering"). For that year, check and key the warning passes,
and the note is published beside the figure (table `acknowledgements` of publication.duckdb, the
preview and the "Om tallene" sheets). The key is written as the check prints it
(`population=dagbrukere`; see `quality.WARNING_KEYS`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import duckdb

from krise_pipeline.metadata import ddl
from krise_pipeline.warehouse import quality

FILE = "acknowledgements.csv"
COLUMNS = ("year", "check", "key", "note", "acknowledged_by", "acknowledged_at")


class AcknowledgementFileError(ValueError):
    """acknowledgements.csv is malformed; the message names line, column and rule."""


@dataclass(frozen=True)
class Acknowledgement:
    year: int
    check: str
    key: str
    note: str
    acknowledged_by: str
    acknowledged_at: str


def read(path: Path) -> list[Acknowledgement]:
    """Parse the file (missing = none). Every problem is reported at once."""
    if not path.exists():
        return []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise AcknowledgementFileError(f"{path.name}: cannot be read as UTF-8 text ({exc})") from None
    reader = csv.DictReader(io.StringIO(text))
    if tuple(f.strip() for f in reader.fieldnames or ()) != COLUMNS:
        raise AcknowledgementFileError(
            f"{path.name} line 1: the header must be {','.join(COLUMNS)}, got {reader.fieldnames!r}")
    problems: list[str] = []
    out: list[Acknowledgement] = []
    seen: set[tuple[int, str, str]] = set()
    for line, row in enumerate(reader, start=2):
        values = {c: (row.get(c) or "").strip() for c in COLUMNS}
        where = f"{path.name} line {line}"
        if not (len(values["year"]) == 4 and values["year"].isdigit()):
            problems.append(f"{where}, column year: {values['year']!r} is not a four-digit year")
            continue
        if values["check"] not in quality.WARNING_KEYS:
            problems.append(f"{where}, column check: {values['check']!r} is not a warning check "
                            f"({', '.join(quality.WARNING_KEYS)})")
            continue
        wanted = quality.WARNING_KEYS[values["check"]]
        names = [part.split("=", 1)[0] for part in values["key"].split(", ")]
        if names != list(wanted) or any("=" not in part for part in values["key"].split(", ")):
            problems.append(f"{where}, column key: {values['key']!r} must name "
                            f"{', '.join(f'{c}=...' for c in wanted)}")
            continue
        for column in ("note", "acknowledged_by", "acknowledged_at"):
            if not values[column]:
                problems.append(f"{where}, column {column}: must not be empty")
        ident = (int(values["year"]), values["check"], values["key"])
        if ident in seen:
            problems.append(f"{where}: {values['year']} {values['check']} [{values['key']}] is listed twice")
        seen.add(ident)
        out.append(Acknowledgement(int(values["year"]), values["check"], values["key"], values["note"],
                                   values["acknowledged_by"], values["acknowledged_at"]))
    if problems:
        raise AcknowledgementFileError("\n".join(problems))
    return out


def split(check: str, rows: list[dict[str, object]], acknowledged: list[Acknowledgement]
          ) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """(open rows, acknowledged rows with their note) of a warning check's failing rows."""
    notes = {(a.year, a.key): a.note for a in acknowledged if a.check == check}
    open_rows, acked = [], []
    for row in rows:
        year = row.get("year")
        note = notes.get((int(year), quality.warning_key(check, row))) if isinstance(year, int) else None
        if note is None:
            open_rows.append(row)
        else:
            acked.append({**row, "note": note})
    return open_rows, acked


KEY_PARTS = ("population", "measure", "question", "item", "target_group")


def build_table(con: duckdb.DuckDBPyConnection, acknowledged: list[Acknowledgement],
                target: str = "warehouse.acknowledgements") -> int:
    """`target`: one row per acknowledged warning (who acknowledged it stays in the data folder)."""
    ddl.create_table(con, "warehouse.acknowledgements", target)
    rows = []
    for a in sorted(acknowledged, key=lambda a: (a.year, a.check, a.key)):
        parts = dict(p.split("=", 1) for p in a.key.split(", "))
        rows.append((a.year, a.check, a.key, *(parts.get(k) for k in KEY_PARTS), a.note))
    if rows:
        ddl.insert_rows(con, target, rows)
    return len(rows)


@dataclass(frozen=True)
class WarningResult:
    open_rows: list[dict[str, object]]
    acknowledged: list[dict[str, object]]
    years: list[int] | None  # the years compared (None = every year)


def evaluate(con: duckdb.DuckDBPyConnection, check: str, acknowledged: list[Acknowledgement], *,
             recheck_published: bool) -> WarningResult:
    """A warning check as the asset check and `diff` both run it: draft years only unless asked,
    acknowledged rows set apart with their note."""
    years = None if recheck_published else quality.draft_years(con)
    open_rows, acked = split(check, quality.WARNING_RULES[check](con, years=years).rows, acknowledged)
    return WarningResult(open_rows, acked, years)
