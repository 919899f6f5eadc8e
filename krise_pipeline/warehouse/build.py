"""Computations in the restricted warehouse (krise.duckdb): dimensions, aggregates, contract tables.

Each function takes an open DuckDB connection that holds the `validated` schema and writes one
or a few `warehouse.*` tables with the SQL files in krise_pipeline/sql. Suppression decisions are
made in Python (krise_pipeline.warehouse.suppression) on the small per-cell aggregates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

import duckdb

from krise_pipeline.metadata import codebook, contract, ddl, registry
from krise_pipeline.raw import deliveries
from krise_pipeline.warehouse import sql, suppression


class MissingDeliveryError(RuntimeError):
    """A published year's delivery folder is gone; the message names the year and what to do."""


def reconcile_years(
    con: duckdb.DuckDBPyConnection,
    delivered: list[int],
    statuses: dict[int, str],
    ledger_years: list[int],
    raw_dir: str = "raw",
) -> tuple[list[int], list[str]]:
    """Hold the loaded years against the delivery folders; writes `warehouse.years`.

    A published year (status `publisert`/`revidert`, or in the ledger) whose folder is gone stops
    the run (MissingDeliveryError, nothing changed). A draft year whose folder is gone is removed
    from the warehouse, so it leaves the publication. Returns (years kept, notices).
    """
    ddl.create_validated_tables(con, "validated")
    loaded = loaded_years(con)
    missing = [y for y in deliveries.published_years(statuses, ledger_years) if y not in delivered]
    if missing:
        raise MissingDeliveryError(deliveries.missing_delivery_message(missing, raw_dir))
    gone = [y for y in loaded if y not in delivered]
    notices = [f"{y}: raw/{y}/ is gone and the year was a draft (utkast): it is removed from the warehouse "
               "and the publication." for y in gone]
    if gone:
        con.execute("BEGIN")
        for table in (*(f"validated.{t}" for t in ddl.VALIDATED_TABLES), "raw.delivery_files"):
            if table.startswith("validated") or _exists(con, table):
                con.execute(f"DELETE FROM {table} WHERE year IN ({', '.join(map(str, gone))})")
        con.execute("COMMIT")
    kept = [y for y in loaded if y in delivered]
    ddl.create_table(con, "warehouse.years")
    if kept:
        ddl.insert_rows(con, "warehouse.years",
                             [(y, statuses.get(y, contract.DEFAULT_RELEASE_STATUS)) for y in kept])
    return kept, notices


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    row = con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
                      [schema, name]).fetchone()
    return bool(row and row[0])


def load_dimensions(con: duckdb.DuckDBPyConnection) -> None:
    """Questions, codebook, label changes and the expected cells of the shares and counts."""
    for table in registry.built_by("warehouse.build.load_dimensions"):
        ddl.create_table(con, table.key)
    ddl.insert_rows(con, "warehouse.questions", [(*(getattr(x, c) for c in codebook.QUESTION_COLUMNS), i)
                                                      for i, x in enumerate(codebook.questions())])
    item_order: dict[tuple[str, str], int] = {}
    for p in codebook.label_periods():
        item_order.setdefault((p.question, p.item), len(item_order))
    ddl.insert_rows(con, "warehouse.codebook",
                         [(p.question, p.item, p.label, p.valid_from, p.valid_to, item_order[(p.question, p.item)])
                          for p in codebook.label_periods()])
    ddl.insert_rows(con, "warehouse.derived_items", list(contract.DERIVED_LABELS.items()))
    ddl.insert_rows(con, "warehouse.label_changes",
                         [(c.year, c.question, c.item, c.old_label, c.new_label) for c in codebook.label_changes()])
    share_cells = [
        (population, breakdown, category, measure)
        for population, (_, help_columns) in contract.SHARE_POPULATIONS.items()
        for breakdown in contract.SHARE_BREAKDOWNS[population]
        for category in contract.BREAKDOWNS[breakdown]
        for measure in _measures(help_columns)
    ]
    ddl.insert_rows(con, "warehouse.share_cells", [(*cell, order) for order, cell in enumerate(share_cells)])
    record_population = {table: pop for pop, (table, _) in contract.SHARE_POPULATIONS.items()}
    count_cells = [
        (population, record_population[table], breakdown, category)
        for population, (table, _) in contract.COUNT_POPULATIONS.items()
        for breakdown in contract.COUNT_BREAKDOWNS
        for category in contract.BREAKDOWNS[breakdown]
    ]
    ddl.insert_rows(con, "warehouse.count_cells", [(*cell, order) for order, cell in enumerate(count_cells)])


def _measures(help_columns: tuple[str, ...]) -> list[str]:
    """The measures of a population in publication order: help columns plus the derived threat ones."""
    out: list[str] = []
    for column in help_columns:
        out.append(column)
        if column == "kartlegging_trusler_andre":
            out.extend(contract.DERIVED_MEASURES)
    return out


