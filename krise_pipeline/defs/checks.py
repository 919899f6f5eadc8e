"""Asset checks: blocking rules between tables (they stop the publication) and warnings
comparing each year with the one before."""

from collections.abc import Callable, Sequence

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from krise_pipeline import quality
from krise_pipeline.editorial import gate as editorial_gate

Rule = Callable[[duckdb.DuckDBPyConnection], quality.Finding]


def _check(
    asset: str,
    name: str,
    rule: Rule,
    description: str,
    *,
    blocking: bool,
) -> dg.AssetChecksDefinition:
    severity = dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN

    @dg.asset_check(
        asset=dg.AssetKey(asset.split("/")),
        name=name,
        description=description,
        blocking=blocking,
    )
    def _run(warehouse_db: DuckDBResource) -> dg.AssetCheckResult:
        with warehouse_db.get_connection() as con:
            finding = rule(con)
        return dg.AssetCheckResult(
            passed=finding.passed,
            severity=severity,
            metadata={"failures": finding.failures, "examples": dg.MetadataValue.json(finding.examples)},
        )

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

WARNINGS: Sequence[tuple[str, str, Rule, str]] = (
    ("warehouse/service_shares", "share_moves_over_10_points", quality.share_jumps,
     "A share (breakdown alle) moved more than 10 percentage points from the previous year."),
    ("warehouse/centre_offers", "centre_count_moves_over_5", quality.centre_count_jumps,
     "A centre count changed by more than 5 from the previous year."),
    ("warehouse/user_counts", "population_moves_over_30_percent", quality.population_count_jumps,
     "The number of stays or visits changed by more than 30 % from the previous year."),
    ("warehouse/centre_offers", "item_disappeared", quality.disappearing_items,
     "An item ticked by some centre the year before is ticked by none."),
)

ALL_CHECKS: list[dg.AssetChecksDefinition] = [
    *(_check(a, n, r, d, blocking=True) for a, n, r, d in BLOCKING),
    *(_check(a, n, r, d, blocking=False) for a, n, r, d in WARNINGS),
]
