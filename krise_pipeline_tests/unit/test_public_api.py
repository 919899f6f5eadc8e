"""The package uses Dagster's public API and ends its processes the ordinary way."""

from __future__ import annotations

import re
from pathlib import Path

from krise_pipeline_tests.support import paths

PACKAGE = paths.REPO / "krise_pipeline"
# `import dagster._x`, `from dagster._x import`, and a module named in a string (importlib, dagster.yaml)
PRIVATE_DAGSTER = re.compile(r"\bdagster(?:_[a-z]+)?\._[a-z]")
PROCESS_END = re.compile(r"\bos\._exit\b|\batexit\._run_exitfuncs\b|\bgc\.disable\b")


def package_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*")
                  if p.suffix in (".py", ".yaml", ".sql") and "__pycache__" not in p.parts)


def offending_lines(pattern: re.Pattern[str]) -> list[str]:
    return [f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}"
            for path in package_files()
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if pattern.search(line)]


def test_the_patterns_catch_what_they_are_for() -> None:
    for line in ("from dagster._core.events.log import EventLogEntry", "import dagster._serdes",
                 "  module: dagster._core.storage.noop_compute_log_manager", "from dagster_shared._check import x"):
        assert PRIVATE_DAGSTER.search(line), line
    for line in ("import dagster as dg", "from dagster_duckdb import DuckDBResource", "dg.Failure(description=x)"):
        assert not PRIVATE_DAGSTER.search(line), line
    for line in ("    os._exit(code)", "atexit._run_exitfuncs()", "gc.disable()"):
        assert PROCESS_END.search(line), line
    assert not PROCESS_END.search("sys.exit(code)") and not PROCESS_END.search("gc.freeze()")


def test_no_private_dagster_module_anywhere_in_the_package() -> None:
    assert len(package_files()) > 50
    assert offending_lines(PRIVATE_DAGSTER) == []


def test_no_shortcut_out_of_the_process() -> None:
    assert offending_lines(PROCESS_END) == []
