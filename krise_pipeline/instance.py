"""The project's one Dagster instance: the CLI, the schedule, the sensor and the UI record into it.

By default it lives in `.dagster_home/` of the working directory (the project root, like `data/`
and `warehouse/`), private to its owner; a set `DAGSTER_HOME` wins. Its settings are the package's
`data/dagster.yaml`, copied in (with the folder's absolute path for `{home}`) whenever the copy
differs, so that the instance also opens by its path (`DagsterInstance.from_config(home)`).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dagster import DagsterInstance

DEFAULT_HOME = ".dagster_home"


def home_dir() -> Path:
    return Path(os.environ.get("DAGSTER_HOME") or Path.cwd() / DEFAULT_HOME).absolute()


HOME_PLACEHOLDER = "{home}"


def settings_text(home: Path) -> str:
    """The instance settings for the folder `home`."""
    text = resources.files("krise_pipeline").joinpath("data", "dagster.yaml").read_text(encoding="utf-8")
    return text.replace(HOME_PLACEHOLDER, str(home))


def ensure_home(home: Path | None = None) -> Path:
    """Create the instance folder (0700) with the project's dagster.yaml; set DAGSTER_HOME to it."""
    home = (home or home_dir()).absolute()
    home.mkdir(parents=True, exist_ok=True)
    os.chmod(home, 0o700)
    target = home / "dagster.yaml"
    wanted = settings_text(home)
    if not target.exists() or target.read_text(encoding="utf-8") != wanted:
        tmp = target.with_name(".dagster.yaml.tmp")
        tmp.write_text(wanted, encoding="utf-8")
        os.replace(tmp, target)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def get() -> DagsterInstance:
    """The project's instance (created on first use)."""
    from dagster import DagsterInstance

    ensure_home()
    return DagsterInstance.get()
