"""The table registry: every table declared once, and what is generated from it in step with it."""

from __future__ import annotations

import importlib
import re
from importlib import resources

import dagster as dg
import duckdb

from krise_pipeline.definitions import build_definitions, settings_for
from krise_pipeline.metadata import ddl, registry
from krise_pipeline.publication import catalog, publish
from krise_pipeline.warehouse import sql as warehouse_sql
from krise_pipeline_tests.support import paths

REPO = paths.REPO
RESTRICTED_LAYERS = ("raw", "validated", "warehouse")


def graph() -> dg.AssetGraph:
    return build_definitions(settings_for("data", "warehouse")).resolve_asset_graph()


def test_every_sql_file_of_the_registry_exists() -> None:
    sql = resources.files("krise_pipeline.warehouse.sql")
    built = registry.sql_built()
    assert {t.key for t in built} >= {"warehouse.centre_offers", "warehouse.cell_aggregates",
                                      "warehouse.service_shares", "warehouse.user_counts"}
    for table in built:
        assert isinstance(table.build, registry.Sql)
        for name in table.build.files:
            assert sql.joinpath(f"{name}.sql").is_file(), (table.key, name)
        # the last file writes the table itself
        assert f"CREATE OR REPLACE TABLE {table.key} " in warehouse_sql.load(table.build.files[-1]), table.key


def test_every_step_of_the_registry_is_a_function_of_the_package() -> None:
    for table in registry.TABLES:
        if isinstance(table.build, registry.Step):
            module, _, name = table.build.function.rpartition(".")
            assert callable(getattr(importlib.import_module(f"krise_pipeline.{module}"), name)), table.key


def test_assets_and_registry_entries_match_one_to_one() -> None:
    g = graph()
    assets = {k.to_user_string() for k in g.get_all_asset_keys()}
    restricted = {a for a in assets if a.split("/")[0] in RESTRICTED_LAYERS}
    assert restricted == {t.key.replace(".", "/") for t in registry.TABLES if t.layer in RESTRICTED_LAYERS}
    published = {a for a in assets if a.startswith("publication/")}
    assert published == {f"publication/{t.name}" for t in registry.PUBLISHED}
    assert assets - restricted - published == {"exports/downloads", "exports/public"}


def test_assets_carry_what_the_registry_declares() -> None:
    g = graph()
    for table in registry.TABLES:
        if table.layer == "publication":
            continue
        node = g.get(dg.AssetKey(table.asset_path))
        assert node.group_name == table.layer, table.key
        assert {"/".join(k.path) for k in node.parent_keys} == {d.replace(".", "/") for d in table.deps}, table.key
        assert node.description is not None and node.description.startswith(table.comment), table.key
        assert set(node.kinds) == table.all_kinds, table.key
        schema = node.metadata["dagster/column_schema"]
        assert [(c.name, c.type, c.description) for c in schema.columns] == \
            [(c.name, c.type, c.description) for c in table.columns], table.key
    # the SQL-built tables are generated with the sql kind; the rest say how they are built elsewhere
    assert g.get(dg.AssetKey(["warehouse", "user_counts"])).kinds == {"duckdb", "sql"}
    assert g.get(dg.AssetKey(["validated", "dagsbesok"])).kinds == {"duckdb", "pandera"}
    # published tables: the publication's column schema leaves out the columns kept in the warehouse
    questions = g.get(dg.AssetKey(["publication", "questions"])).metadata["dagster/column_schema"]
    assert [c.name for c in questions.columns] == ["question", "scope", "title", "question_text",
                                                   "main_grouping", "secondary_grouping"]


def test_registry_deps_are_registry_keys_declared_before() -> None:
    seen: set[str] = set()
    for table in registry.TABLES:
        assert set(table.deps) <= seen, (table.key, set(table.deps) - seen)
        seen.add(table.key)


