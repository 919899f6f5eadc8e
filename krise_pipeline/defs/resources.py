"""Resources: where the deliveries are and where the warehouse files go."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

from krise_pipeline import settings
from krise_pipeline.warehouse import locking


class KriseSettings(dg.ConfigurableResource, settings.Folders):
    """The data folder (raw/<year>/ and releases.csv) and the warehouse folder (contract section 3);
    the paths inside them come from `settings.Folders`."""

    data_dir: str = settings.DEFAULT_DATA_DIR
    warehouse_dir: str = settings.DEFAULT_WAREHOUSE_DIR
    recheck_published: bool = False  # warning checks also compare published years


class WarehouseDB(DuckDBResource):
    """krise.duckdb, held by one run at a time: the run takes the warehouse folder's lock when it
    starts (before any step) and gives it back when it ends, whoever launched it (CLI, UI, schedule,
    sensor). A second run stops with a message naming the holder, or waits `lock_wait_seconds`.

    The steps of a run that execute in one process share one connection, opened at the first use
    and closed when the run ends: opening the database and checkpointing it at every close was a
    large part of the small warehouse steps."""

    lock_wait_seconds: float = 0.0
    _lock: contextlib.ExitStack | None = PrivateAttr(default=None)
    _con: duckdb.DuckDBPyConnection | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        run = context.run
        who = f"Dagster run {run.run_id[:8]} ({run.job_name})" if run is not None else "a Dagster run"
        stack = contextlib.ExitStack()
        try:
            stack.enter_context(locking.warehouse_lock(Path(self.database).parent, who=who,
                                                       wait_seconds=self.lock_wait_seconds))
        except locking.Busy as exc:
            raise dg.Failure(description=f"krise-pipeline: {exc}", allow_retries=False) from None
        self._lock = stack

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self._close()
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def _close(self) -> None:
        if self._con is not None:
            con, self._con = self._con, None
            con.close()

    def _open(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(self.database, read_only=False,
                              config={"custom_user_agent": "krise_pipeline", **self.connection_config})

    @contextlib.contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The run's connection (or, outside a run, one of its own). A block that fails closes it,
        with any transaction it left open: the next block starts on a fresh connection. (DuckDBResource's
        own leaves the connection open when the block fails, and a later connection to the same path
        was handed that stale database, even after the file was gone.)"""
        in_run = self._lock is not None
        if in_run and self._con is None:
            self._con = self._open()
        con = self._con if in_run and self._con is not None else self._open()
        try:
            yield con
        except BaseException:
            if con is self._con:
                self._close()
            else:
                con.close()
            raise
        if con is not self._con:
            con.close()


def warehouse_resource(settings: KriseSettings) -> WarehouseDB:
    """The restricted working warehouse krise.duckdb (person-level data; never handed downstream)."""
    return WarehouseDB(database=str(settings.warehouse_db))


def settings_for(data_dir: str | None = None, warehouse_dir: str | None = None,
                 recheck_published: bool | None = None) -> KriseSettings:
    """The resource for the folders `settings.from_environment` resolves."""
    resolved = settings.from_environment(data_dir, warehouse_dir, recheck_published)
    return KriseSettings(data_dir=resolved.data_dir, warehouse_dir=resolved.warehouse_dir,
                         recheck_published=resolved.recheck_published)
