"""The Dagster code location (loaded by workspace.yaml and `dagster dev`)."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from krise_pipeline.defs import assets, checks, jobs, schedules, sensors
from krise_pipeline.defs.resources import KriseSettings, settings_for, warehouse_resource

OWNERS = ["team:krisesenterstatistikk"]
RESTRICTED_GROUPS = ("raw", "validated", "warehouse")
# The page is published in June for the year before: the publication must have been rebuilt in the
# year up to 1 July (Europe/Oslo), or the UI shows it as overdue.
PUBLICATION_FRESHNESS = dg.FreshnessPolicy.cron(
    deadline_cron="0 0 1 7 *", lower_bound_delta=dt.timedelta(days=365), timezone="Europe/Oslo")


def _describe(spec: dg.AssetSpec) -> dg.AssetSpec:
    """Owners, tags (layer, sensitivity) and, for what readers see, the yearly freshness deadline."""
    group = spec.group_name or "default"
    sensitivity = "restricted" if group in RESTRICTED_GROUPS else "public"
    spec = spec.replace_attributes(owners=OWNERS, tags={**spec.tags, "layer": group, "sensitivity": sensitivity})
    if group in ("publication", "exports"):
        spec = spec.replace_attributes(freshness_policy=PUBLICATION_FRESHNESS)
    return spec


def build_definitions(settings: KriseSettings | None = None) -> dg.Definitions:
    """Definitions serving one data folder and one warehouse folder."""
    settings = settings or settings_for()
    return dg.Definitions(
        assets=list(dg.map_asset_specs(_describe, assets.ALL_ASSETS)),
        asset_checks=checks.ALL_CHECKS,
        jobs=[jobs.load_year_job, jobs.publish_job, jobs.refresh_year_job, jobs.compute_job, jobs.promote_job],
        schedules=[schedules.yearly_refresh, schedules.release_time],
        sensors=[sensors.delivery_sensor, sensors.run_failure_record],
        resources={"settings": settings, "warehouse_db": warehouse_resource(settings)},
        executor=dg.in_process_executor,
    )


defs = build_definitions()
