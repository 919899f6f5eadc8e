"""Sensor: a new or changed delivery folder requests a refresh of that year, once per change."""

import datetime as dt
import json
from pathlib import Path

import dagster as dg

from krise_pipeline.defs import failures
from krise_pipeline.defs.jobs import refresh_year_job
from krise_pipeline.defs.partitions import year_partitions
from krise_pipeline.defs.resources import KriseSettings
from krise_pipeline.raw import deliveries

RAW_FILES_KEY = dg.AssetKey(["raw", "delivery_files"])


def _materialized_fingerprint(instance: dg.DagsterInstance, partition: str) -> str | None:
    """The content fingerprint of the year's last `raw/delivery_files` materialization (by any run:
    CLI, UI, schedule), so that a sensor switched on after CLI runs does not load those years again."""
    event = instance.get_latest_materialization_event(RAW_FILES_KEY)  # cheap test: any at all?
    if event is None:
        return None
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=RAW_FILES_KEY, asset_partitions=[partition]), limit=1)
    for record in records.records:
        materialization = record.asset_materialization
        metadata = materialization.metadata if materialization else {}
        by_year = getattr(metadata.get("fingerprints"), "value", None)  # {year: fingerprint} of the run's years
        if isinstance(by_year, dict) and isinstance(by_year.get(partition), str):
            return str(by_year[partition])
        single = getattr(metadata.get("fingerprint"), "text", None)  # as runs of one year recorded it before
        if isinstance(single, str):
            return single
    return None


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
        known = previous.get("fingerprint") or _materialized_fingerprint(context.instance, key)
        if known == digest:
            continue
        if not context.instance.has_dynamic_partition(name, key):
            new_partitions.append(key)
        requests.append(dg.RunRequest(run_key=f"delivery-{key}-{digest[:16]}", partition_key=key))
    return dg.SensorResult(
        run_requests=requests,
        cursor=json.dumps(next_cursor, sort_keys=True),
        dynamic_partitions_requests=[year_partitions.build_add_request(new_partitions)] if new_partitions else [],
    )


@dg.run_failure_sensor(
    name="run_failure_record",
    description="Writes a record of every failed run to <DAGSTER_HOME>/failures/ and calls the hook set in "
    "KRISE_FAILURE_COMMAND or KRISE_FAILURE_WEBHOOK (none by default).",
    default_status=dg.DefaultSensorStatus.RUNNING,
    monitor_all_code_locations=False,
)
def run_failure_record(context: dg.RunFailureSensorContext) -> None:
    run = context.dagster_run
    failed_at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    start, end = run.tags.get("dagster/asset_partition_range_start"), run.tags.get("dagster/asset_partition_range_end")
    partition = run.tags.get("dagster/partition") or (f"{start}..{end}" if start and end else None)
    record = failures.FailureRecord.of(run.run_id, run.job_name, partition, failed_at,
                                       context.failure_event.message or "")
    path = failures.write_record(Path(context.instance.root_directory) / "failures", record)
    called = failures.call_hook(record)
    context.log.info(f"failure recorded in {path}" + (f"; hook called: {called}" if called else ""))
