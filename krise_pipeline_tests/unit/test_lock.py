"""The locked install: the lock files satisfy pyproject's ranges, and this environment holds them.

`make run` and `make test` install exactly `requirements.lock` / `requirements-dev.lock` (with their
hashes); `make lock` makes them again from pyproject. These tests fail when pyproject moves away from
the lock (a range the locked version leaves, a dependency the lock lacks) or when the environment
the tests run in was not installed from the lock.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from krise_pipeline_tests.support.paths import REPO

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\]+)", re.MULTILINE)


def read_lock(text: str) -> dict[str, str]:
    """name (canonical) -> pinned version, from a pip requirements file of `name==version` lines."""
    pins: dict[str, str] = {}
    for name, _extras, version in PIN.findall(text):
        key = canonicalize_name(name)
        if key in pins and pins[key] != version:
            raise ValueError(f"{name} is pinned twice: {pins[key]} and {version}")
        pins[key] = version
    return pins


def unsatisfied(requirements: list[str], pins: dict[str, str], extras: set[str]) -> list[str]:
    """The requirements (of the given extras) that the pins leave out or pin outside their range."""
    problems = []
    for line in requirements:
        req = Requirement(line)
        if req.marker is not None and not any(req.marker.evaluate({"extra": e}) for e in extras | {""}):
            continue
        version = pins.get(canonicalize_name(req.name))
        if version is None:
            problems.append(f"{req.name}: not in the lock")
        elif not req.specifier.contains(version, prereleases=True):
            problems.append(f"{req.name}: locked {version}, pyproject wants {req.specifier}")
    return problems


def project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def lock(name: str) -> dict[str, str]:
    return read_lock((REPO / name).read_text(encoding="utf-8"))


def test_read_lock_and_unsatisfied_on_hand_made_files() -> None:
    text = ("alembic==1.20.1 \\\n    --hash=sha256:00\n    # via dagster\n"
            "Typing_Extensions==4.15.0 ; python_version < '3.13'\n"
            "uvicorn[standard]==0.38.0\n")
    pins = read_lock(text)
    assert pins == {"alembic": "1.20.1", "typing-extensions": "4.15.0", "uvicorn": "0.38.0"}
    assert unsatisfied(["alembic>=1.20,<2", "typing_extensions>=4"], pins, set()) == []
    assert unsatisfied(["alembic<1.20"], pins, set()) == ["alembic: locked 1.20.1, pyproject wants <1.20"]
    assert unsatisfied(["duckdb>=1.4"], pins, set()) == ["duckdb: not in the lock"]
    with pytest.raises(ValueError, match="pinned twice"):
        read_lock("a==1\na==2\n")


def test_the_lock_files_satisfy_pyproject() -> None:
    meta = project()
    dev, run = lock("requirements-dev.lock"), lock("requirements.lock")
    optional: dict[str, list[str]] = meta.get("optional-dependencies", {})
    assert unsatisfied(meta["dependencies"], run, set()) == []
    assert unsatisfied(meta["dependencies"], dev, set()) == []
    for extra, requirements in optional.items():
        assert unsatisfied(requirements, dev, {extra}) == [], extra
    # one set of versions: what the run installs is what the tests ran with
    assert {name: version for name, version in run.items() if dev.get(name) != version} == {}


def test_every_dependency_has_an_upper_bound() -> None:
    meta = project()
    lines = [*meta["dependencies"], *(r for reqs in meta.get("optional-dependencies", {}).values() for r in reqs)]
    open_ended = [line for line in lines
                  if not any(s.operator in ("<", "<=", "==", "~=") for s in Requirement(line).specifier)]
    assert open_ended == []


def test_this_environment_holds_the_locked_versions() -> None:
    """The venv `make test` made (and so CI's) has every package of the dev lock at its locked version."""
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    differ = {name: (version, installed.get(name)) for name, version in lock("requirements-dev.lock").items()
              if installed.get(name) != version}
    assert differ == {}, f"locked vs installed: {differ}; run `make test` to install the lock"


def test_the_makefile_installs_from_the_locks() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "--require-hashes --no-deps -r $(LOCK_RUN)" in makefile
    assert "--require-hashes --no-deps -r $(LOCK_DEV)" in makefile
    assert "-e ." in makefile and "-e '.[dev]'" not in makefile
    assert "$(STAMP_RUN): pyproject.toml $(LOCK_RUN)" in makefile
    assert Path(REPO / "requirements.lock").is_file()
