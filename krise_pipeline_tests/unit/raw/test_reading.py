"""The safe readers: DuckDB's CSV reading with the scan before it (line numbers, gzip, limits,
hostile bytes) and the survey sheet as text."""

from __future__ import annotations

import datetime as dt
import gzip
import zipfile
from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook

from krise_pipeline.metadata import contract
from krise_pipeline.raw import reading
from krise_pipeline.raw.reading import DeliveryFile, UnreadableFile
from krise_pipeline.validated import records
from krise_pipeline.validated.problems import Problem, ProblemLog
from krise_pipeline_tests.support.deliveries import csv_bytes, visit

COLUMNS = contract.VISIT_COLUMNS
VISITS = next(spec for spec in records.RECORD_FILES if spec.name == contract.VISIT_FILE)


def visits(n: int) -> list[dict[str, str]]:
    return [visit(besok_id=f"V{i}", person_id=f"P{i % 7}", dato=f"2024-01-{1 + i % 28:02d}") for i in range(n)]


def read_all(path: Path) -> tuple[dict[int, dict[str, str]], list[Problem]]:
    """The rows DuckDB read from `path` (a dagsbesok file), by delivered line, and the problems."""
    log = ProblemLog()
    with duckdb.connect() as con:
        con.execute("CREATE SCHEMA s")
        loaded = records.read_records(path.parent, "s", VISITS, con, log)
        rows: dict[int, dict[str, str]] = {}
        if loaded is not None:
            result = con.execute(f"SELECT rowid, * FROM {loaded.table} ORDER BY rowid")
            names = [d[0] for d in result.description][1:]
            for rowid, *values in result.fetchall():
                rows[loaded.lines.line(int(rowid))] = dict(zip(names, values, strict=True))
    return rows, log.problems()


def where(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(p.location, p.rule) for p in problems]


def test_rows_keep_their_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "dagsbesok.csv"
    path.write_bytes(csv_bytes(COLUMNS, visits(3)))
    rows, problems = read_all(path)
    assert problems == []
    assert list(rows) == [2, 3, 4]
    assert rows[3]["besok_id"] == "V1" and rows[4]["dato"] == "2024-01-03"
    assert list(rows[2]) == list(COLUMNS)


@pytest.mark.parametrize("block", [40, 97, 1000])
def test_line_numbers_across_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    monkeypatch.setattr(reading, "CSV_BLOCK_BYTES", block)
    monkeypatch.setattr(reading, "GZIP_PIECE_BYTES", 13)
    data = csv_bytes(COLUMNS, visits(50))
    lines = data.split(b"\n")
    lines[20] = b""  # a blank line: DuckDB skips it, the scan keeps the count
    for name, payload in (("dagsbesok.csv", data), ("dagsbesok.csv.gz", gzip.compress(b"\n".join(lines)))):
        for other in tmp_path.glob("dagsbesok.csv*"):
            other.unlink()
        path = tmp_path / name
        path.write_bytes(payload)
        rows, problems = read_all(path)
        assert problems == []
        expected = list(range(2, 52)) if name.endswith(".csv") else [n for n in range(2, 52) if n != 21]
        assert list(rows) == expected
        assert rows[expected[-1]]["besok_id"] == "V49"


def test_columns_in_another_order_are_reordered(tmp_path: Path) -> None:
    path = tmp_path / "dagsbesok.csv"
    path.write_bytes(csv_bytes(list(reversed(COLUMNS)), visits(2)))
    rows, _ = read_all(path)
    assert list(rows[2]) == list(COLUMNS) and [r["besok_id"] for r in rows.values()] == ["V0", "V1"]


def test_bad_lines_are_reported_and_the_rest_kept(tmp_path: Path) -> None:
    lines = csv_bytes(COLUMNS, visits(5)).decode().splitlines()
    lines[2] = '"V1,' + lines[2][3:]  # an unclosed quote
    lines[3] += ",x"  # one field too many
    lines.insert(4, "")  # a blank line
    path = tmp_path / "dagsbesok.csv"
    path.write_text("\n".join(lines))  # no newline at the end
    rows, problems = read_all(path)
    assert where(problems) == [("line 3", "malformed"), ("line 4", "field_count")]
    assert list(rows) == [2, 6, 7]
    assert [r["besok_id"] for r in rows.values()] == ["V0", "V3", "V4"]


