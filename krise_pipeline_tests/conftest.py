"""Shared test set-up: tiers as markers, a private Dagster instance for every test, and the shipped
sample run once per session.

Tiers (`pytest -m <tier>`) are folders: a module's folder under krise_pipeline_tests/ gives its
tests the marker, and a module outside them is refused. `unit` pure functions on hand-made inputs
(in folders mirroring the package); `sql` the warehouse SQL on hand-made tables; `assets` Dagster
assets and jobs against a temp DuckDB, in process; `wiring`
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

from krise_pipeline_tests.support.paths import REPO

TIERS = ("unit", "sql", "assets", "wiring", "e2e", "browser", "backtest")
TESTS = Path(__file__).resolve().parent


def tier_of(path: Path) -> str:
    """The tier of a test module: the first folder under krise_pipeline_tests/, one of TIERS."""
    folder = path.resolve().relative_to(TESTS).parts[0]
    if folder not in TIERS:
        raise pytest.UsageError(f"{path}: a test module belongs in one of the tier folders {', '.join(TIERS)}")
    return folder


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(getattr(pytest.mark, tier_of(item.path)))


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
