"""Command line: `krise-pipeline run | diff | release | validate | check-text | preview | dev`.

`run` materialises the same Dagster assets as the UI, in process and recorded in the project's
Dagster instance: each year's delivery is loaded (`load_year` job, one run per year partition), and
only when every year is valid the warehouse tables are rebuilt and published (`publish` job).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, NoReturn

from krise_pipeline import settings
from krise_pipeline.cli import instance as project_instance
from krise_pipeline.metadata import contract
from krise_pipeline.warehouse.locking import Busy

if TYPE_CHECKING:
    from krise_pipeline.cli.runner import RunOutcome
    from krise_pipeline.defs.resources import KriseSettings

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_BUSY = 0, 1, 2, 3
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a command whose reader went away


def _settings(args: argparse.Namespace) -> KriseSettings:
    from krise_pipeline.defs.resources import settings_for

    return settings_for(args.data_dir, args.warehouse_dir, getattr(args, "recheck_published", False) or None)


def _unchanged(settings: KriseSettings) -> str:
    if settings.publication_db.exists():
        return f"nothing was published ({settings.publication_db} is unchanged)"
    return f"nothing was published (there is no earlier publication in {settings.warehouse_path})"


_IN_COMMAND = False  # set by `console`: this process is the command, not a caller of `main`


def _freeze_imported() -> None:
    """Leave what the imports made (Dagster's and the project's modules, the definitions) out of
    the cyclic garbage collector's passes, with `gc.freeze` (an interpreter API for this): those
    passes over Dagster's large module graph took 0.3-0.45 s of a run, and the objects live as long
    as the process anyway. The collector still collects everything the run creates."""
    import gc

    import krise_pipeline.definitions  # noqa: F401  (the definitions and everything they import)

    gc.freeze()


def _run(args: argparse.Namespace, err: IO[str], then: str, settings: KriseSettings | None = None,
         record_fingerprint: bool = False) -> tuple[int, KriseSettings, RunOutcome | None]:
    """Load the years and run `then`; print the failures. Returns (exit code, settings, outcome)."""
    from krise_pipeline.cli import runner
    from krise_pipeline.publication import releases

    settings = settings or _settings(args)
    if _IN_COMMAND:
        _freeze_imported()
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
    from krise_pipeline.cli import runner

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
    from krise_pipeline.exports import public
    from krise_pipeline.publication import releases
    from krise_pipeline.warehouse import locking

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
    from krise_pipeline.exports import public
    from krise_pipeline.publication import releases

    folder = public.public_dir(settings.warehouse_path)
    lines = public.outlook(public.schedule(settings.publication_db), public.released_years(folder), releases.now())
    if lines:
        print("Waiting to go out (only in the restricted preview and publication.duckdb until then):", file=out)
        for text in lines:
            print(f"  {text}", file=out)


def _where(settings: KriseSettings, out: IO[str]) -> None:
    from krise_pipeline.exports import public

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
    from krise_pipeline.cli import reports
    from krise_pipeline.defs import jobs

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
    import duckdb

    with duckdb.connect(str(publication), read_only=True) as con:
        return [int(y) for (y,) in con.execute("SELECT year FROM releases ORDER BY year").fetchall()]


def cmd_diff(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """The pre-release report: per year, what a run would publish against what is published now."""
    from krise_pipeline.cli import diffing
    from krise_pipeline.defs import jobs
    from krise_pipeline.warehouse import locking

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
    from krise_pipeline.cli import diffing
    from krise_pipeline.defs import jobs
    from krise_pipeline.warehouse import locking

    if args.status == contract.REVISED and not (args.note or "").strip():
        print("krise-pipeline: a revision needs a note: --note \"what was corrected and why\"", file=err)
        return EXIT_USAGE
    if args.at:
        from krise_pipeline.publication import releases

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


def cmd_validate(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    import duckdb

    from krise_pipeline import validated
    from krise_pipeline.validated import report as supplier_report

    year_dir = Path(args.dir)
    if not year_dir.is_dir():
        print(f"krise-pipeline: {year_dir} is not a folder", file=err)
        return EXIT_USAGE
    target = Path(args.report) if args.report else None
    if target is not None and target.suffix.lower() not in supplier_report.REPORT_SUFFIXES:
        print(f"krise-pipeline: --report must name a .xlsx or .html file, not {target}", file=err)
        return EXIT_USAGE
    with duckdb.connect() as con:  # in memory: validate writes nothing
        result = validated.check_delivery(year_dir, con, "staging")
    print(supplier_report.format_with_summary(result, year_dir), file=err if result else out)
    if target is not None:
        supplier_report.write_report(result, year_dir, target)
        print(f"report written to {target}", file=out)
    return EXIT_INVALID if result else EXIT_OK


def cmd_preview(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from krise_pipeline.definitions import settings_for
    from krise_pipeline.exports import preview_path

    path = preview_path(settings_for(warehouse_dir=args.warehouse_dir).warehouse_path)
    if not path.exists():
        print(f"krise-pipeline: no preview at {path}; run `krise-pipeline run` first", file=err)
        return EXIT_USAGE
    print(path.resolve().as_uri(), file=out)
    if args.open:
        import webbrowser

        webbrowser.open(path.resolve().as_uri())
    return EXIT_OK


def cmd_dev(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """The Dagster UI on the project's instance (the same one the CLI records into)."""
    from krise_pipeline.cli import instance

    home = instance.ensure_home(warn=err)
    print(f"Dagster instance: {home}", file=out)
    out.flush()
    argv = [sys.executable, "-W", "ignore:Function `dev_command` is superseded:FutureWarning", "-m", "dagster", "dev",
            *args.dagster_args]
    os.execv(sys.executable, argv)
    return EXIT_OK  # pragma: no cover - execv does not return