def test_rejected_lines_shift_the_line_numbers_after_them(tmp_path: Path) -> None:
    lines = csv_bytes(COLUMNS, visits(6)).decode().splitlines()
    lines[2] += ",x"
    lines[3] = lines[3].rsplit(",", 2)[0]
    lines[5] += ",y"
    path = tmp_path / "dagsbesok.csv"
    path.write_text("\n".join(lines) + "\n")
    rows, problems = read_all(path)
    assert [(p.location, p.rule, p.value) for p in problems] == [
        ("line 3", "field_count", "11"), ("line 4", "field_count", "8"), ("line 6", "field_count", "11"),
    ]
    assert {n: r["besok_id"] for n, r in rows.items()} == {2: "V0", 5: "V3", 7: "V5"}


def test_mixed_line_endings(tmp_path: Path) -> None:
    lines = csv_bytes(COLUMNS, visits(4)).decode().splitlines()
    text = lines[0] + "\r\n" + lines[1] + "\n" + lines[2] + "\r" + lines[3] + "\r\n" + lines[4] + "\n"
    path = tmp_path / "dagsbesok.csv"
    path.write_bytes(text.encode())
    rows, problems = read_all(path)
    assert where(problems) == [("line 3", "malformed")]  # a lone CR inside line 3
    assert {n: r["besok_id"] for n, r in rows.items()} == {2: "V0", 4: "V3"}


def test_quoted_fields_keep_their_commas(tmp_path: Path) -> None:
    rows_in = visits(2)
    rows_in[1]["person_id"] = "P,1"
    path = tmp_path / "dagsbesok.csv"
    path.write_bytes(csv_bytes(COLUMNS, rows_in))
    rows, problems = read_all(path)
    assert problems == [] and rows[3]["person_id"] == "P,1"


def test_repeated_header_is_reported_and_dropped(tmp_path: Path) -> None:
    lines = csv_bytes(COLUMNS, visits(3)).decode().splitlines()
    path = tmp_path / "dagsbesok.csv"
    path.write_text("\n".join([*lines[:2], lines[0], *lines[2:]]) + "\n")
    rows, problems = read_all(path)
    assert where(problems) == [("line 3", "repeated_header")]
    assert list(rows) == [2, 4, 5]


@pytest.mark.parametrize(
    ("payload", "rule", "location"),
    [
        (b"", "empty_file", ""),
        (b"\xef\xbb\xbf", "empty_file", ""),
        (b"\n" + csv_bytes(COLUMNS, visits(1)), "missing_header", "line 1"),
        (csv_bytes(COLUMNS, visits(3)).replace(b"V1", b"V\x001"), "nul_byte", "line 3"),
        (b"\xff\xfeb\x00e\x00", "nul_byte", "line 1"),
        (csv_bytes(COLUMNS, visits(1)).replace(b",", b";"), "delimiter", "line 1"),
        (csv_bytes(COLUMNS, visits(1)).replace(b",", b"\t"), "delimiter", "line 1"),
    ],
)
def test_unreadable_csv(tmp_path: Path, payload: bytes, rule: str, location: str) -> None:
    path = tmp_path / "dagsbesok.csv"
    path.write_bytes(payload)
    with pytest.raises(UnreadableFile) as caught:
        reading.scan_csv(DeliveryFile(path.name, path), COLUMNS, tmp_path / "work")
    assert [(i.rule, i.location) for i in caught.value.issues] == [(rule, location)]


def test_a_semicolon_file_gets_one_line_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "dagsbesok.csv"
    path.write_bytes(csv_bytes(COLUMNS, visits(3)).replace(b",", b";"))
    rows, problems = read_all(path)
    assert rows == {}
    (p,) = problems
    assert (p.location, p.rule, p.value) == ("line 1", "delimiter", ";")
    assert "semicolons" in p.message and "CSV UTF-8 (comma delimited)" in p.message


