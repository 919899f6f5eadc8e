"""The downloads' xlsx writer: a hand-made workbook read back with openpyxl, its bytes stable,
and its parts the ones openpyxl writes for the same workbook."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Alignment as XlAlignment
from openpyxl.styles import Font as XlFont
from openpyxl.styles import PatternFill
from openpyxl.worksheet.table import Table as XlTable
from openpyxl.worksheet.table import TableStyleInfo

from krise_pipeline.exports.xlsx_writer import Alignment, Font, Style, Table, Workbook

BUILT = dt.datetime(2025, 3, 14, 9, 26, 53)
TITLE = Style(font=Font(bold=True, size=14))
HEADER = Style(font=Font(bold=True), fill="DCE6F0", alignment=Alignment(wrap=True, vertical="bottom"))
WRAP = Style(alignment=Alignment(wrap=True, vertical="top"))
RIGHT = Style(alignment=Alignment(horizontal="right"))
TEXTS = ["=1+1", "  innrykk", "slutt ", "Målgruppe & <år> «x» \"q\"", "", "linje\nto"]


def sample_book() -> Workbook:
    book = Workbook(title="Tittel med æøå", creator="Bufdir", language="nb-NO", created=BUILT)
    notes = book.add_sheet("Om tallene")
    notes.set(1, 1, "Om tallene", TITLE)
    notes.set(3, 1, "Emne", HEADER)
    notes.set(3, 2, "Innhold", HEADER)
    for row, text in enumerate(TEXTS, start=4):
        notes.set(row, 1, f"rad {row}")
        notes.set(row, 2, text, WRAP)
    notes.set(10, 2, None, WRAP)
    notes.widths.update({1: 30, 2: 110.5})
    notes.freeze(3)
    notes.tables.append(Table("om_tallene", 3, 10, ("Emne", "Innhold")))
    data = book.add_sheet("Data")
    data.set(3, 1, "År", HEADER)
    data.set(3, 2, "Antall", HEADER)
    data.set(4, 1, 2024, Style(number_format="0"))
    data.set(4, 2, 12345, Style(number_format="#,##0"))
    data.set(5, 1, 2023, Style(number_format="0"))
    data.set(5, 2, "..", RIGHT)
    data.freeze(3)
    data.tables.append(Table("data", 3, 5, ("År", "Antall")))
    return book


def test_a_workbook_reads_back_with_openpyxl(tmp_path: Path) -> None:
    path = sample_book().save(tmp_path / "bok.xlsx")
    assert not list(tmp_path.glob(".*.tmp"))
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Om tallene", "Data"]
    assert (wb.properties.title, wb.properties.creator, wb.properties.language) == ("Tittel med æøå", "Bufdir",
                                                                                    "nb-NO")
    assert wb.properties.created == BUILT
    notes, data = wb["Om tallene"], wb["Data"]
    assert notes["A1"].value == "Om tallene" and notes["A1"].font.b and notes["A1"].font.sz == 14
    assert [notes.cell(row=r, column=2).value for r in range(4, 10)] == [*TEXTS[:4], None, TEXTS[5]]
    assert all(notes.cell(row=r, column=2).data_type == "s" for r in (4, 5, 6, 7, 9))  # "=1+1" is text
    assert notes["B4"].alignment.wrap_text and notes["B4"].alignment.vertical == "top"
    assert notes["B10"].alignment.wrap_text and notes["B10"].value is None
    header = notes["A3"]
    assert header.font.b and header.fill.fgColor.rgb == "00DCE6F0" and header.fill.fill_type == "solid"
    assert header.alignment.vertical == "bottom"
    assert notes.column_dimensions["A"].width == 30 and notes.column_dimensions["B"].width == 110.5
    assert notes.freeze_panes == "A4" and data.freeze_panes == "A4"
    assert notes.tables["om_tallene"].ref == "A3:B10"
    assert [c.name for c in data.tables["data"].tableColumns] == ["År", "Antall"]
    assert data.tables["data"].tableStyleInfo.name == "TableStyleLight1"
    assert (data["A4"].value, data["A4"].number_format, data["A4"].data_type) == (2024, "0", "n")
    assert (data["B4"].value, data["B4"].number_format) == (12345, "#,##0")
    assert data["B5"].value == ".." and data["B5"].alignment.horizontal == "right"
    assert notes.dimensions == "A1:B10"


def test_the_same_workbook_gives_the_same_bytes(tmp_path: Path) -> None:
    first = sample_book().save(tmp_path / "a.xlsx").read_bytes()
    second = sample_book().save(tmp_path / "b.xlsx").read_bytes()
    assert first == second


def openpyxl_book(path: Path) -> Path:
    """The sample workbook written by openpyxl, as the downloads were written before."""
    wb = openpyxl.Workbook()
    notes = wb.active
    assert notes is not None
    notes.title = "Om tallene"
    styles = {"title": XlFont(bold=True, size=14), "header": XlFont(bold=True)}
    fill = PatternFill("solid", fgColor="DCE6F0")

    def text(ws: openpyxl.worksheet.worksheet.Worksheet, ref: str, value: str | None) -> None:
        ws[ref].value = value
        if value is not None:
            ws[ref].data_type = "s"

    text(notes, "A1", "Om tallene")
    notes["A1"].font = styles["title"]
    for ws, headers in ((notes, ("Emne", "Innhold")), (wb.create_sheet("Data"), ("År", "Antall"))):
        for col, name in enumerate(headers, start=1):
            cell = ws.cell(row=3, column=col)
            text(ws, cell.coordinate, name)
            cell.font, cell.fill = styles["header"], fill
            cell.alignment = XlAlignment(wrap_text=True, vertical="bottom")
    for row, value in enumerate(TEXTS, start=4):
        text(notes, f"A{row}", f"rad {row}")
        text(notes, f"B{row}", value)
        notes[f"B{row}"].alignment = XlAlignment(wrap_text=True, vertical="top")
    notes["B10"].alignment = XlAlignment(wrap_text=True, vertical="top")
    notes.column_dimensions["A"].width, notes.column_dimensions["B"].width = 30, 110.5
    data = wb["Data"]
    for ref, value, number_format in (("A4", 2024, "0"), ("B4", 12345, "#,##0"), ("A5", 2023, "0")):
        data[ref].value, data[ref].number_format = value, number_format
    text(data, "B5", "..")
    data["B5"].alignment = XlAlignment(horizontal="right")
    for ws, name, ref in ((notes, "om_tallene", "A3:B10"), (data, "data", "A3:B5")):
        ws.freeze_panes = ws["A4"]
        table = XlTable(displayName=name, ref=ref)
        table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=True)
        ws.add_table(table)
    wb.properties.title, wb.properties.creator, wb.properties.language = "Tittel med æøå", "Bufdir", "nb-NO"
    wb.properties.created = BUILT
    wb.save(path)
    return path


def test_every_part_is_the_one_openpyxl_writes(tmp_path: Path) -> None:
    """Same parts, byte for byte, but the program's name and the time of saving."""
    ours = sample_book().save(tmp_path / "ours.xlsx")
    theirs = openpyxl_book(tmp_path / "theirs.xlsx")
    saved_at = re.compile(rb"<dcterms:modified[^>]*>[^<]*</dcterms:modified>")
    with zipfile.ZipFile(ours) as a, zipfile.ZipFile(theirs) as b:
        assert sorted(a.namelist()) == sorted(b.namelist())
        for name in a.namelist():
            if name == "docProps/app.xml":
                assert b"<Application>krise_pipeline</Application>" in a.read(name)
                continue
            mine, expected = a.read(name), b.read(name)
            if name == "docProps/core.xml":
                mine, expected = saved_at.sub(b"", mine), saved_at.sub(b"", expected)
            assert mine == expected, name


def test_a_cell_holds_text_a_whole_number_or_nothing() -> None:
    sheet = Workbook().add_sheet("x")
    with pytest.raises(TypeError, match="True"):
        sheet.set(1, 1, True)
    with pytest.raises(TypeError, match=r"1\.5"):
        sheet.set(1, 1, 1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="control character"):
        sheet.set(1, 1, "bell\x07")
    with pytest.raises(ValueError, match=r"0\.00"):
        Style(number_format="0.00")
