"""Dagster wiring: the code location loads, the schedule and the sensor request the right runs."""

from __future__ import annotations

import contextvars
import datetime as dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from krise_pipeline.definitions import build_definitions, settings_for
from krise_pipeline.defs.resources import KriseSettings
from krise_pipeline.defs.schedules import yearly_refresh
from krise_pipeline.defs.sensors import delivery_sensor
from krise_pipeline.metadata import contract


def test_definitions_load_with_layers_as_groups() -> None:
    defs = build_definitions(settings_for("data", "warehouse"))
    graph = defs.resolve_asset_graph()
    groups = {key.to_user_string(): graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups["raw/delivery_files"] == "raw"
    assert groups["validated/beboere_opphold"] == "validated"
    assert groups["warehouse/service_shares"] == "warehouse"
    for table in ("centre_offers", "service_shares", "user_counts", "questions", "label_changes", "releases"):
        assert groups[f"publication/{table}"] == "publication"
    for key in graph.get_all_asset_keys():
        description = (graph.get(key).description or "").lower()
        assert "one row per" in description or (key.path[0] == "exports" and "one " in description), key
    assert groups["exports/downloads"] == "exports"
    assert {j.name for j in defs.resolve_all_job_defs()} >= {"load_year", "publish", "refresh_year"}
    assert defs.resolve_schedule_def("yearly_refresh").execution_timezone == "Europe/Oslo"
    checks = {k.name for k in graph.asset_check_keys}
    assert {"threat_total_identity", "secondary_suppression_holds", "no_small_published_cells"} <= checks


def test_workspace_module_loads_definitions_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KRISE_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("KRISE_WAREHOUSE_DIR", str(tmp_path / "w"))
    settings = settings_for()
    assert settings.data_dir == str(tmp_path / "d") and settings.warehouse_dir == str(tmp_path / "w")
    assert settings_for("x", None).data_dir == "x"


def deliver(root: Path, year: int, content: str = "a") -> Path:
    year_dir = root / "raw" / str(year)
    year_dir.mkdir(parents=True, exist_ok=True)
    for name in contract.DELIVERY_FILES:
        (year_dir / name).write_text(f"{name} {content}\n", encoding="utf-8")
    return year_dir


def test_schedule_requests_the_previous_year(tmp_path: Path) -> None:
    deliver(tmp_path, 2024)

    def evaluate_in_test_instance() -> None:
        with dg.instance_for_test() as instance:
            check_schedule(instance, tmp_path)

    # a test instance registers itself in context variables that outlive it; keep them local
    contextvars.copy_context().run(evaluate_in_test_instance)


def check_schedule(instance: dg.DagsterInstance, tmp_path: Path) -> None:
    settings = KriseSettings(data_dir=str(tmp_path), warehouse_dir=str(tmp_path / "w"))
    when = dt.datetime(2025, 3, 1, 6, 0, tzinfo=ZoneInfo("Europe/Oslo"))
    ctx = dg.build_schedule_context(instance=instance, scheduled_execution_time=when,
                                    resources={"settings": settings})
    request = yearly_refresh(ctx)
    assert isinstance(request, dg.RunRequest)
    assert request.partition_key == "2024"
    assert instance.has_dynamic_partition("year", "2024")
    # a year without a delivery folder is skipped, with the reason
    ctx = dg.build_schedule_context(instance=instance, resources={"settings": settings},
                                    scheduled_execution_time=when.replace(year=2026))
    skipped = yearly_refresh(ctx)
    assert isinstance(skipped, dg.SkipReason) and "2025" in str(skipped.skip_message)


def evaluate(instance: dg.DagsterInstance, settings: KriseSettings, cursor: str | None) -> dg.SensorResult:
    ctx = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"settings": settings})
    result = delivery_sensor(ctx)
    assert isinstance(result, dg.SensorResult)
    return result


def test_sensor_fires_once_per_new_or_changed_delivery(tmp_path: Path) -> None:
    instance = dg.DagsterInstance.ephemeral()
    settings = KriseSettings(data_dir=str(tmp_path), warehouse_dir=str(tmp_path / "w"))
    year_dir = deliver(tmp_path, 2023)
    first = evaluate(instance, settings, None)
    assert [r.partition_key for r in first.run_requests or []] == ["2023"]
    assert first.dynamic_partitions_requests and list(first.dynamic_partitions_requests[0].partition_keys) == ["2023"]
    # nothing changed: nothing requested
    again = evaluate(instance, settings, first.cursor)
    assert not again.run_requests
    # touched but identical: still nothing (content hash, not mtime)
    os.utime(year_dir / contract.ADULT_FILE, (1, 1))
    touched = evaluate(instance, settings, again.cursor)
    assert not touched.run_requests
    # an incomplete new folder waits; a changed file fires once
    (tmp_path / "raw" / "2024").mkdir()
    (year_dir / contract.ADULT_FILE).write_text("changed\n", encoding="utf-8")
    changed = evaluate(instance, settings, touched.cursor)
    assert [r.partition_key for r in changed.run_requests or []] == ["2023"]
    assert not evaluate(instance, settings, changed.cursor).run_requests
    deliver(tmp_path, 2024)
    new_year = evaluate(instance, settings, changed.cursor)
    assert [r.partition_key for r in new_year.run_requests or []] == ["2024"]


def test_the_warehouse_connection_is_closed_when_a_step_fails(tmp_path: Path) -> None:
    import duckdb

    from krise_pipeline.defs.resources import WarehouseDB

    db = WarehouseDB(database=str(tmp_path / "krise.duckdb"))
    kept: list[duckdb.DuckDBPyConnection] = []
    with pytest.raises(RuntimeError, match="a step failed"), db.get_connection() as con:
        kept.append(con)
        con.execute("CREATE TABLE t (x INTEGER)")
        raise RuntimeError("a step failed")
    with pytest.raises(duckdb.ConnectionException):
        kept[0].execute("SELECT 1")
    (tmp_path / "krise.duckdb").unlink()  # a wiped warehouse: the next connection sees the new, empty file
    with db.get_connection() as con:
        assert con.execute("SELECT count(*) FROM duckdb_tables()").fetchone() == (0,)


def test_every_warning_check_has_one_rule_and_one_key() -> None:
    from krise_pipeline.defs import checks
    from krise_pipeline.warehouse import quality

    names = [name for _, name, _ in checks.WARNINGS]
    assert sorted(names) == sorted(quality.WARNING_RULES) == sorted(quality.WARNING_KEYS)
