"""Timings per stage of the pipeline at 1x, 10x, 100x and 1000x the 2024 volume.

    .venv/bin/python bench/run.py [--scales 1 10 100 1000] [--repeat 3] [--out bench/out]

For each scale the package's own generator (`krise_sample.generate`) writes one year
(2024) of deliveries in the contract's format to `<out>/data_<scale>x/` (reused while the
generator and the scale are unchanged). The stages then run the real code paths, each repetition
in a fresh warehouse folder, in a child process per scale:

  plain_read reference only: DuckDB's plain typed read of the delivery's CSV files into tables
             (`CREATE TABLE t AS SELECT * FROM read_csv(f)`, one fresh database file, checkpointed and
             synced to disk as the validated tables are when they are written), the read the
             pipeline cannot avoid; vs_plain_read = data_total / plain_read
  validate   raw inventory (SHA-256 of the files) + validated.load_delivery, as the raw and
             validated assets do it: every file checked while its typed rows are written to
             validated.* in one read, committed, checkpointed and synced to disk
  scan       reference only: DuckDB's plain scan of the columns the aggregation reads
  aggregate  steps.build_years, build.load_dimensions, build_centre_offers, build_cell_aggregates,
             build_suppression, build_service_shares, build_user_counts, build_releases
             (and the vintages of revised figures, as the vintages asset does)
  publish    publish.publish (new file, atomic swap)
  exports    exports.write_exports (Excel, charts, preview page)
  data_total validate + aggregate + publish (the summary's total_s)
  end_to_end data_total + exports
  cli        `krise-pipeline run` as a subprocess, wall seconds (1x and 10x, and the shipped sample;
             other scales with --cli-scales)

Each stage opens its own connection to the file-backed krise.duckdb; the aggregation steps share
one, as the steps of a Dagster run do.
Seconds are the median of `--repeat` runs. Peak RSS is the process's VmHWM from
/proc/self/status, reset before each stage by writing 5 to /proc/self/clear_refs (falls back to
the process-wide ru_maxrss where that is not possible); for the CLI it is the subprocess's own
VmHWM, read every 20 ms while it runs. `shipped` is the 5-year sample in data/ (skip it with --no-shipped).
agg_vs_scan = aggregate / scan; results.json also has the seconds of each aggregation step and
cells_vs_scan (build_cell_aggregates alone / scan). `--profile` adds one uncounted run under
pyinstrument and writes `<out>/profile_<scale>_<stage>.txt`.
The table goes to stdout and `<out>/results.json`; the last line sums up the largest scale and,
unless --no-shipped or --no-cli, adds the sample run against the import floor, each a subprocess,
alternating, medians of --repeat: `sample_run_s` (`krise-pipeline run` on data/, fresh warehouse),
`import_dagster_s` (`python -c "import dagster"`), `vs_import` (their ratio), `sample_peak_gib`
(its VmHWM), `cli_validate_s` (`krise-pipeline validate` of the latest shipped year),
`import_pandas_s` and `validate_vs_import`.
"""

from __future__ import annotations

import argparse
import compileall
import functools
import gzip
import hashlib
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # the sample generator (krise_sample) is development tooling, not installed
    sys.path.insert(0, str(REPO))
DEFAULT_OUT = REPO / "bench" / "out"
DEFAULT_SCALES = (1.0, 10.0, 100.0, 1000.0)
CLI_SCALES = (1.0, 10.0)  # the whole `krise-pipeline run` is timed at these scales (and on the shipped sample)
YEAR = 2024
SHIPPED = "shipped"  # the label of the shipped 5-year sample in data/
STAGES = ("plain_read", "validate", "scan", "aggregate", "publish", "exports")
DATA_STAGES = ("validate", "aggregate", "publish")  # total_s: the data layers, without exports
GIB = 1024**3

