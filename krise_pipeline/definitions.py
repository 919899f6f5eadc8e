"""The Dagster code location (loaded by workspace.yaml and `dagster dev`)."""

from __future__ import annotations

import os

import dagster as dg

from krise_pipeline.defs import assets, checks, jobs, schedules, sensors
from krise_pipeline.defs.resources import (
    KriseSettings,
    default_data_dir,
    default_warehouse_dir,
    warehouse_resource,
)


def settings_for(data_dir: str | None = None, warehouse_dir: str | None = None,
                 recheck_published: bool | None = None) -> KriseSettings:
    """The folders: given ones, else KRISE_DATA_DIR / KRISE_WAREHOUSE_DIR, else `data` and `warehouse`
    relative to the working directory. Warning checks compare published years too when asked
    (or KRISE_RECHECK_PUBLISHED=1)."""
    if recheck_published is None:
        recheck_published = os.environ.get("KRISE_RECHECK_PUBLISHED", "") in ("1", "true", "yes")
    return KriseSettings(
        data_dir=data_dir or default_data_dir(),
        warehouse_dir=warehouse_dir or default_warehouse_dir(),
        recheck_published=recheck_published,
    )


def build_definitions(settings: KriseSettings | None = None) -> dg.Definitions:
    """Definitions serving one data folder and one warehouse folder."""
    settings = settings or settings_for()
    return dg.Definitions(
        assets=list(assets.ALL_ASSETS),
        asset_checks=checks.ALL_CHECKS,
        jobs=[jobs.load_year_job, jobs.publish_job, jobs.refresh_year_job, jobs.compute_job],
        schedules=[schedules.yearly_refresh],
        sensors=[sensors.delivery_sensor],
        resources={"settings": settings, "warehouse_db": warehouse_resource(settings)},
        executor=dg.in_process_executor,
    )


defs = build_definitions()
