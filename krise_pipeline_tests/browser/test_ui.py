"""The Dagster UI end to end, as `make dev` starts it (`krise-pipeline dev`): after a CLI run on the
2024 sample, the UI shows that run, the materialised assets and the evaluated checks (headless
Chromium, Debian package `chromium`); a refresh launched through the webserver's GraphQL API is
queued, started by the daemon and published; a UI run while the CLI holds the warehouse stops."""

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

from krise_pipeline_tests.support import paths
from krise_pipeline_tests.support.chromium import CHROMIUM, CHROMIUM_ARGS, require_browser

REPO = paths.REPO
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
START_TIMEOUT = 90.0
RUN_TIMEOUT = 180.0


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
        """The run's failure events as the UI shows them: the message and the error with its causes."""
        data = self.graphql("""query($id: ID!) { logsForRun(runId: $id) { ... on EventConnection {
            events { __typename ... on MessageEvent { message }
              ... on ErrorEvent { error { message causes { message } } } } } } }""", id=run_id)
        out = []
        for e in data["logsForRun"]["events"]:
            error = e.get("error") or {}
            texts = [e.get("message") or "", error.get("message") or "",
                     *(c.get("message") or "" for c in error.get("causes") or [])]
            if "Failure" in e["__typename"] or error:
                out.append(" ".join(t for t in texts if t))
        return out


@pytest.mark.slow
def test_dagster_ui_shows_the_cli_history_and_runs_a_year(tmp_path: Path) -> None:
    require_browser()
    from playwright.sync_api import expect, sync_playwright

    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "$(BIN)/krise-pipeline dev" in makefile, "make dev starts dagster differently"

    data_dir, warehouse_dir, home = tmp_path / "data", tmp_path / "warehouse", tmp_path / "dagster_home"
    shutil.copytree(REPO / "data" / "raw" / YEAR, data_dir / "raw" / YEAR)
    (data_dir / "releases.csv").write_text(f"year,status,note\n{YEAR},utkast,Utkast.\n", encoding="utf-8")
    env = {**os.environ, "DAGSTER_HOME": str(home),
           "KRISE_DATA_DIR": str(data_dir), "KRISE_WAREHOUSE_DIR": str(warehouse_dir)}
    env.pop("PYTHONWARNINGS", None)
    # the command line first: its runs must be what the UI shows
    cli_run = subprocess.run([sys.executable, "-m", "krise_pipeline.cli", "run"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=600)
    assert cli_run.returncode == 0, cli_run.stderr
    port = free_port()
    server = Webserver(f"http://127.0.0.1:{port}")
    log = tmp_path / "dagster_dev.log"

    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "krise_pipeline.cli", "dev", "-h", "127.0.0.1", "-p", str(port)],
            cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            preexec_fn=_own_session_default_signals,
        )
        try:
            server.wait_until_serving(proc, log)
            repository = server.repository()
            server.graphql("mutation { setNuxSeen }")  # no welcome dialog over the graph
            runs = server.graphql("{ runsOrError { ... on Runs { results { jobName status } } } }")
            assert sorted((r["jobName"], r["status"]) for r in runs["runsOrError"]["results"]) == [
                ("load_year", "SUCCESS"), ("publish", "SUCCESS")]
            checks = server.graphql("""{ assetNodeOrError(assetKey: {path: ["warehouse", "service_shares"]}) {
                ... on AssetNode { assetChecksOrError { ... on AssetChecks { checks { name
                  executionForLatestMaterialization { status } } } } } } }""")
            statuses = {c["name"]: (c["executionForLatestMaterialization"] or {}).get("status")
                        for c in checks["assetNodeOrError"]["assetChecksOrError"]["checks"]}
            assert statuses and set(statuses.values()) == {"SUCCEEDED"}, statuses

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
                    # every asset drawn as materialised (green) by the CLI's runs, before any UI run
                    nodes = page.locator('[class*="minimalAssetNodeBox"]')
                    assert nodes.count() >= len({a for assets in GROUPS.values() for a in assets})
                    expect(page.locator('[class*="minimalAssetNodeBox"]:not([style*="background-green"])')
                           ).to_have_count(0, timeout=15_000)
                    page.screenshot(path=str(tmp_path / "asset_graph.png"))
                    page.goto(f"{server.url}/assets/warehouse/service_shares?view=checks")
                    expect(page.get_by_text("threat_total_identity").first).to_be_visible(timeout=20_000)
                    page.screenshot(path=str(tmp_path / "checks.png"))
                finally:
                    browser.close()

            # a refresh launched in the UI goes through the queue, and a second run waits for it
            refresh = server.launch({**repository, "jobName": "refresh_year"}, {"dagster/partition": YEAR})
            assert refresh["tags"]["krise/warehouse"] == "krise.duckdb"
            assert refresh["status"] == "QUEUED"  # the daemon's run queue starts it, within the concurrency limits
            releases = server.launch({**repository, "jobName": "__ASSET_JOB",
                                      "assetSelection": [{"path": ["warehouse", "releases"]}]})
            ended, overlapped = server.wait_for([refresh["runId"], releases["runId"]])
            for run in (refresh, releases):
                status = server.run(run["runId"])["status"]
                assert status == "SUCCESS", (status, server.failure_messages(run["runId"]), log.read_text()[-3000:])
            assert not overlapped and ended[1]["startTime"] >= ended[0]["endTime"], ended
            quiet_log = log.read_text(encoding="utf-8", errors="replace")

            # while the command line holds the warehouse, a run launched in the UI stops with who holds it
            publication = warehouse_dir / "publication.duckdb"
            before = publication.read_bytes()
            ready = tmp_path / "holding"
            holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(warehouse_dir), str(ready)], env=env)
            try:
                while not ready.exists():
                    assert holder.poll() is None
                    time.sleep(0.1)
                blocked = server.launch({**repository, "jobName": "refresh_year"}, {"dagster/partition": YEAR})
                server.wait_for([blocked["runId"]])
                assert server.run(blocked["runId"])["status"] == "FAILURE"
                messages = " ".join(server.failure_messages(blocked["runId"]))
                assert "is being written by krise-pipeline run" in messages, messages
            finally:
                holder.kill()
                holder.wait()
            assert publication.read_bytes() == before
        finally:
            stop(proc)

    assert (tmp_path / "asset_graph.png").stat().st_size > 50_000
    with duckdb.connect(str(publication), read_only=True) as con:
        row = con.execute("SELECT count(*), min(year), max(year) FROM centre_offers").fetchone()
    assert row is not None and row[0] > 0 and row[1] == row[2] == int(YEAR), row
    noise = [line for line in quiet_log.splitlines() if NOISE.search(line)]
    assert noise == [], "\n".join(noise)


HOLD_LOCK = """
import sys, time
from pathlib import Path
from krise_pipeline.warehouse import locking
from krise_pipeline_tests.support import paths
with locking.warehouse_lock(Path(sys.argv[1]), who="krise-pipeline run"):
    Path(sys.argv[2]).write_text("ready")
    time.sleep(60)
"""


def inside(inner: dict[str, float] | None, outer: dict[str, float]) -> bool:
    return inner is not None and (
        outer["x"] <= inner["x"] and inner["x"] + inner["width"] <= outer["x"] + outer["width"]
        and outer["y"] <= inner["y"] and inner["y"] + inner["height"] <= outer["y"] + outer["height"]
    )
