"""One writer at a time on a warehouse folder: a lock every run passes, from the CLI or the UI.

The lock is an `fcntl` lock on `<warehouse>/.krise_pipeline.lock`, taken by the warehouse resource
for the whole of a Dagster run (and by the CLI around its runs). It is re-entrant within one
process, so the CLI can hold it across the runs it starts. The file names the holder, so the
second writer is told who is writing. The operating system releases the lock when a process dies.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

LOCK_FILE = ".krise_pipeline.lock"
_POLL_SECONDS = 0.2


class Busy(RuntimeError):
    """Another process is writing the warehouse."""


_held: dict[str, tuple[IO[str], int]] = {}
_guard = threading.Lock()


def _holder(handle: IO[str]) -> str:
    with contextlib.suppress(OSError):
        handle.seek(0)
        text = handle.read().strip()
        if text:
            return text
    return "another process"


@contextlib.contextmanager
def warehouse_lock(warehouse_dir: Path, *, who: str, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the single-writer lock of `warehouse_dir`; wait up to `wait_seconds` (inf = for good).

    Raises Busy with a message naming the holder when the lock is not free in time.
    """
    warehouse_dir = Path(warehouse_dir)
    warehouse_dir.mkdir(parents=True, exist_ok=True)
    path = warehouse_dir / LOCK_FILE
    key = str(path.resolve())
    with _guard:
        if key in _held:
            handle, count = _held[key]
            _held[key] = (handle, count + 1)
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _guard:
                handle, count = _held[key]
                _held[key] = (handle, count - 1)
        return
    handle = path.open("a+", encoding="utf-8")
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise Busy(
                        f"the warehouse {warehouse_dir} is being written by {_holder(handle)}; "
                        "this run wrote nothing. Try again when that run has finished "
                        "(krise-pipeline run --wait waits for it)."
                    ) from None
                time.sleep(_POLL_SECONDS)
        handle.seek(0)
        handle.truncate()
        since = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        handle.write(f"{who} (pid {os.getpid()}, since {since})\n")
        handle.flush()
        with _guard:
            _held[key] = (handle, 1)
        try:
            yield
        finally:
            with _guard:
                _held.pop(key, None)
            with contextlib.suppress(OSError):
                handle.seek(0)
                handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()
