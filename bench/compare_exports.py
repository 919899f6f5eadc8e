"""Compare two exports folders written from the same publication.duckdb by two versions of the code.

    .venv/bin/python bench/compare_exports.py OLD_EXPORTS NEW_EXPORTS

Both folders must hold the same files. Each workbook is read back with openpyxl and compared: the
workbook's properties, defined names and sheet names; per sheet every cell of the larger of the two
used ranges (value, data type, number format, font, fill, border, alignment, protection), column
widths and row heights, merged cells, freeze panes, sheet views and format, tables (name, range,
style, columns), auto filter, data validations, conditional formatting, print settings. The parts
inside the two zip files are compared byte for byte too (docProps/core.xml without its
<dcterms:modified>, the time of saving that openpyxl always writes; it is the one property left out
above); a part that differs is listed as a note, not a failure as long as the read-back content is
the same. PNG files must hold the same pixels;
every other file (SVG, HTML, alt texts, the chart record) must be byte for byte the same.
Exit 0 when identical, 1 with the differences otherwise.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from PIL import Image

STYLE_ATTRIBUTES = ("font", "fill", "border", "alignment", "protection")
CELL_ATTRIBUTES = ("value", "data_type", "number_format", "style_id", *STYLE_ATTRIBUTES)
PROPERTIES = ("title", "creator", "created", "language", "lastModifiedBy", "subject", "description",
              "keywords", "category", "identifier", "revision", "version", "contentStatus")
SAVED_AT = re.compile(rb"<dcterms:modified[^>]*>[^<]*</dcterms:modified>")
MAX_REPORTED = 20  # differences listed per workbook


def _part(archive: zipfile.ZipFile, name: str) -> bytes:
    data = archive.read(name)
    return SAVED_AT.sub(b"", data) if name == "docProps/core.xml" else data


def _cell_facts(cell: Any) -> dict[str, Any]:
    # a cell's style attributes are read-only proxies; compare what they stand for
    return {attr: copy.copy(getattr(cell, attr)) for attr in CELL_ATTRIBUTES}


def _dims(dimensions: Any) -> dict[str, Any]:
    return {key: dict(dim) for key, dim in dimensions.items()}


def _sheet_facts(ws: Worksheet) -> dict[str, Any]:
    return {
        "sheet_state": ws.sheet_state,
        "dimensions": ws.dimensions,
        "max_row": ws.max_row,
        "max_column": ws.max_column,
        "column_dimensions": _dims(ws.column_dimensions),
        "row_dimensions": _dims(ws.row_dimensions),
        "merged_cells": sorted(str(r) for r in ws.merged_cells.ranges),
        "freeze_panes": ws.freeze_panes,
        "views": ws.views,
        "sheet_format": ws.sheet_format,
        "sheet_properties": ws.sheet_properties,
        "tables": {name: ws.tables[name] for name in sorted(ws.tables)},
        "auto_filter": ws.auto_filter,
        "data_validations": ws.data_validations,
        "conditional_formatting": sorted(str(r.sqref) for r in ws.conditional_formatting),
        "print_options": ws.print_options,
        "page_margins": ws.page_margins,
        "page_setup": ws.page_setup,
        "print_title_rows": ws.print_title_rows,
        "print_title_cols": ws.print_title_cols,
        "print_area": ws.print_area,
        "hyperlinks": [str(h.ref) for h in ws._hyperlinks],
        "images": len(ws._images),
        "charts": len(ws._charts),
    }


def compare_workbooks(old: Path, new: Path) -> tuple[list[str], list[str]]:
    """(differences in the read-back content, zip parts whose bytes differ)."""
    problems: list[str] = []
    a, b = load_workbook(old), load_workbook(new)
    for name in PROPERTIES:
        if getattr(a.properties, name) != getattr(b.properties, name):
            problems.append(f"{old.name}: property {name}: {getattr(a.properties, name)!r} != "
                            f"{getattr(b.properties, name)!r}")
    if dict(a.defined_names) != dict(b.defined_names):
        problems.append(f"{old.name}: defined names differ")
    if a.sheetnames != b.sheetnames:
        problems.append(f"{old.name}: sheets {a.sheetnames} != {b.sheetnames}")
        return problems, []
    if a.active.title != b.active.title:
        problems.append(f"{old.name}: active sheet differs")
    for sheet in a.sheetnames:
        wa, wb = a[sheet], b[sheet]
        fa, fb = _sheet_facts(wa), _sheet_facts(wb)
        for key in fa:
            if fa[key] != fb[key]:
                problems.append(f"{old.name}[{sheet}]: {key}: {fa[key]!r} != {fb[key]!r}")
        rows, cols = max(wa.max_row, wb.max_row), max(wa.max_column, wb.max_column)
        for r in range(1, rows + 1):
            for c in range(1, cols + 1):
                ca, cb = _cell_facts(wa.cell(row=r, column=c)), _cell_facts(wb.cell(row=r, column=c))
                for attr in CELL_ATTRIBUTES:
                    if ca[attr] != cb[attr]:
                        problems.append(f"{old.name}[{sheet}]!R{r}C{c}: {attr}: "
                                        f"{str(ca[attr])[:200]!r} != {str(cb[attr])[:200]!r}")
    with zipfile.ZipFile(old) as za, zipfile.ZipFile(new) as zb:
        parts_a, parts_b = za.namelist(), zb.namelist()
        if sorted(parts_a) != sorted(parts_b):
            problems.append(f"{old.name}: zip parts {sorted(parts_a)} != {sorted(parts_b)}")
        differing = [f"{old.name}:{p}" for p in parts_a if p in parts_b and _part(za, p) != _part(zb, p)]
    if len(problems) > MAX_REPORTED:
        problems = [*problems[:MAX_REPORTED], f"{old.name}: ... {len(problems) - MAX_REPORTED} more"]
    return problems, differing


def compare_folders(old: Path, new: Path) -> tuple[list[str], list[str], int]:
    files_a = sorted(p.relative_to(old) for p in old.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(new) for p in new.rglob("*") if p.is_file())
    problems: list[str] = []
    notes: list[str] = []
    if files_a != files_b:
        problems.append(f"files differ: only old {sorted(set(files_a) - set(files_b))}, "
                        f"only new {sorted(set(files_b) - set(files_a))}")
    for rel in sorted(set(files_a) & set(files_b)):
        pa, pb = old / rel, new / rel
        if rel.suffix == ".xlsx":
            found, differing = compare_workbooks(pa, pb)
            problems += found
            notes += differing
        elif rel.suffix == ".png":
            with Image.open(pa) as ia, Image.open(pb) as ib:
                if ia.mode != ib.mode or ia.size != ib.size or ia.tobytes() != ib.tobytes():
                    problems.append(f"{rel}: pixels differ")
        elif pa.read_bytes() != pb.read_bytes():
            problems.append(f"{rel}: bytes differ")
    return problems, notes, len(files_a)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    args = parser.parse_args(argv)
    problems, notes, n = compare_folders(args.old, args.new)
    for note in notes:
        print(f"note: zip part not byte-identical (read-back content compared above): {note}")
    for problem in problems:
        print(problem)
    print(f"{n} files compared: {'identical' if not problems else f'{len(problems)} differences'}"
          f"; {len(notes)} zip parts not byte-identical")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
