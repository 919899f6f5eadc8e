"""Assets, layer by layer: raw -> validated -> warehouse -> publication.

Asset keys are the DuckDB `schema.table` they write (`publication/*` are the tables of
publication.duckdb); groups are the layers. The logic lives in the pure modules; these functions
only connect it to Dagster and report metadata (aggregates only, never person-level rows).
"""


from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from krise_pipeline import catalog, codebook, publish, sqlfiles, steps, validation, warehouse
from krise_pipeline.defs.partitions import year_partitions
from krise_pipeline.defs.resources import KriseSettings
from krise_pipeline.editorial import gate as editorial_gate

POOL = "krise_warehouse"  # one writer at a time on krise.duckdb


@contextmanager
def _warehouse(settings: KriseSettings, db: DuckDBResource) -> Iterator[duckdb.DuckDBPyConnection]:
    settings.warehouse_path.mkdir(parents=True, exist_ok=True)
    with db.get_connection() as con:
        settings.restrict_permissions()
        yield con


@contextmanager
def _refusals(context: dg.AssetExecutionContext | None = None) -> Iterator[None]:
    """A step's refusal becomes a Dagster failure with the whole report (no stack trace, no retry)."""
    try:
        yield
    except steps.StepRefused as exc:
        if context is not None:
            context.log.error(str(exc))
        raise dg.Failure(description=str(exc), allow_retries=False) from None


def _notices(notices: Sequence[str]) -> dg.MetadataValue:
    return dg.MetadataValue.md("\n".join(f"- {t}" for t in notices) or "none")


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
    year_dir = settings.year_dir(context.partition_key)
    if not year_dir.is_dir():  # a partition typed into the UI for a year nobody delivered
        context.instance.delete_dynamic_partition(year_partitions.name or "year", context.partition_key)
        raise dg.Failure(allow_retries=False, description=f"there is no delivery folder {year_dir} for the year "
                         f"{context.partition_key}; the partition {context.partition_key} was removed again. Put "
                         f"the delivery in {year_dir}/ first: the year then appears by itself.")
    with _warehouse(settings, warehouse_db) as con:
        files, fingerprint = steps.inventory_year(con, int(context.partition_key), year_dir)
        meta = table_metadata(con, "raw.delivery_files")
    return dg.MaterializeResult(metadata={**meta, "files": dg.MetadataValue.json(files),
                                          "fingerprint": dg.MetadataValue.text(fingerprint)})


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


@dg.asset(
    key=["warehouse", "years"],
    group_name="warehouse",
    deps=VALIDATED_KEYS,
    kinds={"duckdb"},
    pool=POOL,
)
def years(context: dg.AssetExecutionContext, settings: KriseSettings, warehouse_db: DuckDBResource
          ) -> dg.MaterializeResult:
    """The years this publication covers: one row per loaded year with a delivery folder (and its status).

    A published year whose delivery folder is gone stops the run; a draft year whose folder is gone
    is removed from the warehouse (and so from the publication), with a notice.
    """
    with _warehouse(settings, warehouse_db) as con, _refusals(context):
        notices = steps.build_years(con, Path(settings.data_dir), settings.delivered_years())
        for text in notices:
            context.log.warning(text)
        return dg.MaterializeResult(metadata={**table_metadata(con, "warehouse.years", preview=True),
                                              "notices": _notices(notices)})


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


def _sql_table(name: str, description: str, deps: Sequence[dg.AssetKey],
               build: Callable[[duckdb.DuckDBPyConnection], int], *, preview: bool = True) -> dg.AssetsDefinition:
    """A warehouse table computed by its SQL file (`warehouse.build_<name>`): the same asset every time."""

    @dg.asset(key=["warehouse", name], group_name="warehouse", deps=deps, kinds={"duckdb", "sql"}, pool=POOL,
              description=description)
    def _table(settings: KriseSettings, warehouse_db: DuckDBResource) -> dg.MaterializeResult:
        with _warehouse(settings, warehouse_db) as con:
            build(con)
            return dg.MaterializeResult(metadata=table_metadata(con, f"warehouse.{name}", preview=preview))

    return _table