def test_a_windows_1252_file_is_named_and_still_read(tmp_path: Path) -> None:
    rows_in = visits(3)
    rows_in[1]["person_id"] = "Bodø–1"  # an en dash: 0x96 in Windows-1252, not in latin-1
    path = tmp_path / "dagsbesok.csv"
    path.write_bytes(csv_bytes(COLUMNS, rows_in).decode().encode("cp1252"))
    rows, problems = read_all(path)
    assert [(p.location, p.rule, p.value) for p in problems] == [("line 3", "encoding", "0xF8")]
    assert "Windows-1252" in problems[0].message and "UTF-8" in problems[0].message
    assert rows[3]["person_id"] == "Bodø–1" and list(rows) == [2, 3, 4]


def test_header_problems_are_all_reported(tmp_path: Path) -> None:
    columns = [c for c in COLUMNS if c != "dato"] + ["Dato", "kjonn"]
    path = tmp_path / "dagsbesok.csv"
    path.write_bytes(csv_bytes(columns, []))
    with pytest.raises(UnreadableFile) as caught:
        reading.scan_csv(DeliveryFile(path.name, path), COLUMNS, tmp_path / "work")
    assert [(i.rule, i.column) for i in caught.value.issues] == [
        ("unknown_column", "Dato"), ("duplicate_column", "kjonn"), ("missing_column", "dato"),
    ]


def test_truncated_gzip_names_the_line_it_breaks_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "GZIP_PIECE_BYTES", 64)
    text = csv_bytes(COLUMNS, visits(400))
    data = gzip.compress(text, compresslevel=1)
    path = tmp_path / "dagsbesok.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    rows, problems = read_all(path)
    (p,) = problems
    assert p.rule == "truncated" and p.file == "dagsbesok.csv.gz"
    line = int(p.location.removeprefix("line "))
    assert 2 < line < 402 and f"line {line}" in p.message and rows == {}


def test_line_too_long(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "MAX_LINE_BYTES", 300)
    monkeypatch.setattr(reading, "CSV_BLOCK_BYTES", 64)
    path = tmp_path / "dagsbesok.csv"
    path.write_bytes(csv_bytes(COLUMNS, visits(2)) + b"x" * 1000 + b"\n")
    _, problems = read_all(path)
    assert where(problems) == [("line 4", "line_too_long")]


def test_a_long_line_within_a_block_is_rejected_by_duckdb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "MAX_LINE_BYTES", 300)
    lines = csv_bytes(COLUMNS, visits(3)).decode().splitlines()
    lines[2] = lines[2].replace("P1", "P" + "1" * 400)
    path = tmp_path / "dagsbesok.csv"
    path.write_text("\n".join(lines) + "\n")
    rows, problems = read_all(path)
    assert where(problems) == [("line 3", "line_too_long")]
    assert list(rows) == [2, 4]


def test_csv_too_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "MAX_CSV_BYTES", 100)
    path = tmp_path / "dagsbesok.csv"
    path.write_bytes(csv_bytes(COLUMNS, visits(5)))
    _, problems = read_all(path)
    assert where(problems) == [("", "too_large")]


def test_locate(tmp_path: Path) -> None:
    (tmp_path / "dagsbesok.csv.gz").write_bytes(b"")
    assert reading.locate(tmp_path, "dagsbesok.csv").delivered_as == "dagsbesok.csv.gz"
    (tmp_path / "dagsbesok.csv").write_bytes(b"")
    (tmp_path / "sentreskjema.xlsx").mkdir()
    for name, rule in (("dagsbesok.csv", "duplicate_file"), ("barn_opphold.csv", "missing_file"),
                       ("sentreskjema.xlsx", "unreadable"), ("sentreskjema.xlsx.gz", "missing_file")):
        with pytest.raises(UnreadableFile) as caught:
            reading.locate(tmp_path, name)
        assert caught.value.issues[0].rule == rule


# --- the survey sheet -------------------------------------------------------------------------


