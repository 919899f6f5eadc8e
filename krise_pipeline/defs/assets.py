"""Assets, layer by layer: raw -> validated -> warehouse -> publication.

Asset keys are the DuckDB `schema.table` they write (`publication/*` are the tables of
publication.duckdb); groups are the layers. The logic lives in the pure modules; these functions
only connect it to Dagster and report metadata (aggregates only, never person-level rows).
"""


from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from krise_pipeline import codebook, exports, publish, releases, revisions, sqlfiles, validation, warehouse
from krise_pipeline.defs.partitions import year_partitions
from krise_pipeline.defs.resources import KriseSettings

POOL = "krise_warehouse"  # one writer at a time on krise.duckdb


@contextmanager
def _warehouse(settings: KriseSettings, db: DuckDBResource) -> Iterator[duckdb.DuckDBPyConnection]:
    settings.warehouse_path.mkdir(parents=True, exist_ok=True)
    with db.get_connection() as con:
        settings.restrict_permissions()
        yield con


def table_metadata(con: duckdb.DuckDBPyConnection, table: str, *, preview: bool = False) -> dict[str, Any]:
    """Row count, column schema and (aggregate tables only) a markdown preview of `schema.table`."""
    schema, name = table.split(".")
    columns = con.execute(
        "SELECT column_name, data_type, comment FROM duckdb_columns() "
        "WHERE schema_name = ? AND table_name = ? ORDER BY column_index", [schema, name]
    ).fetchall()
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    meta: dict[str, Any] = {
        "dagster/row_count": int(row[0]) if row else 0,
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name=c, type=t, description=d or None) for c, t, d in columns]
        ),
        "table": dg.MetadataValue.text(table),
    }
    if preview:
        cursor = con.execute(f"SELECT * FROM {table} LIMIT 20")
        meta["preview"] = dg.MetadataValue.md(markdown_table(
            [d[0] for d in cursor.description or []], cursor.fetchall()))
    return meta


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def cell(v: object) -> str:
        return "" if v is None else str(v).replace("|", "\\|")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)


# --- raw -------------------------------------------------------------------------------------


@dg.asset(
    key=["raw", "delivery_files"],
    group_name="raw",
    partitions_def=year_partitions,
    kinds={"duckdb", "file"},
    pool=POOL,
)
def raw_delivery_files(
    context: dg.AssetExecutionContext, settings: KriseSettings, warehouse_db: DuckDBResource
) -> dg.MaterializeResult:
    """The files of a year's delivery folder: one row per year and delivered file (name, bytes, SHA-256).

    Records exactly what was received, for the lineage of each release.
    """
    year = int(context.partition_key)
    year_dir = settings.year_dir(year)
    rows = [
        (year, p.name, p.stat().st_size, releases.sha256_file(p))
        for p in sorted(year_dir.iterdir()) if p.is_file()
    ] if year_dir.is_dir() else []
    with _warehouse(settings, warehouse_db) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS raw")
        con.execute(
            "CREATE TABLE IF NOT EXISTS raw.delivery_files "
            "(year INTEGER, file VARCHAR, bytes BIGINT, sha256 VARCHAR)"
        )
        con.execute("BEGIN")
        con.execute("DELETE FROM raw.delivery_files WHERE year = ?", [year])
        if rows:
            con.executemany("INSERT INTO raw.delivery_files VALUES (?, ?, ?, ?)", rows)
        con.execute("COMMIT")
        meta = table_metadata(con, "raw.delivery_files")
    meta["files"] = dg.MetadataValue.json({name: sha for _, name, _, sha in rows})
    return dg.MaterializeResult(metadata=meta)


# --- validated -------------------------------------------------------------------------------

