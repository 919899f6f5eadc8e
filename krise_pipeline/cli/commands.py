"""Command line: `krise-pipeline run | diff | release | validate | check-text | preview | dev`.

The arguments, the dispatch and the light commands (`validate`, `check-text`, `preview`, `dev`),
none of which imports Dagster. `run`, `diff` and `release` run Dagster jobs: they are in
`orchestrated`, imported (with Dagster and the definitions) only when one of them runs.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, NoReturn

from krise_pipeline import settings
from krise_pipeline.cli import instance as project_instance
from krise_pipeline.cli.exits import EXIT_BROKEN_PIPE, EXIT_BUSY, EXIT_INVALID, EXIT_OK, EXIT_USAGE
from krise_pipeline.exports import preview_path
from krise_pipeline.metadata import contract
from krise_pipeline.warehouse.locking import Busy

_IN_COMMAND = False  # set by `console`: this process is the command, not a caller of `main`


def _orchestrated(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """`run`, `diff` and `release`, the commands that run Dagster jobs (in `orchestrated`).

    In the command's own process, what the imports made (Dagster's and the project's modules, the
    definitions) is then left out of the cyclic garbage collector's passes, with `gc.freeze` (an
    interpreter API for this): those passes over Dagster's large module graph took 0.3-0.45 s of a
    run, and the objects live as long as the process anyway. The collector still collects
    everything the run creates."""
    # Dagster and the definitions (about 0.8 s of imports): only the commands that run jobs load them
    from krise_pipeline.cli import orchestrated

    if _IN_COMMAND:
        gc.freeze()
    command = {"run": orchestrated.cmd_run, "diff": orchestrated.cmd_diff,
               "release": orchestrated.cmd_release}[args.command]
    return command(args, out, err)


def cmd_validate(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    import duckdb  # with the checks below: `--help` and the other commands load neither

    # the checks of a delivery (about 0.15 s of imports, pandera later): validate's alone
    from krise_pipeline.validated import check_delivery, report

    year_dir = Path(args.dir)
    if not year_dir.is_dir():
        print(f"krise-pipeline: {year_dir} is not a folder", file=err)
        return EXIT_USAGE
    target = Path(args.report) if args.report else None
    if target is not None and target.suffix.lower() not in report.REPORT_SUFFIXES:
        print(f"krise-pipeline: --report must name a .xlsx or .html file, not {target}", file=err)
        return EXIT_USAGE
    with duckdb.connect() as con:  # in memory: validate writes nothing
        result = check_delivery(year_dir, con, "staging")
    print(report.format_with_summary(result, year_dir), file=err if result else out)
    if target is not None:
        report.write_report(result, year_dir, target)
        print(f"report written to {target}", file=out)
    return EXIT_INVALID if result else EXIT_OK


def cmd_preview(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    path = preview_path(settings.from_environment(warehouse_dir=args.warehouse_dir).warehouse_path)
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
    home = project_instance.ensure_home(warn=err)
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
    # the claims' reader (about 0.15 s of imports with the model below): check-text's alone
    from krise_pipeline.editorial import check_text, folder
    from krise_pipeline.publication.model import load_publication  # the publication it reads, check-text's alone

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
    result = check_text(text, pub, args.year, None if question == folder.INTRODUCTION else question)
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
    run.set_defaults(func=_orchestrated)

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
    dif.set_defaults(func=_orchestrated)

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
    rel.set_defaults(func=_orchestrated)

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