# The columns warehouse.user_records (and so cell_aggregates) reads from each record table.
SCAN_COLUMNS = {
    "beboere_opphold": ("forste_opphold_i_aret", "reservert", "inntakssamtale", "kartlegging_hjelpebehov",
                        "kartlegging_trusler_senter", "kartlegging_trusler_andre", "plan_under_opphold",
                        "plan_etter_opphold"),
    "barn_opphold": ("forste_opphold_i_aret", "reservert", "velkomstsamtale", "kartlegging_hjelpebehov",
                     "kartlegging_trusler_senter", "kartlegging_trusler_andre", "plan_under_opphold"),
    "dagsbesok": ("forste_besok_i_aret", "reservert", "kartlegging_hjelpebehov", "kartlegging_trusler_senter",
                  "kartlegging_trusler_andre"),
}


def scan_sql() -> str:
    """One plain aggregate per record table over the columns the aggregation reads."""
    parts = []
    for table, flags in SCAN_COLUMNS.items():
        sums = ", ".join(f"sum({c}::INT) AS s{i}" for i, c in enumerate(flags))
        pad = ", ".join(f"NULL AS s{i}" for i in range(len(flags), 8))
        age = "sum(alder)" if table == "barn_opphold" else "NULL"
        parts.append(
            f"SELECT count(*) AS n, sum(year) AS y, count_if(kjonn = 'K') AS k, {age} AS a, {sums}"
            + (f", {pad}" if pad else "")
            + f" FROM validated.{table}"
        )
    return "\nUNION ALL\n".join(parts)


def label(scale: float | str) -> str:
    return scale if isinstance(scale, str) else f"{scale:g}x"


# --- peak memory -------------------------------------------------------------------------------


class PeakRss:
    """Peak resident set size of this process while a stage runs."""

    def __init__(self) -> None:
        self.method = "VmHWM (/proc/self/status), reset per stage via /proc/self/clear_refs"
        try:
            self.reset()
            self.read()
        except OSError:
            self.method = "ru_maxrss of the process (cumulative, not reset per stage)"
            self._proc = False
        else:
            self._proc = True

    def reset(self) -> None:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")

    def read(self) -> int:
        """Bytes."""
        with open("/proc/self/status") as fh:
            m = re.search(r"^VmHWM:\s+(\d+) kB", fh.read(), re.MULTILINE)
        if m is None:
            raise OSError("no VmHWM")
        return int(m.group(1)) * 1024

    def start(self) -> None:
        if self._proc:
            self.reset()

    def peak(self) -> int:
        if self._proc:
            return self.read()
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# --- the stages (child process) ----------------------------------------------------------------


def _connect(db: Path) -> Any:
    import duckdb

    return duckdb.connect(str(db))


def stage_plain_read(db: Path, data_dir: Path, years: Sequence[int]) -> None:
    """DuckDB's own typed read of every CSV file of the delivery into a table of a fresh file."""
    con = _connect(db)
    try:
        for year in years:
            for path in sorted((data_dir / "raw" / str(year)).iterdir()):
                if ".csv" in path.name:
                    table = f"t{year}_{path.name.split('.')[0]}"
                    con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv('{path}')")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    fd = os.open(db, os.O_RDONLY)  # on disk, as the pipeline's validated tables are at the end of load
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    db.unlink()


def stage_validate(db: Path, data_dir: Path, years: Sequence[int]) -> None:
    """raw/delivery_files and validated.* (every file checked while it is written), for every year."""
    from krise_pipeline import validated
    from krise_pipeline.raw import deliveries

    for year in years:
        year_dir = data_dir / "raw" / str(year)
        rows = [(year, p.name, p.stat().st_size, deliveries.sha256_file(p))
                for p in sorted(year_dir.iterdir()) if p.is_file()]
        con = _connect(db)
        try:
            con.execute("CREATE SCHEMA IF NOT EXISTS raw")
            con.execute("CREATE TABLE IF NOT EXISTS raw.delivery_files "
                        "(year INTEGER, file VARCHAR, bytes BIGINT, sha256 VARCHAR)")
            con.execute("BEGIN")
            con.execute("DELETE FROM raw.delivery_files WHERE year = ?", [year])
            con.executemany("INSERT INTO raw.delivery_files VALUES (?, ?, ?, ?)", rows)
            con.execute("COMMIT")
        finally:
            con.close()
        con = _connect(db)
        try:
            report = validated.load_delivery(con, year_dir, year)
        finally:
            con.close()
        if report:
            raise SystemExit(validated.format_report(report.problems, year_dir))


