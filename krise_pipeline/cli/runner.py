"""Runs the Dagster jobs for the CLI, in the project's instance, under the warehouse lock.

The years' deliveries are loaded by one `load_year` run over their partitions (more only when
the years were added to the instance out of order); when every year is valid, one run of the job
`then` (`publish`, or `compute` for `diff` and `release`) rebuilds the warehouse tables. The runs
are recorded in the project's Dagster instance, so the UI shows them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
from dagster import AssetCheckEvaluation, DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter

from krise_pipeline.cli import instance as project_instance
from krise_pipeline.definitions import build_definitions
from krise_pipeline.defs import jobs
from krise_pipeline.defs.partitions import year_partitions
from krise_pipeline.defs.resources import KriseSettings
from krise_pipeline.publication import ledger, releases
from krise_pipeline.raw import deliveries
from krise_pipeline.warehouse import locking


@dataclass
class RunOutcome:
    ok: bool
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)
    evaluations: list[AssetCheckEvaluation] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)
    failed_years: int = 0
    years: list[int] = field(default_factory=list)


class UsageError(ValueError):
    """The command cannot start (no such year, a published year's folder missing, ...)."""


def _failure_events(result: Any) -> list[Any]:
    """The events of a run result that say what failed: step failures, a failed initialisation of
    resources, the run's failure (`ExecuteInProcessResult.all_events` and `DagsterEvent`'s public
    predicates)."""
    return [e for e in getattr(result, "all_events", [])
            if e.is_step_failure or e.is_resource_init_failure or e.event_type == DagsterEventType.RUN_FAILURE]


def _user_failure(event: Any) -> Any:
    """The `dg.Failure` a step raised (its description and metadata), from the event's documented
    `event_specific_data`; None for any other error."""
    return getattr(event.event_specific_data, "user_failure_data", None)


def failure_text(result: Any) -> str:
    """What made a Dagster run fail. A step that raised `dg.Failure` (the pipeline's refusals: a
    delivery with problems, a changed frozen figure) gives its description, the whole report as
    the step wrote it; any other failure gives Dagster's message for the event and the error as
    Dagster recorded it, with its stack. The run's own failure event only when nothing else said."""
    texts: list[str] = []
    for event in _failure_events(result):
        user = _user_failure(event)
        if user is not None and user.description:
            texts.append(user.description)
            continue
        if event.event_type_value != "STEP_FAILURE" and not event.is_resource_init_failure and texts:
            continue  # the run's failure repeats what its steps said
        error = getattr(event.event_specific_data, "error", None)
        texts.append(f"{event.message}\n{error.to_string()}".rstrip() if error is not None else event.message)
    return "\n".join(dict.fromkeys(texts)) or "the run failed"


def partition_blocks(order: Sequence[str], keys: Sequence[str]) -> list[list[str]]:
    """`keys` as runs of consecutive partitions in `order` (the instance's order of the year
    partitions): one block, and so one run, when the years were added in order."""
    wanted = set(keys)
    blocks: list[list[str]] = []
    for position, key in enumerate(order):
        if key not in wanted:
            continue
        if blocks and position > 0 and order[position - 1] == blocks[-1][-1]:
            blocks[-1].append(key)
        else:
            blocks.append([key])
    return blocks


def range_tags(block: list[str]) -> dict[str, str]:
    """The tags of a run over the partitions `block` (one run loads them all)."""
    if len(block) == 1:
        return {"dagster/partition": block[0]}
    return {"dagster/asset_partition_range_start": block[0], "dagster/asset_partition_range_end": block[-1]}


def failed_years(result: Any) -> list[int]:
    """The years whose deliveries had problems, as the failed step's `dg.Failure` metadata says."""
    for event in _failure_events(result):
        user = _user_failure(event)
        value = user.metadata.get("years_with_problems") if user is not None else None
        if value is not None and isinstance(value.value, list):
            return [int(y) for y in value.value]
    return []


def _notices(result: Any) -> list[str]:
    out: list[str] = []
    for event in result.get_asset_materialization_events():
        value = event.materialization.metadata.get("notices")
        text = getattr(value, "value", None) or getattr(value, "text", None)
        if isinstance(text, str) and text != "none":
            out += [line.removeprefix("- ") for line in text.splitlines() if line.strip()]
    return out


def preflight(settings: KriseSettings, requested: list[int] | None) -> list[int]:
    """The years to load; raises UsageError for an unknown year or a published year without folder."""
    delivered = settings.delivered_years()
    statuses = {y: r.status for y, r in releases.read_releases(settings.releases_csv).items()}
    published = deliveries.published_years(statuses, ledger.ledger_years(Path(settings.data_dir)))
    missing = [y for y in published if y not in delivered]
    if missing:
        raise UsageError(deliveries.missing_delivery_message(missing, str(settings.raw_dir)))
    years = sorted(set(requested)) if requested else delivered
    unknown = [y for y in years if y not in delivered]
    if unknown or not years:
        what = ", ".join(map(str, unknown)) if unknown else "any year"
        raise UsageError(f"no delivery folder for {what} in {settings.raw_dir}")
    return years


FINGERPRINT_TAG = "krise/inputs_fingerprint"
PUBLICATION_TAG = "krise/publication_sha256"
WARNINGS_TAG = "krise/warnings_failed"


def code_identity() -> str:
    """SHA-256 over the package's own files (code, SQL, codebook): what a rebuild depends on."""
    root = Path(__file__).resolve().parents[1]  # the package
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".sql", ".csv", ".yaml", ".md")
                       and "__pycache__" not in p.parts):
        h.update(f"{path.relative_to(root)}\n".encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def inputs_fingerprint(settings: KriseSettings) -> str:
    """Everything a publication is built from: every delivered year's content, the release records
    (releases.csv, the ledger, acknowledgements), the code, and the settings that change results."""
    data = Path(settings.data_dir)
    h = hashlib.sha256(code_identity().encode())
    for year in settings.delivered_years():
        digest, _ = deliveries.fingerprint(settings.year_dir(year))
        h.update(f"raw/{year}\t{digest}\n".encode())
    records = [settings.releases_csv, settings.acknowledgements_csv,
               *sorted((data / ledger.LEDGER_DIR).rglob("*.csv")), *sorted((data / "tekster").rglob("*.md"))]
    for path in records:
        h.update(f"{path.relative_to(data)}\t".encode())
        h.update(deliveries.sha256_file(path).encode() if path.is_file() else b"-")
    h.update(f"\nrecheck={settings.recheck_published}\nwarehouse={settings.warehouse_path.resolve()}\n".encode())
    return h.hexdigest()


@dataclass(frozen=True)
class UpToDate:
    run_id: str
    finished: str
    warnings_failed: int


PUBLISHED_NOTE = "krise_publications.json"
"""In the instance folder: per inputs fingerprint, the tags of the last successful publish run that
carried it (a copy of the run's tags, so that an unchanged run need not open the instance)."""
NOTE_ENTRIES = 20


def _note_path() -> Path:
    return project_instance.home_dir() / PUBLISHED_NOTE


def _read_note() -> dict[str, dict[str, Any]]:
    try:
        note = json.loads(_note_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return note if isinstance(note, dict) else {}


def _remember(fingerprint: str, entry: dict[str, Any]) -> None:
    """Add the entry of a successful publish run to the note (the newest NOTE_ENTRIES kept)."""
    note = {k: v for k, v in _read_note().items() if k != fingerprint}
    note[fingerprint] = entry
    path = _note_path()
    tmp = path.with_name(f".{PUBLISHED_NOTE}.tmp")
    tmp.write_text(json.dumps(dict(list(note.items())[-NOTE_ENTRIES:]), indent=1), encoding="utf-8")
    os.replace(tmp, path)


def up_to_date(settings: KriseSettings, fingerprint: str) -> UpToDate | None:
    """The last successful publish run, if it was built from exactly these inputs and its
    publication.duckdb is still the file it wrote; None when anything may differ. The instance
    folder's note answers first; the instance's run records when the note does not know the inputs."""
    publication = settings.publication_db
    if not publication.is_file() or not (settings.exports_dir / "index.html").is_file():
        return None
    sha = deliveries.sha256_file(publication)
    entry = _read_note().get(fingerprint)
    if isinstance(entry, dict) and entry.get("publication_sha256") == sha:
        return UpToDate(str(entry.get("run_id", "?")), str(entry.get("finished", "?")),
                        int(entry.get("warnings_failed", 0)))
    with project_instance.get() as instance:
        runs = instance.get_runs(filters=RunsFilter(job_name="publish", statuses=[DagsterRunStatus.SUCCESS],
                                                    tags={FINGERPRINT_TAG: fingerprint}), limit=1)
        if not runs or runs[0].tags.get(PUBLICATION_TAG) != sha:
            return None
        record = instance.get_run_record_by_id(runs[0].run_id)
    end = record.end_time if record is not None else None
    finished = dt.datetime.fromtimestamp(end, dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if end else "?"
    return UpToDate(runs[0].run_id, finished, int(runs[0].tags.get(WARNINGS_TAG, "0")))


def run_jobs(settings: KriseSettings, years: list[int], then: str, *, wait: bool, verbose: bool,
             record_fingerprint: bool = False) -> RunOutcome:
    """Load `years`, then run the job `then` once; all under the warehouse lock, in the project instance."""
    started = time.perf_counter()
    defs = build_definitions(settings)
    with project_instance.get() as instance:
        outcome = _run_jobs(instance, defs, settings, years, then, wait=wait, verbose=verbose,
                            record_fingerprint=record_fingerprint)
    outcome.seconds = time.perf_counter() - started
    return outcome


def _run_jobs(instance: DagsterInstance, defs: dg.Definitions, settings: KriseSettings, years: list[int], then: str,
              *, wait: bool, verbose: bool, record_fingerprint: bool) -> RunOutcome:
    run_config = {"loggers": {"console": {"config": {"log_level": "DEBUG" if verbose else "CRITICAL"}}}}
    outcome = RunOutcome(ok=True, years=years)
    with locking.warehouse_lock(settings.warehouse_path, who="krise-pipeline " + then,
                                wait_seconds=float("inf") if wait else 0.0):
        name = year_partitions.name or "year"
        keys = [str(y) for y in years]
        instance.add_dynamic_partitions(name, [k for k in keys if not instance.has_dynamic_partition(name, k)])
        for block in partition_blocks(instance.get_dynamic_partitions(name), keys):
            result = defs.resolve_job_def(jobs.LOAD_YEAR).execute_in_process(
                instance=instance, raise_on_error=False, run_config=run_config, tags=range_tags(block))
            outcome.run_ids.append(result.run_id)
            outcome.evaluations += result.get_asset_check_evaluations()
            if not result.success:
                outcome.failures.append(failure_text(result))
                outcome.failed_years += len(failed_years(result) or block)
        if not outcome.failures:
            result = defs.resolve_job_def(then).execute_in_process(
                instance=instance, raise_on_error=False, run_config=run_config)
            outcome.run_ids.append(result.run_id)
            outcome.evaluations += result.get_asset_check_evaluations()
            outcome.notices += _notices(result)
            if not result.success:
                outcome.failures.append(failure_text(result))
            elif record_fingerprint and settings.publication_db.is_file():
                # what this publication was built from, taken after the run (it may have written the ledger)
                failed = sum(1 for e in outcome.evaluations if not e.blocking and not e.passed)
                fingerprint, sha = inputs_fingerprint(settings), deliveries.sha256_file(settings.publication_db)
                instance.add_run_tags(result.run_id, {FINGERPRINT_TAG: fingerprint, PUBLICATION_TAG: sha,
                                                      WARNINGS_TAG: str(failed)})
                _remember(fingerprint, {"run_id": result.run_id, "publication_sha256": sha, "warnings_failed": failed,
                                        "finished": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())})
    outcome.ok = not outcome.failures
    return outcome
