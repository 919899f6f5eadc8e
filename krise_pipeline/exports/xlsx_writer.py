"""A small .xlsx writer for the Excel downloads.

It writes what the downloads use: text and whole-number cells, a few cell styles (a bold or larger
font, a solid fill, an alignment, a built-in number format), column widths, frozen header rows,
Excel tables and the document properties. The markup is the markup openpyxl 3.1 writes for such a
workbook, part for part (so Excel, LibreOffice and openpyxl read the files as before; the tests
read every download back with openpyxl), except that docProps/app.xml names this program, the
last-modified property is the build time rather than the time of saving, and the zip entries are
dated by the build time: the same publication gives the same bytes. Building and saving the
downloads with openpyxl took 0.3-0.4 s of every run, importing it another 0.13 s.

Text is written as an inline string (never a formula); text with a character XML cannot hold is
refused (`excel._clean` removes them first).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Final

from krise_pipeline.reading import column_letter

Value = str | int | None

_MAIN: Final = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL: Final = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL: Final = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPES: Final = "application/vnd.openxmlformats-officedocument"
BUILTIN_FORMATS: Final = {"General": 0, "0": 1, "#,##0": 3}
ILLEGAL_CHARACTERS: Final = re.compile(r"[\000-\010\013\014\016-\037]")  # control characters XML cannot hold
_DEFAULT_FONT: Final = ('<font><name val="Calibri"/><family val="2"/><color theme="1"/><sz val="11"/>'
                        '<scheme val="minor"/></font>')
_PALETTE: Final = (  # the legacy indexed colours openpyxl lists in every styles part
    "000000", "FFFFFF", "FF0000", "00FF00", "0000FF", "FFFF00", "FF00FF", "00FFFF", "000000", "FFFFFF",
    "FF0000", "00FF00", "0000FF", "FFFF00", "FF00FF", "00FFFF", "800000", "008000", "000080", "808000",
    "800080", "008080", "C0C0C0", "808080", "9999FF", "993366", "FFFFCC", "CCFFFF", "660066", "FF8080",
    "0066CC", "CCCCFF", "000080", "FF00FF", "FFFF00", "00FFFF", "800080", "800000", "008080", "0000FF",
    "00CCFF", "CCFFFF", "CCFFCC", "FFFF99", "99CCFF", "FF99CC", "CC99FF", "FFCC99", "3366FF", "33CCCC",
    "99CC00", "FFCC00", "FF9900", "FF6600", "666699", "969696", "003366", "339966", "003300", "333300",
    "993300", "993366", "333399", "333333",
)


def _text(value: str) -> str:
    """Element text as lxml writes it: &, <, > and CR escaped (the parts are UTF-8)."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _attr(value: str) -> str:
    return _text(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def _ascii_text(value: str) -> str:
    """Element text of a worksheet, which openpyxl writes in ASCII: other characters as &#n;."""
    return _text(value).encode("ascii", "xmlcharrefreplace").decode("ascii")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


@dataclass(frozen=True)
class Font:
    bold: bool = False
    size: float | None = None

    def xml(self) -> str:
        bold = '<b val="1"/>' if self.bold else ""
        size = "" if self.size is None else '<sz val="' + _number(self.size) + '"/>'
        return f"<font>{bold}{size}</font>"


@dataclass(frozen=True)
class Alignment:
    horizontal: str | None = None
    vertical: str | None = None
    wrap: bool = False

    def xml(self) -> str:
        attrs = "".join(f' {name}="{value}"' for name, value in (
            ("horizontal", self.horizontal), ("vertical", self.vertical), ("wrapText", "1" if self.wrap else None))
            if value is not None)
        return f"<alignment{attrs}/>"


@dataclass(frozen=True)
class Style:
    """A cell's look: None for each part means Excel's default."""

    font: Font | None = None
    fill: str | None = None  # RGB of a solid fill, e.g. "DCE6F0"
    alignment: Alignment | None = None
    number_format: str = "General"

    def __post_init__(self) -> None:
        if self.number_format not in BUILTIN_FORMATS:
            raise ValueError(f"not a built-in number format of this writer: {self.number_format!r}")


DEFAULT: Final = Style()


@dataclass(frozen=True)
class Table:
    name: str
    first_row: int
    last_row: int
    headers: tuple[str, ...]
    style: str = "TableStyleLight1"

    @property
    def ref(self) -> str:
        return f"A{self.first_row}:{column_letter(len(self.headers))}{self.last_row}"


@dataclass
class Sheet:
    title: str
    cells: dict[tuple[int, int], tuple[Value, Style]] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)  # column (1 = A) -> width
    frozen_rows: int = 0  # the rows above the first that scrolls
    tables: list[Table] = field(default_factory=list)

    def set(self, row: int, column: int, value: Value, style: Style = DEFAULT) -> None:
        if isinstance(value, bool) or not isinstance(value, str | int | None):
            raise TypeError(f"a cell holds text, a whole number or nothing, not {value!r}")
        if isinstance(value, str) and ILLEGAL_CHARACTERS.search(value):
            raise ValueError(f"a control character XML cannot hold, in {value!r}")
        self.cells[(row, column)] = (value, style)

    def freeze(self, rows: int) -> None:
        """Freeze the rows above row `rows + 1` (openpyxl's `freeze_panes` creates that row's first cell)."""
        self.frozen_rows = rows
        self.cells.setdefault((rows + 1, 1), (None, DEFAULT))

    def dimension(self) -> str:
        if not self.cells:
            return "A1:A1"
        rows = [r for r, _ in self.cells]
        cols = [c for _, c in self.cells]
        return f"{column_letter(min(cols))}{min(rows)}:{column_letter(max(cols))}{max(rows)}"