def stage_scan(db: Path) -> None:
    con = _connect(db)
    try:
        con.execute(scan_sql()).fetchall()
    finally:
        con.close()


def stage_aggregate(db: Path, data_dir: Path, timings: dict[str, list[float]] | None = None) -> None:
    """The warehouse assets on one connection, as the steps of a Dagster run share one; `timings`
    gets each step's seconds (opening the connection counts to the first)."""
    from krise_pipeline import steps as pipeline_steps
    from krise_pipeline.publication import acknowledgements, publish
    from krise_pipeline.warehouse import build

    steps: dict[str, Callable[[Any], object]] = {
        "years": lambda con: pipeline_steps.build_years(con, data_dir, delivered_years(data_dir)),
        "dimensions": build.load_dimensions,
        "centre_offers": build.build_centre_offers,
        "cell_aggregates": build.build_cell_aggregates,
        "suppression": build.build_suppression,
        "service_shares": build.build_service_shares,
        "user_counts": build.build_user_counts,
        "releases": lambda con: pipeline_steps.build_release_table(con, data_dir / "releases.csv"),
        # the ledger is read, never written, by the benchmark
        "vintages": lambda con: pipeline_steps.hold_against_ledger(
            con, data_dir, db.parent / publish.PUBLICATION_FILE, write=False),
        "acknowledgements": lambda con: pipeline_steps.build_acknowledgements(con, data_dir / acknowledgements.FILE),
    }
    t0 = time.perf_counter()
    con = _connect(db)
    try:
        for name, step in steps.items():
            step(con)
            if timings is not None:
                t1 = time.perf_counter()
                timings.setdefault(name, []).append(t1 - t0)
                t0 = t1
    finally:
        con.close()


def stage_publish(db: Path, warehouse_dir: Path) -> None:
    from krise_pipeline.publication import publish

    con = _connect(db)
    try:
        publish.publish(con, warehouse_dir)
    finally:
        con.close()


def stage_exports(warehouse_dir: Path) -> None:
    from krise_pipeline import exports
    from krise_pipeline.publication import publish

    exports.write_exports(warehouse_dir / publish.PUBLICATION_FILE, warehouse_dir / "exports")


def child(spec: dict[str, Any]) -> dict[str, Any]:
    """Run every stage `repeat` times on one delivery folder; medians and peaks per stage."""
    # import what every stage needs before measuring, so that no stage pays for the imports
    import duckdb  # noqa: F401

    from krise_pipeline.warehouse import build  # noqa: F401

    data_dir, work = Path(spec["data_dir"]), Path(spec["work"])
    years = [int(y) for y in spec["years"]]
    rss = PeakRss()
    seconds: dict[str, list[float]] = {s: [] for s in STAGES}
    peaks: dict[str, int] = dict.fromkeys(STAGES, 0)
    profiles: dict[str, str] = {}
    steps: dict[str, list[float]] = {}
    repeat = int(spec["repeat"])
    for rep in range(repeat + (1 if spec.get("profile") else 0)):
        profiled = rep == repeat  # an extra run under the profiler, not counted
        wh = work / f"rep{rep}"
        shutil.rmtree(wh, ignore_errors=True)
        wh.mkdir(parents=True)
        db = wh / "krise.duckdb"
        stages: dict[str, Callable[[], None]] = {
            "plain_read": functools.partial(stage_plain_read, wh / "plain.duckdb", data_dir, years),
            "validate": functools.partial(stage_validate, db, data_dir, years),
            "scan": functools.partial(stage_scan, db),
            "aggregate": functools.partial(stage_aggregate, db, data_dir, None if profiled else steps),
            "publish": functools.partial(stage_publish, db, wh),
            "exports": functools.partial(stage_exports, wh),
        }
        for name in STAGES:
            profiler = None
            if profiled:
                from pyinstrument import Profiler

                profiler = Profiler(interval=0.005)
                profiler.start()
            rss.start()
            t0 = time.perf_counter()
            stages[name]()
            if profiler is None:
                seconds[name].append(time.perf_counter() - t0)
                peaks[name] = max(peaks[name], rss.peak())
            else:
                profiler.stop()
                path = Path(spec["out"]) / f"profile_{spec['label']}_{name}.txt"
                path.write_text(profiler.output_text(unicode=False, color=False, show_all=False))
                profiles[name] = str(path)
        shutil.rmtree(wh, ignore_errors=True)
    return {
        "seconds": {s: statistics.median(v) for s, v in seconds.items()},
        "all_seconds": seconds,
        "aggregate_steps": {k: statistics.median(v) for k, v in steps.items()},
        "peak_bytes": peaks,
        "rss_method": rss.method,
        "profiles": profiles,
    }


