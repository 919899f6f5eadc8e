"""The benchmark (bench/run.py): it runs and reports, and the stages it times compute the right figures
at scale (every figure against the independent reference computation)."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import duckdb
import pandas as pd
import pytest

from krise_pipeline_tests.support import paths, reference
from krise_sample import generate

REPO = paths.REPO
BENCH = REPO / "bench" / "run.py"
STAGES = ("plain_read", "validate", "scan", "aggregate", "publish", "exports", "data_total", "end_to_end")


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("krise_bench_run", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sample_run_text() -> None:
    bench = load_bench()
    text = bench.sample_run_text({
        "sample_run_s": 6.0, "import_dagster_s": 1.5, "vs_import": 4.0, "sample_peak_gib": 0.5,
        "validate_s": 0.6, "import_pandas_s": 0.4, "validate_vs_import": 1.5,
    })
    assert text == ("sample_run_s=6.00 import_dagster_s=1.50 vs_import=4.00 sample_peak_gib=0.50 "
                    "cli_validate_s=0.60 import_pandas_s=0.40 validate_vs_import=1.50")


@pytest.mark.slow
def test_sample_run_times_the_cli_against_the_imports(tmp_path: Path) -> None:
    bench = load_bench()
    data = tmp_path / "data"
    generate(data, years=(2023, 2024), scale=0.05)
    m = bench.sample_run(data, tmp_path / "work", 1)
    assert m["sample_run_s"] > m["import_dagster_s"] > 0
    assert m["vs_import"] == pytest.approx(m["sample_run_s"] / m["import_dagster_s"])
    assert m["validate_vs_import"] == pytest.approx(m["validate_s"] / m["import_pandas_s"])
    assert 0 < m["sample_peak_gib"] < 8
    assert not list((tmp_path / "work").glob("sample*"))
    with pytest.raises(SystemExit, match="exited 1"):
        bench.timed_subprocess([sys.executable, "-c", "raise SystemExit(1)"])


@pytest.mark.slow
def test_bench_prints_a_row_per_stage_and_the_summary(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--scales", "0.05", "--repeat", "1", "--no-shipped", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300, cwd=REPO, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0].split() == ["scale", "stage", "records", "seconds", "records/s", "peak_GiB", "agg_vs_scan"]
    rows = {line.split()[1]: line.split() for line in lines[1:-1]}
    assert set(rows) == set(STAGES)  # no CLI row at this scale
    assert all(r[0] == "0.05x" and r[2] == "915" for r in rows.values())
    assert len(rows["aggregate"]) == 7  # the only row with agg_vs_scan
    float(rows["aggregate"][6])
    summary = lines[-1]
    assert re.fullmatch(
        r"scale=0\.05x validate_s=\d+\.\d\d aggregate_s=\d+\.\d\d total_s=\d+\.\d\d peak_gib=\d+\.\d\d "
        r"agg_vs_scan=\d+\.\d\d plain_read_s=\d+\.\d\d vs_plain_read=\d+\.\d\d", summary), summary
    assert sum(line.startswith("scale=") for line in lines) == 1
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["summary"] == summary
    assert [r["stage"] for r in results["rows"]] == list(STAGES)
    aggregate = next(r for r in results["rows"] if r["stage"] == "aggregate")
    assert "cell_aggregates" in aggregate["steps"]
    total = next(r for r in results["rows"] if r["stage"] == "data_total")
    plain = next(r for r in results["rows"] if r["stage"] == "plain_read")
    assert total["vs_plain_read"] == pytest.approx(total["seconds"] / plain["seconds"])
    assert not (tmp_path / "work").exists()


@pytest.fixture(scope="module")
def ten_x(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, duckdb.DuckDBPyConnection]]:
    """A 10x delivery for 2024, validated (and loaded) and aggregated by the benchmark's stages."""
    bench = load_bench()
    root = tmp_path_factory.mktemp("ten_x")
    data = root / "data"
    generate(data, years=(2024,), scale=10.0)
    db = root / "warehouse" / "krise.duckdb"
    db.parent.mkdir()
    bench.stage_validate(db, data, [2024])
    bench.stage_aggregate(db, data)
    con = duckdb.connect(str(db), read_only=True)
    yield data, con
    con.close()


@pytest.fixture(scope="module")
def figures(ten_x: tuple[Path, duckdb.DuckDBPyConnection]) -> reference.Figures:
    return reference.compute(ten_x[0])


