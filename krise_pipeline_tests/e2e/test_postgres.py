"""The pipeline on a server: the operator's PostgreSQL instance (deploy/dagster.yaml) with the CLI,
and the webserver and the daemon as two services on it (deploy/*.service).

One throw-away PostgreSQL cluster and one CLI run of the shipped sample serve the whole module.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from krise_pipeline_tests.support import paths
from krise_pipeline_tests.support.postgres_server import Cluster, free_port, new_cluster, remove

REPO = paths.REPO
BIN = Path(sys.executable).parent
MARKER = "# the operator's own instance settings: not to be rewritten\n"
LOCATION = "krise_pipeline"
LOCK_REFUSAL = "is being written by krise-pipeline run"


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    server = new_cluster()
    try:
        yield server
    finally:
        remove(server)


@dataclass
class Deployment:
    home: Path
    data: Path
    warehouse: Path
    env: dict[str, str]
    settings: bytes
    cli_runs: list[str]


@pytest.fixture(scope="module")
def deployment(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    """An operator's DAGSTER_HOME holding deploy/dagster.yaml (with a marker), after one `krise-pipeline run`."""
    root = tmp_path_factory.mktemp("server")
    home, data, warehouse = root / "dagster_home", root / "data", root / "warehouse"
    home.mkdir()
    settings = (MARKER + (REPO / "deploy" / "dagster.yaml").read_text(encoding="utf-8")).encode()
    (home / "dagster.yaml").write_bytes(settings)
    shutil.copytree(REPO / "data", data)
    env = {**os.environ, **cluster.env, "DAGSTER_HOME": str(home), "KRISE_DATA_DIR": str(data),
           "KRISE_WAREHOUSE_DIR": str(warehouse), "SOURCE_DATE_EPOCH": "1750000000"}
    started = time.monotonic()
    done = subprocess.run([str(BIN / "krise-pipeline"), "run"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=600)
    print(f"krise-pipeline run on PostgreSQL: {time.monotonic() - started:.1f} s")
    assert done.returncode == 0, done.stderr
    assert (warehouse / "publication.duckdb").exists()
    runs = [str(r[0]) for r in cluster.query("SELECT run_id FROM runs WHERE status = 'SUCCESS'")]
    return Deployment(home, data, warehouse, env, settings, runs)


def test_the_cli_records_into_the_operators_postgresql_and_leaves_the_file_alone(
        cluster: Cluster, deployment: Deployment) -> None:
    assert (deployment.home / "dagster.yaml").read_bytes() == deployment.settings
    statuses = {str(s): n for s, n in cluster.query("SELECT status, count(*) FROM runs GROUP BY status")}
    assert statuses == {"SUCCESS": len(deployment.cli_runs)} and deployment.cli_runs
    events = cluster.query("SELECT run_id, count(*) FROM event_logs WHERE run_id <> '' GROUP BY run_id")
    assert {str(r) for r, _ in events} == set(deployment.cli_runs)
    assert all(int(str(n)) > 10 for _, n in events)
    materialized = {str(k) for (k,) in cluster.query("SELECT asset_key FROM asset_keys")}
    assert {'["publication", "codes"]', '["exports", "downloads"]'} <= materialized
    # nothing went to Dagster's SQLite files beside the operator's file
    assert not list(deployment.home.rglob("*.db"))


def post(url: str, query: str, variables: dict[str, object] | None = None) -> dict[str, object]:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"{url}/graphql", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        answer: dict[str, object] = json.loads(response.read())
    assert "errors" not in answer, answer
    data = answer["data"]
    assert isinstance(data, dict)
    return data


LAUNCH = """
mutation($p: ExecutionParams!) { launchRun(executionParams: $p) {
  __typename
  ... on LaunchRunSuccess { run { runId } }
  ... on Error { message }
} }"""
RUNS = "{ runsOrError { ... on Runs { results { runId status } } } }"
STATUS = "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"
START_SENSOR = """
mutation($s: SensorSelector!) { startSensor(sensorSelector: $s) { __typename ... on Error { message } } }"""


def launch(url: str, year: str) -> dict[str, object]:
    params = {"selector": {"repositoryLocationName": LOCATION, "repositoryName": "__repository__",
                           "jobName": "refresh_year"},
              "runConfigData": "{}",
              "executionMetadata": {"tags": [{"key": "dagster/partition", "value": year}]}}
    result = post(url, LAUNCH, {"p": params})["launchRun"]
    assert isinstance(result, dict)
    return result


def final_status(url: str, run_id: str, seconds: float = 300) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run = post(url, STATUS, {"id": run_id})["runOrError"]
        status = run.get("status") if isinstance(run, dict) else None
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            return str(status)
        time.sleep(1)
    raise AssertionError(f"run {run_id} did not end within {seconds} s")


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([str(BIN / args[0]), *args[1:]], cwd=REPO, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def wait_until_served(url: str, proc: subprocess.Popen[bytes], log: Path, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            with urllib.request.urlopen(f"{url}/server_info", timeout=2):
                pass
            post(url, "{ repositoriesOrError { __typename } }")
            return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} not served within {seconds} s")


def stop_timed(name: str, proc: subprocess.Popen[bytes], limit: float = 10) -> float:
    """SIGTERM, then the seconds until the process and every process of its group have ended."""
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=limit)
    while time.monotonic() - started < limit:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"processes of the {name} left {limit} s after SIGTERM")


