"""The assets in process, against a temp warehouse: a hand-made delivery loaded by the `load_year` job
and then built by `publish`, read back from the DuckDB files and the materialisation metadata."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

from krise_pipeline.definitions import build_definitions, settings_for
from krise_pipeline.defs import jobs
from krise_pipeline.metadata import contract, registry
from krise_pipeline_tests.support.deliveries import adult_stay, centre, child_stay, visit, write_delivery


def delivery(data: Path, *, bad_adult: bool = False) -> None:
    adults = [adult_stay(2023, opphold_id=f"O{i}", person_id=f"P{i}") for i in range(22)]
    if bad_adult:
        adults[3] = adult_stay(2023, opphold_id="O3", person_id="P3", kjonn="X")
    write_delivery(data / "raw" / "2023", [centre("KS001", 2023), centre("KS002", 2023, har_tilbud_menn=0)],
                   adults, [child_stay(2023, opphold_id=f"B{i}", barn_id=f"C{i}") for i in range(3)],
                   [visit(2023, besok_id=f"D{i}", person_id=f"Q{i}") for i in range(4)])


def metadata(result: dg.ExecuteInProcessResult, key: str) -> dict[str, object]:
    events = [e for e in result.get_asset_materialization_events()
              if e.asset_key == dg.AssetKey(key.split("/"))]
    assert len(events) == 1, key
    return {k: getattr(v, "value", v) for k, v in events[0].materialization.metadata.items()}


def test_load_year_then_publish(tmp_path: Path) -> None:
    delivery(tmp_path / "data")
    settings = settings_for(str(tmp_path / "data"), str(tmp_path / "wh"))
    defs = build_definitions(settings)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("year", ["2023"])
        loaded = defs.resolve_job_def(jobs.LOAD_YEAR).execute_in_process(partition_key="2023", instance=instance)
        assert loaded.success
        assert metadata(loaded, "validated/beboere_opphold")["rows_in_year"] == 22
        assert metadata(loaded, "validated/barn_opphold")["rows_in_year"] == 3
        assert metadata(loaded, "validated/dagsbesok")["rows_in_year"] == 4
        assert metadata(loaded, "validated/sentreskjema")["rows_in_year"] == 2
        files = metadata(loaded, "raw/delivery_files")["files"]
        assert isinstance(files, dict)  # file name -> SHA-256
        assert sorted(files) == sorted([contract.SURVEY_FILE, *contract.CSV_FILES])

        published = defs.resolve_job_def(jobs.PUBLISH).execute_in_process(instance=instance)
        assert published.success
    with duckdb.connect(str(tmp_path / "wh" / "publication.duckdb"), read_only=True) as con:
        # 22 adult stays, none reserved: base 22 (not suppressed); 3 children and 4 visits are
        assert con.execute("SELECT n_base, suppressed FROM service_shares WHERE population = 'voksne_opphold' "
                           "AND measure = 'inntakssamtale' AND breakdown = 'alle'").fetchone() == (22, False)
        assert con.execute("SELECT bool_and(suppressed) FROM service_shares WHERE population <> 'voksne_opphold'"
                           ).fetchone() == (True,)
        assert con.execute("SELECT n_base FROM centre_offers WHERE question = 'organisering' "
                           "AND item = 'har_tilbud' AND target_group = 'menn'").fetchone() == (2,)


def test_a_bad_delivery_fails_its_step_with_the_report_and_writes_nothing(tmp_path: Path) -> None:
    delivery(tmp_path / "data", bad_adult=True)
    defs = build_definitions(settings_for(str(tmp_path / "data"), str(tmp_path / "wh")))
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("year", ["2023"])
        result = defs.resolve_job_def(jobs.LOAD_YEAR).execute_in_process(
            partition_key="2023", instance=instance, raise_on_error=False)
    assert not result.success
    failures = [e.step_failure_data.user_failure_data for e in result.all_events
                if e.is_step_failure and e.step_failure_data.user_failure_data is not None]
    assert len(failures) == 1
    description = failures[0].description or ""
    # the adult file's header is line 1, O3 is the fourth stay: line 5
    assert "beboere_opphold.csv line 5, column kjonn: rule code_list" in description
    assert failures[0].metadata["problems"].value == 1
    summary = failures[0].metadata["summary"].value
    assert "| 2023 | beboere_opphold.csv | code_list | kjonn | 1 | 5 |" in summary
    assert failures[0].metadata["years_with_problems"].value == [2023]
    with duckdb.connect(str(tmp_path / "wh" / "krise.duckdb"), read_only=True) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'validated'"
                                            ).fetchall()}
        rows = {t: con.execute(f"SELECT count(*) FROM validated.{t}").fetchone() for t in tables}
    assert rows == {t: (0,) for t in tables}
    assert not tables or tables == set(registry.VALIDATED_TABLES)
