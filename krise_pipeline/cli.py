"""Command line: `krise-pipeline run | validate | diff | sample | preview`.

`run` materialises the same Dagster assets as the UI, in process: each year's delivery is loaded
(`load_year` job, one run per year partition), and only when every year is valid the warehouse
tables are rebuilt and published (`publish` job).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from dagster import DagsterInstance

    from krise_pipeline.defs.resources import KriseSettings

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_BUSY = 0, 1, 2, 3
LOCK_FILE = ".krise_pipeline.lock"


class Busy(RuntimeError):
    pass


@contextlib.contextmanager
def run_lock(warehouse_dir: Path, *, wait: bool) -> Iterator[None]:
    """One run at a time per warehouse folder; a second run waits (`--wait`) or stops clearly."""
    warehouse_dir.mkdir(parents=True, exist_ok=True)
    with (warehouse_dir / LOCK_FILE).open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise Busy(
                f"another krise-pipeline run is using {warehouse_dir} right now; "
                "try again when it has finished (or pass --wait)"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _failure_text(result: object) -> str:
    """The failure descriptions of a Dagster run result, without Dagster's own tracebacks."""
    texts: list[str] = []
    for event in getattr(result, "all_events", []):
        if not event.is_step_failure:
            continue
        data = event.step_failure_data
        if data.user_failure_data is not None and data.user_failure_data.description:
            texts.append(data.user_failure_data.description)
        elif data.error is not None:
            texts.append(f"{event.step_key}: {data.error.to_string()}")
    return "\n".join(texts) or "the run failed"


def _instance() -> DagsterInstance:
    from dagster import DagsterInstance

    return DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else DagsterInstance.ephemeral()


def _load_years(
    args: argparse.Namespace, err: IO[str], then: str
) -> tuple[int, KriseSettings | None]:
    """Load every requested year (one `load_year` run each), then run the job `then` once.

    Returns (exit code, settings); on any failure the reports are printed and `then` does not run.
    """
    from krise_pipeline.definitions import build_definitions, settings_for
    from krise_pipeline.defs import jobs
    from krise_pipeline.defs.partitions import year_partitions

    settings = settings_for(args.data_dir, args.warehouse_dir)
    defs = build_definitions(settings)
    delivered = settings.delivered_years()
    years = sorted(set(args.year)) if args.year else delivered
    unknown = [y for y in years if y not in delivered]
    if unknown or not years:
        what = ", ".join(map(str, unknown)) if unknown else "any year"
        print(f"krise-pipeline: no delivery folder for {what} in {settings.raw_dir}", file=err)
        return EXIT_USAGE, None
    log_level = "INFO" if args.verbose else "CRITICAL"
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    instance = _instance()
    keys = [str(y) for y in years]
    partitions = year_partitions.name or "year"
    instance.add_dynamic_partitions(partitions, [k for k in keys if not instance.has_dynamic_partition(partitions, k)])
    failures: list[str] = []
    for key in keys:
        result = defs.resolve_job_def(jobs.LOAD_YEAR).execute_in_process(
            partition_key=key, instance=instance, raise_on_error=False, run_config=run_config
        )
        if not result.success:
            failures.append(_failure_text(result))
    if failures:
        print("\n\n".join(failures), file=err)
        print(f"krise-pipeline: {len(failures)} of {len(keys)} year(s) failed; nothing was published "
              f"({settings.publication_db} is unchanged).", file=err)
        return EXIT_INVALID, settings
    result = defs.resolve_job_def(then).execute_in_process(
        instance=instance, raise_on_error=False, run_config=run_config
    )
    if not result.success:
        print(_failure_text(result), file=err)
        print(f"krise-pipeline: the run failed; nothing was published ({settings.publication_db} is unchanged).",
              file=err)
        return EXIT_INVALID, settings
    return EXIT_OK, settings


def cmd_run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from krise_pipeline.definitions import settings_for
    from krise_pipeline.defs import jobs

    started = time.perf_counter()
    with run_lock(settings_for(args.data_dir, args.warehouse_dir).warehouse_path, wait=args.wait):
        code, settings = _load_years(args, err, jobs.PUBLISH)
    if code != EXIT_OK or settings is None:
        return code
    seconds = time.perf_counter() - started
    years = ", ".join(str(y) for y in _published_years(settings.publication_db))
    print(f"Published {years} in {seconds:.1f} s:", file=out)
    print(f"  publication (downstream tools read this): {settings.publication_db}", file=out)
    if settings.exports_dir.is_dir():
        print(f"  Excel downloads, charts and preview:      {settings.exports_dir}", file=out)
    print(f"  restricted working warehouse:              {settings.warehouse_db}", file=out)
    return EXIT_OK


def _published_years(publication: Path) -> list[int]:
    import duckdb

    with duckdb.connect(str(publication), read_only=True) as con:
        return [int(y) for (y,) in con.execute("SELECT year FROM releases ORDER BY year").fetchall()]