@dataclass
class Workbook:
    sheets: list[Sheet] = field(default_factory=list)
    title: str | None = None
    creator: str | None = None
    language: str | None = None
    created: dt.datetime | None = None  # naive UTC; also the last-modified time and the zip entries' date

    def add_sheet(self, title: str) -> Sheet:
        sheet = Sheet(title)
        self.sheets.append(sheet)
        return sheet

    def save(self, path: Path) -> Path:
        """Write the workbook to `path` (a temporary file renamed over it: never half a file)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        stamp = (self.created or dt.datetime(1980, 1, 1)).timetuple()[:6]
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in self.parts():
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o600 << 16
                archive.writestr(info, data)
        os.replace(tmp, path)
        return path

    def parts(self) -> Iterator[tuple[str, str]]:
        """(part name, content) of every part, in openpyxl's order."""
        styles = _Styles()
        yield "docProps/app.xml", _APP
        yield "docProps/core.xml", self._core()
        yield "xl/theme/theme1.xml", _theme()
        table_id = 0
        overrides: list[str] = []
        for index, sheet in enumerate(self.sheets, start=1):
            rels = []
            yield f"xl/worksheets/sheet{index}.xml", _sheet_xml(sheet, styles, len(sheet.tables))
            overrides.append(_override(f"/xl/worksheets/sheet{index}.xml", "spreadsheetml.worksheet+xml"))
            for number, table in enumerate(sheet.tables, start=1):
                table_id += 1
                yield f"xl/tables/table{table_id}.xml", _table_xml(table, table_id)
                overrides.append(_override(f"/xl/tables/table{table_id}.xml", "spreadsheetml.table+xml"))
                rels.append(_relationship(f"{_REL}/table", f"/xl/tables/table{table_id}.xml", number))
            if rels:
                yield f"xl/worksheets/_rels/sheet{index}.xml.rels", _relationships(rels)
        yield "xl/styles.xml", styles.xml()
        yield "xl/workbook.xml", self._workbook()
        count = len(self.sheets)
        yield "xl/_rels/workbook.xml.rels", _relationships([
            *(_relationship(f"{_REL}/worksheet", f"/xl/worksheets/sheet{i}.xml", i) for i in range(1, count + 1)),
            _relationship(f"{_REL}/styles", "styles.xml", count + 1),
            _relationship(f"{_REL}/theme", "theme/theme1.xml", count + 2)])
        yield "_rels/.rels", _relationships([
            _relationship(f"{_REL}/officeDocument", "xl/workbook.xml", 1),
            _relationship(f"{_PKG_REL}/metadata/core-properties", "docProps/core.xml", 2),
            _relationship(f"{_REL}/extended-properties", "docProps/app.xml", 3)])
        yield "[Content_Types].xml", (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'{_override("/xl/styles.xml", "spreadsheetml.styles+xml")}{_override("/xl/theme/theme1.xml", "theme+xml")}'
            '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            f'{_override("/docProps/app.xml", "extended-properties+xml")}{"".join(overrides)}'
            f'{_override("/xl/workbook.xml", "spreadsheetml.sheet.main+xml")}</Types>')

    def _core(self) -> str:
        dc, terms = "http://purl.org/dc/elements/1.1/", "http://purl.org/dc/terms/"
        xsi = "http://www.w3.org/2001/XMLSchema-instance"
        body = "".join(f'<dc:{name} xmlns:dc="{dc}">{_text(value)}</dc:{name}>' for name, value in (
            ("creator", self.creator), ("title", self.title), ("language", self.language)) if value is not None)
        if self.created is not None:
            when = self.created.strftime("%Y-%m-%dT%H:%M:%SZ")
            body += "".join(f'<dcterms:{name} xmlns:dcterms="{terms}" xmlns:xsi="{xsi}" xsi:type="dcterms:W3CDTF">'
                            f"{when}</dcterms:{name}>" for name in ("created", "modified"))
        return f'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties">{body}</cp:coreProperties>'

    def _workbook(self) -> str:
        sheets = "".join(f'<sheet xmlns:r="{_REL}" name="{_attr(sheet.title)}" sheetId="{i}" state="visible" '
                         f'r:id="rId{i}"/>' for i, sheet in enumerate(self.sheets, start=1))
        return (f'<workbook xmlns="{_MAIN}"><workbookPr/><workbookProtection/><bookViews><workbookView '
                'visibility="visible" minimized="0" showHorizontalScroll="1" showVerticalScroll="1" '
                'showSheetTabs="1" tabRatio="600" firstSheet="0" activeTab="0" autoFilterDateGrouping="1"/>'
                f'</bookViews><sheets>{sheets}</sheets><definedNames/><calcPr calcId="124519" fullCalcOnLoad="1"/>'
                "</workbook>")


