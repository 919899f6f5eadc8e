"""Jobs: load one year (raw + validated), and rebuild the warehouse and the publication."""

from __future__ import annotations

import dagster as dg

LOAD_YEAR = "load_year"
PUBLISH = "publish"
REFRESH_YEAR = "refresh_year"
PROMOTE = "promote_public"

# Every job writes krise.duckdb: a Dagster deployment shared with other code locations can hold these
# runs to one at a time with a tag concurrency limit (`make dev` runs one run at a time anyway).
WAREHOUSE_TAGS = {"krise/warehouse": "krise.duckdb"}

load_year_job = dg.define_asset_job(
    LOAD_YEAR,
    selection=dg.AssetSelection.groups("raw", "validated"),
    description="Read, validate and load one year's delivery into the restricted warehouse.",
    tags=WAREHOUSE_TAGS,
)
publish_job = dg.define_asset_job(
    PUBLISH,
    selection=dg.AssetSelection.groups("warehouse", "publication", "exports"),
    description="Compute the contract's tables over all loaded years and publish them atomically.",
    tags=WAREHOUSE_TAGS,
)
refresh_year_job = dg.define_asset_job(
    REFRESH_YEAR,
    selection=dg.AssetSelection.all(),
    description="Load one year's delivery, then rebuild and publish everything (the yearly refresh).",
    tags=WAREHOUSE_TAGS,
)

COMPUTE = "compute"
compute_job = dg.define_asset_job(
    COMPUTE,
    selection=dg.AssetSelection.groups("warehouse") - dg.AssetSelection.assets(["warehouse", "vintages"]),
    description="Recompute the warehouse tables without publishing (used by `krise-pipeline diff`).",
    tags=WAREHOUSE_TAGS,
)

promote_job = dg.define_asset_job(
    PROMOTE,
    selection=dg.AssetSelection.assets(["exports", "public"]),
    description="Rebuild warehouse/public/ from publication.duckdb for the years out now (a year goes out when "
    "its publishing time has come); nothing else is recomputed.",
    tags=WAREHOUSE_TAGS,
)
