"""The release ledger: what was published, kept in the data folder, not in the output folder.

`data/ledger/<year>/` holds three small CSV files, sorted and one record per line so that a change
reads well in a diff and in code review:

- `figures.csv`  (`table,key,figure,value,release`): every frozen figure of the year as it stands
  now (`..` = suppressed), with the release that last set it;
- `entries.csv`  (`release,date,status,note,origin,input_sha256,input_files,codebook_sha256,
  git_commit[,publiseres]`): one line per release of the year, the first publication and every
  revision; `publiseres` (written only when a year has a publishing time) is the time, Europe/Oslo,
  the first release goes out to the public files;
- `revisions.csv` (`release,table,key,figure,old_value,new_value`): every figure a revision
  changed.

The freeze, `krise-pipeline diff` and the `vintages` table are computed from these files, never
from an earlier publication.duckdb, so that a new machine or a wiped output folder rebuilds the
same publication. A year's folder is replaced as a whole (write beside, then rename), so a crash
leaves either the old or the new ledger of the year.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import os
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb

from krise_pipeline.metadata import contract, ddl
from krise_pipeline.publication.releases import format_publish_time, parse_publish_time

LEDGER_DIR = "ledger"
SUPPRESSED = ".."

# table -> (key columns, figure columns) of the figures the freeze compares
FIGURES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "centre_offers": (("year", "question", "item", "target_group"), ("n_centres", "n_base")),
    "service_shares": (("year", "population", "measure", "breakdown", "category"), ("n_with", "n_base")),
    "user_counts": (("year", "population", "breakdown", "category"), ("n_records", "n_persons")),
}
KEY_COLUMNS: tuple[str, ...] = tuple(dict.fromkeys(
    k for keys, _ in FIGURES.values() for k in keys if k != "year"))

FIGURE_COLUMNS = ("table", "key", "figure", "value", "release")
ENTRY_COLUMNS = ("release", "date", "status", "note", "origin", "input_sha256", "input_files",
                 "codebook_sha256", "git_commit")
TIMED_ENTRY_COLUMNS = (*ENTRY_COLUMNS, "publiseres")  # entries.csv of a year with a publishing time
REVISION_COLUMNS = ("release", "table", "key", "figure", "old_value", "new_value")

FigureId = tuple[str, str, str]  # (table, key, figure)
Figures = dict[FigureId, str]     # -> value ("..", or the number as text)


class LedgerError(ValueError):
    """A ledger file is not what this module writes; the message names file, line and column."""


@dataclass(frozen=True)
class Entry:
    release: str
    date: str
    status: str
    note: str
    origin: str
    input_sha256: str = ""
    input_files: str = ""
    codebook_sha256: str = ""
    git_commit: str = ""
    publiseres: str = ""  # the first release's publishing time (releases.csv's text); "" = at once


@dataclass(frozen=True)
class Revision:
    release: str
    table: str
    key: str
    figure: str
    old_value: str | None
    new_value: str | None


@dataclass(frozen=True)
class Change:
    """One figure that differs between two states of a year (old None = added, new None = removed)."""

    year: int
    table: str
    key: str
    figure: str
    old: str | None
    new: str | None

    @property
    def kind(self) -> str:
        return "added" if self.old is None else "removed" if self.new is None else "changed"

    def __str__(self) -> str:
        return f"{self.table} {self.year} [{self.key}] {self.figure}: {self.old} -> {self.new}"


@dataclass(frozen=True)
class YearLedger:
    year: int
    figures: dict[FigureId, tuple[str, str]] = field(default_factory=dict)  # -> (value, release)
    entries: tuple[Entry, ...] = ()
    revisions: tuple[Revision, ...] = ()

    @property
    def values(self) -> Figures:
        return {k: v for k, (v, _) in self.figures.items()}

    @property
    def latest(self) -> Entry:
        return self.entries[-1]

    def next_release(self) -> str:
        return f"{self.year}-{len(self.entries) + 1}"

    def entry_with_note(self, note: str) -> Entry | None:
        return next((e for e in self.entries if e.note.strip() == note.strip()), None)

    @property
    def publiseres(self) -> str:
        """The publishing time recorded with the first release ("" = it went out at once)."""
        return self.entries[0].publiseres

    def is_out(self, moment: dt.datetime) -> bool:
        """Whether the year is public at `moment` by its recorded publishing time."""

        return not self.publiseres or parse_publish_time(self.publiseres) <= moment


@dataclass(frozen=True)
class Identity:
    """What identifies a release's input and code (recorded in each ledger entry)."""

    input_sha256: str = ""
    input_files: str = ""
    codebook_sha256: str = ""
    git_commit: str = ""


