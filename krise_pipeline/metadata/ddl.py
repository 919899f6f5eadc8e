"""DDL made from the registry's declarations (no table is declared by hand), and small tables
written from Python rows."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from krise_pipeline.metadata import registry

VALIDATED_TABLES = registry.VALIDATED_TABLES


def create_table_sql(table: registry.Table, target: str | None = None, *, replace: bool = False,
                     temporary: bool = False) -> str:
    """CREATE TABLE for `table` (under its own key, or as `target`), from its declared columns."""
    width = max(len(c.name) for c in table.columns)
    lines = [f"    {c.name:<{width}}  {c.type}{' NOT NULL' if c.not_null else ''}" for c in table.columns]
    if table.primary_key:
        lines.append(f"    PRIMARY KEY ({', '.join(table.primary_key)})")
    verb = "CREATE OR REPLACE" if replace else "CREATE"
    kind = "TEMP TABLE" if temporary else "TABLE"
    exists = "" if replace else " IF NOT EXISTS"
    body = ",\n".join(lines)
    return f"{verb} {kind}{exists} {target or table.key} (   -- {table.grain}\n{body}\n)"


def create_table(con: duckdb.DuckDBPyConnection, key: str, target: str | None = None, *,
                 replace: bool = True, temporary: bool = False) -> None:
    """Create the registry table `key` (as `target` if given), empty unless it exists and not `replace`;
    its schema is created when missing."""
    name = target or key
    if not temporary and name.count(".") == 1:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {name.split('.')[0]}")
    con.execute(create_table_sql(registry.BY_KEY[key], name, replace=replace, temporary=temporary))


def create_validated_tables(con: duckdb.DuckDBPyConnection, schema: str) -> None:
    """Create the typed delivery tables in `schema`, as the registry declares them (validated.*)."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for table in registry.in_layer("validated"):
        con.execute(create_table_sql(table, f"{schema}.{table.name}"))


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Sequence[object]]) -> None:
    """INSERT a few rows (tuples in the table's column order) into `table`, in one statement: each
    column goes in as one list parameter (`executemany` costs about 0.5 ms per row)."""
    if not rows:
        return
    columns = [list(values) for values in zip(*rows, strict=True)]
    con.execute(f"INSERT INTO {table} SELECT {', '.join(f'unnest(${i + 1})' for i in range(len(columns)))}",
                columns)
