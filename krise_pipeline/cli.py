"""Command line: `krise-pipeline run | validate | sample | preview`.

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


def cmd_run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from krise_pipeline.definitions import build_definitions, settings_for
    from krise_pipeline.defs import jobs
    from krise_pipeline.defs.partitions import year_partitions

    started = time.perf_counter()
    settings = settings_for(args.data_dir, args.warehouse_dir)
    defs = build_definitions(settings)
    delivered = settings.delivered_years()
    years = sorted(set(args.year)) if args.year else delivered
    unknown = [y for y in years if y not in delivered]
    if unknown or not years:
        where = settings.raw_dir
        what = ", ".join(map(str, unknown)) if unknown else "any year"
        print(f"krise-pipeline: no delivery folder for {what} in {where}", file=err)
        return EXIT_USAGE
    log_level = "INFO" if args.verbose else "CRITICAL"
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    with run_lock(settings.warehouse_path, wait=args.wait):
        instance = _instance()
        keys = [str(y) for y in years]
        partitions = year_partitions.name or "year"
        instance.add_dynamic_partitions(
            partitions, [k for k in keys if not instance.has_dynamic_partition(partitions, k)]
        )
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
            return EXIT_INVALID
        result = defs.resolve_job_def(jobs.PUBLISH).execute_in_process(
            instance=instance, raise_on_error=False, run_config=run_config
        )
        if not result.success:
            print(_failure_text(result), file=err)
            print(f"krise-pipeline: publishing failed; {settings.publication_db} is unchanged.", file=err)
            return EXIT_INVALID
    seconds = time.perf_counter() - started
    print(f"Published {len(years)} year(s) ({', '.join(keys)}) in {seconds:.1f} s:", file=out)
    print(f"  publication (downstream tools read this): {settings.publication_db}", file=out)
    if settings.exports_dir.is_dir():
        print(f"  Excel downloads, charts and preview:      {settings.exports_dir}", file=out)
    print(f"  restricted working warehouse:              {settings.warehouse_db}", file=out)
    return EXIT_OK


def cmd_validate(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    import duckdb

    from krise_pipeline import validation

    year_dir = Path(args.dir)
    if not year_dir.is_dir():
        print(f"krise-pipeline: {year_dir} is not a folder", file=err)
        return EXIT_USAGE
    with duckdb.connect() as con:  # in memory: validate writes nothing
        problems = validation.validate_delivery(year_dir, con, "staging")
    report = validation.format_report(problems, year_dir)
    print(report, file=err if problems else out)
    return EXIT_INVALID if problems else EXIT_OK


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
    val.set_defaults(func=cmd_validate)

    smp = sub.add_parser("sample", help="write the deterministic sample deliveries")
    smp.add_argument("--out", default="data")
    smp.add_argument("--scale", type=float, default=1.0)
    smp.add_argument("--seed", type=int, default=20240601)
    smp.add_argument("--years", type=int, nargs="+", default=[2020, 2021, 2022, 2023, 2024])
    smp.set_defaults(func=cmd_sample)

    prv = sub.add_parser("preview", help="print (or --open) where the preview page lies")
    prv.add_argument("--warehouse-dir")
    prv.add_argument("--open", action="store_true")
    prv.set_defaults(func=cmd_preview)
    return p


def main(argv: Sequence[str] | None = None, out: IO[str] | None = None, err: IO[str] | None = None) -> int:
    args = parser().parse_args(argv)
    out, err = out or sys.stdout, err or sys.stderr
    try:
        return int(args.func(args, out, err))
    except Busy as exc:
        print(f"krise-pipeline: {exc}", file=err)
        return EXIT_BUSY


if __name__ == "__main__":
    sys.exit(main())
