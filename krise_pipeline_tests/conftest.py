"""Shared test set-up: tiers as markers, a private Dagster instance for every test, and the shipped
sample run once per session.

Tiers (`pytest -m <tier>`): `unit` pure functions on hand-made inputs; `sql` the warehouse SQL on
hand-made tables; `assets` Dagster assets and jobs against a temp DuckDB, in process; `wiring`
Definitions, schedule, sensors, resources; `e2e` the CLI end to end (subprocesses, the sample
run); `browser` headless Chromium (the preview page, the Dagster UI); `backtest` the published
figures. `make test-fast` runs unit, sql, assets and wiring: no subprocess, no browser.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TIERS = ("unit", "sql", "assets", "wiring", "e2e", "browser", "backtest")
MODULE_TIERS = {
    "test_ledger": "unit", "test_suppression": "unit", "test_exports_rules": "unit", "test_reading": "unit",
    "test_validation": "unit", "test_exports": "unit", "test_vocabulary": "unit", "test_sample": "unit",
    "test_editorial": "unit", "test_calibration": "unit", "test_models": "unit",
    "test_quality": "sql", "test_warehouse": "sql",
    "test_wiring": "wiring",
    "test_pipeline": "e2e", "test_releases": "e2e", "test_release_ledger": "e2e", "test_restricted": "e2e",
    "test_shipped_sample": "e2e", "test_bench": "e2e", "test_instance": "e2e", "test_editorial_seed": "e2e",
    "test_editorial_pipeline": "e2e", "test_release_time": "unit", "test_public": "e2e",
    "test_ui": "browser", "test_exports_browser": "browser",
}
BACKTESTS = {"test_backtest_reproduces_every_published_figure", "test_reproduces_every_published_figure"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        if not any(item.get_closest_marker(t) for t in TIERS):
            item.add_marker(getattr(pytest.mark, MODULE_TIERS.get(module, "e2e")))
        if item.originalname in BACKTESTS:
            item.add_marker(pytest.mark.backtest)


@pytest.fixture(scope="session")
def dagster_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dagster_home")


@pytest.fixture(autouse=True)
def _private_dagster_home(dagster_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    monkeypatch.delenv("KRISE_RECHECK_PUBLISHED", raising=False)
    yield


@pytest.fixture(scope="session")
def shipped_run(tmp_path_factory: pytest.TempPathFactory, dagster_home: Path) -> tuple[Path, Path]:
    """(data, warehouse) of the shipped sample, run once in process for the whole session."""
    from krise_pipeline.cli import commands

    root = tmp_path_factory.mktemp("shipped")
    shutil.copytree(REPO / "data", root / "data")
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1750000000")
        patch.setenv("DAGSTER_HOME", str(dagster_home))
        code = commands.main(["run", "--data-dir", str(root / "data"), "--warehouse-dir", str(root / "wh")],
                        out=out, err=err)
    assert code == 0, err.getvalue()
    return root / "data", root / "wh"


@pytest.fixture(scope="session")
def shipped_publication(shipped_run: tuple[Path, Path]) -> Path:
    """publication.duckdb of the shipped sample (read it, don't change it)."""
    return shipped_run[1] / "publication.duckdb"
