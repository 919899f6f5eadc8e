"""The instance's SQLite storage, with one database engine per file instead of one per event,
and its compute logs, mirrored to the terminal by a thread instead of `tail` processes.

Dagster's SQLite event log creates (and disposes) a SQLAlchemy engine for every event it stores,
and its run storage one for every query: in a run of this pipeline that is about half of the
wall time. These subclasses keep a few engines open, per database file, for the life of the
storage; the files, their layout and their format stay Dagster's own (`history/runs.db`,
`history/runs/<run id>.db`, `history/runs/index.db`, `schedules/`), so an instance written by one
can be read by the other. Dagster's run databases are in WAL mode, and the UI follows a running
run by watching its `.db` file: closing the last connection used to write the WAL back into it
after every event; the open engines do that with a checkpoint instead, after every event that is
not certain to be followed at once by another (`FOLLOWED_EVENTS`). Commits are not synced to disk
(`synchronous=NORMAL`, WAL mode: a crash of the machine may lose the last events, never the
file's consistency); the checkpoints are.
A step that fails with `dg.Failure` (the pipeline's refusals: a delivery with problems, a
published year changed) is stored without its stack: the failure's description is the report,
and the stack would hold nothing but Dagster's frames and the `raise`. Any other error keeps it.
`data/dagster.yaml` selects them:

    storage:
      custom:
        module: krise_pipeline.instance_storage
        class: ProjectSqliteStorage
        config: {base_dir: <the instance folder>}
    compute_logs:
      module: krise_pipeline.instance_storage
      class: ProjectComputeLogManager
      config: {base_dir: <the instance folder>/storage}
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Any, Final

from dagster._core.events.log import EventLogEntry
from dagster._core.execution.compute_logs import redirect_to_file
from dagster._core.storage.compute_log_manager import CapturedLogContext, ComputeIOType
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME, SqliteEventLogStorage
from dagster._core.storage.local_compute_log_manager import IO_TYPE_EXTENSION, LocalComputeLogManager
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.schedules.sqlite.sqlite_schedule_storage import SqliteScheduleStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import (
    DagsterSqliteStorage,
    _event_logs_directory,
    _runs_directory,
    _schedule_directory,
)
from dagster._serdes import ConfigurableClassData
from dagster._utils import ensure_file, mkdir_p, touch_file
from dagster.version import __version__ as dagster_version
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

OPEN_FILES: Final = 8  # run databases kept open at a time (the index and the run being written)
# Events Dagster always follows with another event of the same step or run (a step's outputs and
# materializations with its success or failure, the planned ones with the run's start): the
# checkpoint after that next event shows them to the UI too, so none is made after these (a
# publish run writes 177 events, 130 of them of these kinds).
FOLLOWED_EVENTS: Final = frozenset({
    "ASSET_MATERIALIZATION_PLANNED", "ASSET_CHECK_EVALUATION_PLANNED", "STEP_OUTPUT", "HANDLED_OUTPUT",
    "LOADED_INPUT", "ASSET_MATERIALIZATION", "ASSET_CHECK_EVALUATION",
})


def _relaxed_sync(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


class EngineCache:
    """At most `size` engines, one per connection string; the least recently used is disposed."""

    def __init__(self, size: int = OPEN_FILES) -> None:
        self.size = size
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, conn_string: str) -> tuple[Engine, bool]:
        """The engine for `conn_string`, and whether it was created just now."""
        with self._lock:
            engine = self._engines.get(conn_string)
            if engine is not None:
                self._engines.move_to_end(conn_string)
                return engine, False
            engine = create_engine(conn_string, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
            event.listen(engine, "connect", _relaxed_sync)
            self._engines[conn_string] = engine
            while len(self._engines) > self.size:
                _, old = self._engines.popitem(last=False)
                old.dispose()
            return engine, True

    def dispose(self) -> None:
        with self._lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()


class ProjectEventLogStorage(SqliteEventLogStorage):
    """Dagster's per-run SQLite event log, storing events through engines kept open."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines = EngineCache()
        self._tables_seen: set[str] = set()
        super().__init__(base_dir, inst_data=inst_data)

    def has_table(self, table_name: str) -> bool:
        """Whether the index database has the table, asked through the engine kept open; a table
        once seen is remembered (migrations only add tables). Dagster creates an engine for each
        question, and asks before most asset and partition events: 159 times (0.2 s) in a sample run."""
        if table_name in self._tables_seen:
            return True
        engine, _ = self._engines.get(self.conn_string_for_shard(INDEX_SHARD_NAME))
        with engine.connect() as conn:
            found = bool(engine.dialect.has_table(conn, table_name))
        if found:
            self._tables_seen.add(table_name)
        return found

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine, _ = self._engines.get(self.conn_string_for_shard(shard))
            if shard not in self._initialized_dbs:
                self._init_shard(shard, engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _template_path(self) -> str:
        return os.path.join(self._base_dir, f".empty-run-{dagster_version}.sqlite")  # not *.db: no run's

    def _init_shard(self, shard: str, engine: Engine) -> None:
        """A new run's database: a copy of an empty one, made once per Dagster version with Dagster's
        own `_initdb` (tables, WAL mode, alembic stamp), which took a sixth of a second per run."""
        path, template = self.path_for_shard(shard), self._template_path()
        if shard == INDEX_SHARD_NAME or os.path.exists(path):
            self._initdb(engine)
            return
        if not os.path.exists(template):
            self._make_template(template)
        tmp = f"{path}.{os.getpid()}.tmp"
        shutil.copyfile(template, tmp)
        try:
            os.link(tmp, path)  # never over a database another process has just created
        except FileExistsError:
            self._initdb(engine)
        finally:
            os.unlink(tmp)

    def _make_template(self, template: str) -> None:
        """The empty run database, initialised in a file of its own (no run's events can reach it)
        and closed (so its WAL is in the file) before it takes its name."""
        tmp = f"{template}.{os.getpid()}.tmp"
        scratch = create_engine(f"sqlite:///{tmp}", poolclass=NullPool,
                                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
        try:
            self._initdb(scratch)
        finally:
            scratch.dispose()
        os.replace(tmp, template)

    def store_event(self, event: EventLogEntry) -> None:
        super().store_event(without_refusal_stack(event))
        if event.dagster_event is None or event.dagster_event.event_type_value not in FOLLOWED_EVENTS:
            self._checkpoint(event.run_id)

    def _checkpoint(self, shard: str) -> None:
        """Write the run database's WAL back into its file, as closing the last connection did: the
        UI follows a running run by watching that file (watchdog), not the WAL beside it."""
        with self._db_lock:
            engine, _ = self._engines.get(self.conn_string_for_shard(shard))
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def delete_events(self, run_id: str) -> None:
        self._engines.dispose()  # no open handle on a file that is about to go
        super().delete_events(run_id)

    def dispose(self) -> None:
        super().dispose()
        self._engines.dispose()


_FAILURES: Final = ("STEP_FAILURE", "PIPELINE_FAILURE")  # the stored names of step and run failures


def without_refusal_stack(event: EventLogEntry) -> EventLogEntry:
    """A step failure raised as `dg.Failure`, or the run failure it causes, without the stack.

    The UI prints a stored error's stack under the message ("Stack Trace:"); for a refusal the
    message is the whole report. Relies on Dagster's StepFailureData (error, user_failure_data)
    and JobFailureData (error, first_step_failure_event), both named tuples.
    """
    event_data = event.dagster_event
    if event_data is None or event_data.event_type_value not in _FAILURES:
        return event
    data: Any = event_data.event_specific_data
    first: Any = getattr(data, "first_step_failure_event", None)
    step: Any = first.event_specific_data if first is not None else data
    if getattr(step, "user_failure_data", None) is None or getattr(data, "error", None) is None:
        return event
    data = data._replace(error=data.error._replace(stack=[]))
    if first is not None and step.error is not None:
        step = step._replace(error=step.error._replace(stack=[]))
        data = data._replace(first_step_failure_event=first._replace(event_specific_data=step))
    return event._replace(dagster_event=event_data._replace(event_specific_data=data))


class ProjectRunStorage(SqliteRunStorage):
    """Dagster's SQLite run storage, querying through one engine kept open."""

    def __init__(self, conn_string: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines = EngineCache(size=1)
        super().__init__(conn_string, inst_data=inst_data)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        engine, _ = self._engines.get(self._conn_string)
        with engine.connect() as conn, conn.begin():
            yield conn

    def dispose(self) -> None:
        super().dispose()
        self._engines.dispose()


class ProjectSqliteStorage(DagsterSqliteStorage):
    """Dagster's SQLite storage (same files) with the run and event storages above."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self.base_dir = base_dir
        mkdir_p(base_dir)
        self._run_storage = ProjectRunStorage.from_local(_runs_directory(base_dir))
        self._event_log_storage = ProjectEventLogStorage(_event_logs_directory(base_dir))
        self._schedule_storage = SqliteScheduleStorage.from_local(_schedule_directory(base_dir))
        self._inst_data = inst_data
        super(DagsterSqliteStorage, self).__init__()

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None, config_value: Any) -> ProjectSqliteStorage:
        return cls(os.path.abspath(config_value["base_dir"]), inst_data=inst_data)


# --- compute logs -------------------------------------------------------------------------------


@contextmanager
def mirrored_to_file(stream: IO[str], path: str) -> Iterator[None]:
    """While the block runs, what the process writes to `stream` (its file descriptor: print,
    logging, C libraries) goes to the file `path` and is copied on to where the stream went before.

    Dagster's `mirror_stream_to_file` does the copying with a `tail -F` process and a Python
    process watching for orphans, for every capture: two capture runs of the CLI started eight
    processes (0.3 s of a sample run). Here a thread copies, polling the file every 50 ms, and
    copies the rest once the block has ended before the block's exit returns.
    """
    ensure_file(path)
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # not a file (a test's capture): Dagster does not redirect
        fd = -1
    if fd < 0:
        with redirect_to_file(stream, path):
            yield
        return
    original = os.dup(fd)
    done = threading.Event()

    def copy() -> None:
        with open(path, "rb") as source:
            while True:
                finished = done.is_set()  # before reading: whatever was written before it was set is read
                chunk = source.read(1 << 16)
                if chunk:
                    view = memoryview(chunk)
                    try:
                        while view:
                            view = view[os.write(original, view):]
                    except OSError:  # the terminal or pipe is gone: the file keeps the output
                        return
                elif finished:
                    return
                else:
                    done.wait(0.05)

    thread = threading.Thread(target=copy, name=f"mirror {os.path.basename(path)}", daemon=True)
    thread.start()
    try:
        with redirect_to_file(stream, path):
            yield
    finally:
        done.set()
        thread.join()
        os.close(original)


class ProjectComputeLogManager(LocalComputeLogManager):
    """Dagster's local compute logs (same files, same folder, same reading in the UI), mirrored to
    the terminal by a thread (`mirrored_to_file`) instead of `tail` processes. `data/dagster.yaml`
    selects it (compute_logs)."""

    @contextmanager
    def capture_logs(self, log_key: Sequence[str]) -> Iterator[CapturedLogContext]:
        out = self.get_captured_local_path(log_key, IO_TYPE_EXTENSION[ComputeIOType.STDOUT])
        err = self.get_captured_local_path(log_key, IO_TYPE_EXTENSION[ComputeIOType.STDERR])
        with mirrored_to_file(sys.stdout, out), mirrored_to_file(sys.stderr, err):
            yield CapturedLogContext(log_key)
        touch_file(self.complete_artifact_path(log_key))  # as Dagster's: the capture is complete

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None, config_value: Any
                          ) -> ProjectComputeLogManager:
        return cls(inst_data=inst_data, **config_value)
