"""One Dagster instance for the CLI, the sensor and the UI; one lock for every writer."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from krise_pipeline.definitions import build_definitions, settings_for
from krise_pipeline.defs.resources import KriseSettings
from krise_pipeline.defs.sensors import delivery_sensor, run_failure_record
from krise_pipeline.metadata import contract
from krise_pipeline_tests.support import paths

REPO = paths.REPO


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project folder with the 2023 sample after `krise-pipeline run`, DAGSTER_HOME not set."""
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(REPO / "data" / "raw" / "2023", root / "data" / "raw" / "2023")
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    done = subprocess.run([sys.executable, "-m", "krise_pipeline.cli", "run"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return root


def test_the_cli_records_into_the_project_instance(project: Path) -> None:
    home = project / ".dagster_home"
    assert oct(home.stat().st_mode & 0o777) == "0o700"
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
        assert sorted(r.job_name for r in runs) == ["load_year", "publish"]
        assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
        assert instance.get_dynamic_partitions("year") == ["2023"]
        defs = build_definitions(settings_for(str(project / "data"), str(project / "warehouse")))
        keys = defs.resolve_asset_graph().get_all_asset_keys()
        missing = [k.to_user_string() for k in keys if instance.get_latest_materialization_event(k) is None]
        assert missing == []
        evaluations = [e for r in runs for e in instance.all_logs(
            r.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)]
        names = {e.dagster_event.event_specific_data.check_name for e in evaluations if e.dagster_event}
        assert {"threat_total_identity", "no_small_published_cells", "share_moves_over_10_points"} <= names


def test_the_cli_loads_every_year_in_one_run(tmp_path: Path) -> None:
    """Two delivered years: one load_year run over both partitions, each partition materialized
    with its own row count and folder fingerprint; then one publish run."""
    import csv

    from krise_pipeline.cli import commands
    from krise_pipeline.defs.sensors import _materialized_fingerprint

    for year in ("2023", "2024"):
        shutil.copytree(REPO / "data" / "raw" / year, tmp_path / "data" / "raw" / year)
    home = tmp_path / "home"
    os.environ["DAGSTER_HOME"] = str(home)  # conftest restores it after the test
    out, err = io.StringIO(), io.StringIO()
    assert commands.main(["run", "--data-dir", str(tmp_path / "data"), "--warehouse-dir", str(tmp_path / "wh")],
                    out=out, err=err) == 0, err.getvalue()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
        assert sorted(r.job_name for r in runs) == ["load_year", "publish"]
        [load] = [r for r in runs if r.job_name == "load_year"]
        assert (load.tags["dagster/asset_partition_range_start"], load.tags["dagster/asset_partition_range_end"]) \
            == ("2023", "2024")
        visits = {}
        for year in ("2023", "2024"):
            with (tmp_path / "data" / "raw" / year / contract.VISIT_FILE).open(encoding="utf-8") as f:
                visits[year] = sum(1 for _ in csv.reader(f)) - 1
            [record] = instance.fetch_materializations(dg.AssetRecordsFilter(
                asset_key=dg.AssetKey(["validated", "dagsbesok"]), asset_partitions=[year]), limit=1).records
            assert record.asset_materialization is not None
            assert record.asset_materialization.metadata["rows_by_year"].value[year] == visits[year]
            assert _materialized_fingerprint(instance, year)  # the sensor finds what was loaded
        assert visits["2023"] != visits["2024"]


def test_partition_blocks_follow_the_instance_order() -> None:
    from krise_pipeline.cli.runner import partition_blocks, range_tags

    order = ["2020", "2021", "2022", "2019"]  # 2019 delivered after 2022: a range is by the instance's order
    assert partition_blocks(order, ["2019", "2020", "2021", "2022"]) == [["2020", "2021", "2022", "2019"]]
    assert partition_blocks(order, ["2020", "2022", "2019"]) == [["2020"], ["2022", "2019"]]
    assert range_tags(["2020"]) == {"dagster/partition": "2020"}
    assert range_tags(["2020", "2021", "2022"]) == {"dagster/asset_partition_range_start": "2020",
                                                    "dagster/asset_partition_range_end": "2022"}


def test_the_sensor_starts_from_what_the_instance_knows(project: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(project / "data", data)
    settings = KriseSettings(data_dir=str(data), warehouse_dir=str(project / "warehouse"))
    with dg.DagsterInstance.from_config(str(project / ".dagster_home")) as instance:
        first = delivery_sensor(dg.build_sensor_context(instance=instance, resources={"settings": settings}))
        assert isinstance(first, dg.SensorResult) and not first.run_requests  # loaded by the CLI, same content
        adults = data / "raw" / "2023" / contract.ADULT_FILE
        adults.write_text(adults.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        changed = delivery_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor,
                                                          resources={"settings": settings}))
        assert isinstance(changed, dg.SensorResult)
        assert [r.partition_key for r in changed.run_requests or []] == ["2023"]


def test_a_partition_without_a_delivery_folder_is_refused_and_removed(project: Path, tmp_path: Path) -> None:
    settings = settings_for(str(project / "data"), str(tmp_path / "wh"))
    defs = build_definitions(settings)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("year", ["2031"])
        result = defs.resolve_job_def("load_year").execute_in_process(
            partition_key="2031", instance=instance, raise_on_error=False)
        assert not result.success
        messages = [e.step_failure_data.user_failure_data.description for e in result.all_events
                    if e.is_step_failure and e.step_failure_data.user_failure_data]
        assert any("there is no delivery folder" in m and "the partition 2031 was removed" in m for m in messages)
        assert not instance.has_dynamic_partition("year", "2031")


HOLD = """
import sys, time
from pathlib import Path
import dagster as dg
from krise_pipeline.defs.resources import WarehouseDB
from krise_pipeline_tests.support import paths
with dg.build_resources({"db": WarehouseDB(database=sys.argv[1])}):
    Path(sys.argv[2]).write_text("ready")
    time.sleep(float(sys.argv[3]))
"""


def test_one_lock_for_the_cli_and_dagster_runs(project: Path, tmp_path: Path) -> None:
    from krise_pipeline.cli import commands

    data, wh = tmp_path / "data", tmp_path / "wh"
    shutil.copytree(project / "data" / "raw", data / "raw")
    shutil.copytree(project / "warehouse", wh)
    pub_before = (wh / "publication.duckdb").read_bytes()
    ready = tmp_path / "ready"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(wh / "krise.duckdb"), str(ready), "20"])
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert time.monotonic() < deadline and holder.poll() is None
            time.sleep(0.1)
        out, err = io.StringIO(), io.StringIO()
        code = commands.main(["run", "--data-dir", str(data), "--warehouse-dir", str(wh)], out=out, err=err)
        assert code == commands.EXIT_BUSY
        assert f"the warehouse {wh} is being written by a Dagster run" in err.getvalue()
    finally:
        holder.kill()
        holder.wait()
    assert (wh / "publication.duckdb").read_bytes() == pub_before

    # the other way round: the CLI holds the warehouse; a run started through the instance stops clearly
    defs = build_definitions(settings_for(str(data), str(wh)))
    holder = subprocess.Popen([sys.executable, "-c",
                               "import sys, time; from pathlib import Path\n"
                               "from krise_pipeline.warehouse import locking\n"
                               "with locking.warehouse_lock(Path(sys.argv[1]), who='krise-pipeline run'):\n"
                               "    Path(sys.argv[2]).write_text('ready'); time.sleep(20)",
                               str(wh), str(tmp_path / "ready2")])
    try:
        while not (tmp_path / "ready2").exists():
            assert holder.poll() is None
            time.sleep(0.1)
        with dg.instance_for_test() as instance:
            instance.add_dynamic_partitions("year", ["2023"])
            result = defs.resolve_job_def("refresh_year").execute_in_process(
                partition_key="2023", instance=instance, raise_on_error=False)
            assert not result.success
            failures = [str(e.message) + str(getattr(e.event_specific_data, "error", "")) for e in result.all_events
                        if e.is_failure or e.event_type_value == "ENGINE_EVENT"]
            assert any("is being written by krise-pipeline run" in f for f in failures), failures
    finally:
        holder.kill()
        holder.wait()
    assert (wh / "publication.duckdb").read_bytes() == pub_before


