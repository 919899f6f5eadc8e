"""One worksheet of an .xlsx workbook, row by row, straight from its XML.

A workbook is a zip of XML parts; the survey needs one sheet's cell values and which cells hold
formulas. This reads just that: `xl/workbook.xml` and its relations (where the sheet lies), the
shared strings, the number formats of `xl/styles.xml` (which numbers are dates) and the sheet.
The small parts are parsed with defusedxml (DTDs forbidden); the sheet and the shared strings are
streamed with lxml's `iterparse` under the same rules (no DTD, no entity expansion, no external
references) and cleared row by row. Cell values are what openpyxl gives
for the same cell (`load_workbook(read_only=True)`): numbers as int or float, dates as datetime,
booleans as bool, formulas as their text "=...". The zip's size and ratio limits are checked by
the caller before this is used (`reading.read_survey`).

Errors on malformed parts are raised as `XlsxError` (with what was wrong) or as whatever the XML
parser raises; the caller turns them into a "not_xlsx" problem.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import IO, Any, Final
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeTree

MAIN: Final = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL: Final = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL: Final = "{http://schemas.openxmlformats.org/package/2006/relationships}"
MAX_COLUMNS: Final = 16_384
"""Excel's widest sheet (column XFD)."""

_ROW, _CELL, _VALUE, _FORMULA, _INLINE = f"{MAIN}row", f"{MAIN}c", f"{MAIN}v", f"{MAIN}f", f"{MAIN}is"
_SI, _T, _R = f"{MAIN}si", f"{MAIN}t", f"{MAIN}r"
_LETTERS = re.compile(r"[A-Z]{1,3}")


class XlsxError(ValueError):
    """The workbook's structure is not what an .xlsx file holds."""


@dataclass(frozen=True)
class Row:
    number: int
    """The sheet row (1 = the first)."""
    values: list[Any]
    """The values from column A to the row's last cell; None for an empty cell."""
    formulas: list[int]
    """Positions (0 = column A) of the cells that hold a formula."""


def _parse(archive: zipfile.ZipFile, name: str) -> Element:
    with archive.open(name) as part:
        return SafeTree.parse(part, forbid_dtd=True).getroot()


def _iterparse(part: IO[bytes], tag: str) -> Iterator[Any]:
    """The `tag` elements of a large part as each ends, cleared (with what came before) after use.

    lxml's parser in C, set up as defusedxml sets up its own: entities are not resolved, no DTD
    is loaded, nothing is fetched, no huge text nodes; and a document declaring a DTD at all is
    refused, as defusedxml does with forbid_dtd.
    """
    from lxml import etree

    # only the ends of `tag` reach Python (lxml filters the events in C); the prolog, and with it
    # any DTD, has been read before the first of them
    events = etree.iterparse(part, events=("end",), tag=tag, resolve_entities=False, load_dtd=False,
                             no_network=True, huge_tree=False, remove_comments=True, remove_pis=True)
    checked = False
    for _, node in events:
        if not checked:
            checked = True
            if node.getroottree().docinfo.doctype:
                raise XlsxError("the part declares a DTD")
        yield node
        node.clear()
        while node.getprevious() is not None:
            del node.getparent()[0]


def _target(base: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), target))