def _folders(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", help="folder with raw/<year>/, releases.csv and ledger/ "
                   "(default: $KRISE_DATA_DIR or data)")
    p.add_argument("--warehouse-dir", help="output folder (default: $KRISE_WAREHOUSE_DIR or warehouse)")


def _running(p: argparse.ArgumentParser) -> None:
    p.add_argument("--wait", action="store_true", help="wait for a run already writing the warehouse")
    p.add_argument("-v", "--verbose", action="store_true", help="stream the runs' Dagster events")
    p.add_argument("--recheck-published", action="store_true",
                   help="warning checks also compare published years (default: only drafts)")


def cmd_check_text(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """Check every figure claim of an editor's text against publication.duckdb."""
    import json

    from krise_pipeline import editorial
    from krise_pipeline.editorial import folder
    from krise_pipeline.publication.model import load_publication

    folders = settings.from_environment(args.data_dir, args.warehouse_dir)  # no Dagster: an editor's command
    data_dir, publication_db = Path(folders.data_dir), folders.publication_db
    path = Path(args.file)
    in_folder = folder.texts_dir(data_dir) / str(args.year) / f"{args.file}{folder.SUFFIX}"
    if not path.exists() and in_folder.exists():
        path = in_folder  # `check-text tilbud_barn --year 2024`: the year's text of that question
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"krise-pipeline: cannot read {path} as UTF-8 text ({exc})", file=err)
        return EXIT_USAGE
    try:
        pub = load_publication(publication_db)
    except FileNotFoundError:
        print(f"krise-pipeline: no publication at {publication_db}; run `krise-pipeline run` first", file=err)
        return EXIT_USAGE
    if args.year not in {r.year for r in pub.releases}:
        print(f"krise-pipeline: {args.year} is not in {publication_db}", file=err)
        return EXIT_USAGE
    question = path.stem if path.suffix == folder.SUFFIX and folder.known_name(path.stem) else None
    result = editorial.check_text(text, pub, args.year, None if question == folder.INTRODUCTION else question)
    if args.json:
        print(json.dumps([f.as_dict() for f in result.findings], ensure_ascii=False, indent=2), file=out)
    else:
        for f in result.findings:
            print(f"{path}:{f.line}: {f.claim}\n    {f.reason}\n    publication: {f.expected}", file=out)
        print(f"{len(result.findings)} finding(s) in {path} against {args.year}: {result.checked} claim(s) "
              f"checked, {len(result.unchecked)} not tied to a published figure.", file=out)
        if args.verbose:
            for c in result.unchecked:
                print(f"  not checked, line {c.line}: {c.text}", file=out)
    return EXIT_INVALID if result.findings else EXIT_OK


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="krise-pipeline", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="load, validate, compute and publish every (or the given) year")
    _folders(run)
    run.add_argument("--year", type=int, action="append", help="only this year (repeatable)")
    _running(run)
    run.add_argument("--strict", action="store_true", help="exit 1 when a warning check fails")
    run.add_argument("--force", action="store_true",
                     help="rebuild even when nothing changed since the last run (same inputs, same code)")
    run.set_defaults(func=cmd_run)

    val = sub.add_parser("validate", help="check one year's delivery folder and report every problem")
    val.add_argument("dir", help="a delivery folder such as data/raw/2024")
    val.add_argument("--report", metavar="FILE",
                     help="also write the whole report for the supplier (bokmål) to FILE.xlsx or FILE.html")
    val.set_defaults(func=cmd_validate)

    dif = sub.add_parser("diff", help="the pre-release report: what a run would change, per year (publishes nothing)",
                         description="Loads and computes every delivered year without publishing, then reports "
                         "per year the figures added, changed and removed (against the ledger for published "
                         "years, against publication.duckdb for drafts), the delivered files that changed, and "
                         "the warning checks that fail. Exit 1 only when a frozen figure would change.")
    _folders(dif)
    dif.add_argument("--year", type=int, action="append", help="only this year (repeatable)")
    _running(dif)
    dif.set_defaults(func=cmd_diff)

    rel = sub.add_parser("release", help="record a year as publisert or revidert (releases.csv and the ledger)",
                         description="Loads and checks every delivered year, then records YEAR's status in "
                         "releases.csv and freezes its figures in the ledger (ledger/<year>/ in the data folder). "
                         "Run `krise-pipeline run` afterwards to publish.")
    rel.add_argument("release_year", type=int, metavar="YEAR")
    rel.add_argument("--status", required=True, choices=contract.PUBLISHED_STATUSES)
    rel.add_argument("--note", help="the release note (required for revidert: what was corrected and why)")
    rel.add_argument("--at", metavar="'YYYY-MM-DD HH:MM'",
                     help="publisert only: the time (Europe/Oslo) the year goes out to warehouse/public/ "
                     "(releases.csv column publiseres; default: the time releases.csv has, or at once; \"\" = at "
                     "once); a year not yet out may be given a new time")
    _folders(rel)
    _running(rel)
    rel.set_defaults(func=cmd_release)

    prv = sub.add_parser("preview", help="print (or --open) where the preview page lies")
    prv.add_argument("--warehouse-dir")
    prv.add_argument("--open", action="store_true")
    prv.set_defaults(func=cmd_preview)

    dev = sub.add_parser("dev", help="the Dagster UI (dagster dev) on the project's instance")
    dev.add_argument("dagster_args", nargs=argparse.REMAINDER, help="passed on to dagster dev")
    dev.set_defaults(func=cmd_dev)

    chk = sub.add_parser("check-text", help="check every figure claim of a text against the publication")
    chk.add_argument("file", help="a plain-text or Markdown file (UTF-8), e.g. data/tekster/2024/tilbud_barn.md")
    chk.add_argument("--year", type=int, required=True, help="the statistics year the text is about")
    chk.add_argument("--data-dir")
    chk.add_argument("--warehouse-dir")
    chk.add_argument("--json", action="store_true", help='print [{"line", "claim", "reason", "expected"}, ...]')
    chk.add_argument("-v", "--verbose", action="store_true", help="also list the figures not tied to data")
    chk.set_defaults(func=cmd_check_text)
    return p


def main(argv: Sequence[str] | None = None, out: IO[str] | None = None, err: IO[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # everything after `dev` goes to `dagster dev` as it is
    dev = argv[:1] == ["dev"] and "--help" not in argv[1:2]
    args = argparse.Namespace(func=cmd_dev, dagster_args=argv[1:]) if dev else parser().parse_args(argv)
    out, err = out or sys.stdout, err or sys.stderr
    previous = os.umask(0o077)  # private by default: only the publication and exports are opened up
    try:
        return int(args.func(args, out, err))
    except Busy as exc:
        print(f"krise-pipeline: {exc}", file=err)
        return EXIT_BUSY
    finally:
        os.umask(previous)


def console() -> NoReturn:
    """The `krise-pipeline` command: `main`, then an ordinary exit with its code."""
    global _IN_COMMAND
    _IN_COMMAND = True
    try:
        code = main()
    except BrokenPipeError:  # the reader of the output went away (`| head`): no traceback about it
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_BROKEN_PIPE
    sys.exit(code)

