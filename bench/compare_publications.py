"""Build the shipped sample's publication with two versions of the code and compare every table.

    .venv/bin/python bench/compare_publications.py --old /path/to/old/checkout [--data-dir data]

`--old` is a checkout of the code to compare with (e.g. `git worktree add /tmp/old main`, or
`git archive main | tar -x -C /tmp/old`); the new code is this checkout. Each version runs
`krise-pipeline run` into its own warehouse folder (the old one with PYTHONPATH set to its checkout).
Every table of the two publication.duckdb files must hold the same rows; columns that record when,
by which commit or with which package version a release was built are left out of the comparison.
Exit 0 when identical, 1 with the differences otherwise.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
# columns that differ between any two builds, whatever the code
BUILD_COLUMNS = {"built_at", "git_commit", "package_version", "published_at", "vintage_built_at"}


def build(source: Path, data_dir: Path, warehouse: Path) -> Path:
    env = {**os.environ, "PYTHONPATH": str(source)}
    env.pop("DAGSTER_HOME", None)
    proc = subprocess.run(
        [sys.executable, "-m", "krise_pipeline.cli", "run", "--data-dir", str(data_dir), "--warehouse-dir",
         str(warehouse)], env=env, cwd=source, capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"the run of {source} failed:\n{proc.stderr}")
    return warehouse / "publication.duckdb"


def compare(old: Path, new: Path) -> list[str]:
    """Differences between the tables of two publication files ([] when identical)."""
    out: list[str] = []
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{old}' AS old (READ_ONLY)")
        con.execute(f"ATTACH '{new}' AS new (READ_ONLY)")
        old_tables = {t for (t,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'old'").fetchall()}
        new_tables = {t for (t,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'new'").fetchall()}
        if old_tables != new_tables:
            out.append(f"tables differ: only old {sorted(old_tables - new_tables)}, "
                       f"only new {sorted(new_tables - old_tables)}")
        for table in sorted(old_tables & new_tables):
            columns = [c for (c,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = 'old' AND table_name = ? "
                "ORDER BY column_index", [table]).fetchall()]
            new_columns = [c for (c,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = 'new' AND table_name = ? "
                "ORDER BY column_index", [table]).fetchall()]
            if columns != new_columns:
                out.append(f"{table}: columns differ: {columns} vs {new_columns}")
                continue
            kept = ", ".join(f'"{c}"' for c in columns if c not in BUILD_COLUMNS)
            counts = con.execute(f"SELECT (SELECT count(*) FROM old.{table}), (SELECT count(*) FROM new.{table})"
                                 ).fetchone()
            diff = con.execute(
                f"SELECT count(*) FROM ((SELECT {kept} FROM old.{table} EXCEPT ALL SELECT {kept} FROM new.{table}) "
                f"UNION ALL (SELECT {kept} FROM new.{table} EXCEPT ALL SELECT {kept} FROM old.{table}))"
            ).fetchone()
            if counts is None or diff is None or counts[0] != counts[1] or diff[0]:
                out.append(f"{table}: {counts} rows, {diff[0] if diff else '?'} rows differ")
            else:
                print(f"{table}: {counts[0]} rows identical", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--old", type=Path, required=True, help="checkout of the code to compare with")
    p.add_argument("--new", type=Path, default=REPO, help="checkout of the new code (default: this one)")
    p.add_argument("--data-dir", type=Path, default=REPO / "data")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="krise-compare-") as tmp:
        old = build(args.old.resolve(), args.data_dir.resolve(), Path(tmp) / "old")
        new = build(args.new.resolve(), args.data_dir.resolve(), Path(tmp) / "new")
        differences = compare(old, new)
    for line in differences:
        print(line)
    print("identical" if not differences else f"{len(differences)} table(s) differ")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