_APP: Final = ('<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
               "<Application>krise_pipeline</Application></Properties>")


@cache
def _theme() -> str:
    return resources.files("krise_pipeline").joinpath("data", "xlsx_theme.xml").read_text(encoding="utf-8")


def _override(part: str, kind: str) -> str:
    return f'<Override PartName="{part}" ContentType="{_TYPES}.{kind}"/>'


def _relationship(kind: str, target: str, number: int) -> str:
    return f'<Relationship Type="{kind}" Target="{target}" Id="rId{number}"/>'


def _relationships(items: list[str]) -> str:
    return f'<Relationships xmlns="{_PKG_REL}">{"".join(items)}</Relationships>'


class _Styles:
    """Fonts, fills and cell formats, numbered in the order the sheets first use them."""

    def __init__(self) -> None:
        self.fonts: dict[Font, int] = {}
        self.fills: dict[str, int] = {}
        self.xfs: dict[tuple[int, int, int, Alignment | None], int] = {(0, 0, 0, None): 0}

    def index(self, style: Style) -> int:
        if style == DEFAULT:
            return 0
        font = 0 if style.font is None else self.fonts.setdefault(style.font, len(self.fonts) + 1)
        fill = 0 if style.fill is None else self.fills.setdefault(style.fill, len(self.fills) + 2)
        key = (BUILTIN_FORMATS[style.number_format], font, fill, style.alignment)
        return self.xfs.setdefault(key, len(self.xfs))

    def xml(self) -> str:
        fonts = [_DEFAULT_FONT, *(font.xml() for font in self.fonts)]
        fills = ["<fill><patternFill/></fill>", '<fill><patternFill patternType="gray125"/></fill>',
                 *(f'<fill><patternFill patternType="solid"><fgColor rgb="00{rgb}"/></patternFill></fill>'
                   for rgb in self.fills)]
        xfs = []
        for number_format, font, fill, alignment in self.xfs:
            applied = ' applyAlignment="1"' if alignment is not None else ""
            head = (f'<xf numFmtId="{number_format}" fontId="{font}" fillId="{fill}" borderId="0"{applied} '
                    'pivotButton="0" quotePrefix="0" xfId="0"')
            xfs.append(f"{head}>{alignment.xml()}</xf>" if alignment is not None else f"{head}/>")
        palette = "".join(f'<rgbColor rgb="00{rgb}"/>' for rgb in _PALETTE)
        return (f'<styleSheet xmlns="{_MAIN}"><numFmts count="0"/><fonts count="{len(fonts)}">{"".join(fonts)}'
                f'</fonts><fills count="{len(fills)}">{"".join(fills)}</fills><borders count="1"><border><left/>'
                '<right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" '
                f'fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="{len(xfs)}">{"".join(xfs)}'
                '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0" hidden="0"/>'
                '</cellStyles><tableStyles count="0" defaultTableStyle="TableStyleMedium9" '
                f'defaultPivotStyle="PivotStyleLight16"/><colors><indexedColors>{palette}</indexedColors></colors>'
                "</styleSheet>")