def workbook(path: Path, rows: list[list[object]], sheet: str = "svar") -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_survey_cells_as_text(tmp_path: Path) -> None:
    path = workbook(tmp_path / "s.xlsx", [
        ["senter_id", "kommune_nr", "a", "b", "c", "d"],
        ["KS001", 301, 1, 1.0, 0.5, True],
        [None, None, None, None, None, None],
        ["KS002", "0301", dt.datetime(2024, 1, 2), "=1+1", -4, None, "extra"],
    ])
    sheet = reading.read_survey(path, "svar", {"kommune_nr": 4})
    assert sheet.header == ["senter_id", "kommune_nr", "a", "b", "c", "d", ""]
    assert sheet.rows == [2, 4]
    assert sheet.data == [
        ["KS001", "0301", "1", "1", "0.5", "TRUE", ""],
        ["KS002", "0301", "2024-01-02T00:00:00", "=1+1", "-4", "", "extra"],
    ]
    assert sheet.formulas == {(4, 3)}
    assert sheet.cell(4, 3) == "svar!D4"


def test_survey_with_a_wrong_dimension_is_read_in_full(tmp_path: Path) -> None:
    path = workbook(tmp_path / "s.xlsx", [["senter_id"], ["KS001"], ["KS002"], ["KS003"]])
    patched = tmp_path / "patched.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(patched, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = data.replace(b'<dimension ref="A1:A4"/>', b'<dimension ref="A1:A2"/>')
            dst.writestr(item, data)
    assert reading.read_survey(patched, "svar").rows == [2, 3, 4]


@pytest.mark.parametrize(
    ("content", "rule"),
    [
        (b"PK\x03\x04 not really a zip", "not_xlsx"),
        (b"senter_id,senter_navn\nKS001,x\n", "not_xlsx"),
    ],
)
def test_unreadable_survey(tmp_path: Path, content: bytes, rule: str) -> None:
    path = tmp_path / "sentreskjema.xlsx"
    path.write_bytes(content)
    with pytest.raises(UnreadableFile) as caught:
        reading.read_survey(path, "svar")
    assert caught.value.issues[0].rule == rule


def test_xml_entity_bomb_is_refused(tmp_path: Path) -> None:
    path = workbook(tmp_path / "s.xlsx", [["senter_id"], ["KS001"]])
    bomb = tmp_path / "bomb.xlsx"
    entities = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8)) + "]>"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bomb, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"?>", b"?>" + entities.encode(), 1).replace(b"KS001", b"&i;")
            dst.writestr(item, data)
    with pytest.raises(UnreadableFile) as caught:
        reading.read_survey(bomb, "svar")
    assert caught.value.issues[0].rule == "not_xlsx"