# --- the parent: deliveries, child processes, the table ----------------------------------------


def generator_fingerprint() -> str:
    """What the generated files depend on: the generator and its calibration, the contract and the codebook."""
    pkg = REPO / "krise_pipeline"
    sample = REPO / "krise_sample"
    h = hashlib.sha256()
    for p in (sample / "generator.py", sample / "calibration.py", *sorted((sample / "calibration").glob("*.csv")),
              pkg / "metadata" / "contract.py", pkg / "metadata" / "codebook.py", pkg / "data" / "codebook.csv",
              pkg / "data" / "questions.csv"):
        h.update(p.read_bytes())
    return h.hexdigest()


def ensure_delivery(out: Path, scale: float, seed: int, regenerate: bool) -> Path:
    from krise_sample import generator as sample

    data_dir = out / f"data_{label(scale)}"
    stamp = data_dir / ".bench_stamp.json"
    want = {"scale": scale, "years": [YEAR], "seed": seed, "generator": generator_fingerprint()}
    if not regenerate and stamp.is_file() and json.loads(stamp.read_text()) == want:
        print(f"# {label(scale)}: reusing the delivery in {data_dir}", file=sys.stderr)
        return data_dir
    shutil.rmtree(data_dir, ignore_errors=True)
    t0 = time.perf_counter()
    sample.generate(data_dir, years=(YEAR,), scale=scale, seed=seed)
    stamp.write_text(json.dumps(want))
    print(f"# {label(scale)}: generated {data_dir} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return data_dir


def count_records(data_dir: Path, years: Sequence[int]) -> int:
    """Stays and visits in the delivered CSV files (lines without the header)."""
    from krise_pipeline.metadata import contract

    total = 0
    for year in years:
        for name in contract.CSV_FILES:
            path = data_dir / "raw" / str(year) / name
            opener = functools.partial(open, path, "rb") if path.exists() else functools.partial(
                gzip.open, path.with_name(name + ".gz"), "rb")
            with opener() as fh:
                total += sum(chunk.count(b"\n") for chunk in iter(functools.partial(fh.read, 1 << 24), b"")) - 1
    return total


def delivered_years(data_dir: Path) -> list[int]:
    return sorted(int(p.name) for p in (data_dir / "raw").iterdir() if p.is_dir() and re.fullmatch(r"\d{4}", p.name))


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)],
        stdout=subprocess.PIPE, text=True, check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"bench: the stages at {spec['label']} failed (exit {proc.returncode})")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def run_cli(data_dir: Path, work: Path, repeat: int) -> tuple[float, int]:
    """Median wall seconds and peak RSS (bytes) of `krise-pipeline run` as a subprocess."""
    exe = Path(sys.executable).with_name("krise-pipeline")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "krise_pipeline.cli"]
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    times, peak = [], 0
    for rep in range(repeat):
        wh = work / f"cli{rep}"
        shutil.rmtree(wh, ignore_errors=True)
        t0 = time.perf_counter()
        proc = subprocess.Popen([*cmd, "run", "--data-dir", str(data_dir), "--warehouse-dir", str(wh)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        err, code, rss = _wait_with_peak(proc)
        times.append(time.perf_counter() - t0)
        if code != 0:
            raise SystemExit(f"bench: krise-pipeline run failed on {data_dir}:\n{err.decode(errors='replace')}")
        peak = max(peak, rss)
        shutil.rmtree(wh, ignore_errors=True)
    return statistics.median(times), peak


# --- the sample run against the import floor (subprocesses, side by side) -----------------------


def _cli() -> list[str]:
    exe = Path(sys.executable).with_name("krise-pipeline")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "krise_pipeline.cli"]


def timed_subprocess(cmd: Sequence[str], *, ok: Sequence[int] = (0,)) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes, ru_maxrss via os.wait4) of one command; fails loudly."""
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(list(cmd), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=REPO)
    err, code, rss = _wait_with_peak(proc)
    seconds = time.perf_counter() - t0
    if code not in ok:
        raise SystemExit(f"bench: {' '.join(cmd)} exited {code}:\n{err.decode(errors='replace')}")
    return seconds, rss


def _vm_hwm(pid: int) -> int:
    """VmHWM of a running process in bytes (0 when it is gone or /proc is not there)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _wait_with_peak(proc: subprocess.Popen[bytes]) -> tuple[bytes, int, int]:
    """(stderr, exit code, peak RSS in bytes) of a child. The peak is the child's own VmHWM, read
    every 20 ms until it exits: ru_maxrss from wait4 would also count the memory of this process
    at the fork (Linux keeps the larger of the two at exec), so a bench that has generated the
    100x files reported 1.5 GiB for every command it started."""
    import threading

    chunks: list[bytes] = []
    assert proc.stderr is not None
    reader = threading.Thread(target=lambda: chunks.append(proc.stderr.read() if proc.stderr else b""))
    reader.start()
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _vm_hwm(proc.pid))
        time.sleep(0.02)
    reader.join()
    proc.stderr.close()
    if peak == 0:  # no /proc: fall back to ru_maxrss
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return b"".join(chunks), int(proc.returncode), peak


