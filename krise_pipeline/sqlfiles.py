"""The SQL files shipped with the package (krise_pipeline/sql/*.sql)."""

from __future__ import annotations

from importlib import resources

import duckdb

VALIDATED_TABLES = (
    "sentreskjema", "senter_svar", "beboere_opphold", "barn_opphold", "dagsbesok",
)


def load(name: str, **params: str) -> str:
    """The text of `sql/<name>.sql` with `{param}` placeholders filled in."""
    text = resources.files("krise_pipeline").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")
    return text.format(**params) if params else text


def create_validated_tables(con: duckdb.DuckDBPyConnection, schema: str) -> None:
    """Create the typed delivery tables in `schema` (see sql/validated_tables.sql)."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    con.execute(load("validated_tables", schema=schema))