def test_validated_tables_are_created_from_the_registry() -> None:
    con = duckdb.connect()
    ddl.create_validated_tables(con, "staging_2024")
    got = con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'staging_2024' "
                      "ORDER BY table_oid").fetchall()
    assert [t for (t,) in got] == ["sentreskjema", "senter_svar", "beboere_opphold", "barn_opphold", "dagsbesok"]
    columns = con.execute("SELECT column_name, data_type, is_nullable FROM duckdb_columns() WHERE schema_name = "
                          "'staging_2024' AND table_name = 'sentreskjema' ORDER BY column_index").fetchall()
    assert columns == [("year", "INTEGER", False), ("senter_id", "VARCHAR", False), ("senter_navn", "VARCHAR", False),
                       ("kommune_nr", "VARCHAR", False), ("har_tilbud_kvinner", "BOOLEAN", False),
                       ("har_tilbud_menn", "BOOLEAN", False), ("botilbud_menn_type", "VARCHAR", True)]
    nullable = con.execute("SELECT column_name FROM duckdb_columns() WHERE schema_name = 'staging_2024' AND "
                           "table_name = 'barn_opphold' AND is_nullable ORDER BY column_index").fetchall()
    assert [c for (c,) in nullable] == ["utflyttet", "velkomstsamtale", "kartlegging_hjelpebehov",
                                        "kartlegging_trusler_senter", "kartlegging_trusler_andre",
                                        "plan_under_opphold"]
    assert con.execute("SELECT data_type FROM duckdb_columns() WHERE schema_name = 'staging_2024' AND "
                       "table_name = 'barn_opphold' AND column_name = 'alder'").fetchone() == ("SMALLINT",)


def test_publication_queries_come_from_the_registry() -> None:
    assert publish.PUBLISHED_QUERIES["questions"] == (
        "SELECT question, scope, title, question_text, main_grouping, secondary_grouping "
        "FROM warehouse.questions ORDER BY question_order")
    assert publish.PUBLISHED_QUERIES["codes"] == "SELECT * FROM _codes"
    assert list(publish.PUBLISHED_QUERIES) == [t.name for t in catalog.PUBLISHED]


def between(text: str, begin: str, end: str) -> str:
    match = re.search(re.escape(begin) + r"[^\n]*\n(.*?)\n" + re.escape(end), text, re.S)
    assert match is not None, begin
    return match.group(1)


def test_readme_lists_the_tables_of_the_registry() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert catalog.update_readme(readme) == readme  # else: python -m krise_pipeline.publication.catalog README.md
    assert between(readme, "<!-- restricted tables:", "<!-- end of restricted tables -->") == \
        catalog.readme_restricted_table()
    assert between(readme, "<!-- tables:", "<!-- end of tables -->") == catalog.readme_table()
    restricted = catalog.readme_restricted_table()
    assert "| `warehouse.centre_offers` | one row per year, question, item and target group |" in restricted
    assert "| `warehouse/sql/user_records.sql`, `warehouse/sql/cell_aggregates.sql` | restricted |" in restricted


def test_update_readme_rewrites_only_the_generated_blocks() -> None:
    text = ("intro\n<!-- restricted tables: x -->\nold\n<!-- end of restricted tables -->\nmiddle\n"
            "<!-- tables: y -->\nold\nold\n<!-- end of tables -->\nend\n")
    assert catalog.update_readme(text) == (
        "intro\n<!-- restricted tables: x -->\n" + catalog.readme_restricted_table()
        + "\n<!-- end of restricted tables -->\nmiddle\n<!-- tables: y -->\n" + catalog.readme_table()
        + "\n<!-- end of tables -->\nend\n")


def test_a_materialised_table_reports_its_columns_with_the_registry_descriptions() -> None:
    from krise_pipeline.defs import assets

    con = duckdb.connect()
    ddl.create_validated_tables(con, "validated")
    con.execute("INSERT INTO validated.senter_svar VALUES (2024, 'KS001', 'nettside', 'egen_nettside', 'alle', true)")
    meta = assets.described(con, "validated.senter_svar")
    assert meta["dagster/row_count"] == 1
    assert "preview" not in meta  # person-level and survey rows are never previewed
    assert [(c.name, c.type, c.description) for c in meta["dagster/column_schema"].columns][-2:] == [
        ("target_group", "VARCHAR", "kvinner / menn (scope kvinner_menn), alle (scope senter)"),
        ("ticked", "BOOLEAN", "The box was ticked")]
