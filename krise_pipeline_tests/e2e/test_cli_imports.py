"""The light commands start without Dagster: `validate`, `check-text`, `preview` and `--help` each in
a fresh interpreter, with the modules it imported looked at after the command; `diff`, which runs
jobs, imports it (so the look can tell)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from krise_pipeline_tests.support.deliveries import adult_stay, centre, child_stay, visit, write_delivery

WATCHED = ("dagster", "krise_pipeline.definitions", "krise_pipeline.validated", "krise_pipeline.editorial")
SCRIPT = ("import io, json, sys\n"
          "from krise_pipeline.cli import commands\n"
          "out, err = io.StringIO(), io.StringIO()\n"
          "try:\n"
          "    code = commands.main(sys.argv[1:], out=out, err=err)\n"
          "except SystemExit as exc:\n"
          "    code = exc.code\n"
          f"print(json.dumps([code, err.getvalue(), [m for m in {WATCHED!r} if m in sys.modules]]))\n")


def imported(tmp_path: Path, *argv: str) -> tuple[int, str, list[str]]:
    """(exit code, the command's error output, the WATCHED modules loaded) of `krise-pipeline argv`."""
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "home"), "KRISE_DATA_DIR": str(tmp_path / "data"),
           "KRISE_WAREHOUSE_DIR": str(tmp_path / "warehouse")}
    ran = subprocess.run([sys.executable, "-c", SCRIPT, *argv], capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=120)
    assert ran.returncode == 0, ran.stderr
    code, err, modules = json.loads(ran.stdout.splitlines()[-1])
    return code, err, modules


@pytest.fixture
def year_dir(tmp_path: Path) -> Path:
    return write_delivery(tmp_path / "data" / "raw" / "2024", [centre("KS001")], [adult_stay(2024)],
                          [child_stay(2024)], [visit(2024)])


def test_validate_imports_its_checks_and_not_dagster(tmp_path: Path, year_dir: Path) -> None:
    assert imported(tmp_path, "validate", str(year_dir)) == (0, "", ["krise_pipeline.validated"])


def test_check_text_imports_the_claims_reader_and_not_dagster(tmp_path: Path) -> None:
    text = tmp_path / "tekst.md"
    text.write_text("I 2024 hadde 5 sentre tilbud.\n", encoding="utf-8")
    code, err, modules = imported(tmp_path, "check-text", str(text), "--year", "2024")
    assert (code, modules) == (2, ["krise_pipeline.editorial"])
    assert err == (f"krise-pipeline: no publication at {tmp_path / 'warehouse' / 'publication.duckdb'}; "
                   "run `krise-pipeline run` first\n")


@pytest.mark.parametrize("argv", [["--help"], ["validate", "--help"], ["run", "--help"], ["preview"]])
def test_help_and_preview_import_none_of_them(tmp_path: Path, argv: list[str]) -> None:
    code, _, modules = imported(tmp_path, *argv)
    assert (code, modules) == (2 if argv == ["preview"] else 0, [])


def test_diff_runs_jobs_so_it_imports_dagster_and_the_definitions(tmp_path: Path) -> None:
    code, err, modules = imported(tmp_path, "diff")
    assert code == 2
    assert modules == list(WATCHED)  # the definitions import every step's package
    assert err == f"krise-pipeline: no delivery folder for any year in {tmp_path / 'data' / 'raw'}\n"