def sample_run(data_dir: Path, work: Path, repeat: int) -> dict[str, float]:
    """`krise-pipeline run` on a data folder (fresh warehouse each time) against `python -c "import
    dagster"`, and `krise-pipeline validate` of its latest year against `python -c "import pandas"`.

    The runs alternate with their reference (run, import, run, import, ...) so that both see the
    same load on a shared machine; seconds are medians of `repeat`, the peak is the largest.
    """
    year_dir = data_dir / "raw" / str(delivered_years(data_dir)[-1])
    runs, imports, validates, pandas_imports, peak = [], [], [], [], 0
    for rep in range(repeat):
        wh = work / f"sample{rep}"
        shutil.rmtree(wh, ignore_errors=True)
        seconds, rss = timed_subprocess([*_cli(), "run", "--data-dir", str(data_dir), "--warehouse-dir", str(wh)])
        shutil.rmtree(wh, ignore_errors=True)
        runs.append(seconds)
        peak = max(peak, rss)
        imports.append(timed_subprocess([sys.executable, "-c", "import dagster"])[0])
        validates.append(timed_subprocess([*_cli(), "validate", str(year_dir)])[0])
        pandas_imports.append(timed_subprocess([sys.executable, "-c", "import pandas"])[0])
    run_s, import_s = statistics.median(runs), statistics.median(imports)
    validate_s, pandas_s = statistics.median(validates), statistics.median(pandas_imports)
    return {
        "sample_run_s": run_s, "import_dagster_s": import_s, "vs_import": run_s / import_s,
        "sample_peak_gib": peak / GIB,
        "validate_s": validate_s, "import_pandas_s": pandas_s, "validate_vs_import": validate_s / pandas_s,
    }


def sample_run_text(m: dict[str, float]) -> str:
    """The sample run's part of the summary line (validate_s here is `krise-pipeline validate`)."""
    return (f"sample_run_s={m['sample_run_s']:.2f} import_dagster_s={m['import_dagster_s']:.2f} "
            f"vs_import={m['vs_import']:.2f} sample_peak_gib={m['sample_peak_gib']:.2f} "
            f"cli_validate_s={m['validate_s']:.2f} import_pandas_s={m['import_pandas_s']:.2f} "
            f"validate_vs_import={m['validate_vs_import']:.2f}")


