"""Atomic publication of `publication.duckdb`, the only file downstream tools read.

The new release is written to a temporary file beside the old one, checkpointed and closed, then
swapped in with os.replace. A reader holding the old file keeps a consistent snapshot; a new
reader sees the new file; nobody ever sees a half release, and a crash leaves the old file intact.
The file is written in storage format `STORAGE_VERSION`, so that DuckDB 1.4 and later open it.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import shutil
from pathlib import Path

import duckdb

from krise_pipeline import settings
from krise_pipeline.metadata import contract, ddl, registry
from krise_pipeline.publication import catalog

PUBLICATION_FILE = settings.PUBLICATION_FILE
TMP_PREFIX = ".publication.duckdb."
# The storage format the publication is written in: the oldest DuckDB line supported downstream
# (1.4, LTS) opens it, and so do 1.5 and 2.x. DuckDB 2.0 writes `v2.0.0+` by default, which no 1.x
# release can open.
STORAGE_VERSION = "v1.4.0"

# table -> the SELECT that gives its published content (aggregates only, in a stable order): every
# published table of the registry, from its warehouse table; `codes` from the catalog (see publish)
PUBLISHED_QUERIES: dict[str, str] = {
    t.name: t.publication_query() if t.layer == "warehouse" else f"SELECT * FROM _{t.name}"
    for t in registry.TABLES if t.published
}


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def describe(con: duckdb.DuckDBPyConnection, database: str) -> None:
    """COMMENTs on every published table and column, from the catalog."""

    for table in catalog.PUBLISHED:
        present = {c for (c,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = ? AND table_name = ?",
            [database, table.name]).fetchall()}
        if not present:
            continue
        con.execute(f"COMMENT ON TABLE {database}.main.{table.name} IS {_sql_text(table.comment)}")
        for column in table.columns:
            if column.name in present:
                con.execute(f"COMMENT ON COLUMN {database}.main.{table.name}.{column.name} IS "
                            f"{_sql_text(column.description)}")


class PublicationError(RuntimeError):
    pass


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_public(root: Path) -> None:
    """Make a published file or folder tree readable by everyone (directories 0755, files 0644).

    Runs set a restrictive umask so that everything else they create (the restricted warehouse,
    DuckDB's spill files, Dagster's logs) is private; published outputs are opened up explicitly.
    """
    paths = [root, *root.rglob("*")] if root.is_dir() else [root]
    for p in paths:
        os.chmod(p, 0o755 if p.is_dir() else 0o644)


def remove_stale_temporaries(warehouse_dir: Path) -> None:
    """Remove temporary publication files left by a run that was killed."""
    for p in warehouse_dir.glob(f"{TMP_PREFIX}*"):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    name = ctypes.util.find_library("c")
    renameat2 = getattr(ctypes.CDLL(name, use_errno=True), "renameat2", None) if name else None
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def new_folder(target: Path) -> Path:
    """An empty folder beside `target` to build its next version in (`.<name>.<pid>.new`)."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.new")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    return tmp


def replace_folder(new: Path, target: Path) -> None:
    """Put the folder `new` in place of `target` as a whole and remove the previous one.

    Where the system can, the two are exchanged in one rename: a reader sees the previous folder
    or the new one. Elsewhere the previous folder is moved aside first; a kill between the two
    renames leaves it as `.<name>.<pid>.old`, which `recover_folder` puts back."""
    if not target.exists():
        os.replace(new, target)
        return
    if _exchange(new, target):
        shutil.rmtree(new)  # now the previous folder
        return
    old = target.with_name(f".{target.name}.{os.getpid()}.old")
    os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old)


def recover_folder(target: Path) -> None:
    """After a killed run: a previous `target` moved aside comes back if there is none, and the
    folders of an unfinished build go."""
    for p in sorted(target.parent.glob(f".{target.name}.*")):
        if p.name.endswith(".old") and not target.exists():
            os.replace(p, target)
        elif p.is_dir():
            shutil.rmtree(p, ignore_errors=True)


def publish(
    con: duckdb.DuckDBPyConnection,
    warehouse_dir: Path,
    queries: dict[str, str] | None = None,
) -> Path:
    """Write the published tables from `con` into a new file and swap it in atomically."""
    queries = PUBLISHED_QUERIES if queries is None else queries
    warehouse_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(warehouse_dir, 0o755)  # downstream readers must reach publication.duckdb
    remove_stale_temporaries(warehouse_dir)
    target = warehouse_dir / PUBLICATION_FILE
    tmp = warehouse_dir / f"{TMP_PREFIX}{os.getpid()}.tmp"

    con.execute(f"ATTACH {_sql_text(str(tmp))} AS pub (STORAGE_VERSION '{STORAGE_VERSION}')")
    try:
        ddl.create_table(con, registry.CODES.key, "_codes", temporary=True)
        ddl.insert_rows(con, "_codes", catalog.codes())
        for table, query in queries.items():
            con.execute(f"CREATE TABLE pub.main.{table} AS {query}")
        describe(con, "pub")
        leaked = con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = 'pub' "
            f"AND lower(column_name) IN ({', '.join(repr(c) for c in sorted(contract.IDENTIFIERS))})"
        ).fetchall()
        if leaked:
            raise PublicationError(f"identifier columns would be published: {leaked}")
        con.execute("CHECKPOINT pub")
    except BaseException:
        con.execute("DETACH pub")
        tmp.unlink(missing_ok=True)
        raise
    con.execute("DETACH pub")
    wal = tmp.with_name(tmp.name + ".wal")
    if wal.exists():  # fully checkpointed above; a leftover WAL would be stale
        wal.unlink()
    os.chmod(tmp, 0o644)
    _fsync(tmp)
    os.replace(tmp, target)
    _fsync(warehouse_dir)
    return target
