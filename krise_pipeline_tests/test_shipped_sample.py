"""The shipped sample in data/ is exactly what `krise-pipeline sample --out data` writes."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from krise_pipeline import contract
from krise_sample import generate

REPO = Path(__file__).resolve().parent.parent


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
