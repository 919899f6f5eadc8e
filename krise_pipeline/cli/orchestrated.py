"""`krise-pipeline run | diff | release`: the commands that run Dagster jobs.

`run` materialises the same Dagster assets as the UI, in process and recorded in the project's
Dagster instance: each year's delivery is loaded (`load_year` job, one run per year partition), and
only when every year is valid the warehouse tables are rebuilt and published (`publish` job).
`diff` and `release` run the `compute` job (nothing published) and hold its tables against the
ledger. This module imports Dagster and the definitions (about 0.8 s); `commands` imports it only
when one of these commands runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import IO

import duckdb

from krise_pipeline.cli import diffing, reports, runner
from krise_pipeline.cli import instance as project_instance
from krise_pipeline.cli.exits import EXIT_INVALID, EXIT_OK, EXIT_USAGE
from krise_pipeline.cli.runner import RunOutcome
from krise_pipeline.defs import jobs
from krise_pipeline.defs.resources import KriseSettings, settings_for
from krise_pipeline.exports import public
from krise_pipeline.metadata import contract
from krise_pipeline.publication import releases
from krise_pipeline.warehouse import locking


def _settings(args: argparse.Namespace) -> KriseSettings:
    return settings_for(args.data_dir, args.warehouse_dir, getattr(args, "recheck_published", False) or None)


def _unchanged(settings: KriseSettings) -> str:
    if settings.publication_db.exists():
        return f"nothing was published ({settings.publication_db} is unchanged)"
    return f"nothing was published (there is no earlier publication in {settings.warehouse_path})"


def _run(args: argparse.Namespace, err: IO[str], then: str, settings: KriseSettings | None = None,
         record_fingerprint: bool = False) -> tuple[int, KriseSettings, RunOutcome | None]:
    """Load the years and run `then`; print the failures. Returns (exit code, settings, outcome)."""
    settings = settings or _settings(args)
    try:
        years = runner.preflight(settings, args.year)
    except (runner.UsageError, releases.ReleaseFileError) as exc:
        print(f"krise-pipeline: {exc}", file=err)
        return EXIT_USAGE, settings, None
    outcome = runner.run_jobs(settings, years, then, wait=args.wait, verbose=args.verbose,
                              record_fingerprint=record_fingerprint)
    if outcome.ok:
        return EXIT_OK, settings, outcome
    print("\n\n".join(outcome.failures), file=err)
    if outcome.failed_years:
        print(f"krise-pipeline: {outcome.failed_years} of {len(years)} year(s) failed; {_unchanged(settings)}.",
              file=err)
    else:
        print(f"krise-pipeline: the run failed; {_unchanged(settings)}.", file=err)
    return EXIT_INVALID, settings, outcome


def cmd_run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    settings = _settings(args)
    fingerprint = runner.inputs_fingerprint(settings) if not args.year else None
    if fingerprint and not args.force:
        same = runner.up_to_date(settings, fingerprint)
        if same is not None:
            print(f"Nothing changed since run {same.run_id[:8]} of {same.finished} (the same deliveries, release "
                  f"records and code, and its publication untouched): nothing was rebuilt. --force rebuilds.",
                  file=out)
            _promote(args, settings, out, err)
            _where(settings, out)
            _waiting(settings, out)
            if same.warnings_failed and args.strict:
                print(f"krise-pipeline: {same.warnings_failed} warning check(s) failed in that run (--strict).",
                      file=err)
                return EXIT_INVALID
            return EXIT_OK
    return _publish(args, settings, out, err)


def _promote(args: argparse.Namespace, settings: KriseSettings, out: IO[str], err: IO[str]) -> None:
    """Without a rebuild: bring warehouse/public/ up to the years out now (a publishing time passed)."""
    moment = releases.now()
    held = public.released_years(public.public_dir(settings.warehouse_path))
    if held is not None and held == public.years_out(public.schedule(settings.publication_db), moment):
        return
    with locking.warehouse_lock(settings.warehouse_path, who="krise-pipeline run",
                                wait_seconds=float("inf") if args.wait else 0.0):
        done = public.write_public(settings.publication_db, settings.warehouse_path, Path(settings.data_dir), moment)
    for text in done.notices:
        print(f"krise-pipeline: {text}", file=err)
    print(f"Rebuilt {public.public_dir(settings.warehouse_path)} for the years out now: "
          f"{', '.join(map(str, done.years)) or 'none'}.", file=out)


def _waiting(settings: KriseSettings, out: IO[str]) -> None:
    """What is released but waits for its publishing time (from publication.duckdb)."""
    folder = public.public_dir(settings.warehouse_path)
    lines = public.outlook(public.schedule(settings.publication_db), public.released_years(folder), releases.now())
    if lines:
        print("Waiting to go out (only in the restricted preview and publication.duckdb until then):", file=out)
        for text in lines:
            print(f"  {text}", file=out)


def _where(settings: KriseSettings, out: IO[str]) -> None:
    places: list[tuple[str, object]] = [("publication (downstream tools read this):", settings.publication_db)]
    if settings.exports_dir.is_dir():
        places.append(("Excel downloads, charts and preview:", settings.exports_dir))
    held = public.released_years(public.public_dir(settings.warehouse_path))
    if held is not None:
        places.append((f"public files ({', '.join(map(str, held)) or 'no year out yet'}):",
                       public.public_dir(settings.warehouse_path)))
    places.append(("restricted working warehouse:", settings.warehouse_db))
    places.append(("runs recorded in the Dagster instance:", project_instance.home_dir()))
    width = max(len(label) for label, _ in places)
    for label, path in places:
        print(f"  {label:<{width}} {path}", file=out)


def _publish(args: argparse.Namespace, settings: KriseSettings, out: IO[str], err: IO[str]) -> int:
    code, settings, outcome = _run(args, err, jobs.PUBLISH, settings, record_fingerprint=not args.year)
    if outcome is not None:
        summary, _, bad_warnings = reports.check_summary(outcome.evaluations)
        for text in outcome.notices:
            print(f"krise-pipeline: {text}", file=err)
        print(summary, file=out if code == EXIT_OK else err)
    if code != EXIT_OK or outcome is None:
        return code
    years = ", ".join(str(y) for y in _published_years(settings.publication_db))
    print(f"Published {years} in {outcome.seconds:.1f} s:", file=out)
    _where(settings, out)
    _waiting(settings, out)
    if bad_warnings and args.strict:
        print(f"krise-pipeline: {bad_warnings} warning check(s) failed (--strict).", file=err)
        return EXIT_INVALID
    return EXIT_OK


def _published_years(publication: Path) -> list[int]:
    with duckdb.connect(str(publication), read_only=True) as con:
        return [int(y) for (y,) in con.execute("SELECT year FROM releases ORDER BY year").fetchall()]


def cmd_diff(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """The pre-release report: per year, what a run would publish against what is published now."""
    settings = _settings(args)
    with locking.warehouse_lock(settings.warehouse_path, who="krise-pipeline diff",
                                wait_seconds=float("inf") if args.wait else 0.0):
        code, settings, outcome = _run(args, err, jobs.COMPUTE, settings)
        if code != EXIT_OK or outcome is None:
            return code
        text, frozen = diffing.report(settings, outcome)
    print(text, file=out)
    return EXIT_INVALID if frozen else EXIT_OK


def cmd_release(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """Check a year and record its new status in releases.csv and the ledger, in one step."""
    if args.status == contract.REVISED and not (args.note or "").strip():
        print("krise-pipeline: a revision needs a note: --note \"what was corrected and why\"", file=err)
        return EXIT_USAGE
    if args.at:
        try:
            releases.parse_publish_time(args.at)
        except releases.PublishTimeError as exc:
            print(f"krise-pipeline: --at: {exc}", file=err)
            return EXIT_USAGE
    if args.at is not None and args.status == contract.REVISED:
        print("krise-pipeline: --at applies to a first publication (publisert): a revision goes out with the next "
              "run", file=err)
        return EXIT_USAGE
    args.year = None  # every delivered year is loaded: the publication covers them all
    settings = _settings(args)
    with locking.warehouse_lock(settings.warehouse_path, who="krise-pipeline release",
                                wait_seconds=float("inf") if args.wait else 0.0):
        code, settings, outcome = _run(args, err, jobs.COMPUTE, settings)
        if outcome is None:
            return code
        if code != EXIT_OK:
            print(f"krise-pipeline: {args.release_year} was not released: the run above failed.", file=err)
            return code
        try:
            text = diffing.release(settings, outcome, args.release_year, args.status, args.note, args.at)
        except diffing.ReleaseRefused as exc:
            print(f"krise-pipeline: {args.release_year} was not released: {exc}", file=err)
            return EXIT_INVALID
    print(text, file=out)
    return EXIT_OK
