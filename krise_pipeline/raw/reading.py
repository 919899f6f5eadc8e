"""Safe readers for the files of a delivery (contract section 1).

The survey sheet is read straight from the workbook's XML (`xlsx`, defusedxml's rules), but only
after the workbook's size and zip structure have been checked. CSV files (plain or gzip) are
parsed by DuckDB; `scan_csv` checks their bytes first and hands DuckDB a file whose rows map to the
supplier's line numbers (the header is line 1). Whatever is wrong with a file is reported as a
`ReadIssue`; a problem that makes the rest of a file unreadable is raised as `UnreadableFile`.
Nothing here raises anything else on bad input.
"""

from __future__ import annotations

import csv
import zipfile
import zlib
from array import array
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, BinaryIO, Final

import numpy as np

from krise_pipeline.raw import xlsx

# --- limits ------------------------------------------------------------------------------------

MAX_XLSX_BYTES: Final = 200 * 1024**2
"""Largest survey workbook accepted (bytes on disk)."""
MAX_XLSX_UNCOMPRESSED_BYTES: Final = 128 * 1024**2
"""Largest total uncompressed size of the workbook's zip members."""
MAX_ZIP_RATIO: Final = 100
"""Largest compression ratio of one zip member (larger members only); more looks like a zip bomb."""
ZIP_RATIO_MIN_BYTES: Final = 1024**2
"""Members smaller than this (uncompressed) are not held to MAX_ZIP_RATIO."""
MAX_SURVEY_CELLS: Final = 3_000_000
"""Most cells read from the survey sheet (4,300 centres x 175 columns is about 750,000)."""
MAX_CSV_BYTES: Final = 4 * 1024**3
"""Largest CSV file accepted, on disk and after gzip decompression."""
MAX_LINE_BYTES: Final = 64 * 1024
"""Longest CSV line accepted (a valid line is well under 200 bytes)."""
CSV_BLOCK_BYTES: Final = 32 * 1024**2
"""Bytes of CSV text parsed at a time (about 650,000 day visits)."""
GZIP_PIECE_BYTES: Final = 1024**2
"""Bytes of a gzip file read, and at most decompressed, per step (a bomb never fills memory)."""

BOM: Final = b"\xef\xbb\xbf"
_NEWLINE, _CR, _SPACE, _TAB, _QUOTE = 10, 13, 32, 9, 34


@dataclass(frozen=True)
class ReadIssue:
    """Something wrong with a delivered file, located as the supplier sees it."""

    location: str  # "line 17", "svar!F12", "svar!1:1" (the header row) or "" (the whole file)
    column: str
    rule: str
    value: str
    message: str


class UnreadableFile(Exception):
    """The file (or the rest of it) cannot be read; `issues` says why."""

    def __init__(self, *issues: ReadIssue) -> None:
        super().__init__("; ".join(i.message for i in issues))
        self.issues = issues


def _fail(location: str, rule: str, message: str, value: str = "", column: str = "") -> UnreadableFile:
    return UnreadableFile(ReadIssue(location, column, rule, value, message))


def _size_text(n: int) -> str:
    return f"{n / 1024**2:.1f} MB"


# --- finding the files -------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryFile:
    """One file of a delivery as found in the year folder."""

    name: str  # the contract's name, e.g. "dagsbesok.csv"
    path: Path  # what was delivered, e.g. .../dagsbesok.csv.gz

    @property
    def delivered_as(self) -> str:
        return self.path.name

    @property
    def compressed(self) -> bool:
        return self.path.name.endswith(".gz")


