"""The release-time schedule, ticked at a chosen time against a small publication."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import dagster as dg

from krise_pipeline.defs.resources import KriseSettings
from krise_pipeline.defs.schedules import release_time
from krise_pipeline_tests.support.schedules import release_tick
from krise_pipeline_tests.unit.publication.test_release_time import AT, small_publication


def test_the_release_time_schedule_requests_the_promotion_at_the_time_and_skips_before(tmp_path: Path) -> None:
    warehouse = tmp_path / "w"
    warehouse.mkdir()
    small_publication(warehouse / "publication.duckdb", {2023: None, 2024: AT})
    (warehouse / "public").mkdir()
    (warehouse / "public" / "released.json").write_text(json.dumps({"years": [2023]}), encoding="utf-8")
    settings = KriseSettings(data_dir=str(tmp_path), warehouse_dir=str(warehouse))

    def tick(when: dt.datetime) -> dg.RunRequest | dg.SkipReason:
        return release_tick(dg.instance_for_test, settings, when)

    before = tick(AT - dt.timedelta(minutes=1))
    assert isinstance(before, dg.SkipReason)
    assert before.skip_message == "2024 goes out 2025-06-12 08:00 (Europe/Oslo)"
    at = tick(AT)
    assert isinstance(at, dg.RunRequest)
    assert at.run_key == "public-2023-2024" and at.tags["krise/public_years"] == "2023,2024"
    assert release_time.execution_timezone == "Europe/Oslo" and release_time.job_name == "promote_public"