VALIDATED_DESCRIPTIONS = {
    "sentreskjema": "The centre survey: one row per reporting centre and year.",
    "senter_svar": "The survey answers: one row per centre, year, question, item and target group.",
    "beboere_opphold": "Adult stays: one row per stay of an adult resident overlapping the year (restricted).",
    "barn_opphold": "Children's stays: one row per stay of a child overlapping the year (restricted).",
    "dagsbesok": "Day visits: one row per visit in the year (restricted).",
}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["validated", table],
            group_name="validated",
            deps=[raw_delivery_files.key],
            description=VALIDATED_DESCRIPTIONS[table],
            kinds={"duckdb", "pandera"},
        )
        for table in sqlfiles.VALIDATED_TABLES
    ],
    partitions_def=year_partitions,
    pool=POOL,
)
def validated_delivery(
    context: dg.AssetExecutionContext, settings: KriseSettings, warehouse_db: DuckDBResource
) -> Iterator[dg.MaterializeResult]:
    """Read and validate one year's delivery (pandera per file, cross-file rules in SQL).

    Every problem of the delivery is collected; any problem stops the run before anything is
    written to the validated tables. The report names file, row or cell, column, rule and value.
    """
    year = int(context.partition_key)
    with _warehouse(settings, warehouse_db) as con:
        result = validation.stage_delivery(con, settings.year_dir(year), year)
        if result:
            report = validation.format_with_summary(result, settings.year_dir(year))
            context.log.error(report)
            raise dg.Failure(
                description=report,
                metadata={"problems": sum(s.count for s in result.summaries),
                          "problems_by_rule": validation.summarise(result.problems)},
                allow_retries=False,
            )
        warehouse.promote_year(con, validation.staging_schema(year), year)
        for table in sqlfiles.VALIDATED_TABLES:
            meta = table_metadata(con, f"validated.{table}")
            row = con.execute(f"SELECT count(*) FROM validated.{table} WHERE year = ?", [year]).fetchone()
            meta["rows_in_year"] = int(row[0]) if row else 0
            meta["problems"] = 0
            yield dg.MaterializeResult(asset_key=["validated", table], metadata=meta)


VALIDATED_KEYS = [dg.AssetKey(["validated", t]) for t in sqlfiles.VALIDATED_TABLES]
SURVEY_KEYS = [dg.AssetKey(["validated", "sentreskjema"]), dg.AssetKey(["validated", "senter_svar"])]
RECORD_KEYS = [dg.AssetKey(["validated", t]) for t in ("beboere_opphold", "barn_opphold", "dagsbesok")]


# --- warehouse -------------------------------------------------------------------------------


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["warehouse", "questions"], group_name="warehouse", kinds={"duckdb"},
                     description="One row per question (= published chart), from questions.csv."),
        dg.AssetSpec(["warehouse", "codebook"], group_name="warehouse", kinds={"duckdb"},
                     description="One row per item and label period, from codebook.csv."),
        dg.AssetSpec(["warehouse", "derived_items"], group_name="warehouse", kinds={"duckdb"},
                     description="One row per derived item (minst_ett, organisering) with its label."),
        dg.AssetSpec(["warehouse", "label_changes"], group_name="warehouse", kinds={"duckdb"},
                     description="One row per label change or new item in the codebook."),
        dg.AssetSpec(["warehouse", "share_cells"], group_name="warehouse", kinds={"duckdb"},
                     description="One row per expected cell and measure of service_shares."),
        dg.AssetSpec(["warehouse", "count_cells"], group_name="warehouse", kinds={"duckdb"},
                     description="One row per expected cell of user_counts."),
    ],
    pool=POOL,
)
def reference_tables(
    settings: KriseSettings, warehouse_db: DuckDBResource
) -> Iterator[dg.MaterializeResult]:
    """The codebook, questions and the contract's expected cells as warehouse tables."""
    with _warehouse(settings, warehouse_db) as con:
        warehouse.load_dimensions(con)
        for name in ("questions", "codebook", "derived_items", "label_changes", "share_cells", "count_cells"):
            yield dg.MaterializeResult(
                asset_key=["warehouse", name],
                metadata={**table_metadata(con, f"warehouse.{name}", preview=name == "label_changes"),
                          "codebook_sha256": codebook.codebook_sha256()},
            )