def cmd_diff(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """Every figure that would change against the current publication, before publishing."""
    from krise_pipeline import revisions
    from krise_pipeline.definitions import settings_for
    from krise_pipeline.defs import jobs
    from krise_pipeline.defs.resources import warehouse_resource

    with run_lock(settings_for(args.data_dir, args.warehouse_dir).warehouse_path, wait=args.wait):
        code, settings = _load_years(args, err, jobs.COMPUTE)
        if code != EXIT_OK or settings is None:
            return code
        with warehouse_resource(settings).get_connection() as con:
            changes = revisions.compare(con, settings.publication_db)
            statuses = dict(con.execute("SELECT year, status FROM warehouse.releases").fetchall())
    if not changes:
        print(f"No published figure would change against {settings.publication_db}.", file=out)
        return EXIT_OK
    print(f"{len(changes)} figure(s) would change against {settings.publication_db}:", file=out)
    for c in changes:
        status = statuses.get(c.year, "utkast")
        flag = "  FROZEN (publisert)" if status == "publisert" else f"  ({status})"
        print(f"  {c}{flag}", file=out)
    return EXIT_INVALID


def cmd_validate(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    import duckdb

    from krise_pipeline import validation
    from krise_pipeline.validation import report as supplier_report

    year_dir = Path(args.dir)
    if not year_dir.is_dir():
        print(f"krise-pipeline: {year_dir} is not a folder", file=err)
        return EXIT_USAGE
    target = Path(args.report) if args.report else None
    if target is not None and target.suffix.lower() not in supplier_report.REPORT_SUFFIXES:
        print(f"krise-pipeline: --report must name a .xlsx or .html file, not {target}", file=err)
        return EXIT_USAGE
    with duckdb.connect() as con:  # in memory: validate writes nothing
        result = validation.check_delivery(year_dir, con, "staging")
    print(supplier_report.format_with_summary(result, year_dir), file=err if result else out)
    if target is not None:
        supplier_report.write_report(result, year_dir, target)
        print(f"report written to {target}", file=out)
    return EXIT_INVALID if result else EXIT_OK


def cmd_sample(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from krise_pipeline import sample

    paths = sample.generate(Path(args.out), years=tuple(args.years), scale=args.scale, seed=args.seed)
    print(f"wrote {len(paths)} files under {args.out}", file=out)
    return EXIT_OK


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


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="krise-pipeline", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="load, validate, compute and publish every (or the given) year")
    run.add_argument("--data-dir", help="folder with raw/<year>/ and releases.csv (default: $KRISE_DATA_DIR, data)")
    run.add_argument("--warehouse-dir", help="output folder (default: $KRISE_WAREHOUSE_DIR or warehouse)")
    run.add_argument("--year", type=int, action="append", help="only this year (repeatable)")
    run.add_argument("--wait", action="store_true", help="wait for a run already using the warehouse")
    run.add_argument("-v", "--verbose", action="store_true", help="show Dagster's event log")
    run.set_defaults(func=cmd_run)

    val = sub.add_parser("validate", help="check one year's delivery folder and report every problem")
    val.add_argument("dir", help="a delivery folder such as data/raw/2024")
    val.add_argument("--report", metavar="FILE",
                     help="also write the whole report for the supplier (bokmål) to FILE.xlsx or FILE.html")
    val.set_defaults(func=cmd_validate)

    smp = sub.add_parser("sample", help="write the deterministic sample deliveries")
    smp.add_argument("--out", default="data")
    smp.add_argument("--scale", type=float, default=1.0)
    smp.add_argument("--seed", type=int, default=20240601)
    smp.add_argument("--years", type=int, nargs="+", default=[2020, 2021, 2022, 2023, 2024])
    smp.set_defaults(func=cmd_sample)

    dif = sub.add_parser("diff", help="show every published figure a run would change (publishes nothing)")
    dif.add_argument("--data-dir")
    dif.add_argument("--warehouse-dir")
    dif.add_argument("--year", type=int, action="append")
    dif.add_argument("--wait", action="store_true")
    dif.add_argument("-v", "--verbose", action="store_true")
    dif.set_defaults(func=cmd_diff)

    prv = sub.add_parser("preview", help="print (or --open) where the preview page lies")
    prv.add_argument("--warehouse-dir")
    prv.add_argument("--open", action="store_true")
    prv.set_defaults(func=cmd_preview)
    return p


def main(argv: Sequence[str] | None = None, out: IO[str] | None = None, err: IO[str] | None = None) -> int:
    args = parser().parse_args(argv)
    out, err = out or sys.stdout, err or sys.stderr
    previous = os.umask(0o077)  # private by default: only the publication and exports are opened up
    try:
        return int(args.func(args, out, err))
    except Busy as exc:
        print(f"krise-pipeline: {exc}", file=err)
        return EXIT_BUSY
    finally:
        os.umask(previous)


if __name__ == "__main__":
    sys.exit(main())
