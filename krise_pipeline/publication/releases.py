"""Release status per year (releases.csv) and the identity of a release's inputs and code."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from krise_pipeline import __version__
from krise_pipeline.metadata import contract

RELEASES_COLUMNS = ("year", "status", "note")
PUBLISH_COLUMN = "publiseres"
"""Optional fourth column: the publishing time, `YYYY-MM-DD HH:MM` in Europe/Oslo (empty = at once)."""
TIME_ZONE_NAME = "Europe/Oslo"
OSLO = ZoneInfo(TIME_ZONE_NAME)
TIME_FORMAT = "%Y-%m-%d %H:%M"
_TIME_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")


class ReleaseFileError(ValueError):
    """releases.csv is not in the contract's format; the message lists every problem."""


class PublishTimeError(ValueError):
    """A publishing time that is malformed, impossible or ambiguous in Europe/Oslo."""


@dataclass(frozen=True)
class Release:
    year: int
    status: str
    note: str
    publiseres: str = ""
    """The publishing time as written (`YYYY-MM-DD HH:MM`, Europe/Oslo); "" = at once."""

    @property
    def publish_at(self) -> dt.datetime | None:
        """The publishing time as an aware datetime (Europe/Oslo), None = at once."""
        return parse_publish_time(self.publiseres) if self.publiseres else None


def parse_publish_time(text: str) -> dt.datetime:
    """`YYYY-MM-DD HH:MM` wall-clock time in Europe/Oslo -> aware datetime.

    Refuses any other form, a date or time that does not exist, a time skipped when summer time
    begins (02:00-02:59 on the last Sunday of March) and one that occurs twice when it ends
    (02:00-02:59 on the last Sunday of October): the moment a year goes out must be unambiguous."""
    text = text.strip()
    if not _TIME_PATTERN.fullmatch(text):
        raise PublishTimeError(f"{text!r} is not a time in the form YYYY-MM-DD HH:MM (e.g. 2025-06-12 08:00)")
    try:
        naive = dt.datetime.strptime(text, TIME_FORMAT)
    except ValueError:
        raise PublishTimeError(f"{text!r} is not a date and time that exists") from None
    local = naive.replace(tzinfo=OSLO)
    if local.astimezone(dt.UTC).astimezone(OSLO).replace(tzinfo=None) != naive:
        raise PublishTimeError(f"{text!r} does not exist in {TIME_ZONE_NAME}: the clocks skip that hour when "
                               "summer time begins; choose a time before 02:00 or from 03:00")
    if local.utcoffset() != local.replace(fold=1).utcoffset():
        raise PublishTimeError(f"{text!r} occurs twice in {TIME_ZONE_NAME} (the clocks go back that night when "
                               "summer time ends); choose a time before 02:00 or from 03:00")
    return local


def format_publish_time(moment: dt.datetime) -> str:
    """An aware datetime as releases.csv writes it: `YYYY-MM-DD HH:MM` in Europe/Oslo."""
    return moment.astimezone(OSLO).strftime(TIME_FORMAT)


def now() -> dt.datetime:
    """The real clock (aware, UTC): publishing times are held against it, never against SOURCE_DATE_EPOCH."""
    return dt.datetime.now(dt.UTC)


def is_public(release: Release | None, moment: dt.datetime) -> bool:
    """A year is public once it is publisert or revidert and its publishing time (if any) has come."""
    if release is None or release.status not in contract.PUBLISHED_STATUSES:
        return False
    at = release.publish_at
    return at is None or at <= moment


def _header(fieldnames: Sequence[str] | None) -> tuple[str, ...] | None:
    names = tuple(f.strip() for f in fieldnames or ())
    return names if names in (RELEASES_COLUMNS, (*RELEASES_COLUMNS, PUBLISH_COLUMN)) else None


