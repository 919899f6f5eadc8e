"""Resources: where the deliveries are and where the warehouse files go."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from krise_pipeline import publish

DATA_DIR_ENV = "KRISE_DATA_DIR"
WAREHOUSE_DIR_ENV = "KRISE_WAREHOUSE_DIR"
WAREHOUSE_FILE = "krise.duckdb"


def default_data_dir() -> str:
    return os.environ.get(DATA_DIR_ENV) or "data"


def default_warehouse_dir() -> str:
    return os.environ.get(WAREHOUSE_DIR_ENV) or "warehouse"


class KriseSettings(dg.ConfigurableResource):
    """The data folder (raw/<year>/ and releases.csv) and the warehouse folder (contract section 3)."""

    data_dir: str = "data"
    warehouse_dir: str = "warehouse"

    @property
    def raw_dir(self) -> Path:
        return Path(self.data_dir) / "raw"

    def year_dir(self, year: int | str) -> Path:
        return self.raw_dir / str(year)

    @property
    def releases_csv(self) -> Path:
        return Path(self.data_dir) / "releases.csv"

    @property
    def warehouse_path(self) -> Path:
        return Path(self.warehouse_dir)

    @property
    def warehouse_db(self) -> Path:
        return self.warehouse_path / WAREHOUSE_FILE

    @property
    def publication_db(self) -> Path:
        return self.warehouse_path / publish.PUBLICATION_FILE

    @property
    def exports_dir(self) -> Path:
        return self.warehouse_path / "exports"

    def delivered_years(self) -> list[int]:
        """Years with a delivery folder (four-digit folder names under raw/)."""
        if not self.raw_dir.is_dir():
            return []
        return sorted(int(p.name) for p in self.raw_dir.iterdir()
                      if p.is_dir() and len(p.name) == 4 and p.name.isdigit())

    def restrict_permissions(self) -> None:
        """Make the restricted warehouse readable by its owner only (contract section 3)."""
        for p in (self.warehouse_db, self.warehouse_db.with_name(WAREHOUSE_FILE + ".wal")):
            with contextlib.suppress(FileNotFoundError):
                os.chmod(p, 0o600)


def warehouse_resource(settings: KriseSettings) -> DuckDBResource:
    """The restricted working warehouse krise.duckdb (person-level data; never handed downstream)."""
    return DuckDBResource(database=str(settings.warehouse_db))
