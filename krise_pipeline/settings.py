"""Where the deliveries are and where the warehouse files go: the folders and the environment that
names them, with no Dagster, so the CLI, the definitions, the bench and an editor's command resolve
them the same way (contract section 3)."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

DATA_DIR_ENV = "KRISE_DATA_DIR"
WAREHOUSE_DIR_ENV = "KRISE_WAREHOUSE_DIR"
RECHECK_PUBLISHED_ENV = "KRISE_RECHECK_PUBLISHED"
DEFAULT_DATA_DIR = "data"
DEFAULT_WAREHOUSE_DIR = "warehouse"
WAREHOUSE_FILE = "krise.duckdb"  # restricted: person-level rows, never handed downstream
PUBLICATION_FILE = "publication.duckdb"  # what downstream tools read
EXPORTS_DIR = "exports"


class Folders:
    """The paths inside the data folder (raw/<year>/, releases.csv, the ledger) and the warehouse
    folder. Shared by `Settings` and the Dagster resource that carries the same two fields."""

    data_dir: str
    warehouse_dir: str

    @property
    def acknowledgements_csv(self) -> Path:
        return Path(self.data_dir) / "acknowledgements.csv"

    @property
    def ledger_dir(self) -> Path:
        return Path(self.data_dir) / "ledger"

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
        return self.warehouse_path / PUBLICATION_FILE

    @property
    def exports_dir(self) -> Path:
        return self.warehouse_path / EXPORTS_DIR

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


@dataclass(frozen=True)
class Settings(Folders):
    """The two folders and whether warning checks also compare years already published."""

    data_dir: str = DEFAULT_DATA_DIR
    warehouse_dir: str = DEFAULT_WAREHOUSE_DIR
    recheck_published: bool = False


def from_environment(data_dir: str | None = None, warehouse_dir: str | None = None,
                     recheck_published: bool | None = None) -> Settings:
    """The folders: given ones, else KRISE_DATA_DIR / KRISE_WAREHOUSE_DIR, else `data` and `warehouse`
    relative to the working directory. Warning checks compare published years too when asked (or
    KRISE_RECHECK_PUBLISHED=1)."""
    if recheck_published is None:
        recheck_published = os.environ.get(RECHECK_PUBLISHED_ENV, "").lower() in ("1", "true", "yes")
    return Settings(
        data_dir=data_dir or os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR,
        warehouse_dir=warehouse_dir or os.environ.get(WAREHOUSE_DIR_ENV) or DEFAULT_WAREHOUSE_DIR,
        recheck_published=recheck_published,
    )
