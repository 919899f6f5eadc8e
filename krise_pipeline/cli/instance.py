"""The project's one Dagster instance: the CLI, the schedule, the sensor and the UI record into it.

By default it lives in `.dagster_home/` of the working directory (the project root, like `data/`
and `warehouse/`), private to its owner; a set `DAGSTER_HOME` wins. A `dagster.yaml` that exists
there is the operator's and is used as it is, never rewritten; only where there is none (or only
the default an earlier version of the project wrote) does the project write its default settings
(the package's `data/dagster.yaml`, with the folder's absolute path for `{home}`), so that the
instance also opens by its path (`DagsterInstance.from_config(home)`).
"""

from __future__ import annotations

import hashlib
import os
import sys
from importlib import resources
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from dagster import DagsterInstance

DEFAULT_HOME = ".dagster_home"


def home_dir() -> Path:
    return Path(os.environ.get("DAGSTER_HOME") or Path.cwd() / DEFAULT_HOME).absolute()


HOME_PLACEHOLDER = "{home}"
_WARNED: set[Path] = set()  # the operator's files already checked by this process
# SHA-256 of the defaults earlier versions of the project wrote (and rewrote at every command), with
# `{home}` for the folder: such a file is the project's, not an operator's, and is replaced by the
# current default. Two of them name storage classes of the project's that no longer exist.
EARLIER_DEFAULTS = frozenset({
    "162771eb58ace44c4dbfbaf8c4cfe46284ae5b1ee727e9fd1d0793da6cea5b1c",  # Dagster's SQLite storage
    "2611cd3fad08cda632d56a2c7a2f3077beb5e7a1b55a1e301df57a338ef026cf",  # krise_pipeline.instance_storage
    "f4833f5e2f460f093c0c40199a9f0e3751ce7306165b28afded688083071cecb",  # krise_pipeline.instance_storage
})


def settings_text(home: Path) -> str:
    """The instance settings for the folder `home`."""
    text = resources.files("krise_pipeline").joinpath("data", "dagster.yaml").read_text(encoding="utf-8")
    return text.replace(HOME_PLACEHOLDER, str(home))


def earlier_default(text: str, home: Path) -> bool:
    """Whether `text` is a default dagster.yaml an earlier version of the project wrote for `home`."""
    template = text.replace(str(home), HOME_PLACEHOLDER)
    return hashlib.sha256(template.encode("utf-8")).hexdigest() in EARLIER_DEFAULTS


def missing_settings(text: str) -> list[str]:
    """The settings the pipeline relies on that an instance's dagster.yaml does not give."""
    import yaml

    config = yaml.safe_load(text) or {}
    runs = (config.get("concurrency") or {}).get("runs") or {}
    coordinator = ((config.get("run_coordinator") or {}).get("config") or {})
    limit = runs.get("max_concurrent_runs", coordinator.get("max_concurrent_runs"))
    if limit != 1:
        return ["one run at a time (concurrency: runs: max_concurrent_runs: 1): runs that write "
                "krise.duckdb wait for each other's lock instead of queueing"]
    return []


def ensure_home(home: Path | None = None, warn: IO[str] | None = None) -> Path:
    """Create the instance folder and, where it has none, the project's dagster.yaml; set DAGSTER_HOME.

    A folder the project creates is private (0700); an existing folder and its dagster.yaml are the
    operator's and are left as they are (`warn`, when given, hears of a setting the pipeline relies
    on that the file lacks, in one line); only a default an earlier version of the project wrote
    there is replaced by the current one.
    """
    home = (home or home_dir()).absolute()
    if not home.exists():
        home.mkdir(parents=True)
        os.chmod(home, 0o700)
    target = home / "dagster.yaml"
    if not target.exists():
        tmp = target.with_name(f".dagster.yaml.{os.getpid()}.tmp")
        tmp.write_text(settings_text(home), encoding="utf-8")
        try:
            os.link(tmp, target)  # never over a file that appeared meanwhile
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    elif earlier_default(target.read_text(encoding="utf-8"), home):
        tmp = target.with_name(f".dagster.yaml.{os.getpid()}.tmp")
        tmp.write_text(settings_text(home), encoding="utf-8")
        os.replace(tmp, target)
    elif warn is not None and target not in _WARNED:
        _WARNED.add(target)
        for setting in missing_settings(target.read_text(encoding="utf-8")):
            print(f"note: {target} lacks a setting the pipeline relies on: {setting}", file=warn)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def get() -> DagsterInstance:
    """The project's instance (created on first use)."""
    from dagster import DagsterInstance

    ensure_home(warn=sys.stderr)
    return DagsterInstance.get()