centre_offers = _sql_table(
    "centre_offers", "Centre counts: one row per year, question, item (plus minst_ett and organisering) and "
    "target group.",
    [*SURVEY_KEYS, *(dg.AssetKey(["warehouse", t]) for t in ("years", "codebook", "questions", "derived_items"))],
    warehouse.build_centre_offers)
cell_aggregates = _sql_table(
    "cell_aggregates", "Unsuppressed counts: one row per year, population, breakdown and category (restricted).",
    [*RECORD_KEYS, SURVEY_KEYS[0], dg.AssetKey(["warehouse", "years"])], warehouse.build_cell_aggregates,
    preview=False)


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


service_shares = _sql_table(
    "service_shares", "Shares of stays and visits: one row per year, population, measure, breakdown and category.",
    [cell_aggregates.key, dg.AssetKey(["warehouse", "share_suppression"]), dg.AssetKey(["warehouse", "share_cells"])],
    warehouse.build_service_shares)
user_counts = _sql_table(
    "user_counts", "Counts of stays, visits and persons: one row per year, population, breakdown and category.",
    [cell_aggregates.key, dg.AssetKey(["warehouse", "count_suppression"]), dg.AssetKey(["warehouse", "count_cells"])],
    warehouse.build_user_counts)


@dg.asset(
    key=["warehouse", "releases"],
    group_name="warehouse",
    deps=[raw_delivery_files.key, SURVEY_KEYS[0], dg.AssetKey(["warehouse", "years"])],
    kinds={"duckdb"},
    pool=POOL,
)
def releases(settings: KriseSettings, warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    """Release status and identity: one row per loaded year (status from releases.csv, input
    SHA-256, package version, git commit, codebook version, build time)."""
    with _warehouse(settings, warehouse_db) as con, _refusals():
        steps.build_release_table(con, settings.releases_csv, Path(settings.data_dir))
        return dg.MaterializeResult(metadata=table_metadata(con, "warehouse.releases", preview=True))


@dg.asset(
    key=["warehouse", "vintages"],
    group_name="warehouse",
    deps=[centre_offers.key, service_shares.key, user_counts.key, releases.key],
    kinds={"duckdb"},
    pool=POOL,
)
def vintages(
    context: dg.AssetExecutionContext, settings: KriseSettings, warehouse_db: DuckDBResource
) -> dg.MaterializeResult:
    """Revisions of published figures: one row per revised figure and release (old and new value).

    Holds the figures of this run against the release ledger in the data folder (`ledger/<year>/`).
    A `publisert` year is frozen: any change stops the run with the list of changed figures, and
    nothing is published. A `revidert` year with a new note records a revision in the ledger. The
    table is rebuilt from the ledger, so a wiped warehouse gives the same vintages.
    """
    with _warehouse(settings, warehouse_db) as con, _refusals(context):
        done = steps.hold_against_ledger(con, Path(settings.data_dir), settings.publication_db)
        for text in done.loud:
            context.log.warning(text)
        return dg.MaterializeResult(metadata={
            **table_metadata(con, "warehouse.vintages", preview=True), "vintages": done.vintages,
            "ledger_years": dg.MetadataValue.json(done.ledger_years),
            "ledger_written": dg.MetadataValue.json([str(p) for p in done.written]),
            "notices": _notices([*done.loud, *done.notices])})


@dg.asset(
    key=["warehouse", "acknowledgements"],
    group_name="warehouse",
    kinds={"duckdb"},
    pool=POOL,
)
def acknowledgements(settings: KriseSettings, warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    """Acknowledged warnings: one row per year, warning check and key found real, with its note
    (from acknowledgements.csv in the data folder)."""
    with _warehouse(settings, warehouse_db) as con, _refusals():
        steps.build_acknowledgements(con, settings.acknowledgements_csv)
        return dg.MaterializeResult(metadata=table_metadata(con, "warehouse.acknowledgements", preview=True))


@dg.asset(
    key=["warehouse", "editorial_texts"],
    group_name="warehouse",
    deps=[centre_offers.key, service_shares.key, user_counts.key, releases.key,
          dg.AssetKey(["warehouse", "label_changes"]), dg.AssetKey(["warehouse", "questions"])],
    kinds={"duckdb", "markdown"},
    pool=POOL,
)
def editorial_texts(
    context: dg.AssetExecutionContext, settings: KriseSettings, warehouse_db: DuckDBResource
) -> dg.MaterializeResult:
    """The editors' texts (data/tekster/<year>/<question>.md): one row per text with its SHA-256 and
    the number of figure claims the figures about to be published do not bear out (the findings
    are in warehouse.editorial_findings). A published or revised year with a finding is blocked."""
    with _warehouse(settings, warehouse_db) as con:
        n_texts, n_findings = editorial_gate.build(con, Path(settings.data_dir))
        blocking = editorial_gate.published_texts_hold(con)
        if not blocking.passed:
            context.log.error("Findings in texts of published years (run `krise-pipeline check-text`):\n"
                              + "\n".join(blocking.examples))
        meta = table_metadata(con, "warehouse.editorial_texts", preview=True)
        rows = con.execute("SELECT year, file, line, claim, reason FROM warehouse.editorial_findings "
                           "ORDER BY ALL LIMIT 20").fetchall()
    meta["texts"] = n_texts
    meta["findings"] = n_findings
    meta["findings_preview"] = dg.MetadataValue.md(markdown_table(["year", "file", "line", "claim", "reason"], rows))
    return dg.MaterializeResult(metadata=meta)


# --- publication -----------------------------------------------------------------------------

PUBLICATION_DEPS = {
    "centre_offers": [centre_offers.key],
    "service_shares": [service_shares.key],
    "user_counts": [user_counts.key],
    "questions": [dg.AssetKey(["warehouse", "questions"])],
    "label_changes": [dg.AssetKey(["warehouse", "label_changes"])],
    "releases": [releases.key, editorial_texts.key],
    "vintages": [vintages.key],
    "acknowledgements": [acknowledgements.key],
    "codes": [],
}


def column_schema(table: catalog.Table) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(name=c.name, type=c.type, description=c.description)
                                   for c in table.columns])


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["publication", table],
            group_name="publication",
            deps=PUBLICATION_DEPS[table],
            kinds={"duckdb"},
            description=f"publication.duckdb table `{table}`: {catalog.BY_NAME[table].grain}. "
            f"{catalog.BY_NAME[table].description} (Aggregates only; what downstream tools read.)",
            metadata={"dagster/column_schema": column_schema(catalog.BY_NAME[table])},
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
def downloads(settings: KriseSettings, warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    """Reader-facing files generated from publication.duckdb only: one Excel download per question
    plus bistand.xlsx, one chart (png, svg, alt text) per question, and the preview page index.html.
    (It takes the warehouse resource for its lock only: one writer of the output folder at a time.)"""
    kinds = steps.write_exports(settings.publication_db, settings.exports_dir, Path(settings.data_dir))
    return dg.MaterializeResult(metadata={
        "files": sum(kinds.values()), "files_by_type": dg.MetadataValue.json(kinds),
        "preview": dg.MetadataValue.path(str(settings.exports_dir / "index.html")),
    })


ALL_ASSETS: Sequence[dg.AssetsDefinition] = (
    raw_delivery_files,
    validated_delivery,
    years,
    reference_tables,
    centre_offers,
    cell_aggregates,
    suppression_decisions,
    service_shares,
    user_counts,
    releases,
    editorial_texts,
    vintages,
    acknowledgements,
    publication,
    downloads,
)