def holding_the_lock(warehouse: Path, ready: Path) -> subprocess.Popen[bytes]:
    holder = subprocess.Popen([sys.executable, "-c",
                               "import sys, time; from pathlib import Path\n"
                               "from krise_pipeline.warehouse import locking\n"
                               "with locking.warehouse_lock(Path(sys.argv[1]), who='krise-pipeline run'):\n"
                               "    Path(sys.argv[2]).write_text('ready'); time.sleep(120)",
                               str(warehouse), str(ready)])
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert holder.poll() is None and time.monotonic() < deadline
        time.sleep(0.1)
    return holder


def test_webserver_and_daemon_as_two_services_on_postgresql(
        cluster: Cluster, deployment: Deployment, tmp_path: Path) -> None:
    env = deployment.env
    port, read_only_port = free_port(), free_port()
    url, read_only_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{read_only_port}"
    logs = {name: tmp_path / f"{name}.log" for name in ("webserver", "daemon", "read_only")}
    webserver = start(["dagster-webserver", "-h", "127.0.0.1", "-p", str(port), "-w", "workspace.yaml"],
                      env, logs["webserver"])
    daemon = start(["dagster-daemon", "run", "-w", "workspace.yaml"], env, logs["daemon"])
    read_only = start(["dagster-webserver", "-h", "127.0.0.1", "-p", str(read_only_port), "-w", "workspace.yaml",
                       "--read-only"], env, logs["read_only"])
    procs = [webserver, daemon, read_only]
    try:
        wait_until_served(url, webserver, logs["webserver"])
        wait_until_served(read_only_url, read_only, logs["read_only"])

        # the UI lists the CLI's runs, read from PostgreSQL
        listed = post(url, RUNS)["runsOrError"]
        assert isinstance(listed, dict)
        assert {r["runId"] for r in listed["results"]} >= set(deployment.cli_runs)

        # the read-only UI may look but not launch
        refused = launch(read_only_url, "2023")
        assert refused["__typename"] == "UnauthorizedError", refused
        started = post(read_only_url, START_SENSOR, {"s": {
            "repositoryLocationName": LOCATION, "repositoryName": "__repository__", "sensorName": "delivery_sensor"}})
        assert started["startSensor"]["__typename"] == "UnauthorizedError", started  # type: ignore[index]

        # a run launched from the UI is queued, started by the daemon and succeeds
        publication = deployment.warehouse / "publication.duckdb"
        launched = launch(url, "2023")
        assert launched["__typename"] == "LaunchRunSuccess", launched
        run_id = launched["run"]["runId"]  # type: ignore[index]
        assert final_status(url, run_id) == "SUCCESS", logs["daemon"].read_text(errors="replace")[-3000:]
        assert cluster.query("SELECT status FROM runs WHERE run_id = %s", run_id) == [("SUCCESS",)]

        # while the CLI holds the warehouse, a launched run fails with the lock's message and writes nothing
        before = publication.read_bytes()
        holder = holding_the_lock(deployment.warehouse, tmp_path / "ready")
        try:
            launched = launch(url, "2023")
            assert launched["__typename"] == "LaunchRunSuccess", launched
            busy_id = launched["run"]["runId"]  # type: ignore[index]
            assert final_status(url, busy_id) == "FAILURE"
        finally:
            holder.kill()
            holder.wait()
        events = " ".join(str(e) for (e,) in cluster.query("SELECT event FROM event_logs WHERE run_id = %s", busy_id))
        assert LOCK_REFUSAL in events
        assert publication.read_bytes() == before

        # the delivery sensor, started from the UI, keeps its cursor in PostgreSQL (the daemon evaluates it)
        started = post(url, START_SENSOR, {"s": {
            "repositoryLocationName": LOCATION, "repositoryName": "__repository__", "sensorName": "delivery_sensor"}})
        assert started["startSensor"]["__typename"] == "Sensor", started  # type: ignore[index]
        cursor = None
        deadline = time.monotonic() + 120
        while cursor is None and time.monotonic() < deadline:
            bodies = cluster.query("SELECT job_body FROM jobs UNION ALL SELECT instigator_body FROM instigators")
            for (body,) in bodies:
                if '"delivery_sensor"' in str(body):
                    cursor = (json.loads(str(body)).get("job_specific_data") or {}).get("cursor")
            if cursor is None:
                time.sleep(1)
        assert cursor is not None, bodies
        assert sorted(json.loads(cursor)) == ["2020", "2021", "2022", "2023", "2024"]

        # each service stops on SIGTERM within seconds, with every process it started
        times = {name: stop_timed(name, proc) for name, proc in
                 (("webserver", webserver), ("daemon", daemon), ("read-only webserver", read_only))}
        print("stopped on SIGTERM in " + ", ".join(f"{n} {s:.1f} s" for n, s in times.items()))
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    assert (deployment.home / "dagster.yaml").read_bytes() == deployment.settings
