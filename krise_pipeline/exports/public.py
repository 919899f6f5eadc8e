"""`warehouse/public/`: the files meant for the public, holding only the years that are out.

A year is out once its status is publisert or revidert and its publishing time (releases.csv
column `publiseres`, Europe/Oslo; none = at once) has come. Until then it is seen only in the
restricted preview (`warehouse/exports/`) and in publication.duckdb, marked with its status.

public/ is written from publication.duckdb alone: a copy of it holding only the years that are
out (every table with a `year` column keeps only those years; the label changes up to the latest
of them) goes through the same export code as the preview (`writer.write_exports`), so every file
that code writes (downloads, charts, page, open data) reaches public/ restricted to those years.
The folder is built beside the old one and swapped in as a whole; a failed build leaves the
previous public/ as it was. `released.json` in it lists the years it holds.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import duckdb

from krise_pipeline.exports import PREVIEW_FILE, writer
from krise_pipeline.metadata import contract
from krise_pipeline.metadata.vocabulary import PAGE_TITLE
from krise_pipeline.publication import publish, releases

PUBLIC_DIR = "public"
RELEASED_FILE = "released.json"
NOTHING_YET = "Ingen årganger av statistikken er publisert ennå."


@dataclass(frozen=True)
class YearTime:
    """A year of the publication with its status and publishing time (aware, None = at once)."""

    year: int
    status: str
    publish_at: dt.datetime | None = None

    def is_out(self, moment: dt.datetime) -> bool:
        return self.status in contract.PUBLISHED_STATUSES and (self.publish_at is None or self.publish_at <= moment)

    def is_waiting(self, moment: dt.datetime) -> bool:
        """Released (publisert/revidert) but its time has not come."""
        return self.status in contract.PUBLISHED_STATUSES and not self.is_out(moment)

    @property
    def local_time(self) -> str:
        return releases.format_publish_time(self.publish_at) if self.publish_at is not None else ""


def public_dir(warehouse_dir: Path) -> Path:
    return Path(warehouse_dir) / PUBLIC_DIR


def schedule(publication_db: Path) -> list[YearTime]:
    """Every year of publication.duckdb's `releases` with status and publishing time (a file
    written before the column existed has no times: its released years are out at once)."""
    if not Path(publication_db).is_file():
        return []
    with duckdb.connect(str(publication_db), read_only=True) as con:
        columns = {c for (c,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'releases'").fetchall()}
        at = "publiseres" if "publiseres" in columns else "NULL"
        rows = con.execute(f"SELECT year, status, {at} FROM releases ORDER BY year").fetchall()
    return [YearTime(int(y), str(s), a.replace(tzinfo=dt.UTC) if isinstance(a, dt.datetime) else None)
            for y, s, a in rows]


def years_out(years: Iterable[YearTime], moment: dt.datetime) -> list[int]:
    """The years that are out at `moment`, in order."""
    return sorted(y.year for y in years if y.is_out(moment))


def waiting(years: Iterable[YearTime], moment: dt.datetime) -> list[YearTime]:
    """The released years whose time has not come, the next to go out first."""
    return sorted((y for y in years if y.is_waiting(moment)), key=lambda y: (y.publish_at, y.year))


def next_due(years: Iterable[YearTime], moment: dt.datetime) -> dt.datetime | None:
    """When the next waiting year goes out (None: nothing waits)."""
    ahead = waiting(years, moment)
    return ahead[0].publish_at if ahead else None


def in_words(delta: dt.timedelta) -> str:
    """A time ahead in English: "in 3 days", "in 5 hours", "in 12 minutes"."""
    seconds = int(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"in {n} {unit}{'s' if n != 1 else ''}"
    return "in under a minute"


def goes_out(year: YearTime, moment: dt.datetime) -> str:
    """`2024: publisert, goes out 2025-06-12 08:00 Europe/Oslo (in 3 days)`."""
    if year.publish_at is None or year.is_out(moment):
        return f"{year.year}: {year.status}, out" + (f" since {year.local_time} {releases.TIME_ZONE_NAME}"
                                                     if year.publish_at is not None else "")
    return (f"{year.year}: {year.status}, goes out {year.local_time} {releases.TIME_ZONE_NAME} "
            f"({in_words(year.publish_at - moment)})")


def from_releases(records: Iterable[releases.Release]) -> list[YearTime]:
    """The years of releases.csv as `YearTime`s."""
    return [YearTime(r.year, r.status, r.publish_at) for r in sorted(records, key=lambda r: r.year)]


def outlook(known: Iterable[YearTime], held: list[int] | None, moment: dt.datetime) -> list[str]:
    """One line per released year not in public/ (holding `held`): when it goes out."""
    lines = []
    for y in sorted(known, key=lambda y: y.year):
        if y.is_waiting(moment):
            lines.append(goes_out(y, moment))
        elif y.is_out(moment) and held is not None and y.year not in held:
            passed = (f", its publishing time {y.local_time} {releases.TIME_ZONE_NAME} has passed"
                      if y.publish_at is not None else "")
            lines.append(f"{y.year}: {y.status}{passed}: goes out with the next run")
    return lines


def released_years(folder: Path) -> list[int] | None:
    """The years a public/ folder holds (its released.json), None when there is none."""
    try:
        data = json.loads((Path(folder) / RELEASED_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    years = data.get("years") if isinstance(data, dict) else None
    return [int(y) for y in years] if isinstance(years, list) else None


def restrict(source: Path, years: Sequence[int], target: Path) -> Path:
    """A copy of publication.duckdb holding only `years`: every table with a `year` column keeps
    those years' rows, `label_changes` the changes up to the latest of them (its footnotes). The
    copy keeps the tables' types and comments (it is the file itself, rows deleted)."""
    shutil.copyfile(source, target)
    keep = ", ".join(str(int(y)) for y in years) or "NULL"
    with duckdb.connect(str(target)) as con:
        tables = con.execute("SELECT table_name FROM duckdb_columns() WHERE schema_name = 'main' "
                             "AND column_name = 'year' ORDER BY table_name").fetchall()
        for (table,) in tables:
            if table == "label_changes":
                con.execute(f"DELETE FROM main.{table} WHERE year > ?", [max(years, default=0)])
            else:
                con.execute(f"DELETE FROM main.{table} WHERE year IS NULL OR year NOT IN ({keep})")
        con.execute("CHECKPOINT")
    return target


