"""Asset checks: blocking rules between tables (they stop the publication) and warnings
comparing each year with the one before."""

from collections.abc import Callable, Iterator, Sequence

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from krise_pipeline.defs.resources import KriseSettings
from krise_pipeline.editorial import gate as editorial_gate
from krise_pipeline.publication import acknowledgements
from krise_pipeline.warehouse import quality

Rule = Callable[[duckdb.DuckDBPyConnection], quality.Finding]


def examples_table(rows: Sequence[dict[str, object]], limit: int = 20) -> dg.TableMetadataValue:
    """Failing rows as a labelled table (aggregate keys and figures only, never person-level values)."""
    names = list(dict.fromkeys(k for r in rows[:limit] for k in r))

    def plain(v: object) -> str | int | float | bool | None:
        return v if v is None or isinstance(v, str | int | float | bool) else str(v)

    return dg.MetadataValue.table(
        records=[dg.TableRecord(data={k: plain(r.get(k)) for k in names}) for r in rows[:limit]],
        schema=dg.TableSchema(columns=[dg.TableColumn(name=n) for n in names]),
    )


def _blocking_result(key: dg.AssetKey, name: str, finding: quality.Finding) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=key, check_name=name, passed=finding.passed, severity=dg.AssetCheckSeverity.ERROR,
        metadata={"failures": finding.failures, "examples": examples_table(finding.rows)},
    )


def _warning_result(key: dg.AssetKey, name: str, result: acknowledgements.WarningResult) -> dg.AssetCheckResult:
    compared = "all" if result.years is None else ", ".join(map(str, result.years)) or "none (all published)"
    return dg.AssetCheckResult(
        asset_key=key, check_name=name, passed=not result.open_rows, severity=dg.AssetCheckSeverity.WARN,
        metadata={"failures": len(result.open_rows), "examples": examples_table(result.open_rows),
                  "acknowledged": examples_table(result.acknowledged),
                  "years_compared": dg.MetadataValue.text(compared)},
    )


WARNING_NOTE = (" Compares the years not yet published (all years when KRISE_RECHECK_PUBLISHED=1); an "
                "acknowledgement in acknowledgements.csv passes a checked change.")


def checks_of(asset: str, blocking: Sequence[tuple[str, Rule, str]],
              warnings: Sequence[tuple[str, str]]) -> dg.AssetChecksDefinition:
    """Every check of one asset, evaluated in one step (one connection): the blocking ones stop what
    depends on the asset, the warnings are reported."""
    key = dg.AssetKey(asset.split("/"))
    specs = [dg.AssetCheckSpec(name, asset=key, description=description, blocking=True)
             for name, _, description in blocking]
    specs += [dg.AssetCheckSpec(name, asset=key, description=description + WARNING_NOTE, blocking=False)
              for name, description in warnings]

    @dg.multi_asset_check(specs=specs, name=f"checks_{key.path[-1]}")
    def _run(settings: KriseSettings, warehouse_db: DuckDBResource) -> Iterator[dg.AssetCheckResult]:
        acknowledged = None
        if warnings:
            try:
                acknowledged = acknowledgements.read(settings.acknowledgements_csv)
            except acknowledgements.AcknowledgementFileError as exc:
                raise dg.Failure(description=str(exc), allow_retries=False) from None
        with warehouse_db.get_connection() as con:
            results = [_blocking_result(key, name, rule(con)) for name, rule, _ in blocking]
            results += [_warning_result(key, name, acknowledgements.evaluate(
                con, name, acknowledged or [], recheck_published=settings.recheck_published))
                for name, _ in warnings]
        yield from results

    return _run


def _for_table(rule: Callable[[duckdb.DuckDBPyConnection, str], quality.Finding], table: str) -> Rule:
    return lambda con: rule(con, table)


BLOCKING: Sequence[tuple[str, str, Rule, str]] = (
    ("warehouse/cell_aggregates", "records_reference_surveyed_centres",
     quality.records_reference_surveyed_centres,
     "Every senter_id in the user files is in the survey of the same year."),
    ("warehouse/centre_offers", "centre_counts_within_base", quality.centre_counts_within_base,
     "0 <= n_centres <= n_base; share within 0..1, NULL only when the base is 0."),
    ("warehouse/service_shares", "shares_within_unit_interval", quality.shares_within_unit_interval,
     "Every share within 0..1 and n_with <= n_base."),
    ("warehouse/service_shares", "threat_total_identity", quality.threat_total_identity,
     "kartlegging_trusler_totalt = senter + andre - begge in every published cell."),
    *(
        (f"warehouse/{t}", "no_small_published_cells", _for_table(quality.no_small_published_cells, t),
         "No published cell has a base below 20, and suppressed cells show no numbers.")
        for t in ("service_shares", "user_counts")
    ),
    *(
        (f"warehouse/{t}", "secondary_suppression_holds", _for_table(quality.secondary_suppression_holds, t),
         "No suppressed cell can be recomputed from the published cells of its year and population.")
        for t in ("service_shares", "user_counts")
    ),
    *(
        (f"warehouse/{t}", "no_identifier_columns",
         _for_table(quality.no_identifier_columns, f"warehouse.{t}"),
         "No person or record identifier column in a table that is published.")
        for t in ("centre_offers", "service_shares", "user_counts", "releases")
    ),
    ("warehouse/editorial_texts", "published_texts_hold", editorial_gate.published_texts_hold,
     "No figure claim of an editorial text contradicts the figures of a year marked publisert or revidert."),
)

WARNINGS: Sequence[tuple[str, str, str]] = (
    ("warehouse/service_shares", "share_moves_over_10_points",
     "A share (breakdown alle) moved more than 10 percentage points from the previous year."),
    ("warehouse/centre_offers", "centre_count_moves_over_5",
     "A centre count changed by more than 5 from the previous year."),
    ("warehouse/user_counts", "population_moves_over_30_percent",
     "The number of stays or visits changed by more than 30 % from the previous year."),
    ("warehouse/centre_offers", "item_disappeared",
     "An item ticked by some centre the year before is ticked by none."),
)

ALL_CHECKS: list[dg.AssetChecksDefinition] = [
    checks_of(asset, [(n, r, d) for a, n, r, d in BLOCKING if a == asset],
              [(n, d) for a, n, d in WARNINGS if a == asset])
    for asset in dict.fromkeys([*(b[0] for b in BLOCKING), *(w[0] for w in WARNINGS)])
]
