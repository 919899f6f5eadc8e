"""A clear record of every failed run, and an optional hook to tell somebody.

Each failure is written as one JSON file under `<DAGSTER_HOME>/failures/`. A hook is off by
default; set one of
- `KRISE_FAILURE_COMMAND`: a shell command, given the record as JSON on standard input;
- `KRISE_FAILURE_WEBHOOK`: an http(s) URL that receives the record as a JSON POST.
The record holds the run's id, job, partition, time and the first line of the failure (at most
300 characters), never a delivery's content; the whole report stays in the Dagster instance.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

COMMAND_ENV = "KRISE_FAILURE_COMMAND"
WEBHOOK_ENV = "KRISE_FAILURE_WEBHOOK"
SUMMARY_CHARS = 300


@dataclass(frozen=True)
class FailureRecord:
    run_id: str
    job: str
    partition: str | None
    failed_at: str
    summary: str

    @classmethod
    def of(cls, run_id: str, job: str, partition: str | None, failed_at: str, message: str) -> FailureRecord:
        first = next((line.strip() for line in message.splitlines() if line.strip()), "the run failed")
        return cls(run_id, job, partition, failed_at, first[:SUMMARY_CHARS])


def write_record(folder: Path, record: FailureRecord) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{record.failed_at.replace(':', '').replace(' ', 'T')}-{record.run_id[:8]}.json"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(asdict(record), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def call_hook(record: FailureRecord, env: dict[str, str] | None = None) -> str | None:
    """Call the configured hook; returns what was called, or None when no hook is set."""
    env = dict(os.environ) if env is None else env
    body = json.dumps(asdict(record), ensure_ascii=False).encode()
    if env.get(COMMAND_ENV):
        subprocess.run(env[COMMAND_ENV], shell=True, input=body, check=True, timeout=60)
        return env[COMMAND_ENV]
    if env.get(WEBHOOK_ENV):
        url = env[WEBHOOK_ENV]
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"{WEBHOOK_ENV} must be an http(s) URL, got {url!r}")
        request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30):
            pass
        return url
    return None