# --- reading and writing ----------------------------------------------------------------------


def year_dir(data_dir: Path, year: int) -> Path:
    return Path(data_dir) / LEDGER_DIR / str(year)


def ledger_years(data_dir: Path) -> list[int]:
    root = Path(data_dir) / LEDGER_DIR
    if not root.is_dir():
        return []
    return sorted(int(p.name) for p in root.iterdir()
                  if p.is_dir() and len(p.name) == 4 and p.name.isdigit() and (p / "entries.csv").is_file())


def _read_csv(path: Path, columns: tuple[str, ...], *also: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """The rows of a ledger file whose header is `columns` (or one of `also`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise LedgerError(f"{path}: cannot be read as UTF-8 text ({exc})") from None
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) in also:
        columns = tuple(reader.fieldnames or ())
    if tuple(reader.fieldnames or ()) != columns:
        raise LedgerError(f"{path} line 1: the header must be {','.join(columns)}, got {reader.fieldnames!r}")
    rows = []
    for line, row in enumerate(reader, start=2):
        missing = [c for c in columns if row.get(c) is None]
        if missing:
            raise LedgerError(f"{path} line {line}: column {missing[0]} is missing")
        rows.append((line, {c: row[c] for c in columns}))
    return rows


def _optional(value: str) -> str | None:
    return None if value == "" else value


def read_year(data_dir: Path, year: int) -> YearLedger | None:
    """The ledger of one year, or None when the year was never published."""
    folder = year_dir(data_dir, year)
    _recover(folder)
    if not (folder / "entries.csv").is_file():
        return None
    entries = tuple(Entry(**row) for _, row in _read_csv(folder / "entries.csv", ENTRY_COLUMNS,
                                                         TIMED_ENTRY_COLUMNS))
    if not entries:
        raise LedgerError(f"{folder / 'entries.csv'}: no release is listed")
    known = {e.release for e in entries}
    figures: dict[FigureId, tuple[str, str]] = {}
    for line, row in _read_csv(folder / "figures.csv", FIGURE_COLUMNS):
        if row["table"] not in FIGURES:
            raise LedgerError(f"{folder / 'figures.csv'} line {line}, column table: unknown table {row['table']!r}")
        if row["release"] not in known:
            raise LedgerError(f"{folder / 'figures.csv'} line {line}, column release: {row['release']!r} "
                              "is not listed in entries.csv")
        figures[(row["table"], row["key"], row["figure"])] = (row["value"], row["release"])
    revisions = []
    for line, row in _read_csv(folder / "revisions.csv", REVISION_COLUMNS):
        if row["release"] not in known:
            raise LedgerError(f"{folder / 'revisions.csv'} line {line}, column release: {row['release']!r} "
                              "is not listed in entries.csv")
        revisions.append(Revision(row["release"], row["table"], row["key"], row["figure"],
                                  _optional(row["old_value"]), _optional(row["new_value"])))
    return YearLedger(year, figures, entries, tuple(revisions))


def read(data_dir: Path) -> dict[int, YearLedger]:
    out: dict[int, YearLedger] = {}
    for year in ledger_years(data_dir):
        ledger = read_year(data_dir, year)
        if ledger is not None:
            out[year] = ledger
    return out


def _csv_text(columns: tuple[str, ...], rows: Iterable[Iterable[object]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(["" if v is None else v for v in r] for r in rows)
    return buf.getvalue()


def _recover(folder: Path) -> None:
    """Finish or undo a year's replacement interrupted by a crash (see `write_year`)."""
    old = folder.with_name(folder.name + ".old")
    if old.is_dir() and not folder.exists():
        os.replace(old, folder)
    elif old.is_dir():
        shutil.rmtree(old)
    for stale in folder.parent.glob(f".{folder.name}.*.tmp") if folder.parent.is_dir() else []:
        shutil.rmtree(stale, ignore_errors=True)


def write_year(data_dir: Path, ledger: YearLedger) -> Path:
    """Replace the ledger of one year as a whole; returns its folder."""
    folder = year_dir(data_dir, ledger.year)
    folder.parent.mkdir(parents=True, exist_ok=True)
    _recover(folder)
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    figures = sorted((t, k, f, v, r) for (t, k, f), (v, r) in ledger.figures.items())
    (tmp / "figures.csv").write_text(_csv_text(FIGURE_COLUMNS, figures), encoding="utf-8")
    entry_columns = TIMED_ENTRY_COLUMNS if any(e.publiseres for e in ledger.entries) else ENTRY_COLUMNS
    (tmp / "entries.csv").write_text(_csv_text(entry_columns, (
        [getattr(e, c) for c in entry_columns] for e in ledger.entries)), encoding="utf-8")
    (tmp / "revisions.csv").write_text(_csv_text(REVISION_COLUMNS, (
        (r.release, r.table, r.key, r.figure, r.old_value, r.new_value) for r in ledger.revisions)),
        encoding="utf-8")
    for p in (tmp, *tmp.iterdir()):  # release records are reviewed and versioned: not private
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    old = folder.with_name(folder.name + ".old")
    if folder.exists():
        os.replace(folder, old)
    os.replace(tmp, folder)
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(old)
    return folder


# --- figures of a warehouse or a publication -----------------------------------------------------


def _key_sql(keys: tuple[str, ...]) -> str:
    return " || ', ' || ".join(f"'{k}=' || CAST({k} AS VARCHAR)" for k in keys if k != "year")


def _value_sql(column: str) -> str:
    return f"CASE WHEN {column} IS NULL THEN '{SUPPRESSED}' ELSE CAST({column} AS VARCHAR) END"


def read_figures(con: duckdb.DuckDBPyConnection, schema: str = "warehouse",
                 years: Iterable[int] | None = None) -> dict[int, Figures]:
    """Every frozen figure per year from `<schema>.centre_offers`, `service_shares`, `user_counts`."""
    wanted = sorted(set(years)) if years is not None else None
    if wanted == []:
        return {}
    year_filter = f"WHERE year IN ({', '.join(map(str, wanted))})" if wanted else ""
    out: dict[int, Figures] = {}
    for table, (keys, figures) in FIGURES.items():
        for figure in figures:
            rows = con.execute(
                f"SELECT year, {_key_sql(keys)}, {_value_sql(figure)} FROM {schema}.{table} {year_filter}"
            ).fetchall()
            for year, key, value in rows:
                out.setdefault(int(year), {})[(table, str(key), figure)] = str(value)
    return out


def publication_figures(publication: Path) -> tuple[dict[int, Figures], dict[int, tuple[str, str]]]:
    """(figures per year, {year: (status, built_at)}) of an existing publication.duckdb."""
    if not publication.exists():
        return {}, {}
    with duckdb.connect(str(publication), read_only=True) as con:
        figures = read_figures(con, "main")
        releases = {int(y): (str(s), str(b)) for y, s, b in
                    con.execute("SELECT year, status, built_at FROM releases").fetchall()}
    return figures, releases


def compare(year: int, old: Mapping[FigureId, str], new: Mapping[FigureId, str]) -> list[Change]:
    """Every figure added, changed or removed from `old` to `new`, in a stable order."""
    out = []
    for fid in sorted(set(old) | set(new)):
        before, after = old.get(fid), new.get(fid)
        if before != after:
            out.append(Change(year, fid[0], fid[1], fid[2], before, after))
    return out


def parse_key(key: str) -> dict[str, str]:
    """`population=barn_opphold, breakdown=kjonn` -> {"population": "barn_opphold", ...}."""
    return dict(part.split("=", 1) for part in key.split(", ") if "=" in part)


# --- reconciling a run with the ledger ------------------------------------------------------------


@dataclass
class Outcome:
    """What a run (or `release`, or `diff`) finds when it holds computed figures against the ledger."""

    refusals: list[str] = field(default_factory=list)   # stop: nothing is published or written
    frozen_changes: list[Change] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)    # said, the run goes on
    loud: list[str] = field(default_factory=list)       # said loudly, the run goes on
    updates: dict[int, YearLedger] = field(default_factory=dict)  # ledgers to write

    def ledgers(self, current: Mapping[int, YearLedger]) -> dict[int, YearLedger]:
        return {**current, **self.updates}


