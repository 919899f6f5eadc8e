"""A load holds DuckDB to a memory limit while it runs and leaves the caller's setting as it was."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from krise_pipeline.validated import delivery, load_delivery
from krise_pipeline_tests.support.deliveries import adult_stay, centre, child_stay, visit, write_rows

YEAR = 2024


def memory_limit(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute("SELECT current_setting('memory_limit')").fetchone()
    assert row is not None
    return str(row[0])


def delivered(root: Path) -> Path:
    return write_rows(root / str(YEAR), {"survey_rows": [centre("KS001")], "adults": [adult_stay()],
                                         "children": [child_stay()], "visits": [visit()]})


@pytest.mark.parametrize("caller", ["8.0 GiB", "1.0 GiB"])
def test_the_callers_memory_limit_is_kept(tmp_path: Path, caller: str) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute(f"SET memory_limit = '{caller}'")
    report = load_delivery(con, delivered(tmp_path), YEAR)
    assert not report.problems
    assert con.execute("SELECT count(*) FROM validated.dagsbesok").fetchall() == [(1,)]
    assert memory_limit(con) == caller


def test_the_limit_is_lowered_and_never_raised(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("SET memory_limit = '8GiB'")
    assert delivery._lower_memory_limit(con, 1.5) == "8.0 GiB"
    assert memory_limit(con) == "1.5 GiB"
    con.execute("SET memory_limit = '500MiB'")
    assert delivery._lower_memory_limit(con, 1.5) is None
    assert memory_limit(con) == "500.0 MiB"