def _relations(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relation id -> (type, part name) of a part."""
    rels = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
    if rels not in archive.NameToInfo:
        return {}
    out: dict[str, tuple[str, str]] = {}
    for rel in _parse(archive, rels).iter(f"{PKG_REL}Relationship"):
        rid, target = rel.get("Id"), rel.get("Target")
        if rid and target and rel.get("TargetMode") != "External":
            out[rid] = (rel.get("Type", "").rsplit("/", 1)[-1], _target(part, target))
    return out


def _workbook_part(archive: zipfile.ZipFile) -> str:
    for rid_type, part in _relations(archive, "").values():
        if rid_type == "officeDocument":
            return part
    if "xl/workbook.xml" in archive.NameToInfo:
        return "xl/workbook.xml"
    raise XlsxError("the archive has no workbook part")


def _text_of(node: Any) -> str:
    """The text of a string item (<si> or <is>): its plain <t>, else its runs' <t>, joined."""
    parts = [node.findtext(_T) or ""]
    parts.extend(r.findtext(_T) or "" for r in node.iterfind(_R))
    return "".join(parts)


def _shared_strings(archive: zipfile.ZipFile, part: str | None) -> list[str]:
    if part is None or part not in archive.NameToInfo:
        return []
    strings: list[str] = []
    with archive.open(part) as stream:
        for node in _iterparse(stream, _SI):
            strings.append(_text_of(node).replace("x005F_", ""))
    return strings


def _date_styles(archive: zipfile.ZipFile, part: str | None) -> tuple[frozenset[int], frozenset[int]]:
    """(style ids whose numbers are dates or times, those of them that are durations)."""
    if part is None or part not in archive.NameToInfo:
        return frozenset(), frozenset()
    root = _parse(archive, part)
    custom: dict[int, str] = {}
    numfmts = root.find(f"{MAIN}numFmts")
    for fmt in numfmts.iterfind(f"{MAIN}numFmt") if numfmts is not None else ():
        if (custom_id := fmt.get("numFmtId", "")).isdigit():
            custom[int(custom_id)] = fmt.get("formatCode", "")
    dates: set[int] = set()
    durations: set[int] = set()
    xfs = root.find(f"{MAIN}cellXfs")
    for style_id, xf in enumerate(xfs.iterfind(f"{MAIN}xf") if xfs is not None else ()):
        fid_text = xf.get("numFmtId", "0")
        fid = int(fid_text) if fid_text.isdigit() else 0
        kind = format_kind(custom[fid]) if fid in custom else _BUILTIN_KINDS.get(fid)
        if kind is not None:
            dates.add(style_id)
            if kind == "duration":
                durations.add(style_id)
    return frozenset(dates), frozenset(durations)


_BUILTIN_KINDS: Final = {**dict.fromkeys((14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 47), "date"), 46: "duration"}
"""The built-in number formats (ECMA-376 18.8.30) that show dates or times; 46 is [h]:mm:ss."""
_LITERALS: Final = re.compile(r'"[^"]*"|\\.|[_*].')  # quoted text, an escaped character, padding, fill
_ELAPSED: Final = re.compile(r"\[(h+|m+|s+)\]", re.IGNORECASE)  # [h], [mm], [ss]: elapsed time
_BRACKETS: Final = re.compile(r"\[[^\]]*\]")  # colours, conditions, locales
_DATE_PARTS: Final = re.compile(r"[dmyhs]", re.IGNORECASE)


def format_kind(code: str) -> str | None:
    """"date" for a number format code that shows a date or time, "duration" for elapsed time,
    None for a plain number format (only the first section, for positive numbers, counts)."""
    section = _LITERALS.sub("", code.split(";")[0])
    if _ELAPSED.search(section):
        return "duration"
    return "date" if _DATE_PARTS.search(_BRACKETS.sub("", section)) else None


@dataclass(frozen=True)
class Sheet:
    """Where a sheet's cells are and what reading them needs."""

    archive: zipfile.ZipFile
    part: str
    shared_strings: list[str]
    date_styles: frozenset[int]
    duration_styles: frozenset[int]
    epoch_1904: bool

    def rows(self) -> Generator[Row, None, None]:
        """The rows with any cell in the sheet's XML, in order (rows without cells are left out)."""
        with self.archive.open(self.part) as stream:
            previous = 0
            for node in _iterparse(stream, _ROW):
                r = node.get("r")
                number = int(r) if r is not None and r.isdigit() else previous + 1
                if number <= previous:
                    raise XlsxError(f"row {number} comes after row {previous}")
                previous = number
                yield self._row(node, number)

    def _row(self, node: Any, number: int) -> Row:
        values: list[Any] = []
        formulas: list[int] = []
        digits = str(number)
        for cell in node.iterchildren(_CELL):
            ref = cell.get("r")
            if ref is None:
                position = len(values)
            else:
                letters = ref.rstrip("0123456789")
                if ref[len(letters):] != digits or not _LETTERS.fullmatch(letters):
                    raise XlsxError(f"cell reference {ref!r} in row {number}")
                position = _column_index(letters)
            if position < len(values) or position >= MAX_COLUMNS:
                raise XlsxError(f"cell {ref or position} is out of place in row {number}")
            if position > len(values):
                values.extend([None] * (position - len(values)))
            value: Any = None
            kind = cell.get("t", "n")
            for child in cell:
                tag = child.tag
                if tag == _FORMULA:
                    formulas.append(position)
                    value = "=" + (child.text or "")
                    break
                if tag == _VALUE and kind != "inlineStr":
                    value = self._value(kind, child.text, cell) if child.text else None
                elif tag == _INLINE and kind == "inlineStr":
                    value = _text_of(child)
            values.append(value)
        return Row(number, values, formulas)

    def _value(self, kind: str, text: str, cell: Any) -> Any:
        if kind == "n":
            number: int | float = float(text) if "." in text or "E" in text or "e" in text else int(text)
            style = cell.get("s")
            if style is not None and self.date_styles and style.isdigit() and int(style) in self.date_styles:
                return self._date(number, int(style))
            return number
        if kind == "s":
            return self.shared_strings[int(text)]
        if kind == "b":
            return bool(int(text))
        if kind == "d":
            from openpyxl.utils.datetime import from_ISO8601

            return from_ISO8601(text)
        return text  # "str" (a formula's text result without the formula) and "e" (an error such as #N/A)

    def _date(self, number: float, style: int) -> Any:
        from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

        epoch = CALENDAR_MAC_1904 if self.epoch_1904 else CALENDAR_WINDOWS_1900
        try:
            return from_excel(number, epoch, timedelta=style in self.duration_styles)
        except (OverflowError, ValueError):
            return "#VALUE!"


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index - 1


def sheet_names(archive: zipfile.ZipFile) -> list[str]:
    return [name for name, _ in _sheets(archive, _workbook_part(archive))[0]]


def _sheets(archive: zipfile.ZipFile, workbook: str) -> tuple[list[tuple[str, str]], bool]:
    """((sheet name, relation id) in workbook order, whether dates count from 1904)."""
    root = _parse(archive, workbook)
    sheets = root.find(f"{MAIN}sheets")
    found = [(s.get("name", ""), s.get(f"{REL}id", "")) for s in (sheets.iterfind(f"{MAIN}sheet")
                                                                  if sheets is not None else ())]
    pr = root.find(f"{MAIN}workbookPr")
    epoch_1904 = pr is not None and pr.get("date1904", "").lower() in ("1", "true")
    return found, epoch_1904


def open_sheet(archive: zipfile.ZipFile, name: str) -> Sheet | None:
    """The sheet called `name`, or None when the workbook has no such sheet."""
    workbook = _workbook_part(archive)
    sheets, epoch_1904 = _sheets(archive, workbook)
    relations = _relations(archive, workbook)
    rid = next((rid for sheet_name, rid in sheets if sheet_name == name), None)
    if rid is None:
        return None
    if rid not in relations or relations[rid][1] not in archive.NameToInfo:
        raise XlsxError(f"the part of sheet {name!r} is missing")
    by_type = {kind: part for kind, part in relations.values()}
    dates, durations = _date_styles(archive, by_type.get("styles"))
    return Sheet(archive, relations[rid][1], _shared_strings(archive, by_type.get("sharedStrings")),
                 dates, durations, epoch_1904)