def _first_entry(year: int, status: str, note: str, origin: str, today: str, identity: Identity,
                 publiseres: str = "") -> Entry:
    return Entry(f"{year}-1", today, status, note, origin, identity.input_sha256, identity.input_files,
                 identity.codebook_sha256, identity.git_commit, publiseres)


def _frozen(year: int, figures: Figures, entry: Entry) -> YearLedger:
    return YearLedger(year, {k: (v, entry.release) for k, v in figures.items()}, (entry,), ())


def _revise(ledger: YearLedger, changes: list[Change], note: str, today: str, identity: Identity) -> YearLedger:
    release = ledger.next_release()
    entry = Entry(release, today, contract.REVISED, note, "revision", identity.input_sha256, identity.input_files,
                  identity.codebook_sha256, identity.git_commit)
    figures = dict(ledger.figures)
    for c in changes:
        fid = (c.table, c.key, c.figure)
        if c.new is None:
            figures.pop(fid, None)
        else:
            figures[fid] = (c.new, release)
    revisions = ledger.revisions + tuple(Revision(release, c.table, c.key, c.figure, c.old, c.new) for c in changes)
    return replace(ledger, figures=figures, entries=(*ledger.entries, entry), revisions=revisions)


def format_changes(changes: list[Change], limit: int = 200) -> list[str]:
    lines = [f"  {c}" for c in changes[:limit]]
    if len(changes) > limit:
        lines.append(f"  ... and {len(changes) - limit} more")
    return lines


