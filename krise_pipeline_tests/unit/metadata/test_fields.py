"""The field catalogue: every column of every table is a declared field, typed once; no DDL by hand."""

from __future__ import annotations

import re

import duckdb
import pytest

from krise_pipeline.metadata import ddl, fields, registry
from krise_pipeline_tests.support.paths import REPO

PACKAGE = REPO / "krise_pipeline"


def test_every_column_is_a_field_with_the_fields_type() -> None:
    for table in registry.TABLES:
        for c in table.columns:
            assert c.name in fields.FIELDS, f"{table.key}.{c.name} is not in metadata/fields.py"
            if c.type != fields.FIELDS[c.name].type:  # only the restricted aggregates keep DuckDB's wide types
                assert table.key == "warehouse.cell_aggregates", f"{table.key}.{c.name}: {c.type}"
                assert c.type in fields.AGGREGATE_TYPES.values()


def test_every_field_is_used_by_a_table() -> None:
    used = {c.name for t in registry.TABLES for c in t.columns}
    assert set(fields.FIELDS) - used == set()


def test_a_table_cannot_name_an_undeclared_field() -> None:
    with pytest.raises(KeyError):
        fields.column("personnummer")
    with pytest.raises(KeyError):
        fields.aggregate("personnummer", "a count")


def test_a_table_may_say_more_but_keeps_the_type() -> None:
    c = fields.required("question", "Key column (centre_offers)")
    assert (c.name, c.type, c.description, c.not_null) == ("question", "VARCHAR", "Key column (centre_offers)", True)
    assert fields.column("share").description == fields.FIELDS["share"].description


def test_generated_ddl_makes_the_declared_table() -> None:
    con = duckdb.connect()
    ddl.create_table(con, "warehouse.years")
    rows = con.execute("SELECT column_name, data_type, is_nullable FROM information_schema.columns "
                       "WHERE table_schema = 'warehouse' AND table_name = 'years' ORDER BY ordinal_position").fetchall()
    assert rows == [("year", "INTEGER", "NO"), ("status", "VARCHAR", "NO")]
    con.execute("INSERT INTO warehouse.years VALUES (2024, 'utkast')")
    with pytest.raises(duckdb.ConstraintException):  # the declared primary key
        con.execute("INSERT INTO warehouse.years VALUES (2024, 'publisert')")
    ddl.create_table(con, "warehouse.vintages", "scratch_vintages", temporary=True)
    names = [r[0] for r in con.execute("DESCRIBE scratch_vintages").fetchall()]
    assert names == [c.name for c in registry.BY_KEY["warehouse.vintages"].columns]


# a CREATE [OR REPLACE] [TEMP] TABLE name ( ... ): a table declared by hand, column by column
HAND_DDL = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"
                      r"[\w.{}]+\s*\(", re.IGNORECASE)


def test_no_table_is_declared_by_hand() -> None:
    assert HAND_DDL.search("con.execute('CREATE TABLE IF NOT EXISTS raw.delivery_files (year INTEGER)')")
    assert not HAND_DDL.search("CREATE OR REPLACE TABLE warehouse.user_counts AS WITH cells AS (")
    found = []
    for path in [*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.sql")]:
        if path == PACKAGE / "metadata" / "ddl.py":
            continue
        found += [f"{path.relative_to(REPO)}: {m.group(0)}" for m in HAND_DDL.finditer(path.read_text("utf-8"))]
    assert found == []