def _cell(row: int, column: int, value: Value, style_id: int) -> str | None:
    ref = f"{column_letter(column)}{row}"
    styled = f' s="{style_id}"' if style_id else ""
    if value is None:
        return f'<c r="{ref}"{styled} t="n"></c>' if style_id else None
    if isinstance(value, int):
        return f'<c r="{ref}"{styled} t="n"><v>{value}</v></c>'
    if value == "":
        return f'<c r="{ref}"{styled} t="inlineStr"></c>'
    space = ' xml:space="preserve"' if value != value.strip() else ""
    return f'<c r="{ref}"{styled} t="inlineStr"><is><t{space}>{_ascii_text(value)}</t></is></c>'


def _sheet_xml(sheet: Sheet, styles: _Styles, tables: int) -> str:
    if sheet.frozen_rows:
        top = f"A{sheet.frozen_rows + 1}"
        view = (f'<pane ySplit="{sheet.frozen_rows}" topLeftCell="{top}" activePane="bottomLeft" state="frozen"/>'
                '<selection pane="bottomLeft" activeCell="A1" sqref="A1"/>')
    else:
        view = '<selection activeCell="A1" sqref="A1"/>'
    cols = "".join(f'<col width="{_number(width)}" customWidth="1" min="{col}" max="{col}"/>'
                   for col, width in sorted(sheet.widths.items()))
    rows: dict[int, list[str]] = {}
    for (row, column), (value, style) in sorted(sheet.cells.items()):
        cell = _cell(row, column, value, styles.index(style))
        rows.setdefault(row, [])
        if cell is not None:
            rows[row].append(cell)
    data = "".join(f'<row r="{row}">{"".join(cells)}</row>' for row, cells in rows.items())
    parts = "".join(f'<tablePart xmlns:r="{_REL}" r:id="rId{i}"/>' for i in range(1, tables + 1))
    table_parts = f'<tableParts count="{tables}">{parts}</tableParts>' if tables else ""
    cols = f"<cols>{cols}</cols>" if cols else ""
    return (f'<worksheet xmlns="{_MAIN}"><sheetPr><outlinePr summaryBelow="1" summaryRight="1"/><pageSetUpPr/>'
            f'</sheetPr><dimension ref="{sheet.dimension()}"/><sheetViews><sheetView workbookViewId="0">{view}'
            '</sheetView></sheetViews><sheetFormatPr baseColWidth="8" defaultRowHeight="15"/>'
            f'{cols}<sheetData>{data}</sheetData><pageMargins left="0.75" '
            f'right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>{table_parts}</worksheet>')


def _table_xml(table: Table, table_id: int) -> str:
    columns = "".join(f'<tableColumn id="{i}" name="{_attr(name)}"/>' for i, name in enumerate(table.headers, start=1))
    return (f'<table id="{table_id}" name="{table.name}" displayName="{table.name}" ref="{table.ref}" '
            f'headerRowCount="1" xmlns="{_MAIN}"><autoFilter ref="{table.ref}"/><tableColumns '
            f'count="{len(table.headers)}">{columns}</tableColumns><tableStyleInfo name="{table.style}" '
            'showRowStripes="1"/></table>')