def matched(ours: pd.DataFrame, theirs: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    both = ours.merge(theirs, on=keys, how="outer", suffixes=("", "_ref"), indicator=True)
    missing = both[both["_merge"] != "both"]
    assert missing.empty, missing[[*keys, "_merge"]].head(20).to_string()
    return both


def ours_and_reference(con: duckdb.DuckDBPyConnection, table: str, reference_rows: pd.DataFrame, keys: list[str],
                       values: list[str], extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """warehouse.`table` beside the reference's `values` (suffix _ref) on `keys`; every row in both."""
    ours = con.execute(f"SELECT {', '.join([*keys, *values, *extra])} FROM warehouse.{table}").df()
    return matched(ours, reference_rows[[*keys, *values]], keys)


def differing(rows: pd.DataFrame, values: list[str]) -> pd.DataFrame:
    """The rows where any of `values` differs from the reference's."""
    mask = pd.Series(False, index=rows.index)
    for v in values:
        mask |= rows[v] != rows[f"{v}_ref"]
    return rows[mask]


def test_ten_x_is_big_enough(ten_x: tuple[Path, duckdb.DuckDBPyConnection]) -> None:
    _, con = ten_x
    counts = [con.execute(f"SELECT count(*) FROM validated.{t}").fetchone() for t in
              ("beboere_opphold", "barn_opphold", "dagsbesok")]
    assert sum(int(c[0]) for c in counts if c) == 182_990


def test_every_centre_count_at_ten_x(ten_x: tuple[Path, duckdb.DuckDBPyConnection],
                                     figures: reference.Figures) -> None:
    values = ["n_centres", "n_base"]
    both = ours_and_reference(ten_x[1], "centre_offers", figures.centre_offers,
                              ["year", "question", "item", "target_group"], values)
    assert len(both) > 150
    assert (both.n_base == 200).any()  # 10x has round(43 * 10 ** (2/3)) = 200 centres
    diff = differing(both, values)
    assert diff.empty, diff.head(20).to_string()


def test_every_unsuppressed_share_at_ten_x(ten_x: tuple[Path, duckdb.DuckDBPyConnection],
                                           figures: reference.Figures) -> None:
    _, con = ten_x
    keys = ["year", "population", "measure", "breakdown", "category"]
    ours = con.execute(f"SELECT {', '.join(keys)}, n_with, n_base, suppressed FROM warehouse.service_shares").df()
    ref = figures.service_shares[[*keys, "n_with", "n_base"]]
    both = ours.merge(ref, on=keys, how="left", suffixes=("", "_ref"), indicator=True)
    assert (both["_merge"] == "both").all()
    shown = both[~both.suppressed]
    assert len(shown) > 0.8 * len(both) and set(shown.population) == set(ours.population)
    assert shown.n_base.notna().all() and both[both.suppressed].n_with.isna().all()
    diff = differing(shown, ["n_with", "n_base"])
    assert diff.empty, diff.head(20).to_string()


def test_every_unsuppressed_count_at_ten_x(ten_x: tuple[Path, duckdb.DuckDBPyConnection],
                                           figures: reference.Figures) -> None:
    values = ["n_records", "n_persons"]
    both = ours_and_reference(ten_x[1], "user_counts", figures.user_counts,
                              ["year", "population", "breakdown", "category"], values, extra=("suppressed",))
    shown = both[~both.suppressed]
    assert len(shown) >= 6 and (shown.n_records > 10_000).any()
    diff = differing(shown, values)
    assert diff.empty, diff.head(20).to_string()


def test_compare_publications_finds_every_changed_table(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("krise_compare", REPO / "bench" / "compare_publications.py")
    assert spec is not None and spec.loader is not None
    compare = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(compare)
    paths = []
    for name, shares in (("old", [(2024, 0.5), (2023, 0.25)]), ("new", [(2023, 0.25), (2024, 0.5)])):
        path = tmp_path / f"{name}.duckdb"
        with duckdb.connect(str(path)) as con:
            con.execute("CREATE TABLE service_shares (year INTEGER, share DOUBLE)")
            con.executemany("INSERT INTO service_shares VALUES (?, ?)", shares)
            con.execute("CREATE TABLE releases (year INTEGER, built_at VARCHAR)")
            con.execute("INSERT INTO releases VALUES (2024, ?)", [name])  # build time: not compared
        paths.append(path)
    assert compare.compare(*paths) == []
    with duckdb.connect(str(paths[1])) as con:
        con.execute("UPDATE service_shares SET share = 0.75 WHERE year = 2023")
        con.execute("CREATE TABLE extra (x INTEGER)")
    assert compare.compare(*paths) == ["tables differ: only old [], only new ['extra']",
                                       "service_shares: (2, 2) rows, 2 rows differ"]