def locate(year_dir: Path, name: str) -> DeliveryFile:
    """The delivered form of `name` (a CSV file may come as `name.gz`); raises UnreadableFile."""
    forms = [name, f"{name}.gz"] if name.endswith(".csv") else [name]
    present: list[Path] = []
    for form in forms:
        path = year_dir / form
        try:
            if path.exists() or path.is_symlink():
                present.append(path)
        except OSError as exc:
            raise _fail("", "unreadable", f"{form} cannot be accessed ({exc.strerror or exc})") from None
    if not present:
        raise _fail("", "missing_file", f"{name} is missing from the delivery folder")
    if len(present) > 1:
        raise _fail(
            "", "duplicate_file",
            f"both {present[0].name} and {present[1].name} were delivered; deliver exactly one of them",
            value=present[1].name,
        )
    path = present[0]
    if not path.is_file():
        raise _fail("", "unreadable", f"{path.name} is not a regular file")
    return DeliveryFile(name, path)


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError as exc:
        raise _fail("", "unreadable", f"{path.name} cannot be read ({exc.strerror or exc})") from None


# --- the survey workbook -----------------------------------------------------------------------


@dataclass
class SurveySheet:
    """The cells of the survey sheet as text, by position.

    `header[i]` is the text of row 1 in column i (0 = column A; "" for an empty header cell);
    `rows` holds the sheet row number of each non-empty data row and `data` its cells, padded to
    the width of the header. Empty cells are "", numbers are written without a trailing ".0",
    and number cells of the columns in `number_widths` are zero-padded (301 -> "0301").
    """

    sheet: str
    header: list[str]
    rows: list[int]
    data: list[list[str]]
    formulas: set[tuple[int, int]] = field(default_factory=set)  # (sheet row, column position)

    def cell(self, row: int, position: int) -> str:
        """The spreadsheet reference of a cell, e.g. "svar!F12"."""
        return f"{self.sheet}!{column_letter(position + 1)}{row}"


def column_letter(column: int) -> str:
    """The spreadsheet letters of a column (1 = "A", 28 = "AB")."""
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _check_zip(path: Path) -> None:
    size = _file_size(path)
    if size > MAX_XLSX_BYTES:
        raise _fail(
            "", "too_large",
            f"the workbook is {_size_text(size)}; at most {_size_text(MAX_XLSX_BYTES)} is accepted",
            value=str(size),
        )
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except PermissionError as exc:
        raise _fail("", "unreadable", f"the file cannot be read ({exc.strerror or exc})") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        raise _fail("", "not_xlsx", "the file is not an Excel workbook (.xlsx is a zip archive)") from None
    total = sum(m.file_size for m in members)
    if total > MAX_XLSX_UNCOMPRESSED_BYTES:
        raise _fail(
            "", "too_large",
            f"the workbook unpacks to {_size_text(total)}; at most "
            f"{_size_text(MAX_XLSX_UNCOMPRESSED_BYTES)} is accepted",
            value=str(total),
        )
    for m in members:
        if m.file_size >= ZIP_RATIO_MIN_BYTES and m.file_size > MAX_ZIP_RATIO * max(m.compress_size, 1):
            raise _fail(
                "", "too_large",
                f"the workbook member {m.filename} is compressed {m.file_size // max(m.compress_size, 1)}"
                f" times; more than {MAX_ZIP_RATIO} times looks like a zip bomb",
                value=m.filename,
            )


def _number_text(value: float | int, width: int | None) -> str:
    if isinstance(value, float):
        if not value.is_integer():
            return repr(value)
        value = int(value)
    if width is not None and value >= 0:
        return f"{value:0{width}d}"
    return str(value)


