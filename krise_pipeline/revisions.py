"""Published figures are frozen: compare a new release with the current publication.

A year whose status is `publisert` may not change any published figure; a year marked `revidert`
may, and every changed figure is kept in the `vintages` table (old and new value, with the
release that changed it). Draft years (`utkast`) change freely.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

# table -> (key columns, figure columns) of the published figures that are frozen
FIGURES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "centre_offers": (("year", "question", "item", "target_group"), ("n_centres", "n_base")),
    "service_shares": (("year", "population", "measure", "breakdown", "category"), ("n_with", "n_base")),
    "user_counts": (("year", "population", "breakdown", "category"), ("n_records", "n_persons")),
}
SUPPRESSED = ".."

VINTAGES_DDL = """
CREATE TABLE IF NOT EXISTS {target} (
    release     TIMESTAMP NOT NULL,   -- built_at of the release that changed the figure
    year        INTEGER NOT NULL,
    table_name  VARCHAR NOT NULL,
    key         VARCHAR NOT NULL,     -- the figure's key columns, e.g. "population=dagsbesok, ..."
    figure      VARCHAR NOT NULL,     -- the column
    old_value   VARCHAR,              -- ".." = suppressed, NULL = not published before
    new_value   VARCHAR,              -- NULL = no longer published
    note        VARCHAR               -- the revision note from releases.csv
)
"""


@dataclass(frozen=True)
class Change:
    year: int
    table: str
    key: str
    figure: str
    old: str | None
    new: str | None

    def __str__(self) -> str:
        return f"{self.table} {self.year} [{self.key}] {self.figure}: {self.old} -> {self.new}"


def _value_sql(column: str) -> str:
    return f"CASE WHEN {column} IS NULL THEN '{SUPPRESSED}' ELSE CAST({column} AS VARCHAR) END"


def compare(con: duckdb.DuckDBPyConnection, publication: Path, years: list[int] | None = None) -> list[Change]:
    """Every published figure of `warehouse.*` (in `con`) that differs from the file `publication`.

    Only years present in the old publication are compared; `years` narrows them further.
    """
    if not publication.exists():
        return []
    con.execute(f"ATTACH '{publication}' AS old_pub (READ_ONLY)")
    try:
        changes: list[Change] = []
        for table, (keys, figures) in FIGURES.items():
            key_text = " || ', ' || ".join(f"'{k}=' || CAST({k} AS VARCHAR)" for k in keys if k != "year")
            old_years = "SELECT DISTINCT year FROM old_pub.main.releases"
            year_filter = f" AND year IN ({', '.join(map(str, years))})" if years else ""
            for figure in figures:
                rows = con.execute(f"""
                    WITH new AS (
                        SELECT year, {key_text} AS key, {_value_sql(figure)} AS value
                        FROM warehouse.{table} WHERE year IN ({old_years}){year_filter}
                    ),
                    old AS (
                        SELECT year, {key_text} AS key, {_value_sql(figure)} AS value
                        FROM old_pub.main.{table} WHERE TRUE{year_filter}
                    )
                    SELECT year, key, old.value, new.value
                    FROM old FULL OUTER JOIN new USING (year, key)
                    WHERE old.value IS DISTINCT FROM new.value
                    ORDER BY year, key
                """).fetchall()
                changes.extend(Change(int(y), table, str(k), figure, o, n) for y, k, o, n in rows)
        return changes
    finally:
        con.execute("DETACH old_pub")


def frozen_violations(changes: list[Change], statuses: dict[int, str]) -> list[Change]:
    """The changes to years whose status is `publisert`."""
    return [c for c in changes if statuses.get(c.year) == "publisert"]


def format_violations(violations: list[Change], limit: int = 200) -> str:
    lines = [f"{len(violations)} published figure(s) would change in year(s) marked 'publisert' "
             f"({', '.join(str(y) for y in sorted({v.year for v in violations}))}). Nothing was published.",
             "To publish a correction, mark the year 'revidert' with a note in releases.csv.",
             "table year [key] figure: old -> new"]
    lines += [f"  {v}" for v in violations[:limit]]
    if len(violations) > limit:
        lines.append(f"  ... and {len(violations) - limit} more")
    return "\n".join(lines)


def build_vintages(
    con: duckdb.DuckDBPyConnection,
    publication: Path,
    changes: list[Change],
    statuses: dict[int, str],
    notes: dict[int, str],
    release: object,
) -> int:
    """warehouse.vintages: the previous publication's vintages plus this release's revisions."""
    con.execute("CREATE SCHEMA IF NOT EXISTS warehouse")
    con.execute("DROP TABLE IF EXISTS warehouse.vintages")
    con.execute(VINTAGES_DDL.format(target="warehouse.vintages"))
    if publication.exists():
        con.execute(f"ATTACH '{publication}' AS old_pub (READ_ONLY)")
        try:
            has = con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'old_pub' "
                              "AND table_name = 'vintages'").fetchone()
            if has and has[0]:
                con.execute("INSERT INTO warehouse.vintages SELECT * FROM old_pub.main.vintages")
        finally:
            con.execute("DETACH old_pub")
    revised = [c for c in changes if statuses.get(c.year) == "revidert"]
    if revised:
        con.executemany(
            "INSERT INTO warehouse.vintages VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(release, c.year, c.table, c.key, c.figure, c.old, c.new, notes.get(c.year, "")) for c in revised],
        )
    row = con.execute("SELECT count(*) FROM warehouse.vintages").fetchone()
    return int(row[0]) if row else 0