def rows_for(lab: str, scale: float | None, records: int, result: dict[str, Any],
             cli: tuple[float, int] | None) -> list[dict[str, Any]]:
    seconds, peaks = result["seconds"], result["peak_bytes"]
    scan = seconds["scan"]
    rows: list[dict[str, Any]] = []

    def add(stage: str, s: float, peak: int, **extra: Any) -> None:
        rows.append({
            "scale": lab, "scale_factor": scale, "stage": stage, "records": records, "seconds": s,
            "records_per_s": records / s if s > 0 else None, "peak_gib": peak / GIB,
            "agg_vs_scan": None, **extra,
        })

    plain = seconds["plain_read"]
    for stage in STAGES:
        if stage == "aggregate":
            steps = result["aggregate_steps"]
            cells = steps.get("cell_aggregates")
            add(stage, seconds[stage], peaks[stage], agg_vs_scan=seconds[stage] / scan if scan > 0 else None,
                steps=steps, cells_vs_scan=cells / scan if cells and scan > 0 else None)
        else:
            add(stage, seconds[stage], peaks[stage])
    data_total = sum(seconds[s] for s in DATA_STAGES)
    data_peak = max(peaks[s] for s in DATA_STAGES)
    add("data_total", data_total, data_peak, vs_plain_read=data_total / plain if plain > 0 else None)
    add("end_to_end", data_total + seconds["exports"], max(data_peak, peaks["exports"]))
    if cli is not None:
        add("cli", cli[0], cli[1])
    return rows


def print_row(row: dict[str, Any], out: Any) -> None:
    ratio = "" if row["agg_vs_scan"] is None else f"{row['agg_vs_scan']:.2f}"
    rate = "" if row["records_per_s"] is None else f"{row['records_per_s']:,.0f}"
    print(f"{row['scale']:>8} {row['stage']:<10} {row['records']:>12,} {row['seconds']:>9.3f} "
          f"{rate:>13} {row['peak_gib']:>8.3f} {ratio:>11}", file=out, flush=True)


HEADER = (f"{'scale':>8} {'stage':<10} {'records':>12} {'seconds':>9} {'records/s':>13} "
          f"{'peak_GiB':>8} {'agg_vs_scan':>11}")


