"""The shipped sample in data/ is exactly what `krise-pipeline sample --out data` writes."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from krise_pipeline.metadata import contract
from krise_pipeline_tests.support import paths
from krise_sample import generate

REPO = paths.REPO


def cells(path: Path) -> list[tuple[object, ...]]:
    wb = load_workbook(path, read_only=True)
    try:
        return [tuple(r) for r in wb[contract.SURVEY_SHEET].iter_rows(values_only=True)]
    finally:
        wb.close()


def test_shipped_sample_is_reproduced_by_the_generator(tmp_path: Path) -> None:
    generate(tmp_path)
    shipped = REPO / "data"
    assert (tmp_path / "releases.csv").read_bytes() == (shipped / "releases.csv").read_bytes()
    years = sorted(p.name for p in (shipped / "raw").iterdir())
    assert years == ["2020", "2021", "2022", "2023", "2024"]
    for year in years:
        for name in contract.CSV_FILES:
            assert (tmp_path / "raw" / year / name).read_bytes() == (shipped / "raw" / year / name).read_bytes()
        assert cells(tmp_path / "raw" / year / contract.SURVEY_FILE) == cells(
            shipped / "raw" / year / contract.SURVEY_FILE)


def test_the_shipped_sample_shows_a_suppressed_cell(shipped_run: tuple[Path, Path]) -> None:
    """2020's children aged 3-5 are under the threshold of 20 stays: the sample shows '..' and why."""
    import duckdb

    _, wh = shipped_run
    with duckdb.connect(str(wh / "publication.duckdb"), read_only=True) as con:
        hidden = con.execute(
            "SELECT DISTINCT year, population, breakdown, category FROM service_shares WHERE suppressed "
            "ORDER BY ALL").fetchall()
        numbers = con.execute("SELECT count(*) FROM service_shares WHERE suppressed AND "
                              "(n_with IS NOT NULL OR n_base IS NOT NULL OR share IS NOT NULL)").fetchone()
    # primary: 3-5 (in both age breakdowns, which share the group); secondary: 0-2, the next smallest
    assert hidden == [(2020, "barn_opphold", a, c) for a in ("aldersgruppe", "aldersgruppe_grov")
                      for c in ("0-2", "3-5")]
    assert numbers == (0,)
    wb = load_workbook(wh / "exports" / "bistand.xlsx", read_only=True)
    try:
        rows = [r for r in wb["Andeler"].iter_rows(values_only=True) if r and r[0] == 2020 and r[-1] == ".."]
        about = [r for r in wb["Om tallene"].iter_rows(values_only=True) if r and r[0] == "Skjulte tall (..)"]
    finally:
        wb.close()
    assert rows, "no '..' in the 2020 rows of bistand.xlsx"
    assert {r[5] for r in rows} == {"0–2 år", "3–5 år"}
    assert about and "færre enn 20" in str(about[0][1])
