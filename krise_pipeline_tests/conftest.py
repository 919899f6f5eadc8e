"""Fixtures shared by several test modules."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest

from krise_pipeline import cli

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def shipped_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(data, warehouse) of the shipped sample, run once in process for the whole session."""
    root = tmp_path_factory.mktemp("shipped")
    shutil.copytree(REPO / "data", root / "data")
    out, err = io.StringIO(), io.StringIO()
    os.environ["SOURCE_DATE_EPOCH"] = "1750000000"
    try:
        code = cli.main(["run", "--data-dir", str(root / "data"), "--warehouse-dir", str(root / "wh")],
                        out=out, err=err)
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
    assert code == 0, err.getvalue()
    return root / "data", root / "wh"


@pytest.fixture(scope="session")
def shipped_publication(shipped_run: tuple[Path, Path]) -> Path:
    """publication.duckdb of the shipped sample (read it, don't change it)."""
    return shipped_run[1] / "publication.duckdb"
