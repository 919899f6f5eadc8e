"""Release status per year (releases.csv) and the identity of a release's inputs and code."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from krise_pipeline import __version__, contract

RELEASES_COLUMNS = ("year", "status", "note")


class ReleaseFileError(ValueError):
    """releases.csv is not in the contract's format; the message lists every problem."""


@dataclass(frozen=True)
class Release:
    year: int
    status: str
    note: str


def read_releases(path: Path) -> dict[int, Release]:
    """Parse `releases.csv` (year,status,note). A missing file means every year is a draft."""
    if not path.exists():
        return {}
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (UnicodeDecodeError, OSError) as exc:
        raise ReleaseFileError(f"{path.name}: cannot be read as UTF-8 text ({exc})") from None
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or [f.strip() for f in reader.fieldnames] != list(RELEASES_COLUMNS):
        raise ReleaseFileError(
            f"{path.name} line 1: header must be {','.join(RELEASES_COLUMNS)}, got {reader.fieldnames!r}"
        )
    problems: list[str] = []
    out: dict[int, Release] = {}
    for line, row in enumerate(reader, start=2):
        year_text, status = (row.get("year") or "").strip(), (row.get("status") or "").strip()
        if not (len(year_text) == 4 and year_text.isdigit()):
            problems.append(f"{path.name} line {line}, column year: {year_text!r} is not a four-digit year")
            continue
        if status not in contract.RELEASE_STATUSES:
            problems.append(
                f"{path.name} line {line}, column status: {status!r} is not one of "
                f"{', '.join(contract.RELEASE_STATUSES)}"
            )
            continue
        year = int(year_text)
        if year in out:
            problems.append(f"{path.name} line {line}, column year: {year} is listed twice")
            continue
        out[year] = Release(year, status, (row.get("note") or "").strip())
    if problems:
        raise ReleaseFileError("\n".join(problems))
    return out


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def input_identity(files: Iterable[tuple[str, str]]) -> tuple[str, str]:
    """(combined sha256, JSON of {file: sha256}) for a year's delivered files."""
    ordered = sorted(files)
    combined = hashlib.sha256("".join(f"{name}\t{sha}\n" for name, sha in ordered).encode()).hexdigest()
    return combined, json.dumps(dict(ordered), sort_keys=True)


def git_commit(root: Path | None = None) -> str:
    """The code's git commit (with "-dirty" for uncommitted changes to the code), or KRISE_GIT_COMMIT, or "unknown"."""
    if os.environ.get("KRISE_GIT_COMMIT"):
        return os.environ["KRISE_GIT_COMMIT"]
    root = root or Path(__file__).resolve().parent.parent
    try:  # one call: the commit ("# branch.oid") and the changed files of the code only (data is not code)
        lines = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain=v2", "--branch", "--untracked-files=no", "--",
             "krise_pipeline", "pyproject.toml"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    head = next((line.split()[2] for line in lines if line.startswith("# branch.oid ")), "unknown")
    if head == "(initial)":
        return "unknown"
    dirty = any(line and not line.startswith("#") for line in lines)
    return f"{head}-dirty" if dirty else head


def build_time() -> dt.datetime:
    """UTC build time, or SOURCE_DATE_EPOCH when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).replace(tzinfo=None)
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def package_version() -> str:
    return __version__


def write_status(path: Path, year: int, status: str, note: str) -> None:
    """Set one year's status and note in releases.csv, keeping every other line as it is."""
    rows = [(r.year, r.status, r.note) for r in read_releases(path).values()]
    rows = [r for r in rows if r[0] != year] + [(year, status, note)]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(RELEASES_COLUMNS)
    writer.writerows(sorted(rows))
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(buf.getvalue(), encoding="utf-8")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