def _replace_parts(path: Path, target: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(target, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, parts.get(item.filename, src.read(item.filename)))
        for name in parts.keys() - set(src.namelist()):
            dst.writestr(name, parts[name])
    return target


def _with_shared_strings(path: Path, strings: bytes) -> dict[str, bytes]:
    """The parts that add a shared-string table to a workbook written by openpyxl (which has none)."""
    with zipfile.ZipFile(path) as src:
        rels = src.read("xl/_rels/workbook.xml.rels")
    relation = (b'<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                b'sharedStrings" Target="sharedStrings.xml" Id="rId9"/>')
    return {"xl/sharedStrings.xml": strings,
            "xl/_rels/workbook.xml.rels": rels.replace(b"</Relationships>", relation + b"</Relationships>")}


SHEET_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    '<row r="1"><c t="inlineStr"><is><t>senter_id</t></is></c><c t="inlineStr"><is><r><t>kom</t></r>'
    '<r><t>mune_nr</t></r></is></c><c r="C1" t="s"><v>0</v></c></row>'
    '<row r="3"><c r="A3" t="str"><v>KS001</v></c><c r="C3" t="b"><v>0</v></c></row>'
    '<row><c r="A4" t="e"><v>#N/A</v></c><c r="B4"><v>301</v></c><c r="C4"><f>B4*2</f><v>602</v></c></row>'
    "</sheetData></worksheet>"
)


def test_survey_cell_types_from_hand_written_xml(tmp_path: Path) -> None:
    path = workbook(tmp_path / "s.xlsx", [["a"]])
    strings = (b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml'
               b'/2006/main" count="1" uniqueCount="1"><si><r><t>har_</t></r><r><t>tilbud</t></r><rPh><t>x</t>'
               b"</rPh></si></sst>")
    parts = _with_shared_strings(path, strings) | {"xl/worksheets/sheet1.xml": SHEET_XML.encode()}
    patched = _replace_parts(path, tmp_path / "p.xlsx", parts)
    sheet = reading.read_survey(patched, "svar", {"kommune_nr": 4})
    assert sheet.header == ["senter_id", "kommune_nr", "har_tilbud"]
    assert sheet.rows == [3, 4]
    assert sheet.data == [["KS001", "", "FALSE"], ["#N/A", "0301", "=B4*2"]]
    assert sheet.formulas == {(4, 2)}


@pytest.mark.parametrize(
    ("row", "why"),
    [
        ('<row r="2"><c r="A2"><v>1</v></c></row><row r="2"><c r="A2"><v>2</v></c></row>', "row twice"),
        ('<row r="2"><c r="B2"><v>1</v></c><c r="A2"><v>2</v></c></row>', "cells out of order"),
        ('<row r="2"><c r="A9"><v>1</v></c></row>', "cell of another row"),
        ('<row r="2"><c r="A2" t="s"><v>7</v></c></row>', "no such shared string"),
    ],
)
def test_malformed_sheet_xml_is_not_xlsx(tmp_path: Path, row: str, why: str) -> None:
    path = workbook(tmp_path / "s.xlsx", [["a"]])
    xml = SHEET_XML.split("<sheetData>")[0] + f"<sheetData>{row}</sheetData></worksheet>"
    patched = _replace_parts(path, tmp_path / "p.xlsx", {"xl/worksheets/sheet1.xml": xml.encode()})
    with pytest.raises(UnreadableFile) as caught:
        reading.read_survey(patched, "svar")
    assert caught.value.issues[0].rule == "not_xlsx", why
    assert "svar" in caught.value.issues[0].message


@pytest.mark.parametrize("part", ["xl/sharedStrings.xml", "xl/workbook.xml", "xl/styles.xml",
                                  "xl/_rels/workbook.xml.rels", "xl/worksheets/sheet1.xml"])
def test_a_dtd_in_any_part_is_refused(tmp_path: Path, part: str) -> None:
    path = workbook(tmp_path / "s.xlsx", [["senter_id"], ["KS001"]])
    strings = (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>x</t></si></sst>')
    parts = _with_shared_strings(path, strings)
    with zipfile.ZipFile(path) as src:
        data = parts.get(part) or src.read(part)
    dtd = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>'
    parts[part] = dtd + data if not data.startswith(b"<?xml") else data.replace(b"?>", b"?>" + dtd, 1)
    patched = _replace_parts(path, tmp_path / "p.xlsx", parts)
    with pytest.raises(UnreadableFile) as caught:
        reading.read_survey(patched, "svar")
    assert caught.value.issues[0].rule == "not_xlsx"


def test_missing_sheet_names_the_sheets(tmp_path: Path) -> None:
    path = workbook(tmp_path / "s.xlsx", [["a"]], sheet="Ark1")
    with pytest.raises(UnreadableFile) as caught:
        reading.read_survey(path, "svar")
    issue = caught.value.issues[0]
    assert (issue.rule, issue.value) == ("missing_sheet", "Ark1")


def test_column_letter() -> None:
    assert [reading.column_letter(c) for c in (1, 26, 27, 52, 703, 16384)] == ["A", "Z", "AA", "AZ", "AAA", "XFD"]


def test_survey_cell_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "MAX_SURVEY_CELLS", 10)
    path = workbook(tmp_path / "s.xlsx", [["a", "b", "c"]] * 5)
    with pytest.raises(UnreadableFile) as caught:
        reading.read_survey(path, "svar")
    assert (caught.value.issues[0].rule, caught.value.issues[0].location) == ("too_large", "svar!4:4")


def test_simply_quoted_fields_are_read_as_delivered(tmp_path: Path) -> None:
    lines = csv_bytes(COLUMNS, visits(3)).decode().splitlines()
    quoted = "\r\n".join(",".join(f'"{v}"' for v in line.split(",")) for line in lines) + "\r\n"
    path = tmp_path / "dagsbesok.csv"
    path.write_text(quoted, newline="")
    scanned = reading.scan_csv(DeliveryFile(path.name, path), COLUMNS, tmp_path / "work")
    assert scanned.path == path and scanned.kept is None  # no clean copy needed
    rows, problems = read_all(path)
    assert problems == [] and list(rows) == [2, 3, 4]
    assert [r["besok_id"] for r in rows.values()] == ["V0", "V1", "V2"] and rows[4]["kartlegging_trusler_andre"] == "0"


@pytest.mark.parametrize("field", ['"a""b"', '"a,b"', '"a\nb"', '"a"b', 'a"b'])
def test_other_quoting_keeps_the_other_lines(tmp_path: Path, field: str) -> None:
    lines = csv_bytes(COLUMNS, visits(3)).decode().splitlines()
    lines[1] = lines[1].replace("P0", field, 1)
    path = tmp_path / "dagsbesok.csv"
    path.write_text("\n".join(lines) + "\n")
    rows, problems = read_all(path)
    assert {rows[n]["besok_id"] for n in rows} >= {"V1", "V2"}
    last = len(lines) + field.count("\n")
    assert rows[last]["besok_id"] == "V2"
    if field in ('"a""b"', '"a,b"'):
        assert problems == [] and rows[2]["person_id"] == field[1:-1].replace('""', '"')
    else:
        assert problems and all(p.rule == "malformed" for p in problems)


@pytest.mark.parametrize(("code", "kind"), [
    ("yyyy-mm-dd", "date"), ("dd.mm.yyyy", "date"), ("[$-414]d. mmmm yyyy", "date"), ("hh:mm", "date"),
    ("[h]:mm:ss", "duration"), ("[mm]:ss", "duration"),
    ("General", None), ("0.00", None), ("#,##0 \"kr\"", None), ("\"Dato\" 0", None), ("[Red]0.00", None),
    ("0.00E+00", None), ("@", None), ("_-* #,##0_-;-* #,##0_-", None), ("0;\"d\"", None),
])
def test_number_formats_that_show_dates(code: str, kind: str | None) -> None:
    """A survey cell's number format says whether its number is a date (Excel stores dates as numbers)."""
    from krise_pipeline.raw.xlsx import format_kind

    assert format_kind(code) == kind


def _quick(tmp_path: Path, data: bytes, name: str = "dagsbesok.csv") -> reading.CsvFile | None:
    (tmp_path / name).write_bytes(data)
    return reading.quick_scan(reading.locate(tmp_path, "dagsbesok.csv"), contract.VISIT_COLUMNS)


def test_quick_scan_counts_the_lines_of_a_plain_file(tmp_path: Path) -> None:
    header = ",".join(reversed(contract.VISIT_COLUMNS)).encode()  # any order of the contract's columns
    row = b"," * (len(contract.VISIT_COLUMNS) - 1)
    scanned = _quick(tmp_path, b"\xef\xbb\xbf" + header + b"\r\n" + row + b"\r\n" + row + b"\r\n")
    assert scanned is not None and scanned.data_lines == 2 and scanned.names == list(reversed(contract.VISIT_COLUMNS))
    no_last_newline = _quick(tmp_path, header + b"\n" + row + b"\n" + row)
    assert no_last_newline is not None and no_last_newline.data_lines == 2
    header_only = _quick(tmp_path, header + b"\n")
    assert header_only is not None and header_only.data_lines == 0


@pytest.mark.parametrize(("data", "name"), [
    (b"", "dagsbesok.csv"),  # empty
    (b"besok_id;person_id\n1;2\n", "dagsbesok.csv"),  # another delimiter: not the contract's header
    (",".join(contract.VISIT_COLUMNS).encode() + b"\nV\x001\n", "dagsbesok.csv"),  # a NUL byte
    (",".join(contract.VISIT_COLUMNS).encode() + b",extra\n", "dagsbesok.csv"),  # an unknown column
    (gzip.compress(",".join(contract.VISIT_COLUMNS).encode() + b"\n"), "dagsbesok.csv.gz"),  # gzip
])
def test_quick_scan_leaves_anything_unusual_to_the_full_scan(tmp_path: Path, data: bytes, name: str) -> None:
    assert _quick(tmp_path, data, name) is None