def test_a_failed_run_is_recorded_and_the_hook_called(project: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    (data / "raw" / "2023").mkdir(parents=True)
    for name in contract.DELIVERY_FILES:
        (data / "raw" / "2023" / name).write_text("not a delivery\n", encoding="utf-8")
    hooked = tmp_path / "hook.json"
    monkeypatch.setenv("KRISE_FAILURE_COMMAND", f"cat > {hooked}")
    defs = build_definitions(settings_for(str(data), str(tmp_path / "wh")))
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("year", ["2023"])
        result = defs.resolve_job_def("load_year").execute_in_process(
            partition_key="2023", instance=instance, raise_on_error=False)
        assert not result.success
        failures = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
        assert len(failures) == 1 and failures[0].dagster_event is not None
        failure = failures[0].dagster_event
        run = instance.get_run_by_id(result.run_id)
        assert run is not None
        context = dg.build_run_status_sensor_context(
            sensor_name="run_failure_record", dagster_event=failure, dagster_instance=instance,
            dagster_run=run).for_run_failure()
        run_failure_record(context)
        records = list((Path(instance.root_directory) / "failures").glob("*.json"))
        assert len(records) == 1
        record = json.loads(records[0].read_text(encoding="utf-8"))
    assert record["run_id"] == result.run_id and record["job"] == "load_year" and record["partition"] == "2023"
    assert len(record["summary"]) <= 300 and record["summary"]
    assert json.loads(hooked.read_text(encoding="utf-8")) == record


def test_owners_tags_and_a_yearly_freshness_deadline() -> None:
    graph = build_definitions(settings_for("data", "warehouse")).resolve_asset_graph()
    pub = graph.get(dg.AssetKey(["publication", "service_shares"]))
    assert pub.owners == ["team:krisesenterstatistikk"]
    assert pub.tags["sensitivity"] == "public" and pub.tags["layer"] == "publication"
    assert graph.get(dg.AssetKey(["validated", "beboere_opphold"])).tags["sensitivity"] == "restricted"
    assert pub.freshness_policy is not None and "0 0 1 7 *" in repr(pub.freshness_policy)


def test_the_default_instance_is_dagsters_stock_sqlite_storage(tmp_path: Path) -> None:
    """The project's default dagster.yaml selects Dagster's own SQLite storage and compute logs, one
    run at a time, telemetry off; a run recorded through it reads back from a second instance."""
    from krise_pipeline.cli import instance as project_instance

    home = project_instance.ensure_home(tmp_path / "home")
    text = (home / "dagster.yaml").read_text(encoding="utf-8")
    assert f'base_dir: "{home}"' in text and "{home}" not in text
    assert "krise_pipeline" not in text.split("storage:", 1)[1]  # no class of the project's own

    @dg.asset
    def one() -> int:
        return 1

    with dg.DagsterInstance.from_config(str(home)) as inst:
        assert type(inst.event_log_storage).__name__ == "SqliteEventLogStorage"
        assert type(inst.run_storage).__name__ == "SqliteRunStorage"
        assert type(inst.compute_log_manager).__name__ == "LocalComputeLogManager"
        assert inst.get_concurrency_config().run_queue_config.max_concurrent_runs == 1
        assert not inst.telemetry_enabled
        result = dg.materialize([one], instance=inst)
    with dg.DagsterInstance.from_config(str(home)) as inst:
        assert [r.run_id for r in inst.get_runs()] == [result.run_id]
        event = inst.get_latest_materialization_event(dg.AssetKey("one"))
        assert event is not None and event.run_id == result.run_id


def test_a_refusal_reads_as_its_report_and_the_stored_failure_is_dagsters_own(tmp_path: Path) -> None:
    """A step that raises `dg.Failure` (the pipeline's refusals): the CLI's text is its description
    exactly, the failed years come from its metadata; the instance keeps Dagster's own record of it
    (description, metadata, error and stack). Any other error reads with its message and stack."""
    from krise_pipeline.cli import instance as project_instance
    from krise_pipeline.cli.runner import failed_years, failure_text

    report = "raw/2024/beboere_opphold.csv line 5, column kjonn: rule code_list\n\n1 problem in 2024"

    @dg.asset
    def refused() -> None:
        raise dg.Failure(description=report, allow_retries=False,
                         metadata={"years_with_problems": dg.MetadataValue.json([2024])})

    @dg.asset
    def crashed() -> None:
        raise ValueError("a bug")

    home = project_instance.ensure_home(tmp_path / "home")
    with dg.DagsterInstance.from_config(str(home)) as inst:
        refusal = dg.materialize([refused], instance=inst, raise_on_error=False)
        crash = dg.materialize([crashed], instance=inst, raise_on_error=False)
    assert not refusal.success and not crash.success
    assert failure_text(refusal) == report
    assert failed_years(refusal) == [2024]
    text = failure_text(crash)
    assert text.startswith('Execution of step "crashed" failed.') and "ValueError: a bug" in text
    assert 'raise ValueError("a bug")' in text
    assert failed_years(crash) == []

    with dg.DagsterInstance.from_config(str(home)) as inst:  # as the UI reads it
        [entry] = inst.all_logs(refusal.run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
        assert entry.dagster_event is not None
        data: Any = entry.dagster_event.event_specific_data
        assert data.user_failure_data.description == report
        assert data.user_failure_data.metadata["years_with_problems"].value == [2024]
        assert report in data.error.message and any("raise dg.Failure" in frame for frame in data.error.stack)


def test_an_operators_dagster_yaml_is_used_as_it_is(tmp_path: Path) -> None:
    """`krise-pipeline run`, `release` and `dev` on an instance folder with the operator's own
    dagster.yaml: the file stays byte for byte, the runs go where it says, and a missing setting the
    pipeline relies on (one run at a time) is said in one line per command."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "data" / "raw" / "2023", root / "data" / "raw" / "2023")
    home, elsewhere = tmp_path / "operator_home", tmp_path / "operator_storage"
    home.mkdir()
    own = (f"# operator's instance, marker 7f3a\nstorage:\n  sqlite:\n    base_dir: {elsewhere}\n"
           "telemetry:\n  enabled: false\n").encode()
    (home / "dagster.yaml").write_bytes(own)
    env = {**{k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}, "DAGSTER_HOME": str(home)}
    note = (f"note: {home / 'dagster.yaml'} lacks a setting the pipeline relies on: one run at a time "
            "(concurrency: runs: max_concurrent_runs: 1)")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "krise_pipeline.cli", *args], cwd=root, env=env,
                              capture_output=True, text=True, timeout=600)

    ran = cli("run")
    assert ran.returncode == 0, ran.stderr
    assert ran.stderr.count(note) == 1, ran.stderr
    assert (home / "dagster.yaml").read_bytes() == own
    released = cli("release", "2023", "--status", "publisert", "--note", "Publisert.")
    assert released.returncode == 0, released.stderr
    assert released.stderr.count(note) == 1, released.stderr
    assert (home / "dagster.yaml").read_bytes() == own
    assert not (home / "history").exists() and not (home / "schedules").exists()
    with dg.DagsterInstance.from_config(str(home)) as inst:  # the runs went to the operator's storage
        assert sorted(r.job_name for r in inst.get_runs()) == ["compute", "load_year", "load_year", "publish"]
    assert (elsewhere / "history" / "runs.db").is_file()

    port = free_port()
    log = tmp_path / "dev.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "krise_pipeline.cli", "dev", "-h", "127.0.0.1",
                                 "-p", str(port)], cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 90
            while True:
                assert proc.poll() is None, log.read_text()[-3000:]
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                try:
                    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
                            f"http://127.0.0.1:{port}/server_info", timeout=2):
                        break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    time.sleep(0.3)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    assert (home / "dagster.yaml").read_bytes() == own
    assert log.read_text(errors="replace").count(note) == 1


def test_a_default_an_earlier_version_wrote_is_replaced_and_nothing_else(tmp_path: Path) -> None:
    """The defaults earlier versions wrote (and rewrote at every command) named the project's own
    storage classes, which are gone: such a file, recognised by its whole text, is replaced by the
    current default; the same file with one byte changed is the operator's and stays."""
    from krise_pipeline.cli import instance as project_instance

    earlier = (REPO / "krise_pipeline_tests" / "fixtures" / "dagster_yaml_earlier_default.yaml").read_text(
        encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text(earlier.replace("{home}", str(home)), encoding="utf-8")
    project_instance.ensure_home(home)
    assert (home / "dagster.yaml").read_text(encoding="utf-8") == project_instance.settings_text(home)

    edited = earlier.replace("{home}", str(home)).replace("max_concurrent_runs: 1", "max_concurrent_runs: 2")
    (home / "dagster.yaml").write_text(edited, encoding="utf-8")
    err = io.StringIO()
    project_instance.ensure_home(home, warn=err)
    assert (home / "dagster.yaml").read_text(encoding="utf-8") == edited
    assert err.getvalue().count("lacks a setting the pipeline relies on: one run at a time") == 1


def test_the_ui_sees_the_events_of_a_running_run(tmp_path: Path) -> None:
    """The UI follows a run by watching its event log file: a run writing in another storage object
    (as the run's own process does) reaches a watcher within seconds, event by event."""
    import threading
    import time

    from krise_pipeline.cli import instance as project_instance

    home = project_instance.ensure_home(tmp_path / "home")

    @dg.asset
    def one() -> int:
        return 1

    with dg.DagsterInstance.from_config(str(home)) as writer, dg.DagsterInstance.from_config(str(home)) as ui:
        first = dg.materialize([one], instance=writer)
        seen: list[str] = []
        arrived = threading.Event()

        def callback(entry: object, cursor: str) -> None:
            seen.append(cursor)
            arrived.set()

        cursor = ui.get_records_for_run(first.run_id).cursor
        ui.event_log_storage.watch(first.run_id, cursor, callback)
        try:
            time.sleep(0.5)  # the watcher is up
            writer.report_engine_event("one more event", writer.get_run_by_id(first.run_id))
            assert arrived.wait(10), "the watcher never saw the new event"
        finally:
            ui.event_log_storage.end_watch(first.run_id, callback)
        # the run's file alone (its WAL left behind) holds every event: what the watcher reads
        alone = tmp_path / "alone.db"
        shutil.copyfile(home / "history" / "runs" / f"{first.run_id}.db", alone)
        with contextlib.closing(sqlite3.connect(alone)) as con:
            kinds = [k for (k,) in con.execute("SELECT dagster_event_type FROM event_logs ORDER BY id")]
        stored = ui.get_records_for_run(first.run_id, limit=1000).records
        assert len(kinds) == len(stored)
        assert {"ASSET_MATERIALIZATION", "STEP_OUTPUT", "ENGINE_EVENT"} <= set(kinds)


def test_the_sensor_reads_the_fingerprints_of_both_metadata_forms() -> None:
    """Runs over several years record {year: fingerprint}; runs of one year recorded a single one
    before, and an instance upgraded in place still has those."""
    from krise_pipeline.defs.sensors import RAW_FILES_KEY, _materialized_fingerprint

    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("year", ["2022", "2023", "2024"])
        instance.report_runless_asset_event(dg.AssetMaterialization(
            RAW_FILES_KEY, partition="2022", metadata={"fingerprint": dg.MetadataValue.text("old-2022")}))
        for year in ("2023", "2024"):
            instance.report_runless_asset_event(dg.AssetMaterialization(
                RAW_FILES_KEY, partition=year,
                metadata={"fingerprints": dg.MetadataValue.json({"2023": "new-2023", "2024": "new-2024"})}))
        assert [_materialized_fingerprint(instance, y) for y in ("2022", "2023", "2024", "2025")] == [
            "old-2022", "new-2023", "new-2024", None]


def test_a_step_s_output_reaches_the_terminal_and_the_compute_log(tmp_path: Path) -> None:
    """A step that writes to stdout and stderr (print, the file descriptor itself, 300 KB at once):
    everything reaches the process's own streams, in order, and the step's compute log files (the
    UI's stdout and stderr of the step)."""
    script = (
        "import os, sys\n"
        "import dagster as dg\n"
        "from krise_pipeline.cli import instance as project_instance\n"
        "@dg.asset\n"
        "def talks() -> None:\n"
        "    print('to stdout', flush=True)\n"
        "    os.write(2, b'to stderr by fd\\n')\n"
        "    print('x' * 300_000, flush=True)\n"
        "    print('last line', flush=True)\n"
        "with project_instance.get() as instance:\n"
        "    result = dg.materialize([talks], instance=instance)\n"
        "    print('after the run', flush=True)\n"
    )
    env = {**{k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}, "DAGSTER_HOME": str(tmp_path / "home")}
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path,
                         timeout=120)
    assert ran.returncode == 0, ran.stderr
    out = ran.stdout
    assert out.index("to stdout") < out.index("x" * 300_000) < out.index("last line") < out.index("after the run")
    assert "to stderr by fd" in ran.stderr
    logs = {p.suffix: p.read_text() for p in (tmp_path / "home" / "storage").rglob("*") if p.suffix in (".out", ".err")}
    assert "to stdout" in logs[".out"] and "last line" in logs[".out"] and "x" * 300_000 in logs[".out"]
    assert "to stderr by fd" in logs[".err"]