@dg.asset(
    key=["warehouse", "centre_offers"],
    group_name="warehouse",
    deps=[*SURVEY_KEYS, *(dg.AssetKey(["warehouse", t]) for t in ("codebook", "questions", "derived_items"))],
    kinds={"duckdb", "sql"},
    pool=POOL,
)
def centre_offers(settings: KriseSettings, warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    """Centre counts: one row per year, question, item (plus minst_ett and organisering) and target group."""
    with _warehouse(settings, warehouse_db) as con:
        warehouse.build_centre_offers(con)
        return dg.MaterializeResult(metadata=table_metadata(con, "warehouse.centre_offers", preview=True))


@dg.asset(
    key=["warehouse", "cell_aggregates"],
    group_name="warehouse",
    deps=[*RECORD_KEYS, SURVEY_KEYS[0]],
    kinds={"duckdb", "sql"},
    pool=POOL,
)
def cell_aggregates(settings: KriseSettings, warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    """Unsuppressed counts: one row per year, population, breakdown and category (restricted)."""
    with _warehouse(settings, warehouse_db) as con:
        warehouse.build_cell_aggregates(con)
        return dg.MaterializeResult(metadata=table_metadata(con, "warehouse.cell_aggregates"))


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["warehouse", "share_suppression"], group_name="warehouse", kinds={"duckdb"},
                     deps=[cell_aggregates.key, dg.AssetKey(["warehouse", "share_cells"])],
                     description="One row per year, population, breakdown and category: suppressed or not."),
        dg.AssetSpec(["warehouse", "count_suppression"], group_name="warehouse", kinds={"duckdb"},
                     deps=[cell_aggregates.key, dg.AssetKey(["warehouse", "count_cells"])],
                     description="One row per year, count population, breakdown and category: suppressed or not."),
    ],
    pool=POOL,
)
def suppression_decisions(
    settings: KriseSettings, warehouse_db: DuckDBResource
) -> Iterator[dg.MaterializeResult]:
    """Primary (base < 20) and secondary suppression of the cells computed from person-level data."""
    with _warehouse(settings, warehouse_db) as con:
        n_shares, n_counts = warehouse.build_suppression(con)
        yield dg.MaterializeResult(asset_key=["warehouse", "share_suppression"], metadata={
            **table_metadata(con, "warehouse.share_suppression"), "suppressed_cells": n_shares})
        yield dg.MaterializeResult(asset_key=["warehouse", "count_suppression"], metadata={
            **table_metadata(con, "warehouse.count_suppression"), "suppressed_cells": n_counts})


