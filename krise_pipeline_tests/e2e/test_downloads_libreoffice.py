"""LibreOffice opens every Excel download: each sheet, converted to CSV by `soffice --headless`,
holds the values openpyxl reads from the same file.

A real spreadsheet program as a second reader: a label starting with "=" or "@" that LibreOffice
took for a formula would show its result (or an error) in the CSV, not the label. The tests fail,
not skip, without LibreOffice (`make libreoffice` installs Debian's `libreoffice-calc-nogui`).
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from krise_pipeline.exports.writer import write_exports
from krise_pipeline_tests.support.exports_fixture import AT_LABEL, EQUALS_LABEL, build_publication

# comma, double quote, UTF-8, from line 1, (import cell formats), language default, quoted fields
# as text, special numbers, the values rather than as shown, no formulas, spaces kept, every sheet
CSV_FILTER = 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1'
TIMEOUT_S = 300

Rows = list[list[str]]


def soffice() -> str:
    found = shutil.which("soffice")
    if found is None:
        pytest.fail("LibreOffice (soffice) is not installed: `make libreoffice` installs Debian's "
                    "libreoffice-calc-nogui")
    return found


def convert_to_csv(books: list[Path], out_dir: Path, home: Path) -> None:
    """One CSV per sheet, `<book>-<sheet>.csv`, written by LibreOffice with a profile of its own."""
    home.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [soffice(), f"-env:UserInstallation={(home / 'profile').as_uri()}", "--headless", "--norestore",
         "--convert-to", CSV_FILTER, "--outdir", str(out_dir), *map(str, books)],
        env={**os.environ, "HOME": str(home)}, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def _trimmed(rows: Rows) -> Rows:
    rows = [row[:max((i + 1 for i, v in enumerate(row) if v != ""), default=0)] for row in rows]
    while rows and not rows[-1]:
        rows.pop()
    return rows


def csv_rows(path: Path) -> Rows:
    with path.open(encoding="utf-8", newline="") as f:
        return _trimmed(list(csv.reader(f)))


def openpyxl_rows(book: Path, sheet: str) -> Rows:
    ws = load_workbook(book)[sheet]
    return _trimmed([["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)])


def assert_libreoffice_reads_what_openpyxl_reads(books: list[Path], tmp_path: Path) -> int:
    """Every sheet of every book; returns the number of sheets compared."""
    out_dir = tmp_path / "csv"
    convert_to_csv(books, out_dir, tmp_path / "home")
    expected = {f"{book.stem}-{sheet}.csv": (book, sheet) for book in books for sheet in load_workbook(book).sheetnames}
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(expected)
    for name, (book, sheet) in expected.items():
        theirs, ours = csv_rows(out_dir / name), openpyxl_rows(book, sheet)
        assert len(ours) > 3, name
        assert theirs == ours, name
    return len(expected)


def test_libreoffice_opens_every_download_of_the_sample(shipped_run: tuple[Path, Path], tmp_path: Path) -> None:
    books = sorted((shipped_run[1] / "exports").glob("*.xlsx"))
    assert len(books) == 15  # 14 questions and bistand.xlsx
    assert assert_libreoffice_reads_what_openpyxl_reads(books, tmp_path) == 14 * 2 + 3


def test_libreoffice_reads_formula_like_labels_as_text(tmp_path: Path) -> None:
    publication = build_publication(tmp_path / "pub" / "publication.duckdb")
    exports = tmp_path / "exports"
    write_exports(publication, exports)
    books = sorted(exports.glob("*.xlsx"))
    assert len(books) == 5
    assert assert_libreoffice_reads_what_openpyxl_reads(books, tmp_path) == 4 * 2 + 3
    labels = [row[3] for row in csv_rows(tmp_path / "csv" / "tilbud_beboere-Data.csv")[3:]]
    assert labels.count(EQUALS_LABEL) == 6 and labels.count(AT_LABEL) == 6
