"""The Dagster UI end to end, as `make dev` starts it: `dagster dev` with the instance template on
the 2024 sample delivery, the asset graph in headless Chromium (Debian package `chromium`), and a
refresh of 2024 launched through the webserver's GraphQL API, queued, started by the daemon and
published to publication.duckdb."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import duckdb
import pytest

from krise_pipeline_tests.browser import CHROMIUM, CHROMIUM_ARGS, require_browser

REPO = Path(__file__).resolve().parents[1]
INSTANCE_TEMPLATE = REPO / ".dagster" / "dagster.yaml"
# `dagster dev` announces that `dg dev` supersedes it; `make dev` silences exactly this notice.
DEV_NOTICE_FILTER = "ignore:Function `dev_command` is superseded:FutureWarning"
YEAR = "2024"
GROUPS = {
    "raw": ("delivery_files",),
    "validated": ("sentreskjema", "senter_svar", "beboere_opphold", "barn_opphold", "dagsbesok"),
    "warehouse": ("centre_offers", "cell_aggregates", "service_shares", "user_counts", "releases"),
    "publication": ("centre_offers", "service_shares", "user_counts", "questions", "label_changes", "releases"),
    "exports": ("downloads",),
}
# Python warnings, WARNING log lines and code locations that fail to load, in any process of `dagster dev`
NOISE = re.compile(r"Warning|WARNING|Error loading|Traceback")
START_TIMEOUT = 40.0
RUN_TIMEOUT = 40.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _own_session_default_signals() -> None:
    """In the child: a process group of its own, and SIGINT/SIGTERM handled even where the parent
    ignores them (so `dagster dev` can shut its webserver, daemon and code server down)."""
    os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Interrupt `dagster dev` (it stops its children), then kill whatever of its group is left."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


class Webserver:
    def __init__(self, url: str) -> None:
        self.url = url
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def graphql(self, query: str, **variables: Any) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.url}/graphql",
            data=json.dumps({"query": query, "variables": variables}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with self.opener.open(request, timeout=30) as response:
            body = json.load(response)
        assert not body.get("errors"), body["errors"]
        return dict(body["data"])

    def wait_until_serving(self, proc: subprocess.Popen[bytes], log: Path) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"dagster dev exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                with self.opener.open(f"{self.url}/server_info", timeout=2):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        pytest.fail(f"dagster dev did not serve {self.url} within {START_TIMEOUT:.0f} s:\n{log.read_text()[-3000:]}")

    def repository(self) -> dict[str, str]:
        """The code location's repository selector, once the location has loaded without error."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            data = self.graphql("""{ workspaceOrError { __typename ... on Workspace { locationEntries {
                name loadStatus locationOrLoadError { __typename
                  ... on RepositoryLocation { repositories { name } } ... on PythonError { message } } } } } }""")
            entries = data["workspaceOrError"]["locationEntries"]
            assert len(entries) == 1, entries
            entry = entries[0]
            location = entry["locationOrLoadError"]
            if entry["loadStatus"] == "LOADED" and location is not None:
                assert location["__typename"] == "RepositoryLocation", location
                return {"repositoryLocationName": entry["name"],
                        "repositoryName": location["repositories"][0]["name"]}
            assert time.monotonic() < deadline, entry
            time.sleep(0.3)

    def launch(self, selector: dict[str, Any], tags: dict[str, str] | None = None) -> dict[str, Any]:
        launched = self.graphql("""mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
            __typename ... on LaunchRunSuccess { run { runId status tags { key value } } }
            ... on PythonError { message } ... on RunConfigValidationInvalid { errors { message } } } }""",
            params={"selector": selector,
                    "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]}})
        assert launched["launchRun"]["__typename"] == "LaunchRunSuccess", launched
        run = dict(launched["launchRun"]["run"])
        run["tags"] = {t["key"]: t["value"] for t in run["tags"]}
        return run

    def run(self, run_id: str) -> dict[str, Any]:
        data = self.graphql("query($id: ID!) { runOrError(runId: $id) { ... on Run { status startTime endTime } } }",
                            id=run_id)
        return dict(data["runOrError"])

    def wait_for(self, run_ids: list[str]) -> tuple[list[dict[str, Any]], bool]:
        """The runs once all have ended, and whether two of them were ever in progress together."""
        deadline = time.monotonic() + RUN_TIMEOUT
        overlapped = False
        while True:
            runs = [self.run(run_id) for run_id in run_ids]
            overlapped |= sum(r["status"] in ("STARTING", "STARTED") for r in runs) > 1
            if all(r["status"] in ("SUCCESS", "FAILURE", "CANCELED") for r in runs) or time.monotonic() > deadline:
                return runs, overlapped
            time.sleep(0.3)

    def failure_messages(self, run_id: str) -> list[str]:
        data = self.graphql("""query($id: ID!) { logsForRun(runId: $id) { ... on EventConnection {
            events { __typename ... on MessageEvent { message } } } } }""", id=run_id)
        return [e["message"] for e in data["logsForRun"]["events"] if "Failure" in e["__typename"]]


@pytest.mark.slow
def test_dagster_ui_shows_the_graph_and_runs_a_year(tmp_path: Path) -> None:
    require_browser()
    from playwright.sync_api import expect, sync_playwright

    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert DEV_NOTICE_FILTER in makefile and ".dagster/dagster.yaml" in makefile, "make dev starts dagster differently"

    data_dir, warehouse_dir, home = tmp_path / "data", tmp_path / "warehouse", tmp_path / "dagster_home"
    shutil.copytree(REPO / "data" / "raw" / YEAR, data_dir / "raw" / YEAR)
    shutil.copy(REPO / "data" / "releases.csv", data_dir / "releases.csv")
    home.mkdir()
    shutil.copy(INSTANCE_TEMPLATE, home / "dagster.yaml")
    env = {**os.environ, "DAGSTER_HOME": str(home),
           "KRISE_DATA_DIR": str(data_dir), "KRISE_WAREHOUSE_DIR": str(warehouse_dir)}
    env.pop("PYTHONWARNINGS", None)
    port = free_port()
    server = Webserver(f"http://127.0.0.1:{port}")
    log = tmp_path / "dagster_dev.log"

    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-W", DEV_NOTICE_FILTER, "-m", "dagster", "dev", "-h", "127.0.0.1", "-p", str(port)],
            cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            preexec_fn=_own_session_default_signals,
        )
        try:
            server.wait_until_serving(proc, log)
            repository = server.repository()
            server.graphql("mutation { setNuxSeen }")  # no welcome dialog over the graph

            # a new year: add the partition, then refresh it (what the sensor does for a new folder)
            added = server.graphql("""mutation($repository: RepositorySelector!, $key: String!) {
                addDynamicPartition(repositorySelector: $repository, partitionsDefName: "year", partitionKey: $key) {
                  __typename ... on PythonError { message } } }""", repository=repository, key=YEAR)
            assert added["addDynamicPartition"]["__typename"] == "AddDynamicPartitionSuccess", added
            refresh = server.launch({**repository, "jobName": "refresh_year"}, {"dagster/partition": YEAR})
            assert refresh["tags"]["krise/warehouse"] == "krise.duckdb"
            assert refresh["status"] == "QUEUED"  # the daemon's run queue starts it, within the concurrency limits
            # "Materialize" on one asset of the graph meanwhile: it waits in the queue until the refresh has ended
            releases = server.launch({**repository, "jobName": "__ASSET_JOB",
                                      "assetSelection": [{"path": ["warehouse", "releases"]}]})
            assert "krise/warehouse" not in releases["tags"]
            runs, overlapped = server.wait_for([refresh["runId"], releases["runId"]])
            for run in (refresh, releases):
                status = server.run(run["runId"])["status"]
                assert status == "SUCCESS", (status, server.failure_messages(run["runId"]), log.read_text()[-3000:])
            assert not overlapped and runs[1]["startTime"] >= runs[0]["endTime"], runs

            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                try:
                    page = browser.new_page(viewport={"width": 1700, "height": 1700})
                    page.goto(f"{server.url}/asset-groups")
                    expect(page.get_by_text("Global asset lineage")).to_be_visible(timeout=20_000)
                    for group in GROUPS:
                        expect(page.locator(f'[data-tooltip="{group}"]')).to_be_visible()
                    page.get_by_text("Hide navigation").click()
                    raw = page.locator('[data-tooltip="raw"]').bounding_box()
                    assert raw is not None
                    page.mouse.click(raw["x"] + raw["width"] / 2, raw["y"] + 400, button="right")
                    page.get_by_role("menuitem", name="Expand all groups").click()
                    for group, assets in GROUPS.items():
                        for asset in assets:
                            expect(page.get_by_text(asset, exact=True).first).to_be_visible()
                        box = page.locator("foreignObject").filter(
                            has=page.locator(f'[data-tooltip="{group}"]')).last.bounding_box()
                        assert box is not None, group
                        for asset in assets:
                            assert any(inside(node.bounding_box(), box)
                                       for node in page.get_by_text(asset, exact=True).all()), (group, asset)
                    # every asset drawn as materialised (green) once the UI has the run's results
                    nodes = page.locator('[class*="minimalAssetNodeBox"]')
                    assert nodes.count() >= len({a for assets in GROUPS.values() for a in assets})
                    expect(page.locator('[class*="minimalAssetNodeBox"]:not([style*="background-green"])')
                           ).to_have_count(0, timeout=15_000)
                    page.screenshot(path=str(tmp_path / "asset_graph.png"))

                    page.goto(f"{server.url}/runs/{refresh['runId']}")
                    expect(page.get_by_text("Success", exact=True).first).to_be_visible(timeout=20_000)
                    page.screenshot(path=str(tmp_path / "run.png"))
                finally:
                    browser.close()
        finally:
            stop(proc)

    assert (tmp_path / "asset_graph.png").stat().st_size > 50_000
    publication = warehouse_dir / "publication.duckdb"
    assert publication.is_file() and (warehouse_dir / "krise.duckdb").is_file()
    with duckdb.connect(str(publication), read_only=True) as con:
        row = con.execute("SELECT count(*), min(year), max(year) FROM centre_offers").fetchone()
    assert row is not None and row[0] > 0 and row[1] == row[2] == int(YEAR), row
    noise = [line for line in log.read_text(encoding="utf-8", errors="replace").splitlines() if NOISE.search(line)]
    assert noise == [], "\n".join(noise)


def inside(inner: dict[str, float] | None, outer: dict[str, float]) -> bool:
    return inner is not None and (
        outer["x"] <= inner["x"] and inner["x"] + inner["width"] <= outer["x"] + outer["width"]
        and outer["y"] <= inner["y"] and inner["y"] + inner["height"] <= outer["y"] + outer["height"]
    )