def summary(rows: list[dict[str, Any]], lab: str) -> str:
    by_stage = {r["stage"]: r for r in rows if r["scale"] == lab}
    return (f"scale={lab} validate_s={by_stage['validate']['seconds']:.2f} "
            f"aggregate_s={by_stage['aggregate']['seconds']:.2f} "
            f"total_s={by_stage['data_total']['seconds']:.2f} "
            f"peak_gib={by_stage['data_total']['peak_gib']:.2f} "
            f"agg_vs_scan={by_stage['aggregate']['agg_vs_scan']:.2f} "
            f"plain_read_s={by_stage['plain_read']['seconds']:.2f} "
            f"vs_plain_read={by_stage['data_total']['vs_plain_read']:.2f}")


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scales", type=float, nargs="+", default=list(DEFAULT_SCALES),
                   help="scale factors of the 2024 volume (default: 1 10 100 1000)")
    p.add_argument("--repeat", type=int, default=3, help="runs per stage; the median is shown (default 3)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="deliveries, warehouses and results.json")
    p.add_argument("--seed", type=int, default=None, help="generator seed (default: the sample's)")
    p.add_argument("--no-shipped", action="store_true", help="skip the shipped 5-year sample in data/")
    p.add_argument("--no-cli", action="store_true", help="skip timing `krise-pipeline run`")
    p.add_argument("--cli-scales", type=float, nargs="*", default=list(CLI_SCALES),
                   help="scales at which `krise-pipeline run` is timed too (default: 1 10)")
    p.add_argument("--regenerate", action="store_true", help="regenerate deliveries even if unchanged")
    p.add_argument("--profile", action="store_true",
                   help="profile every stage of the first run with pyinstrument (<out>/profile_*.txt)")
    p.add_argument("--sample-only", action="store_true",
                   help="only the sample run against the import floor (and the unchanged run): no stages, no scales")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.repeat < 1 or any(s <= 0 for s in args.scales):
        p.error("--repeat and --scales must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return 0
    if args.sample_only:
        return sample_only(args)
    from krise_sample import generator as sample

    # the package as installed: with its bytecode (an editable install has none until written)
    compileall.compile_dir(REPO / "krise_pipeline", quiet=1)
    seed = sample.DEFAULT_SEED if args.seed is None else args.seed
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    jobs: list[tuple[str, float | None, Path]] = []
    if not args.no_shipped:
        jobs.append((SHIPPED, None, REPO / "data"))
    for scale in sorted(set(args.scales)):
        jobs.append((label(scale), scale, ensure_delivery(out, scale, seed, args.regenerate)))

    rows: list[dict[str, Any]] = []
    rss_method = ""
    print(HEADER, flush=True)
    for lab, scale, data_dir in jobs:
        years = delivered_years(data_dir)
        records = count_records(data_dir, years)
        work = out / "work" / lab
        spec = {"label": lab, "data_dir": str(data_dir), "work": str(work), "out": str(out), "years": years,
                "repeat": args.repeat, "profile": args.profile}
        result = run_child(spec)
        rss_method = result["rss_method"]
        cli = None
        if not args.no_cli and (scale is None or scale in args.cli_scales):
            cli = run_cli(data_dir, work, args.repeat)
        new = rows_for(lab, scale, records, result, cli)
        for row in new:
            print_row(row, sys.stdout)
        rows.extend(new)
        shutil.rmtree(work, ignore_errors=True)
    measured = None
    if not args.no_shipped and not args.no_cli:
        measured = sample_run(REPO / "data", out / "work" / "sample_run", args.repeat)
    shutil.rmtree(out / "work", ignore_errors=True)

    line = summary(rows, label(max(args.scales)))
    if measured is not None:
        line += " " + sample_run_text(measured)
    results = {
        "repeat": args.repeat,
        "seed": seed,
        "year": YEAR,
        "peak_rss": rss_method + "; cli: ru_maxrss of the subprocess",
        "seconds": "median of the runs; data_total = validate + aggregate + publish; "
                   "end_to_end = data_total + exports; scan and plain_read are references, in neither; "
                   "vs_plain_read = data_total / plain_read",
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count(), "duckdb": _duckdb_version()},
        "rows": rows,
        "sample_run": measured,
        "summary": line,
    }
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(line, flush=True)
    return 0


def sample_only(args: argparse.Namespace) -> int:
    """`--sample-only`: the sample run against `import dagster`, and the run with nothing changed."""
    compileall.compile_dir(REPO / "krise_pipeline", quiet=1)
    out: Path = args.out.resolve()
    measured = sample_run(REPO / "data", out / "work" / "sample_run", args.repeat)
    measured.update(unchanged_run(REPO / "data", out / "work" / "unchanged_run", args.repeat))
    shutil.rmtree(out / "work", ignore_errors=True)
    line = sample_run_text(measured) + (f" unchanged_run_s={measured['unchanged_run_s']:.2f} "
                                        f"unchanged_vs_import={measured['unchanged_vs_import']:.2f}")
    print(line, flush=True)
    return 0


def unchanged_run(data_dir: Path, work: Path, repeat: int) -> dict[str, float]:
    """`krise-pipeline run` again on a warehouse it has just built (the answer "nothing changed")
    against `python -c "import dagster"`, alternating; medians of `repeat`."""
    wh = work / "warehouse"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    cmd = [*_cli(), "run", "--data-dir", str(data_dir), "--warehouse-dir", str(wh)]
    env_home = work / "home"
    os.environ["DAGSTER_HOME"] = str(env_home)
    try:
        subprocess.run(cmd, cwd=REPO, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env=os.environ.copy())
        runs, imports = [], []
        for _ in range(repeat):
            t0 = time.perf_counter()
            subprocess.run(cmd, cwd=REPO, check=True, stdout=subprocess.DEVNULL, env=os.environ.copy())
            runs.append(time.perf_counter() - t0)
            imports.append(timed_subprocess([sys.executable, "-c", "import dagster"])[0])
    finally:
        del os.environ["DAGSTER_HOME"]
    run_s, import_s = statistics.median(runs), statistics.median(imports)
    return {"unchanged_run_s": run_s, "unchanged_vs_import": run_s / import_s}


def _duckdb_version() -> str:
    import duckdb

    return str(duckdb.__version__)


if __name__ == "__main__":
    sys.exit(main())
