"""The whole-file form of each record model: the same columns, every rule in one check, and the same
verdict as the model's one check per rule."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from krise_pipeline.metadata import contract
from krise_pipeline.validated import record_models

YEAR = 2024
HELP = contract.VISIT_HELP


@pytest.mark.parametrize("file", [contract.ADULT_FILE, contract.CHILD_FILE, contract.VISIT_FILE])
def test_the_whole_file_model_has_the_models_columns_and_one_check(file: str) -> None:
    whole = record_models.WHOLE_FILE_MODELS[file].to_schema()
    model = record_models.MODELS[file].to_schema()
    assert tuple(whole.columns) == tuple(model.columns)
    assert whole.strict is True
    assert [str(c.name) for c in whole.checks] == ["all_rules"]


# (column, value) of one visit that breaks one rule each; the other two visits stay valid
BROKEN = [
    ("besok_id", ""), ("person_id", ""), ("senter_id", "KS1"), ("senter_id", "KS009"), ("kjonn", "X"),
    ("dato", "2024-02-30"), ("dato", "2023-12-31"), ("forste_besok_i_aret", "2"), ("reservert", "ja"),
    (HELP[0], ""), (HELP[1], "3"), ("besok_id", "V1"), ("person_id", "P1"),
]


def visits_table(tmp_path: Path, change: tuple[str, str] | None) -> object:
    import ibis

    con = duckdb.connect(str(tmp_path / "t.duckdb"))
    helps = ", ".join(f"'1' AS {c}" for c in HELP)
    con.execute(f"""CREATE TABLE v AS SELECT i AS read_row, {YEAR}::BIGINT AS year, 'V' || i AS besok_id,
        'P' || i AS person_id, 'KS001' AS senter_id, 'K' AS kjonn, '2024-06-01' AS dato,
        '1' AS forste_besok_i_aret, '0' AS reservert, {helps} FROM range(3) t(i)""")
    if change is not None:
        column, value = change
        con.execute(f"UPDATE v SET {column} = ? WHERE read_row = 2", [value])
    con.execute("CREATE TEMP TABLE _centres AS SELECT 'KS001' AS senter_id")
    return ibis.duckdb.from_connection(con).table("v")


def test_a_valid_file_keeps_every_rule(tmp_path: Path) -> None:
    table = visits_table(tmp_path, None)
    assert record_models.keeps_every_rule(contract.VISIT_FILE, table)  # type: ignore[arg-type]
    assert record_models.failed_rules(contract.VISIT_FILE, table) == []  # type: ignore[arg-type]


@pytest.mark.parametrize("change", BROKEN)
def test_one_broken_rule_fails_the_whole_file(tmp_path: Path, change: tuple[str, str]) -> None:
    table = visits_table(tmp_path, change)
    assert not record_models.keeps_every_rule(contract.VISIT_FILE, table)  # type: ignore[arg-type]
    assert len(record_models.failed_rules(contract.VISIT_FILE, table)) >= 1  # type: ignore[arg-type]
