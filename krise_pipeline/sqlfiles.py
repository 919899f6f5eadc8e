"""The SQL files shipped with the package (krise_pipeline/sql/*.sql)."""

from __future__ import annotations

from importlib import resources

import duckdb

from krise_pipeline import registry

VALIDATED_TABLES = registry.VALIDATED_TABLES


def load(name: str, **params: str) -> str:
    """The text of `sql/<name>.sql` with `{param}` placeholders filled in."""
    text = resources.files("krise_pipeline").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")
    return text.format(**params) if params else text


def create_validated_tables(con: duckdb.DuckDBPyConnection, schema: str) -> None:
    """Create the typed delivery tables in `schema`, as the registry declares them (validated.*)."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for table in registry.in_layer("validated"):
        con.execute(registry.create_table_sql(table, schema))