def reconcile(
    *,
    ledgers: Mapping[int, YearLedger],
    computed: Mapping[int, Figures],
    statuses: Mapping[int, tuple[str, str]],
    identities: Mapping[int, Identity],
    published: Mapping[int, Figures],
    published_releases: Mapping[int, tuple[str, str]],
    today: str,
    ledger_path: str = "data/ledger",
    publication_path: str = "publication.duckdb",
    times: Mapping[int, str] | None = None,
    now: dt.datetime | None = None,
) -> Outcome:
    """Hold the figures computed now against the ledger, year by year.

    `statuses` maps year -> (status, note) from releases.csv; `published`/`published_releases` are
    the figures and release rows of the current publication.duckdb (used once, to adopt a year
    published before the ledger existed). `times` maps year -> its publishing time from
    releases.csv ("" or absent = at once; None: times are not held against the ledger), `now` the
    clock they are held against: a year's time is recorded with its first release, may move while
    the year waits, and is refused like a figure once the year is public. Pure: the caller writes
    `Outcome.updates`.
    """
    out = Outcome()
    moment = now or dt.datetime.now(dt.UTC)
    for year in sorted(set(ledgers) - set(computed)):
        out.refusals.append(
            f"{year} is published (ledger release {ledgers[year].latest.release}) but is not loaded in this "
            f"run, so its published figures would be removed. Run every delivered year (without --year), "
            f"and make sure raw/{year}/ is in the data folder.")
    for year in sorted(computed):
        status, note = statuses.get(year, (contract.DEFAULT_RELEASE_STATUS, ""))
        ledger = ledgers.get(year)
        figures = computed[year]
        identity = identities.get(year, Identity())
        if status == contract.DRAFT:
            if ledger is not None:
                out.refusals.append(
                    f"{year} is marked utkast in releases.csv, but it was published (ledger release "
                    f"{ledger.latest.release} of {ledger.latest.date}). A published year cannot become a draft "
                    f"again: set its status back to {ledger.latest.status}, or revise it with a note.")
            continue
        if ledger is None:
            old = published.get(year)
            old_status = published_releases.get(year, ("", ""))[0]
            if old is not None and old_status in contract.PUBLISHED_STATUSES:
                kept_note = statuses.get(year, ("", ""))[1] if status == contract.PUBLISHED else ""
                entry = _first_entry(year, contract.PUBLISHED, kept_note, f"adopted from {publication_path} built "
                                     f"{published_releases[year][1]}", today, identity, (times or {}).get(year, ""))
                ledger = _frozen(year, old, entry)
                out.updates[year] = ledger
                out.notices.append(
                    f"{year}: no ledger entry yet; its {len(old)} published figures were adopted from "
                    f"{publication_path} (built {published_releases[year][1]}) into {ledger_path}/{year}/.")
            else:
                entry = _first_entry(year, status, note, "first publication", today, identity,
                                     (times or {}).get(year, ""))
                out.updates[year] = _frozen(year, figures, entry)
                if old is not None:  # the draft the website showed becomes the published release
                    out.notices.append(
                        f"{year}: published for the first time as release {entry.release}; {len(figures)} "
                        f"figures are now frozen in {ledger_path}/{year}/.")
                else:
                    out.loud.append(
                        f"ATTENTION: {year} is marked {status} but has no ledger entry and no earlier publication: the "
                        f"figures computed now ({len(figures)}) are recorded as its first publication in "
                        f"{ledger_path}/{year}/. Check them before this ledger is committed.")
                continue
        wanted = (times or {}).get(year, "")
        if times is not None and wanted != ledger.publiseres:
            if ledger.is_out(moment):
                first = ledger.entries[0]
                since = f"{ledger.publiseres} (Europe/Oslo)" if ledger.publiseres else first.date
                out.refusals.append(
                    f"{year} is public since {since} (release {first.release}), so its publishing time cannot be "
                    f"moved to {wanted + ' (Europe/Oslo)' if wanted else 'at once'}: set column publiseres of {year} "
                    f"in releases.csv back to {ledger.publiseres!r}.")
                continue
            out.notices.append(f"{year}: its publishing time moved from {ledger.publiseres} (Europe/Oslo) to "
                               f"{wanted + ' (Europe/Oslo)' if wanted else 'at once'}; it was not public yet.")
            ledger = replace(ledger, entries=(replace(ledger.entries[0], publiseres=wanted), *ledger.entries[1:]))
            out.updates[year] = ledger
        changes = compare(year, ledger.values, figures)
        if not changes:
            continue
        if status == contract.PUBLISHED:
            out.frozen_changes.extend(changes)
            out.refusals.append(
                f"{year} is published (release {ledger.latest.release}, {ledger.latest.date}) and "
                f"{len(changes)} of its figures would change. To publish a correction, revise it: "
                f"krise-pipeline release {year} --status revidert --note \"what was corrected and why\"")
            continue
        # revidert
        if not note.strip():
            out.frozen_changes.extend(changes)
            out.refusals.append(f"{year} is marked revidert without a note; a revision needs one (releases.csv "
                                "column note, or krise-pipeline release --note).")
            continue
        used = ledger.entry_with_note(note)
        if used is not None:
            out.frozen_changes.extend(changes)
            out.refusals.append(
                f"{year} was already revised with this note (release {used.release}, {used.date}), and "
                f"{len(changes)} of its figures would change again. A further change needs a new revision with "
                f"its own note: krise-pipeline release {year} --status revidert --note \"...\"")
            continue
        revised = _revise(ledger, changes, note, today, identity)
        out.updates[year] = revised
        out.notices.append(f"{year}: revision {revised.latest.release} records {len(changes)} changed figure(s) "
                           f"in {ledger_path}/{year}/ (note: {note}).")
    return out