def read_releases(path: Path) -> dict[int, Release]:
    """Parse `releases.csv` (year,status,note[,publiseres]). A missing file means every year is a draft."""
    if not path.exists():
        return {}
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (UnicodeDecodeError, OSError) as exc:
        raise ReleaseFileError(f"{path.name}: cannot be read as UTF-8 text ({exc})") from None
    reader = csv.DictReader(io.StringIO(text))
    if _header(reader.fieldnames) is None:
        raise ReleaseFileError(
            f"{path.name} line 1: header must be {','.join(RELEASES_COLUMNS)} (optionally followed by "
            f"{PUBLISH_COLUMN}), got {reader.fieldnames!r}"
        )
    reader.fieldnames = [f.strip() for f in reader.fieldnames or ()]
    problems: list[str] = []
    out: dict[int, Release] = {}
    for row in reader:
        line = reader.line_num  # the record's last line (a quoted note may span several)
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
        publiseres = (row.get(PUBLISH_COLUMN) or "").strip()
        if publiseres:
            try:
                publiseres = format_publish_time(parse_publish_time(publiseres))
            except PublishTimeError as exc:
                problems.append(f"{path.name} line {line}, column {PUBLISH_COLUMN}: {exc}")
                continue
        out[year] = Release(year, status, (row.get("note") or "").strip(), publiseres)
    if problems:
        raise ReleaseFileError("\n".join(problems))
    return out


def git_commit(root: Path | None = None) -> str:
    """The code's git commit (with "-dirty" for uncommitted changes to the code), or KRISE_GIT_COMMIT, or "unknown"."""
    if os.environ.get("KRISE_GIT_COMMIT"):
        return os.environ["KRISE_GIT_COMMIT"]
    root = root or Path(__file__).resolve().parents[2]
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


def write_status(path: Path, year: int, status: str, note: str, publiseres: str | None = None) -> None:
    """Set one year's status and note (and, unless `publiseres` is None, its publishing time) in
    releases.csv. Every other line stays as it was, byte for byte, and the file keeps its line
    endings and byte-order mark; a new year's line goes before the first later year. The column
    `publiseres` is added (empty on the other lines) only when a time is written to a file without it."""
    read_releases(path)  # refuse to touch a file that is not valid
    raw = path.read_bytes().decode("utf-8") if path.exists() else ""
    bom = "\ufeff" if raw.startswith("\ufeff") else ""
    text = raw.removeprefix("\ufeff")
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    records: list[tuple[int, int, list[str]]] = []  # (first line, end line, fields)
    reader = csv.reader(lines)
    start = 0
    for fields in reader:
        records.append((start, reader.line_num, fields))
        start = reader.line_num
    header = tuple(f.strip() for f in records[0][2]) if records else RELEASES_COLUMNS
    with_time = PUBLISH_COLUMN in header
    if not records:
        lines = []
    add_column = not with_time and bool(publiseres)
    old = next((r for r in records[1:] if r[2] and r[2][0].strip() == str(year)), None)
    kept = old[2][3].strip() if old is not None and with_time and len(old[2]) > 3 else ""
    time_text = kept if publiseres is None else publiseres
    fields = [str(year), status, note] + ([time_text] if with_time or add_column else [])
    buf = io.StringIO()
    csv.writer(buf, lineterminator=newline).writerow(fields)
    new_line = buf.getvalue()

    def ended(line: str) -> str:
        return line if line.endswith(("\n", "\r")) else line + newline

    def widened(line: str, value: str = "") -> str:  # one more field before the line's ending
        body = line.rstrip("\r\n")
        return body + "," + value + line[len(body):]

    out: list[str] = []
    if not records:
        out.append(",".join((*RELEASES_COLUMNS, *((PUBLISH_COLUMN,) if add_column else ()))) + newline)
    placed = False
    for i, (first, end, row) in enumerate(records):
        chunk = lines[first:end]
        if i == 0:
            if add_column:
                chunk = [widened(chunk[0], PUBLISH_COLUMN)]
            out += chunk
            continue
        row_year = row[0].strip() if row else ""
        if old is not None and (first, end) == (old[0], old[1]):
            out.append(new_line)
            placed = True
            continue
        if old is None and not placed and row_year.isdigit() and int(row_year) > year:
            out[-1] = ended(out[-1])
            out.append(new_line)
            placed = True
        if add_column and row:
            chunk = [*chunk[:-1], widened(chunk[-1])]
        out += chunk
    if not placed:
        if out:
            out[-1] = ended(out[-1])
        out.append(new_line)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes((bom + "".join(out)).encode("utf-8"))
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
