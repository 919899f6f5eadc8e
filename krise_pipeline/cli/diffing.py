"""`krise-pipeline diff` and `release`: the ledger held against a computed (not published) warehouse."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb

from krise_pipeline.cli import reports
from krise_pipeline.cli.runner import RunOutcome
from krise_pipeline.defs.resources import KriseSettings, warehouse_resource
from krise_pipeline.exports import public
from krise_pipeline.metadata import contract
from krise_pipeline.publication import acknowledgements, ledger, releases
from krise_pipeline.warehouse import quality


class ReleaseRefused(RuntimeError):
    pass


def _today() -> str:
    return releases.build_time().date().isoformat()


def _delivered_files(con: duckdb.DuckDBPyConnection) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = {}
    for year, name, sha in con.execute("SELECT year, file, sha256 FROM raw.delivery_files").fetchall():
        out.setdefault(int(year), {})[str(name)] = str(sha)
    return out


def _published_files(publication: Path) -> dict[int, dict[str, str]]:
    if not publication.exists():
        return {}
    with duckdb.connect(str(publication), read_only=True) as con:
        return {int(y): reports.parse_files(f) for y, f in
                con.execute("SELECT year, input_files FROM releases").fetchall()}


def failing_warnings(con: duckdb.DuckDBPyConnection, settings: KriseSettings) -> list[str]:
    acknowledged = acknowledgements.read(settings.acknowledgements_csv)
    lines = []
    for name in quality.WARNING_RULES:
        result = acknowledgements.evaluate(con, name, acknowledged, recheck_published=settings.recheck_published)
        if result.open_rows:
            lines.append(f"  WARNING {name}: {len(result.open_rows)} failing")
            lines += [f"    {reports.labelled(r)}" for r in result.open_rows[:5]]
    return lines


def report(settings: KriseSettings, outcome: RunOutcome) -> tuple[str, bool]:
    """(the text, whether a frozen figure would change)."""
    data_dir = Path(settings.data_dir)
    current = ledger.read(data_dir)
    with warehouse_resource(settings).get_connection() as con:
        result, _ = ledger.hold_against_ledger(con, data_dir, settings.publication_db, today=_today())
        computed = ledger.read_figures(con)
        statuses, _ = ledger.warehouse_statuses(con)
        delivered = _delivered_files(con)
        warnings = failing_warnings(con, settings)
    published, _ = ledger.publication_figures(settings.publication_db)
    published_files = _published_files(settings.publication_db)
    lines: list[str] = []
    for year in sorted(set(computed) | set(current) | set(published)):
        status, note = statuses.get(year, (contract.DRAFT, ""))
        if year in current:
            held = current[year]
            against = f"ledger release {held.latest.release} of {held.latest.date}"
            old, old_files = held.values, reports.parse_files(held.latest.input_files)
            frozen = status != contract.REVISED or not note or held.entry_with_note(note) is not None
        else:
            against = "publication.duckdb" if year in published else "nothing published yet"
            old, old_files, frozen = published.get(year, {}), published_files.get(year, {}), False
        changes = ledger.compare(year, old, computed.get(year, {}))
        files = reports.input_changes(delivered.get(year, {}), old_files) if year in computed else []
        label = status if year in computed else "no longer delivered"
        lines += reports.year_report(year, label, changes, against, frozen and bool(changes), files)
        if year in current and status == contract.REVISED and not frozen and changes:
            lines.append(f"  -> a run records these as revision {current[year].next_release()} ({note})")
    lines += [f"notice: {t}" for t in [*result.loud, *result.notices]]
    lines += release_outlook(settings)
    lines.append("Warning checks: " + ("all pass" if not warnings else "failing:"))
    lines += warnings
    if result.refusals:
        lines.append("A run would stop:")
        lines += [f"  {t}" for t in result.refusals]
    return "\n".join(lines), bool(result.refusals)


def release_outlook(settings: KriseSettings) -> list[str]:
    """"Waiting to go out:" and one line per year released in releases.csv but not (yet) in
    warehouse/public/: when it goes out."""
    known = public.from_releases(releases.read_releases(settings.releases_csv).values())
    folder = public.public_dir(settings.warehouse_path)
    lines = public.outlook(known, public.released_years(folder) or [], releases.now())
    return ["Waiting to go out (warehouse/public/ holds a year once it is released and its time has come):",
            *[f"  {t}" for t in lines]] if lines else []


def release(settings: KriseSettings, outcome: RunOutcome, year: int, status: str, note: str | None,
            at: str | None = None) -> str:
    """Check `year` and record it as `status`: releases.csv first, then the ledger. Returns the report.

    `at` is the publishing time (`YYYY-MM-DD HH:MM`, Europe/Oslo; "" = at once; None = keep the one
    releases.csv has). A year published with a time that has not come yet may be given a new time."""
    moment = releases.now()
    if at:
        try:
            at = releases.format_publish_time(releases.parse_publish_time(at))
        except releases.PublishTimeError as exc:
            raise ReleaseRefused(f"--at: {exc}") from None

    blocking = sorted({e.check_name for e in outcome.evaluations if e.blocking and not e.passed})
    if blocking:
        raise ReleaseRefused(f"blocking checks fail: {', '.join(blocking)}")
    if year not in outcome.years:
        raise ReleaseRefused(f"there is no delivery for {year} in {settings.raw_dir}")
    data_dir = Path(settings.data_dir)
    existing = ledger.read_year(data_dir, year)
    recorded = releases.read_releases(settings.releases_csv).get(year)
    if at is not None and status == contract.REVISED:
        raise ReleaseRefused("--at applies to a first publication: a revision goes out with the next run")
    rescheduling = status == contract.PUBLISHED and existing is not None and at is not None \
        and not existing.is_out(moment)
    if status == contract.PUBLISHED and existing is not None and at is not None and not rescheduling:
        since = f"{existing.publiseres} (Europe/Oslo)" if existing.publiseres else existing.entries[0].date
        raise ReleaseRefused(f"it is public since {since} (release {existing.entries[0].release}), so its "
                             "publishing time cannot be moved")
    if status == contract.PUBLISHED and existing is not None and not rescheduling:
        raise ReleaseRefused(
            f"it is already published (release {existing.latest.release} of {existing.latest.date}); to change "
            f"its figures, revise it: krise-pipeline release {year} --status revidert --note \"...\"")
    if status == contract.REVISED and existing is None and (recorded is None or recorded.status == contract.DRAFT):
        raise ReleaseRefused(f"it has not been published yet; publish it first: krise-pipeline release {year} "
                             "--status publisert")
    text_note = (note or "").strip() or (f"Publisert {_today()}." if status == contract.PUBLISHED else "")
    if rescheduling and existing is not None and not (note or "").strip():
        text_note = recorded.note if recorded is not None else existing.entries[0].note
    when = (recorded.publiseres if recorded is not None else "") if at is None else at
    with warehouse_resource(settings).get_connection() as con:
        computed = ledger.read_figures(con, years=[year])
        _, identities = ledger.warehouse_statuses(con)
    published, published_releases = ledger.publication_figures(settings.publication_db)
    result = ledger.reconcile(
        ledgers={year: existing} if existing else {}, computed=computed, statuses={year: (status, text_note)},
        identities=identities, published=published, published_releases=published_releases, today=_today(),
        ledger_path=str(data_dir / ledger.LEDGER_DIR), publication_path=str(settings.publication_db),
        times={year: when}, now=moment)
    if result.refusals:
        raise ReleaseRefused(ledger.format_refusal(result).replace("Nothing was published and the ledger is "
                                                                   "unchanged.", "Nothing was recorded."))
    after = result.updates.get(year) or (existing if rescheduling else None)
    if status == contract.REVISED and (after is None or after.latest.status != contract.REVISED):
        raise ReleaseRefused("no published figure would change; there is nothing to revise")
    assert after is not None
    releases.write_status(settings.releases_csv, year, status, text_note, at)
    ledger.record(data_dir, result)
    entry = after.latest
    by_table = Counter(t for (t, _, _) in after.figures)
    lines = [f"{year} is now {status}: release {entry.release} of {entry.date} recorded in "
             f"{settings.releases_csv} and {ledger.year_dir(data_dir, year)}/."]
    if status == contract.REVISED:
        revised = [r for r in after.revisions if r.release == entry.release]
        lines.append(f"  {len(revised)} figure(s) revised (note: {entry.note}):")
        lines += [f"    {r.table} [{r.key}] {r.figure}: {r.old_value} -> {r.new_value}" for r in revised[:50]]
    tables = ", ".join(f"{t} {n}" for t, n in sorted(by_table.items()))
    lines.append(f"  {len(after.figures)} figures frozen: {tables}")
    lines += [f"  {t}" for t in [*result.loud, *result.notices]]
    if when:
        timed = public.YearTime(year, status, releases.parse_publish_time(when))
        lines.append(f"  {public.goes_out(timed, moment)}" if timed.is_waiting(moment) else
                     f"  its publishing time {when} (Europe/Oslo) has passed: it goes out with the next run")
    else:
        lines.append("  no publishing time: it goes out with the next run")
    lines.append("Run `krise-pipeline run` to publish it; commit the data folder's release records "
                 "(releases.csv, ledger/) to keep them.")
    return "\n".join(lines)