def format_refusal(outcome: Outcome) -> str:
    lines = [*outcome.refusals]
    if outcome.frozen_changes:
        lines.append("Figures that would change (table year [key] figure: old -> new):")
        lines += format_changes(outcome.frozen_changes)
    lines.append("Nothing was published and the ledger is unchanged.")
    return "\n".join(lines)


# --- vintages --------------------------------------------------------------------------------------



def vintage_rows(ledgers: Mapping[int, YearLedger]) -> list[tuple[object, ...]]:
    """One row per revised figure of every year, in ledger order."""
    def number(v: str | None) -> int | None:
        return int(v) if v is not None and v.lstrip("-").isdigit() else None

    rows: list[tuple[object, ...]] = []
    for year in sorted(ledgers):
        ledger = ledgers[year]
        entries = {e.release: e for e in ledger.entries}
        for r in ledger.revisions:
            e = entries[r.release]
            parts = parse_key(r.key)
            rows.append((r.release, dt.date.fromisoformat(e.date), year, r.table, r.key,
                         *(parts.get(k) for k in KEY_COLUMNS), r.figure, r.old_value, r.new_value,
                         number(r.old_value), number(r.new_value), e.note))
    return rows


def build_vintages(con: duckdb.DuckDBPyConnection, ledgers: Mapping[int, YearLedger],
                   target: str = "warehouse.vintages") -> int:
    """`target`: every revision in the ledger (the vintages of the published figures)."""
    ddl.create_table(con, "warehouse.vintages", target)
    rows = vintage_rows(ledgers)
    if rows:
        ddl.insert_rows(con, target, rows)
    return len(rows)