def empty_page() -> str:
    """public/index.html while no year is out."""
    title = escape(PAGE_TITLE)
    return ("<!DOCTYPE html>\n<html lang=\"nb\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{title} – krisesenterstatistikken</title>\n</head>\n<body>\n<main>\n<h1>{title}</h1>\n"
            f"<p>{escape(NOTHING_YET)}</p>\n</main>\n</body>\n</html>\n")


@dataclass
class PublicResult:
    years: list[int]                 # the years public/ holds now
    before: list[int] | None         # the years it held before (None: there was no public/)
    files: int = 0
    waiting: list[YearTime] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.years != self.before


def write_public(publication_db: Path, warehouse_dir: Path, data_dir: Path | None = None,
                 moment: dt.datetime | None = None) -> PublicResult:
    """Rebuild `<warehouse_dir>/public/` for the years out at `moment` (default: now) and swap it in."""
    moment = moment or releases.now()
    target = public_dir(warehouse_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    publish.recover_folder(target)
    known = schedule(publication_db)
    years = years_out(known, moment)
    result = PublicResult(years, released_years(target) if target.is_dir() else None,
                          waiting=waiting(known, moment))
    for y in known:
        if y.year in years and y.publish_at is not None and (result.before is None or y.year not in result.before):
            result.notices.append(f"{y.year} goes out now: its publishing time {y.local_time} "
                                  f"({releases.TIME_ZONE_NAME}) has passed.")
    tmp = publish.new_folder(target)
    try:
        if years:
            with tempfile.TemporaryDirectory(dir=target.parent, prefix=".public-publication.") as scratch:
                copy = restrict(Path(publication_db), years, Path(scratch) / publish.PUBLICATION_FILE)
                result.files = len(writer.write_exports(copy, tmp, data_dir))
        else:
            (tmp / PREVIEW_FILE).write_text(empty_page(), encoding="utf-8")
            result.files = 1
        (tmp / RELEASED_FILE).write_text(json.dumps({"years": years}) + "\n", encoding="utf-8")
        publish.make_public(tmp)
        publish.replace_folder(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return result


@dataclass(frozen=True)
class Promotion:
    """What the release-time schedule does at a tick: promote (rebuild public/) or skip, and why."""

    due: bool
    years: list[int]
    reason: str


def promotion(known: Sequence[YearTime], held: list[int] | None, moment: dt.datetime) -> Promotion:
    """At `moment`: whether public/ (holding `held`; None = not built yet) must be rebuilt because
    the years out differ from the years it holds, and the message the UI shows either way."""
    years = years_out(known, moment)
    ahead = waiting(known, moment)
    upcoming = "; ".join(f"{y.year} goes out {y.local_time} ({releases.TIME_ZONE_NAME})" for y in ahead)
    if held is None:
        return Promotion(False, years, "public/ has not been built yet: the next `krise-pipeline run` (or publish "
                         "run) builds it" + (f"; {upcoming}" if upcoming else ""))
    if years != held:
        new = [y for y in years if y not in held]
        return Promotion(True, years, f"public/ holds {_span(held)}; out now: {_span(years)}"
                         + (f" ({', '.join(map(str, new))} goes out now)" if new else ""))
    return Promotion(False, years, upcoming or f"nothing is waiting; public/ holds {_span(held)}")


def _span(years: Sequence[int]) -> str:
    return ", ".join(map(str, years)) if years else "no year"
