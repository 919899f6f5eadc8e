"""Assets, layer by layer: raw -> validated -> warehouse -> publication.

Asset keys are the DuckDB `schema.table` they write (`publication/*` are the tables of
publication.duckdb); groups are the layers. The logic lives in the pure modules; these functions
only connect it to Dagster and report metadata (aggregates only, never person-level rows).
"""


from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from krise_pipeline import steps, validated
from krise_pipeline.defs.partitions import year_partitions
from krise_pipeline.defs.resources import KriseSettings
from krise_pipeline.editorial import gate as editorial_gate
from krise_pipeline.exports import public
from krise_pipeline.metadata import codebook, registry
from krise_pipeline.publication import publish
from krise_pipeline.warehouse import build

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


def table_metadata(con: duckdb.DuckDBPyConnection, table: str, *, preview: bool = False,
                   descriptions: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Row count, column schema (as the table has it; a column's description from its COMMENT or
    `descriptions`) and (aggregate tables only) a markdown preview of `schema.table`."""
    schema, name = table.split(".")
    columns = con.execute(
        "SELECT column_name, data_type, comment FROM duckdb_columns() "
        "WHERE schema_name = ? AND table_name = ? ORDER BY column_index", [schema, name]
    ).fetchall()
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    meta: dict[str, Any] = {
        "dagster/row_count": int(row[0]) if row else 0,
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name=c, type=t, description=d or (descriptions or {}).get(c))
                     for c, t, d in columns]
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


def column_schema(table: registry.Table) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(name=c.name, type=c.type, description=c.description)
                                   for c in table.columns])


def key(registry_key: str) -> dg.AssetKey:
    """The asset of a registry table: `schema.table` -> schema/table."""
    return dg.AssetKey(registry_key.split("."))


def declared(registry_key: str) -> dict[str, Any]:
    """What the registry says of a table's asset: key, group, deps, description, kinds, column schema."""
    table = registry.BY_KEY[registry_key]
    return {"key": key(table.key), "group_name": table.layer, "deps": [key(d) for d in table.deps],
            "description": table.asset_description, "kinds": table.all_kinds,
            "metadata": {"dagster/column_schema": column_schema(table)}}


def spec(table: registry.Table) -> dg.AssetSpec:
    return dg.AssetSpec(**declared(table.key))


def described(con: duckdb.DuckDBPyConnection, registry_key: str) -> dict[str, Any]:
    """table_metadata of a registry table: its columns described, a preview when the registry allows one."""
    table = registry.BY_KEY[registry_key]
    return table_metadata(con, registry_key, preview=table.preview,
                          descriptions={c.name: c.description for c in table.columns})


# --- raw -------------------------------------------------------------------------------------


@dg.asset(**declared("raw.delivery_files"), partitions_def=year_partitions, pool=POOL)
def raw_delivery_files(
    context: dg.AssetExecutionContext, settings: KriseSettings, warehouse_db: DuckDBResource
) -> dg.MaterializeResult:
    """A run may cover several years (the CLI loads every year in one run): one inventory each."""
    keys = context.partition_keys
    for key in keys:
        if not settings.year_dir(key).is_dir():  # a partition typed into the UI for a year nobody delivered
            context.instance.delete_dynamic_partition(year_partitions.name or "year", key)
            raise dg.Failure(allow_retries=False, description=f"there is no delivery folder {settings.year_dir(key)} "
                             f"for the year {key}; the partition {key} was removed again. Put the delivery in "
                             f"{settings.year_dir(key)}/ first: the year then appears by itself.")
    with _warehouse(settings, warehouse_db) as con:
        inventories = {key: steps.inventory_year(con, int(key), settings.year_dir(key)) for key in keys}
        meta = described(con, "raw.delivery_files")
    files = {name: sha for key in keys for name, sha in inventories[key][0].items()} if len(keys) == 1 else {
        f"{key}/{name}": sha for key in keys for name, sha in inventories[key][0].items()}
    return dg.MaterializeResult(metadata={
        **meta, "files": dg.MetadataValue.json(files),
        # per year: the sensor compares a year's folder with what was loaded from it
        "fingerprints": dg.MetadataValue.json({key: inventories[key][1] for key in keys})})


# --- validated -------------------------------------------------------------------------------

@dg.multi_asset(specs=[spec(t) for t in registry.in_layer("validated")], partitions_def=year_partitions, pool=POOL)
def validated_delivery(
    context: dg.AssetExecutionContext, settings: KriseSettings, warehouse_db: DuckDBResource
) -> Iterator[dg.MaterializeResult]:
    """Every problem of the delivery is collected; any problem stops the run before anything is
    written to the validated tables. The report names file, row or cell, column, rule and value."""
    years = [int(key) for key in context.partition_keys]  # one year, or every year of a CLI run
    with _warehouse(settings, warehouse_db) as con:
        reports = validated.load_deliveries(con, [(settings.year_dir(year), year) for year in years])
        failed = {settings.year_dir(year): report for year, report in reports.items() if report}
        if failed:
            raise _delivery_failure(context, failed)
        for table in registry.VALIDATED_TABLES:
            yield dg.MaterializeResult(asset_key=["validated", table], metadata=_year_rows(con, table, years))


def _delivery_failure(context: dg.AssetExecutionContext, failed: Mapping[Path, validated.Report]) -> dg.Failure:
    """The failure of deliveries with problems: every report as its description (what the CLI prints
    and the UI shows first), the summary per year, file and rule as a table in its metadata."""
    report = "\n\n".join(validated.format_with_summary(result, year_dir) for year_dir, result in failed.items())
    context.log.error(report)
    rows = [(year_dir.name, s.file, s.rule, s.column or "", f"{s.count:,}",
             "" if s.first is None else f"{s.first}-{s.last}" if s.first != s.last else str(s.first))
            for year_dir, result in failed.items() for s in result.summaries]
    by_rule: dict[str, int] = {}
    for result in failed.values():
        for name, count in validated.summarise(result.problems).items():
            by_rule[name] = by_rule.get(name, 0) + count
    return dg.Failure(
        description=report,
        metadata={"problems": sum(s.count for result in failed.values() for s in result.summaries),
                  "problems_by_rule": by_rule,
                  "years_with_problems": dg.MetadataValue.json(sorted(int(d.name) for d in failed)),
                  "summary": dg.MetadataValue.md(markdown_table(
                      ("year", "file", "rule", "column", "problems", "lines or rows"), rows))},
        allow_retries=False,
    )


def _year_rows(con: duckdb.DuckDBPyConnection, table: str, years: Sequence[int]) -> dict[str, Any]:
    meta = described(con, f"validated.{table}")
    counts = dict(con.execute(f"SELECT year, count(*) FROM validated.{table} WHERE year IN "
                              f"({', '.join(str(int(y)) for y in years)}) GROUP BY year").fetchall())
    meta["rows_in_year" if len(years) == 1 else "rows_by_year"] = (
        int(counts.get(years[0], 0)) if len(years) == 1
        else dg.MetadataValue.json({str(y): int(counts.get(y, 0)) for y in years}))
    return {**meta, "problems": 0}


# --- warehouse -------------------------------------------------------------------------------


@dg.asset(**declared("warehouse.years"), pool=POOL)
def years(context: dg.AssetExecutionContext, settings: KriseSettings, warehouse_db: DuckDBResource
          ) -> dg.MaterializeResult:
    with _warehouse(settings, warehouse_db) as con, _refusals(context):
        notices = steps.build_years(con, Path(settings.data_dir), settings.delivered_years())
        for text in notices:
            context.log.warning(text)
        return dg.MaterializeResult(metadata={**described(con, "warehouse.years"),
                                              "notices": _notices(notices)})


@dg.multi_asset(specs=[spec(t) for t in registry.built_by("warehouse.build.load_dimensions")], pool=POOL)
def reference_tables(
    settings: KriseSettings, warehouse_db: DuckDBResource
) -> Iterator[dg.MaterializeResult]:
    """The codebook, questions and the contract's expected cells as warehouse tables."""
    with _warehouse(settings, warehouse_db) as con:
        build.load_dimensions(con)
        for table in registry.built_by("warehouse.build.load_dimensions"):
            yield dg.MaterializeResult(asset_key=key(table.key), metadata={
                **described(con, table.key), "codebook_sha256": codebook.codebook_sha256()})


def sql_table(table: registry.Table) -> dg.AssetsDefinition:
    """A warehouse table computed by its SQL files alone: one asset per such registry entry."""

    @dg.asset(**declared(table.key), pool=POOL)
    def _table(settings: KriseSettings, warehouse_db: DuckDBResource) -> dg.MaterializeResult:
        with _warehouse(settings, warehouse_db) as con:
            build.build_sql_table(con, table.key)
            return dg.MaterializeResult(metadata=described(con, table.key))

    return _table


SQL_TABLES: Sequence[dg.AssetsDefinition] = [sql_table(t) for t in registry.sql_built()]


@dg.multi_asset(specs=[spec(t) for t in registry.built_by("warehouse.build.build_suppression")], pool=POOL)
def suppression_decisions(
    settings: KriseSettings, warehouse_db: DuckDBResource
) -> Iterator[dg.MaterializeResult]:
    """Primary (base < 20) and secondary suppression of the cells computed from person-level data."""
    with _warehouse(settings, warehouse_db) as con:
        suppressed = build.build_suppression(con)
        for table, n in zip(registry.built_by("warehouse.build.build_suppression"), suppressed, strict=True):
            yield dg.MaterializeResult(asset_key=key(table.key), metadata={
                **described(con, table.key), "suppressed_cells": n})


@dg.asset(**declared("warehouse.releases"), pool=POOL)
def releases(settings: KriseSettings, warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    with _warehouse(settings, warehouse_db) as con, _refusals():
        steps.build_release_table(con, settings.releases_csv, Path(settings.data_dir))
        return dg.MaterializeResult(metadata=described(con, "warehouse.releases"))


@dg.asset(**declared("warehouse.vintages"), pool=POOL)
def vintages(
    context: dg.AssetExecutionContext, settings: KriseSettings, warehouse_db: DuckDBResource
) -> dg.MaterializeResult:
    with _warehouse(settings, warehouse_db) as con, _refusals(context):
        done = steps.hold_against_ledger(con, Path(settings.data_dir), settings.publication_db)
        for text in done.loud:
            context.log.warning(text)
        return dg.MaterializeResult(metadata={
            **described(con, "warehouse.vintages"), "vintages": done.vintages,
            "ledger_years": dg.MetadataValue.json(done.ledger_years),
            "ledger_written": dg.MetadataValue.json([str(p) for p in done.written]),
            "notices": _notices([*done.loud, *done.notices])})


@dg.asset(**declared("warehouse.acknowledgements"), pool=POOL)
def acknowledgements(settings: KriseSettings, warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    with _warehouse(settings, warehouse_db) as con, _refusals():
        steps.build_acknowledgements(con, settings.acknowledgements_csv)
        return dg.MaterializeResult(metadata=described(con, "warehouse.acknowledgements"))


@dg.multi_asset(specs=[spec(t) for t in registry.built_by("editorial.gate.build")], pool=POOL)
def editorial_texts(
    context: dg.AssetExecutionContext, settings: KriseSettings, warehouse_db: DuckDBResource
) -> Iterator[dg.MaterializeResult]:
    with _warehouse(settings, warehouse_db) as con:
        n_texts, n_findings = editorial_gate.build(con, Path(settings.data_dir))
        blocking = editorial_gate.published_texts_hold(con)
        if not blocking.passed:
            context.log.error("Findings in texts of published years (run `krise-pipeline check-text`):\n"
                              + "\n".join(blocking.examples))
        texts = described(con, "warehouse.editorial_texts")
        findings = described(con, "warehouse.editorial_findings")
        rows = con.execute("SELECT year, file, line, claim, reason FROM warehouse.editorial_findings "
                           "ORDER BY ALL LIMIT 20").fetchall()
    findings["findings_preview"] = dg.MetadataValue.md(
        markdown_table(["year", "file", "line", "claim", "reason"], rows))
    yield dg.MaterializeResult(asset_key=key("warehouse.editorial_texts"),
                               metadata={**texts, "texts": n_texts, "findings": n_findings})
    yield dg.MaterializeResult(asset_key=key("warehouse.editorial_findings"), metadata=findings)


# --- publication -----------------------------------------------------------------------------

# the publication of each published table waits for its warehouse table; releases waits for the texts' gate too
PUBLICATION_DEPS = {t.name: [key(t.key)] for t in registry.TABLES if t.published and t.layer == "warehouse"}
PUBLICATION_DEPS["releases"].append(key("warehouse.editorial_texts"))


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["publication", table.name],
            group_name="publication",
            deps=PUBLICATION_DEPS.get(table.name, []),
            kinds={"duckdb"},
            description=f"publication.duckdb table `{table.name}`: {table.grain}. "
            f"{table.description} (Aggregates only; what downstream tools read.)",
            metadata={"dagster/column_schema": column_schema(table)},
        )
        for table in registry.PUBLISHED
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
    plus bistand.xlsx, one chart (png, svg, alt text) per question, the preview page index.html, and
    the open data folder data/ (one CSV and one Parquet file per published table, datapackage.json,
    one JSON-stat dataset per figure table), replaced as a whole.
    (It takes the warehouse resource for its lock only: one writer of the output folder at a time.)"""
    kinds = steps.write_exports(settings.publication_db, settings.exports_dir, Path(settings.data_dir))
    return dg.MaterializeResult(metadata={
        "files": sum(kinds.values()), "files_by_type": dg.MetadataValue.json(kinds),
        "preview": dg.MetadataValue.path(str(settings.exports_dir / "index.html")),
        "open_data": dg.MetadataValue.path(str(settings.exports_dir / "data")),
    })


@dg.asset(key=["exports", "public"], group_name="exports", deps=[downloads.key], kinds={"excel", "html", "svg"})
def public_files(settings: KriseSettings, warehouse_db: DuckDBResource) -> dg.MaterializeResult:
    """warehouse/public/, one folder for the public: the downloads, charts, open data and page of
    the years that are out (publisert or revidert, publishing time passed), from publication.duckdb
    only, swapped in as a whole. Rebuilt by every publish run and, at a year's publishing time, by
    the release_time schedule (job promote_public). (The warehouse resource: its lock only.)"""
    moment = public.releases.now()
    done = public.write_public(settings.publication_db, settings.warehouse_path, Path(settings.data_dir), moment)
    rows = [(y.year, y.status, y.local_time or "at once",
             "yes" if y.is_out(moment) else "waiting" if y.is_waiting(moment) else "no (draft)")
            for y in public.schedule(settings.publication_db)]
    return dg.MaterializeResult(metadata={
        "public_years": dg.MetadataValue.json(done.years),
        "files": done.files,
        "release_times": dg.MetadataValue.md(markdown_table(
            ("year", "status", "publiseres (Europe/Oslo)", "in public/"), rows)),
        "next_release": dg.MetadataValue.text("; ".join(public.goes_out(y, moment) for y in done.waiting)
                                              or "nothing is waiting"),
        "path": dg.MetadataValue.path(str(public.public_dir(settings.warehouse_path))),
        "notices": _notices(done.notices),
    })


ALL_ASSETS: Sequence[dg.AssetsDefinition] = (
    raw_delivery_files,
    validated_delivery,
    years,
    reference_tables,
    *SQL_TABLES,
    suppression_decisions,
    releases,
    editorial_texts,
    vintages,
    acknowledgements,
    publication,
    downloads,
    public_files,
)