# --- the step the run, `diff` and `release` share ------------------------------------------------------


def warehouse_statuses(con: duckdb.DuckDBPyConnection) -> tuple[dict[int, tuple[str, str]], dict[int, Identity]]:
    """(year -> (status, note), year -> identity) from `warehouse.releases` of this run."""
    rows = con.execute("SELECT year, status, note, input_sha256, input_files, codebook_sha256, git_commit "
                       "FROM warehouse.releases").fetchall()
    statuses = {int(y): (str(s), str(n or "")) for y, s, n, *_ in rows}
    identities = {int(y): Identity(str(i), str(f), str(c), str(g)) for y, _, _, i, f, c, g in rows}
    return statuses, identities


def warehouse_times(con: duckdb.DuckDBPyConnection) -> dict[int, str]:
    """year -> its publishing time as releases.csv writes it (Europe/Oslo), from `warehouse.releases`."""

    rows = con.execute("SELECT year, publiseres FROM warehouse.releases WHERE publiseres IS NOT NULL").fetchall()
    return {int(y): format_publish_time(at.replace(tzinfo=dt.UTC)) for y, at in rows}


def hold_against_ledger(
    con: duckdb.DuckDBPyConnection,
    data_dir: Path,
    publication: Path,
    *,
    today: str,
    statuses: Mapping[int, tuple[str, str]] | None = None,
    now: dt.datetime | None = None,
) -> tuple[Outcome, dict[int, YearLedger]]:
    """Reconcile the warehouse's figures with the ledger in `data_dir` (nothing is written).

    Returns the outcome and the ledgers as they stand after it (current plus updates).
    """
    current = read(data_dir)
    run_statuses, identities = warehouse_statuses(con)
    if statuses is not None:
        run_statuses = {**run_statuses, **statuses}
    computed = read_figures(con, "warehouse")
    needs_adoption = any(y not in current and run_statuses.get(y, ("",))[0] in contract.PUBLISHED_STATUSES
                         for y in computed)
    published, published_releases = publication_figures(publication) if needs_adoption else ({}, {})
    outcome = reconcile(
        ledgers=current, computed=computed, statuses=run_statuses, identities=identities,
        published=published, published_releases=published_releases, today=today,
        ledger_path=str(Path(data_dir) / LEDGER_DIR), publication_path=str(publication),
        times=warehouse_times(con), now=now,
    )
    return outcome, outcome.ledgers(current)


def record(data_dir: Path, outcome: Outcome) -> list[Path]:
    """Write the ledgers the outcome changed (only when it has no refusal)."""
    if outcome.refusals:
        raise LedgerError(format_refusal(outcome))
    return [write_year(data_dir, ledger) for _, ledger in sorted(outcome.updates.items())]
