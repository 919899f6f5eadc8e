"""DDL made from the registry's declarations, and small tables written from Python rows."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from krise_pipeline.metadata import registry

VALIDATED_TABLES = registry.VALIDATED_TABLES


def create_validated_tables(con: duckdb.DuckDBPyConnection, schema: str) -> None:
    """Create the typed delivery tables in `schema`, as the registry declares them (validated.*)."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for table in registry.in_layer("validated"):
        con.execute(registry.create_table_sql(table, schema))


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Sequence[object]]) -> None:
    """INSERT a few rows (tuples in the table's column order) into `table`, in one statement: each
    column goes in as one list parameter (`executemany` costs about 0.5 ms per row)."""
    if not rows:
        return
    columns = [list(values) for values in zip(*rows, strict=True)]
    con.execute(f"INSERT INTO {table} SELECT {', '.join(f'unnest(${i + 1})' for i in range(len(columns)))}",
                columns)
