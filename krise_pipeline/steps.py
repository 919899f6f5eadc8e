"""The pipeline's steps as plain functions over an open warehouse connection.

Each step does one asset's work and returns what the asset reports; the Dagster assets only wire
them (resources, partitions, metadata), and the benchmark calls the same steps, so nothing is
implemented twice. A step that finds the input unusable raises `StepRefused` with the report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from krise_pipeline.editorial import folder
from krise_pipeline.metadata import codebook, ddl
from krise_pipeline.publication import acknowledgements, ledger, publish, releases
from krise_pipeline.raw import deliveries
from krise_pipeline.warehouse import build


class StepRefused(RuntimeError):
    """The step cannot go on; the message is the whole report (file, line, year, what to do)."""


# --- raw ---------------------------------------------------------------------------------------------


def inventory_year(con: duckdb.DuckDBPyConnection, year: int, year_dir: Path) -> tuple[dict[str, str], str]:
    """raw.delivery_files for one year: every file of the folder with its size and SHA-256.

    Returns ({file: sha256}, the folder's content fingerprint as the sensor computes it)."""
    if not year_dir.is_dir():
        raise StepRefused(f"there is no delivery folder {year_dir} for the year {year}")
    fingerprint, state = deliveries.fingerprint(year_dir)
    rows = [(year, name, int(str(size)), str(sha)) for name, (size, _, sha) in sorted(state.items())]
    ddl.create_table(con, "raw.delivery_files", replace=False)
    con.execute("BEGIN")
    con.execute("DELETE FROM raw.delivery_files WHERE year = ?", [year])
    if rows:
        ddl.insert_rows(con, "raw.delivery_files", rows)
    con.execute("COMMIT")
    return {name: sha for _, name, _, sha in rows}, fingerprint


# --- warehouse ---------------------------------------------------------------------------------------


def read_statuses(releases_csv: Path) -> dict[int, releases.Release]:
    try:
        return releases.read_releases(releases_csv)
    except releases.ReleaseFileError as exc:
        raise StepRefused(str(exc)) from None


def build_years(con: duckdb.DuckDBPyConnection, data_dir: Path, delivered: list[int]) -> list[str]:
    """warehouse.years, after dropping draft years whose folder is gone; returns the notices."""
    statuses = {y: r.status for y, r in read_statuses(data_dir / "releases.csv").items()}
    try:
        _, notices = build.reconcile_years(con, delivered, statuses, ledger.ledger_years(data_dir),
                                               str(data_dir / "raw"))
    except build.MissingDeliveryError as exc:
        raise StepRefused(str(exc)) from None
    return notices


def build_release_table(con: duckdb.DuckDBPyConnection, releases_csv: Path, data_dir: Path | None = None) -> int:
    """warehouse.releases: status from releases.csv and the identity of each loaded year's release
    (delivered files, code, codebook and, with `data_dir`, the editors' texts)."""
    statuses = read_statuses(releases_csv)
    texts = folder.lineage(data_dir, build.loaded_years(con)) if data_dir is not None else None
    return build.build_releases(
        con, {y: (r.status, r.note) for y, r in statuses.items()},
        built_at=releases.build_time(), package_version=releases.package_version(),
        git_commit=releases.git_commit(), codebook_sha256=codebook.codebook_sha256(), texts=texts,
        publish_times={y: at.astimezone(dt.UTC).replace(tzinfo=None) for y, r in statuses.items()
                       if (at := r.publish_at) is not None},
    )


@dataclass
class LedgerStep:
    vintages: int
    ledger_years: list[int]
    written: list[Path] = field(default_factory=list)
    loud: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def hold_against_ledger(con: duckdb.DuckDBPyConnection, data_dir: Path, publication: Path, *,
                        write: bool = True) -> LedgerStep:
    """Freeze published years against the ledger, record new entries (unless `write` is False),
    and rebuild warehouse.vintages from the ledger. Refuses with the list of changed figures."""
    outcome, ledgers = ledger.hold_against_ledger(con, data_dir, publication,
                                                  today=releases.build_time().date().isoformat())
    if outcome.refusals:
        raise StepRefused(ledger.format_refusal(outcome))
    written = ledger.record(data_dir, outcome) if write else []
    total = ledger.build_vintages(con, ledgers)
    return LedgerStep(total, sorted(ledgers), written, outcome.loud, outcome.notices)


def build_acknowledgements(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    try:
        acknowledged = acknowledgements.read(path)
    except acknowledgements.AcknowledgementFileError as exc:
        raise StepRefused(str(exc)) from None
    con.execute("CREATE SCHEMA IF NOT EXISTS warehouse")
    return acknowledgements.build_table(con, acknowledged)


# --- exports -----------------------------------------------------------------------------------------


def write_exports(publication_db: Path, exports_dir: Path, data_dir: Path | None = None) -> dict[str, int]:
    """Every reader-facing file from publication.duckdb (with the editors' texts of `data_dir`);
    returns the number of files by type."""
    from krise_pipeline.exports import writer  # the exports' code: only when they are written

    for stale in exports_dir.rglob(".*.tmp"):  # left by a killed run
        stale.unlink()
    paths = writer.write_exports(publication_db, exports_dir, data_dir)
    publish.make_public(exports_dir)
    kinds: dict[str, int] = {}
    for p in paths:
        kinds[p.suffix] = kinds.get(p.suffix, 0) + 1
    return kinds