def _cell_text(value: object, data_type: str, width: int | None) -> str:
    if value is None:
        return ""
    if data_type == "f":
        return str(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return _number_text(value, width)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def read_survey(path: Path, sheet: str, number_widths: Mapping[str, int] | None = None) -> SurveySheet:
    """Read the survey sheet; raises UnreadableFile when the workbook or the sheet is unreadable."""
    _check_zip(path)
    try:
        archive = zipfile.ZipFile(path)
    except Exception as exc:  # any error on untrusted bytes
        raise _fail(
            "", "not_xlsx", f"the file cannot be read as an Excel workbook ({type(exc).__name__})"
        ) from None
    with archive:
        try:
            worksheet = xlsx.open_sheet(archive, sheet)
            names = xlsx.sheet_names(archive) if worksheet is None else []
        except Exception as exc:  # any parser error on untrusted bytes
            raise _fail(
                "", "not_xlsx", f"the file cannot be read as an Excel workbook ({type(exc).__name__})"
            ) from None
        if worksheet is None:
            shown = ", ".join(names) or "none"
            raise _fail("", "missing_sheet", f"the workbook has no sheet '{sheet}' (sheets: {shown})",
                        value=shown)
        rows = worksheet.rows()
        try:
            return _read_sheet(rows, sheet, number_widths or {})
        except UnreadableFile:
            raise
        except Exception as exc:  # any parser error on untrusted bytes
            raise _fail(
                "", "not_xlsx", f"the sheet '{sheet}' cannot be read ({type(exc).__name__})"
            ) from None
        finally:
            rows.close()  # a refusal mid-sheet: the sheet's stream in the archive is closed now, not at gc


def _read_sheet(sheet_rows: Iterator[xlsx.Row], sheet: str, number_widths: Mapping[str, int]) -> SurveySheet:
    header: list[str] | None = None
    widths: dict[int, int] = {}
    rows: list[int] = []
    data: list[list[str]] = []
    formulas: set[tuple[int, int]] = set()
    cells = 0
    for row in sheet_rows:
        cells += len(row.values)
        if cells > MAX_SURVEY_CELLS:
            raise _fail(
                f"{sheet}!{row.number}:{row.number}", "too_large",
                f"the sheet has more than {MAX_SURVEY_CELLS} cells", value=str(cells),
            )
        kinds = ["n"] * len(row.values)
        for position in row.formulas:
            kinds[position] = "f"
            formulas.add((row.number, position))
        if header is None and row.number > 1:
            header = []  # no row 1: an empty header
        texts = [_cell_text(value, kind, widths.get(position))
                 for position, (value, kind) in enumerate(zip(row.values, kinds, strict=True))]
        if header is None:
            header = texts
            widths = {i: number_widths[t] for i, t in enumerate(texts) if t in number_widths}
            continue
        if any(texts):
            rows.append(row.number)
            data.append(texts)
    if header is None:
        raise _fail("", "empty_file", f"the sheet '{sheet}' is empty (no header row)")
    width = max([len(header), *(len(t) for t in data)])
    while width > len(header) and all(len(t) < width or not t[width - 1] for t in data):
        width -= 1
    header = header + [""] * (width - len(header))
    data = [t + [""] * (width - len(t)) for t in data]
    return SurveySheet(sheet, header, rows, data, formulas)


# --- CSV files ---------------------------------------------------------------------------------
#
# DuckDB's reader parses the CSV files (typed columns, gzip, BOM, bad lines in its rejects table
# with their line numbers). Before it runs, `scan_csv` streams the bytes once to catch what
# DuckDB would not say clearly or would mis-number: sizes and gzip damage, NUL bytes, the header,
# another delimiter, another encoding, and the lines DuckDB skips or joins (blank lines, quotes
# left open, a lone CR, a repeated header). A file with any of these is rewritten as clean UTF-8
# beside the warehouse (the bad lines reported and left out, each kept line's number recorded), so
# that DuckDB always reads a regular file whose row i is line `line_of(i)`.

ENCODINGS: Final = (("cp1252", "Windows-1252"), ("latin-1", "latin-1 (ISO-8859-1)"))
"""The encodings tried, in turn, for a file that is not UTF-8 (latin-1 decodes any byte)."""
DELIMITERS: Final = {";": "semicolons (;)", "\t": "tabs"}


def _gunzip(raw: BinaryIO) -> Iterator[bytes]:
    """The decompressed bytes of a gzip stream (every member), at most GZIP_PIECE_BYTES at a time.

    Raises EOFError when the stream breaks off and zlib.error when it is not gzip data or damaged;
    everything decompressed before has been yielded by then.
    """
    inflater: Any = None
    pending = b""
    while True:
        if not pending:
            pending = raw.read(GZIP_PIECE_BYTES)
            if not pending:
                if inflater is None or inflater.eof:
                    return
                raise EOFError("the gzip stream breaks off")
        if inflater is None or inflater.eof:
            inflater = zlib.decompressobj(wbits=31)
        out = inflater.decompress(pending, GZIP_PIECE_BYTES)
        pending = inflater.unused_data if inflater.eof else inflater.unconsumed_tail
        if out:
            yield out


def _pieces(file: DeliveryFile, stream: BinaryIO) -> Iterator[bytes]:
    """The file's bytes in pieces; a plain file's pieces end with a whole line where they can
    (then `_line_blocks` passes them on without copying)."""
    if file.compressed:
        yield from _gunzip(stream)
        return
    while piece := stream.read(CSV_BLOCK_BYTES):
        yield piece if piece.endswith(b"\n") else piece + stream.readline(MAX_LINE_BYTES + 1)


def _line_blocks(file: DeliveryFile) -> Iterator[tuple[int, bytes, int]]:
    """(number of the first line, block of whole lines, its newlines) over the file, the header
    block first."""
    size = _file_size(file.path)
    if size > MAX_CSV_BYTES:
        raise _fail("", "too_large", f"the file is {_size_text(size)}; at most "
                    f"{_size_text(MAX_CSV_BYTES)} is accepted", value=str(size))
    try:
        stream = file.path.open("rb")
    except OSError as exc:
        raise _fail("", "unreadable", f"the file cannot be opened ({exc.strerror or exc})") from None
    line = 1
    total = 0
    buffer = bytearray()
    error: UnreadableFile | None = None
    with stream:
        pieces = _pieces(file, stream)
        while error is None:
            try:
                piece = next(pieces, b"")
            except EOFError:
                error = _fail("", "truncated", "the gzip file is truncated")
                piece = b""
            except zlib.error as exc:
                error = _fail("", "corrupt", f"the gzip data is damaged ({exc})")
                piece = b""
            except OSError as exc:
                error = _fail("", "unreadable", f"the file cannot be read ({exc.strerror or exc})")
                piece = b""
            total += len(piece)
            if total > MAX_CSV_BYTES:
                raise _fail("", "too_large", f"the file unpacks to more than {_size_text(MAX_CSV_BYTES)}")
            if not buffer and len(piece) >= CSV_BLOCK_BYTES and piece.endswith(b"\n"):
                newlines = piece.count(b"\n")
                yield line, piece, newlines
                line += newlines
                continue
            buffer += piece
            at_end = not piece
            if len(buffer) < CSV_BLOCK_BYTES and not at_end:
                continue
            cut = len(buffer) if at_end and error is None else buffer.rfind(b"\n") + 1
            if cut:
                block = bytes(buffer[:cut])
                del buffer[:cut]
                newlines = block.count(b"\n")
                yield line, block, newlines
                line += newlines
            if len(buffer) > MAX_LINE_BYTES:
                raise _fail(f"line {line}", "line_too_long",
                            f"line {line} is longer than {MAX_LINE_BYTES} bytes; is this really a CSV file?")
            if at_end and error is None:
                return
    assert error is not None
    issue = error.issues[0]
    if total == 0 and issue.rule == "corrupt":
        raise _fail("", "corrupt", f"the file is not gzip data ({issue.message})")
    raise _fail(f"line {line}", issue.rule, f"{issue.message}: it breaks off in line {line}")


def _line_of(data: bytes, first_line: int, offset: int) -> int:
    return first_line + data.count(b"\n", 0, offset)


def _header_issues(names: list[str], columns: Sequence[str]) -> list[ReadIssue]:
    issues: list[ReadIssue] = []
    seen: set[str] = set()
    for name in names:
        if name in seen:
            issues.append(ReadIssue("line 1", name, "duplicate_column", name,
                                    f"the header names column {name} more than once"))
        elif name not in columns:
            issues.append(ReadIssue("line 1", name, "unknown_column", name,
                                    f"the header has a column {name!r} that the contract does not know"))
        seen.add(name)
    for column in columns:
        if column not in seen:
            issues.append(ReadIssue("line 1", column, "missing_column", "",
                                    f"the header lacks the column {column}"))
    return issues


def _delimiter(names: list[str], columns: Sequence[str]) -> str | None:
    """The delimiter the header uses instead of a comma, if it names the contract's columns with it."""
    if len(names) != 1:
        return None
    for delimiter in DELIMITERS:
        fields = [f.strip('"') for f in names[0].split(delimiter)]
        if len(fields) > 1 and len(set(fields) & set(columns)) * 2 >= len(fields):
            return delimiter
    return None


def _odd_quote_lines(data: bytes) -> bool:
    """Whether some line of the block has an odd number of quote characters."""
    array = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(array == _QUOTE)
    if not len(quotes):
        return False
    ends = np.flatnonzero(array == _NEWLINE)
    if not data.endswith(b"\n"):
        ends = np.append(ends, len(data))
    per_line = np.diff(np.searchsorted(quotes, ends), prepend=0)
    return bool((per_line % 2).any())


def _irregular(data: bytes, header: bytes) -> bool:
    """Whether the block has a line DuckDB would skip, join or misnumber (see the section's note)."""
    if data[:1] in (b"\n", b"\r", b" ", b"\t"):
        return True
    array = np.frombuffer(data, dtype=np.uint8)
    after = array[np.flatnonzero(array[:-1] == _NEWLINE) + 1]  # the first byte of every line but the first
    if ((after == _NEWLINE) | (after == _CR) | (after == _SPACE) | (after == _TAB)).any():
        return True
    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
        return True
    if header and header in data:  # the header again (or a line containing it)
        return True
    return b'"' in data and _odd_quote_lines(data)


@dataclass
class CsvFile:
    """A CSV file ready for DuckDB's reader: what to read, its columns, and how rows map to lines.

    `path` is the delivered file, or (`kept` not None) a clean UTF-8 copy holding the delivered
    lines `kept[0], kept[1], ...` as its lines 2, 3, ... `issues` are the problems found on the
    way (the rest of the file is still read).
    """

    file: DeliveryFile
    names: list[str]  # the header, in the file's order
    path: Path
    compressed: bool
    kept: array[int] | None = None
    issues: list[ReadIssue] = field(default_factory=list)
    data_lines: int = 0  # lines after the header in `path` (all of them records when `kept` is None)

    def delivered_line(self, line: int) -> int:
        """The delivered line number of line `line` of `path`."""
        if self.kept is None or line < 2:
            return line
        return int(self.kept[line - 2])


def _encoding_issue(data: bytes, first_line: int, start: int) -> tuple[ReadIssue, str]:
    """The issue of a block that is not UTF-8 and the encoding to decode the file with."""
    line = _line_of(data, first_line, start)
    bad = data[start:start + 1].hex().upper()
    for codec, name in ENCODINGS:
        try:
            data.decode(codec)
        except UnicodeDecodeError:
            continue
        return ReadIssue(
            f"line {line}", "", "encoding", f"0x{bad}",
            f"the file is not UTF-8 but looks like {name}: byte 0x{bad} on line {line} is not valid "
            f"UTF-8. The file was read as {name} so that its other problems are listed too; "
            "save it as UTF-8 (in Excel: \"CSV UTF-8\")",
        ), codec
    raise AssertionError("latin-1 decodes every byte")


def scan_csv(file: DeliveryFile, columns: Sequence[str], work_dir: Path) -> CsvFile:
    """Check a CSV file before DuckDB reads it; rewrite it cleanly into `work_dir` when it must be.

    Raises UnreadableFile when the file cannot be read at all (size, gzip damage, NUL bytes, no
    or a wrong header, another delimiter); other problems are in the result's `issues`.
    """
    names: list[str] | None = None
    header = b""
    encoding: str | None = None
    issues: list[ReadIssue] = []
    irregular = False
    lines = 0
    for first_line, block, newlines in _line_blocks(file):
        data = block
        lines = first_line - 1 + newlines + (0 if block.endswith(b"\n") else 1)
        first = names is None
        if first:
            if data.startswith(BOM):
                data = data[len(BOM):]
            end = data.find(b"\n")
            header = (data if end < 0 else data[:end]).rstrip(b"\r")
            if b"\x00" in header:
                raise _fail("line 1", "nul_byte", "line 1 contains a NUL byte; this is not a text file")
            try:
                header_text = header.decode("utf-8")
            except UnicodeDecodeError as exc:
                issue, encoding = _encoding_issue(data, 1, exc.start)
                issues.append(issue)
                header_text = header.decode(encoding)
            names = _parse_header(header_text)
            body = b"" if end < 0 else data[end + 1:]
            if not any(n.strip() for n in names):
                if not body.strip():
                    raise _fail("", "empty_file", "the file is empty; it must at least have the header line")
                raise _fail("line 1", "missing_header", "the first line is empty; it must be the header")
            delimiter = _delimiter(names, columns)
            if delimiter is not None:
                shown = "TAB" if delimiter == "\t" else delimiter
                raise _fail("line 1", "delimiter",
                            f"the file is separated by {DELIMITERS[delimiter]}, not commas: save it as "
                            "\"CSV UTF-8 (comma delimited)\" (in Excel: File > Save As), or export it with "
                            "commas from the system", value=shown)
            header_issues = _header_issues(names, columns)
            if header_issues:
                raise UnreadableFile(*header_issues)
        else:
            body = data
        nul = data.find(b"\x00")
        if nul >= 0:
            line = _line_of(data, first_line, nul)
            raise _fail(f"line {line}", "nul_byte", f"line {line} contains a NUL byte; this is not a text file")
        if encoding is None and not data.isascii():
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as exc:
                issue, encoding = _encoding_issue(data, first_line, exc.start)
                issues.append(issue)
        irregular = irregular or (bool(body) and _irregular(body, header))
    if names is None:
        raise _fail("", "empty_file", "the file is empty; it must at least have the header line")
    if not irregular and encoding is None:
        return CsvFile(file, names, file.path, file.compressed, None, issues, lines - 1)
    return _rewrite(file, names, header, encoding or "utf-8", work_dir, issues)


def quick_scan(file: DeliveryFile, columns: Sequence[str]) -> CsvFile | None:
    """The least a clean plain file needs before DuckDB reads it: its header (exactly the contract's
    columns, in any order) and its number of lines; None when the file needs `scan_csv`.

    For a read that must stop at any problem: the caller compares the rows DuckDB read with the
    lines counted here (a line DuckDB skipped or joined shows as a difference) and lets DuckDB refuse
    what it cannot parse (bad UTF-8, a broken quote). NUL bytes, gzip and an unusual header are
    left to `scan_csv`. Reads the file into one reused buffer: no copy of it is made.
    """
    size = _file_size(file.path)
    if file.compressed or size > MAX_CSV_BYTES:
        return None
    buffer = bytearray(min(CSV_BLOCK_BYTES, size + 1))
    view = memoryview(buffer)
    newlines = 0
    last = b"\n"
    names: list[str] | None = None
    with file.path.open("rb") as stream:
        while n := stream.readinto(view):
            if names is None:
                end = buffer.find(b"\n", 0, n)
                header = bytes(buffer[:end if end >= 0 else n]).removeprefix(BOM).rstrip(b"\r")
                try:
                    names = next(csv.reader([header.decode("utf-8")], strict=True), [])
                except (UnicodeDecodeError, csv.Error):
                    return None
                if sorted(names) != sorted(columns):
                    return None
            if buffer.find(b"\x00", 0, n) >= 0:
                return None
            newlines += buffer.count(b"\n", 0, n)
            last = bytes(buffer[n - 1:n])
    if names is None:
        return None
    lines = newlines + (0 if last == b"\n" else 1)  # a last line without its newline counts too
    return CsvFile(file, names, file.path, False, None, [], lines - 1)


def _parse_header(text: str) -> list[str]:
    try:
        return next(csv.reader([text], strict=True), [])
    except csv.Error as exc:
        raise _fail("line 1", "malformed", f"the header line cannot be parsed ({exc})") from None


def _rewrite(file: DeliveryFile, names: list[str], header: bytes, encoding: str, work_dir: Path,
             issues: list[ReadIssue]) -> CsvFile:
    """Copy the lines DuckDB can read to a clean UTF-8 file; report the others."""
    header_text = header.decode(encoding)
    kept: array[int] = array("q")
    work_dir.mkdir(parents=True, exist_ok=True)
    target = work_dir / f"{file.name}.clean.csv"
    with target.open("w", encoding="utf-8", newline="\n") as out:
        out.write(header_text + "\n")
        for first_line, block, _ in _line_blocks(file):
            try:
                text = block.decode("utf-8")
            except UnicodeDecodeError:
                text = block.decode(encoding, errors="replace")
            if first_line == 1:
                text = text.removeprefix("\ufeff")
            lines = text.split("\n")
            if text.endswith("\n"):
                lines.pop()
            for offset, raw in enumerate(lines):
                number = first_line + offset
                if number == 1:
                    continue
                content = raw[:-1] if raw.endswith("\r") else raw
                if not content.strip():
                    continue
                if "\r" in content:
                    issues.append(ReadIssue(f"line {number}", "", "malformed", "",
                                            f"line {number} is not valid CSV (a line break inside the line)"))
                elif content.count('"') % 2:
                    issues.append(ReadIssue(f"line {number}", "", "malformed", "",
                                            f"line {number} is not valid CSV (a quote is not closed)"))
                elif content == header_text:
                    issues.append(ReadIssue(f"line {number}", "", "repeated_header", "",
                                            f"line {number} repeats the header; files must not be "
                                            "concatenated with headers"))
                else:
                    out.write(content + "\n")
                    kept.append(number)
    return CsvFile(file, names, target, False, kept, issues, len(kept))


def read_csv_sql(csv_file: CsvFile, rejects: str | None) -> str:
    """A DuckDB `read_csv(...)` of every column as text; bad lines go to the table `rejects`
    (None: a bad line is an error)."""
    columns = ", ".join(f"'{_sql_text(n)}': 'VARCHAR'" for n in csv_file.names)
    path = _sql_text(str(csv_file.path.resolve()))  # a view may read it later, from another folder
    errors = (f"store_rejects = true, rejects_table = '{rejects}', rejects_scan = '{rejects}_scan', "
              "rejects_limit = 0" if rejects else "ignore_errors = false")
    return (
        f"read_csv('{path}', header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
        f"columns = {{{columns}}}, compression = '{'gzip' if csv_file.compressed else 'none'}', "
        f"max_line_size = {MAX_LINE_BYTES}, {errors})"
    )


def _sql_text(text: str) -> str:
    return text.replace("'", "''")


def field_count(csv_line: str) -> int:
    """The number of fields of a line as DuckDB's rejects quote it."""
    try:
        return len(next(csv.reader([csv_line.strip("\r\n")]), []))
    except csv.Error:
        return csv_line.count(",") + 1