@dg.asset(
    key=["warehouse", "service_shares"],
    group_name="warehouse",
    deps=[cell_aggregates.key, dg.AssetKey(["warehouse", "share_suppression"]),
          dg.AssetKey(["warehouse", "share_cells"])],
    kinds={"duckdb", "sql"},
    pool=POOL,
)
def service_shares(settings: KriseSettings, warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    """Shares of stays and visits: one row per year, population, measure, breakdown and category."""
    with _warehouse(settings, warehouse_db) as con:
        warehouse.build_service_shares(con)
        return dg.MaterializeResult(metadata=table_metadata(con, "warehouse.service_shares", preview=True))


@dg.asset(
    key=["warehouse", "user_counts"],
    group_name="warehouse",
    deps=[cell_aggregates.key, dg.AssetKey(["warehouse", "count_suppression"]),
          dg.AssetKey(["warehouse", "count_cells"])],
    kinds={"duckdb", "sql"},
    pool=POOL,
)
def user_counts(settings: KriseSettings, warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    """Counts of stays, visits and persons: one row per year, population, breakdown and category."""
    with _warehouse(settings, warehouse_db) as con:
        warehouse.build_user_counts(con)
        return dg.MaterializeResult(metadata=table_metadata(con, "warehouse.user_counts", preview=True))


@dg.asset(
    key=["warehouse", "releases"],
    group_name="warehouse",
    deps=[raw_delivery_files.key, SURVEY_KEYS[0]],
    kinds={"duckdb"},
    pool=POOL,
)
def release_table(settings: KriseSettings, warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    """Release status and identity: one row per loaded year (status from releases.csv, input
    SHA-256, package version, git commit, codebook version, build time)."""
    try:
        statuses = releases.read_releases(settings.releases_csv)
    except releases.ReleaseFileError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    with _warehouse(settings, warehouse_db) as con:
        warehouse.build_releases(
            con,
            {y: (r.status, r.note) for y, r in statuses.items()},
            built_at=releases.build_time(),
            package_version=releases.package_version(),
            git_commit=releases.git_commit(),
            codebook_sha256=codebook.codebook_sha256(),
        )
        return dg.MaterializeResult(metadata=table_metadata(con, "warehouse.releases", preview=True))


@dg.asset(
    key=["warehouse", "vintages"],
    group_name="warehouse",
    deps=[centre_offers.key, service_shares.key, user_counts.key, release_table.key],
    kinds={"duckdb"},
    pool=POOL,
)
def vintages(
    context: dg.AssetExecutionContext, settings: KriseSettings, warehouse_db: DuckDBResource
) -> dg.MaterializeResult:
    """Revisions of published figures: one row per revised figure and release (old and new value).

    Compares the new figures with the current publication.duckdb. A year marked `publisert` is
    frozen: any change stops the run with the list of changed figures, and nothing is published.
    A year marked `revidert` may change; its changes are added to the vintages kept so far.
    """
    with _warehouse(settings, warehouse_db) as con:
        rows = con.execute("SELECT year, status, note, built_at FROM warehouse.releases").fetchall()
        statuses = {int(y): str(s) for y, s, _, _ in rows}
        notes = {int(y): str(n or "") for y, _, n, _ in rows}
        built_at = max((b for *_, b in rows), default=None)
        changes = revisions.compare(con, settings.publication_db)
        violations = revisions.frozen_violations(changes, statuses)
        if violations:
            report = revisions.format_violations(violations)
            context.log.error(report)
            raise dg.Failure(description=report, metadata={"changed_figures": len(violations)},
                             allow_retries=False)
        total = revisions.build_vintages(con, settings.publication_db, changes, statuses, notes, built_at)
        meta = table_metadata(con, "warehouse.vintages", preview=True)
        meta["changes_vs_publication"] = len(changes)
        meta["vintages"] = total
        return dg.MaterializeResult(metadata=meta)


# --- publication -----------------------------------------------------------------------------

PUBLICATION_GRAIN = {
    "centre_offers": "one row per year, question, item and target group",
    "service_shares": "one row per year, population, measure, breakdown and category",
    "user_counts": "one row per year, population, breakdown and category",
    "questions": "one row per question (= published chart)",
    "label_changes": "one row per label change or new item",
    "releases": "one row per published year",
    "vintages": "one row per revised figure and release",
}

PUBLICATION_DEPS = {
    "centre_offers": [centre_offers.key],
    "service_shares": [service_shares.key],
    "user_counts": [user_counts.key],
    "questions": [dg.AssetKey(["warehouse", "questions"])],
    "label_changes": [dg.AssetKey(["warehouse", "label_changes"])],
    "releases": [release_table.key],
    "vintages": [vintages.key],
}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["publication", table],
            group_name="publication",
            deps=PUBLICATION_DEPS[table],
            kinds={"duckdb"},
            description=f"publication.duckdb table `{table}`: {PUBLICATION_GRAIN[table]} "
            "(aggregates only; what downstream tools read).",
        )
        for table in publish.PUBLISHED_QUERIES
    ],
    pool=POOL,
)
def publication(settings: KriseSettings, warehouse_db: DuckDBResource) -> Iterator[dg.MaterializeResult]:
    """publication.duckdb: the contract's tables, written as a new file and swapped in atomically."""
    with _warehouse(settings, warehouse_db) as con:
        path = publish.publish(con, settings.warehouse_path)
    with duckdb.connect(str(path), read_only=True) as pub:
        for table in publish.PUBLISHED_QUERIES:
            meta = table_metadata(pub, f"main.{table}", preview=True)
            meta["path"] = dg.MetadataValue.path(str(path))
            yield dg.MaterializeResult(asset_key=["publication", table], metadata=meta)


# --- exports ---------------------------------------------------------------------------------


@dg.asset(
    key=["exports", "downloads"],
    group_name="exports",
    deps=[dg.AssetKey(["publication", t]) for t in publish.PUBLISHED_QUERIES],
    kinds={"excel", "html", "svg"},
)
def export_files(settings: KriseSettings) -> dg.MaterializeResult:
    """Reader-facing files generated from publication.duckdb only: one Excel download per question
    plus bistand.xlsx, one chart (png, svg, alt text) per question, and the preview page index.html."""
    for stale in settings.exports_dir.rglob(".*.tmp"):  # left by a killed run
        stale.unlink()
    paths = exports.write_exports(settings.publication_db, settings.exports_dir)
    publish.make_public(settings.exports_dir)
    kinds: dict[str, int] = {}
    for p in paths:
        kinds[p.suffix] = kinds.get(p.suffix, 0) + 1
    return dg.MaterializeResult(metadata={
        "files": len(paths),
        "files_by_type": dg.MetadataValue.json(kinds),
        "preview": dg.MetadataValue.path(str(exports.preview_path(settings.warehouse_path))),
    })


ALL_ASSETS: Sequence[dg.AssetsDefinition] = (
    raw_delivery_files,
    validated_delivery,
    reference_tables,
    centre_offers,
    cell_aggregates,
    suppression_decisions,
    service_shares,
    user_counts,
    release_table,
    vintages,
    publication,
    export_files,
)
