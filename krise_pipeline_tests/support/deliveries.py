"""Small hand-made deliveries for tests: a valid survey workbook and CSV files from Python rows.

    year_dir = tmp_path / "2024"
    write_delivery(year_dir, [centre("KS001")], [adult_stay()], [child_stay()], [visit()])

Every row helper returns a valid row for the year; override any column with a keyword. Values are
written as given: in the workbook an int or float is a number cell, a `Formula` a formula, and any
other text a text cell (never a formula, even when it starts with "="); in CSV files every value
is written as text.
"""

from __future__ import annotations

import csv
import gzip as gzip_module
import io
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path

from openpyxl import Workbook

from krise_pipeline.metadata import codebook, contract

YEAR = 2024


class Formula(str):
    """A survey cell written as a formula (e.g. Formula("=1+0"))."""

    __slots__ = ()


def centre(senter_id: str = "KS001", year: int = YEAR, /, **values: object) -> dict[str, object]:
    """A survey row: a centre with offers for women and men, every answer 0 unless given."""
    row: dict[str, object] = {
        "senter_id": senter_id,
        "senter_navn": f"Krisesenter {senter_id}",
        "kommune_nr": "0301",
        "har_tilbud_kvinner": 1,
        "har_tilbud_menn": 1,
        "botilbud_menn_type": "egne_lokaler",
    }
    row.update({c: 0 for c in codebook.survey_columns(year)[len(contract.SURVEY_FIXED_COLUMNS):]})
    if "har_tilbud_menn" in values and values["har_tilbud_menn"] in (0, "0", "", None) \
            and "botilbud_menn_type" not in values:
        row["botilbud_menn_type"] = ""
    row.update(values)
    return row


def adult_stay(year: int = YEAR, /, **values: str) -> dict[str, str]:
    row = {
        "opphold_id": "O1", "person_id": "P1", "senter_id": "KS001", "kjonn": "K", "alder": "34",
        "innflyttet": f"{year}-03-01", "utflyttet": f"{year}-03-20", "forste_opphold_i_aret": "1",
        "reservert": "0", "inntakssamtale": "1", "kartlegging_hjelpebehov": "1",
        "kartlegging_trusler_senter": "1", "kartlegging_trusler_andre": "0", "plan_under_opphold": "1",
        "plan_etter_opphold": "0",
    }
    row.update(values)
    return row


def child_stay(year: int = YEAR, /, **values: str) -> dict[str, str]:
    row = {
        "opphold_id": "C1", "barn_id": "B1", "senter_id": "KS001", "kjonn": "M", "alder": "7",
        "innflyttet": f"{year}-03-01", "utflyttet": "", "forste_opphold_i_aret": "1", "reservert": "0",
        "velkomstsamtale": "1", "kartlegging_hjelpebehov": "1", "kartlegging_trusler_senter": "0",
        "kartlegging_trusler_andre": "0", "plan_under_opphold": "1",
    }
    row.update(values)
    return row


def visit(year: int = YEAR, /, **values: str) -> dict[str, str]:
    row = {
        "besok_id": "V1", "person_id": "P9", "senter_id": "KS001", "kjonn": "K", "dato": f"{year}-05-02",
        "forste_besok_i_aret": "1", "reservert": "0", "kartlegging_hjelpebehov": "1",
        "kartlegging_trusler_senter": "0", "kartlegging_trusler_andre": "0",
    }
    row.update(values)
    return row


def csv_bytes(columns: Sequence[str], rows: Iterable[Mapping[str, object]]) -> bytes:
    """UTF-8 CSV text with a header; values missing from a row are written empty."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else str(row.get(c)) for c in columns])
    return out.getvalue().encode("utf-8")


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Mapping[str, object]],
              gzip: bool = False) -> Path:
    data = csv_bytes(columns, rows)
    if gzip:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip_module.compress(data))
    else:
        path.write_bytes(data)
    return path


def write_survey(path: Path, rows: Sequence[Mapping[str, object]], year: int = YEAR,
                 columns: Sequence[str] | None = None, sheet: str = contract.SURVEY_SHEET) -> Path:
    """The survey workbook: `columns` (default: the year's columns) in row 1, one row per dict."""
    columns = list(columns if columns is not None else codebook.survey_columns(year))
    workbook = Workbook()
    worksheet = workbook.active
    assert worksheet is not None
    worksheet.title = sheet
    for col, name in enumerate(columns, start=1):
        _put(worksheet, 1, col, name)
    for r, row in enumerate(rows, start=2):
        for col, name in enumerate(columns, start=1):
            _put(worksheet, r, col, row.get(name))
    workbook.save(path)
    return path


def _put(worksheet: object, row: int, col: int, value: object) -> None:
    cell = worksheet.cell(row=row, column=col)  # type: ignore[attr-defined]
    if value is None or value == "":
        return
    if isinstance(value, Formula):
        cell.value = str(value)
        return
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


def write_delivery(
    year_dir: Path,
    survey_rows: Sequence[Mapping[str, object]],
    adults: Iterable[Mapping[str, object]],
    children: Iterable[Mapping[str, object]],
    visits: Iterable[Mapping[str, object]],
    gzip: Collection[str] = frozenset(),
    year: int | None = None,
) -> Path:
    """A delivery folder with the four files; the CSV files named in `gzip` are written as .csv.gz."""
    year = year if year is not None else int(year_dir.name)
    year_dir.mkdir(parents=True, exist_ok=True)
    write_survey(year_dir / contract.SURVEY_FILE, survey_rows, year)
    for name, columns, rows in (
        (contract.ADULT_FILE, contract.ADULT_COLUMNS, adults),
        (contract.CHILD_FILE, contract.CHILD_COLUMNS, children),
        (contract.VISIT_FILE, contract.VISIT_COLUMNS, visits),
    ):
        write_csv(year_dir / name, columns, rows, gzip=name in gzip)
    return year_dir


def write_rows(year_dir: Path, rows: Mapping[str, Sequence[Mapping[str, object]]],
               gzip: Collection[str] = frozenset(), year: int | None = None) -> Path:
    """write_delivery from a mapping with the keys survey_rows, adults, children and visits."""
    return write_delivery(year_dir, rows["survey_rows"], rows["adults"], rows["children"], rows["visits"],
                          gzip=gzip, year=year)
