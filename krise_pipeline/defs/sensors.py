"""Sensor: a new or changed delivery folder requests a refresh of that year, once per change."""

import json

import dagster as dg

from krise_pipeline import deliveries
from krise_pipeline.defs.jobs import refresh_year_job
from krise_pipeline.defs.partitions import year_partitions
from krise_pipeline.defs.resources import KriseSettings


@dg.sensor(
    job=refresh_year_job,
    minimum_interval_seconds=60,
    description="Watches data/raw/<year>/: a complete new folder, or changed content, refreshes that year.",
)
def delivery_sensor(context: dg.SensorEvaluationContext, settings: KriseSettings) -> dg.SensorResult:
    """The cursor keeps, per year, the content fingerprint and per-file (size, mtime, sha256), so a
    touched but unchanged file triggers nothing and an unchanged file is not hashed again."""
    cursor: dict[str, dict[str, object]] = json.loads(context.cursor) if context.cursor else {}
    name = year_partitions.name or "year"
    requests: list[dg.RunRequest] = []
    new_partitions: list[str] = []
    next_cursor: dict[str, dict[str, object]] = {}
    for year in settings.delivered_years():
        key = str(year)
        year_dir = settings.year_dir(year)
        previous = cursor.get(key, {})
        if not deliveries.is_complete(year_dir):
            if previous:
                next_cursor[key] = previous
            continue
        files = previous.get("files")
        digest, state = deliveries.fingerprint(year_dir, files if isinstance(files, dict) else None)
        next_cursor[key] = {"fingerprint": digest, "files": state}
        if previous.get("fingerprint") == digest:
            continue
        if not context.instance.has_dynamic_partition(name, key):
            new_partitions.append(key)
        requests.append(dg.RunRequest(run_key=f"delivery-{key}-{digest[:16]}", partition_key=key))
    return dg.SensorResult(
        run_requests=requests,
        cursor=json.dumps(next_cursor, sort_keys=True),
        dynamic_partitions_requests=[year_partitions.build_add_request(new_partitions)] if new_partitions else [],
    )