def build_sql_table(con: duckdb.DuckDBPyConnection, key: str) -> int:
    """Build the registry table `key` by running its SQL files in order; returns its row count."""
    build = registry.BY_KEY[key].build
    if not isinstance(build, registry.Sql):
        raise ValueError(f"{key} is not built by SQL files")
    for name in build.files:
        con.execute(sql.load(name))
    return _count(con, key)


def build_centre_offers(con: duckdb.DuckDBPyConnection) -> int:
    return build_sql_table(con, "warehouse.centre_offers")


def build_cell_aggregates(con: duckdb.DuckDBPyConnection) -> int:
    return build_sql_table(con, "warehouse.cell_aggregates")


def _suppression_rows(cells: Sequence[tuple[int, str, str, str, int]], breakdowns_of: Mapping[str, tuple[str, ...]]
                      ) -> list[tuple[int, str, str, str, bool]]:
    """One row per (year, population, breakdown, category) with its `suppressed` flag, from one row
    per cell with its base; in the order of (year, population), then of the cells."""
    groups: defaultdict[tuple[int, str], dict[tuple[str, str], int]] = defaultdict(dict)
    for year, population, breakdown, category, base in cells:
        groups[(year, population)][(breakdown, category)] = int(base)
    rows: list[tuple[int, str, str, str, bool]] = []
    for (year, population), bases in sorted(groups.items(), key=lambda group: group[0]):
        hidden = suppression.suppress(bases, breakdowns_of[population])
        rows.extend((year, population, b, c, (b, c) in hidden) for (b, c) in bases)
    return rows


def build_suppression(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """Decide primary and secondary suppression for the share and count cells."""
    share_cells = con.execute("""
        SELECT y.year, c.population, c.breakdown, c.category, coalesce(a.n_base, 0) AS base
        FROM warehouse.years AS y
        CROSS JOIN (SELECT DISTINCT population, breakdown, category FROM warehouse.share_cells) AS c
        LEFT JOIN warehouse.cell_aggregates AS a USING (year, population, breakdown, category)
    """).fetchall()
    share_rows = _suppression_rows(share_cells, dict(contract.SHARE_BREAKDOWNS))
    count_cells = con.execute("""
        SELECT y.year, c.population, c.breakdown, c.category, coalesce(a.n_records, 0) AS base
        FROM warehouse.years AS y
        CROSS JOIN warehouse.count_cells AS c
        LEFT JOIN warehouse.cell_aggregates AS a
          ON a.year = y.year AND a.population = c.record_population
         AND a.breakdown = c.breakdown AND a.category = c.category
    """).fetchall()
    count_rows = _suppression_rows(count_cells, {p: contract.COUNT_BREAKDOWNS for p in contract.COUNT_POPULATIONS})
    for key, rows in (("warehouse.share_suppression", share_rows), ("warehouse.count_suppression", count_rows)):
        ddl.create_table(con, key)
        ddl.insert_rows(con, key, rows)
    return sum(row[4] for row in share_rows), sum(row[4] for row in count_rows)


def build_service_shares(con: duckdb.DuckDBPyConnection) -> int:
    return build_sql_table(con, "warehouse.service_shares")


def build_user_counts(con: duckdb.DuckDBPyConnection) -> int:
    return build_sql_table(con, "warehouse.user_counts")


def loaded_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    return [int(y) for (y,) in con.execute(
        "SELECT DISTINCT year FROM validated.sentreskjema ORDER BY year").fetchall()]


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def build_releases(
    con: duckdb.DuckDBPyConnection,
    statuses: dict[int, tuple[str, str]],
    *,
    built_at: object,
    package_version: str,
    git_commit: str,
    codebook_sha256: str,
    texts: Mapping[int, str] | None = None,
    publish_times: Mapping[int, object] | None = None,
) -> int:
    """warehouse.releases: one row per loaded year with its status and the identity of its inputs.

    `statuses` maps year -> (status, note); a year not listed is a draft (utkast). The input
    identity comes from raw.delivery_files (the files of the year's delivery and their SHA-256);
    `texts` maps year -> the JSON {file: SHA-256} of its editorial texts ("{}" when none);
    `publish_times` maps year -> its publishing time (naive UTC; absent = at once).
    """
    rows: list[tuple[object, ...]] = []
    for year in loaded_years(con):
        files = con.execute(
            "SELECT file, sha256 FROM raw.delivery_files WHERE year = ? ORDER BY file", [year]
        ).fetchall()
        combined, listing = deliveries.input_identity((str(f), str(s)) for f, s in files)
        status, note = statuses.get(year, (contract.DEFAULT_RELEASE_STATUS, ""))
        rows.append((year, status, note, built_at, combined, listing, package_version, git_commit,
                     codebook_sha256, (texts or {}).get(year, "{}"), (publish_times or {}).get(year)))
    ddl.create_table(con, "warehouse.releases")
    ddl.insert_rows(con, "warehouse.releases", rows)
    return len(rows)
