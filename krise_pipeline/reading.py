"""Safe readers for the files of a delivery (contract section 1).

The survey sheet is read straight from the workbook's XML (`xlsx`, defusedxml's rules), but only
after the workbook's size and zip structure have been checked. CSV files (plain or gzip) are
streamed in blocks of whole lines; every block is checked for NUL bytes, UTF-8 and field counts
before pandas' C parser turns it into a frame indexed by the supplier's line number (the header is
line 1). Whatever is wrong with a file is reported as a `ReadIssue`; a problem that makes the rest
of a file unreadable is raised as `UnreadableFile`. Nothing here raises anything else on bad input.
"""

from __future__ import annotations

import csv
import io
import threading
import zipfile
import zlib
from collections.abc import Callable, Collection, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from queue import Full, Queue
from typing import Any, BinaryIO, Final

import numpy as np
import pandas as pd

from krise_pipeline import xlsx

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
_NEWLINE, _CR, _COMMA, _QUOTE = 10, 13, 44, 34


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
        try:
            return _read_sheet(worksheet.rows(), sheet, number_widths or {})
        except UnreadableFile:
            raise
        except Exception as exc:  # any parser error on untrusted bytes
            raise _fail(
                "", "not_xlsx", f"the sheet '{sheet}' cannot be read ({type(exc).__name__})"
            ) from None


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
    if file.compressed:
        yield from _gunzip(stream)
    else:
        yield from iter(lambda: stream.read(CSV_BLOCK_BYTES), b"")


def _line_blocks(file: DeliveryFile) -> Iterator[tuple[int, bytes]]:
    """(number of the first line, block of whole lines) over the file, the header block first."""
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
            buffer += piece
            at_end = not piece
            if len(buffer) < CSV_BLOCK_BYTES and not at_end:
                continue
            cut = len(buffer) if at_end and error is None else buffer.rfind(b"\n") + 1
            if cut:
                block = bytes(buffer[:cut])
                del buffer[:cut]
                yield line, block
                line += block.count(b"\n")
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


def _check_bytes(data: bytes, first_line: int) -> None:
    """NUL bytes and invalid UTF-8 make the rest of a file unreadable."""
    nul = data.find(b"\x00")
    if nul >= 0:
        line = _line_of(data, first_line, nul)
        raise _fail(f"line {line}", "nul_byte",
                    f"line {line} contains a NUL byte; this is not a text file")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = _line_of(data, first_line, exc.start)
        bad = data[exc.start:exc.start + 1].hex().upper()
        raise _fail(f"line {line}", "encoding",
                    f"the file is not UTF-8: byte 0x{bad} on line {line} is not valid UTF-8 "
                    "(save the file as UTF-8)", value=f"0x{bad}") from None


def _parse_header(data: bytes) -> list[str]:
    text = data.decode("utf-8").rstrip("\r\n")
    try:
        return next(csv.reader([text], strict=True), [])
    except csv.Error as exc:
        raise _fail("line 1", "malformed", f"the header line cannot be parsed ({exc})") from None


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


def _line_shape(data: bytes, n_fields: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Per line of an unquoted block: blank?, right number of fields? None if a CR is not before a LF."""
    array = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(array == _NEWLINE)
    if not data.endswith(b"\n"):
        ends = np.append(ends, len(data))
    starts = np.concatenate(([0], ends[:-1] + 1))
    crs = np.flatnonzero(array == _CR)
    if len(crs):
        following = crs + 1
        if (following >= len(array)).any() or (array[following] != _NEWLINE).any():
            return None
        content_ends = ends - (array[np.maximum(ends - 1, 0)] == _CR) * (ends > starts)
    else:
        content_ends = ends
    commas = np.flatnonzero(array == _COMMA)
    per_line = np.diff(np.searchsorted(commas, content_ends), prepend=0)
    blank = content_ends == starts
    right = per_line == n_fields - 1
    return blank, right


def _without_simple_quotes(data: bytes) -> bytes | None:
    """The block without its quote characters, if every quoted field is a plain value in quotes.

    `"K","2024-01-05",""` holds the same fields as `K,2024-01-05,`; a quoted field with a comma,
    a line break or a quote inside needs the careful path (None).
    """
    array = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(array == _QUOTE)
    if len(quotes) % 2:
        return None
    opening, closing = quotes[0::2], quotes[1::2]
    before = array[np.maximum(opening - 1, 0)]
    after = array[np.minimum(closing + 1, len(array) - 1)]
    starts_field = (opening == 0) | (before == _COMMA) | (before == _NEWLINE)
    ends_field = (closing == len(array) - 1) | (after == _COMMA) | (after == _NEWLINE) | (after == _CR)
    if not (starts_field.all() and ends_field.all()):
        return None
    for separator in (_COMMA, _NEWLINE, _CR):
        positions = np.flatnonzero(array == separator)
        if (np.searchsorted(positions, opening) != np.searchsorted(positions, closing)).any():
            return None
    return data.replace(b'"', b"")


def _fast_frame(
    data: bytes, first_line: int, names: list[str], dtypes: dict[str, Any]
) -> pd.DataFrame | None:
    """Parse a regular block with pandas; None when the block needs the careful path."""
    if b'"' in data:
        unquoted = _without_simple_quotes(data)
        if unquoted is None:
            return None
        data = unquoted
    shape = _line_shape(data, len(names))
    if shape is None:
        return None
    blank, right = shape
    if blank.any() or not right.all():
        return None
    frame = pd.read_csv(
        io.BytesIO(data), header=None, names=names, dtype=dtypes, engine="c",
        keep_default_na=False, na_filter=False, skip_blank_lines=False, quoting=csv.QUOTE_NONE,
        index_col=False,
    )
    if len(frame) != len(right):
        return None
    frame.index = pd.RangeIndex(first_line, first_line + len(frame))
    return frame


def _careful_frame(
    data: bytes, first_line: int, names: list[str], dtypes: dict[str, Any],
    report: Callable[[ReadIssue], None],
) -> pd.DataFrame:
    """Parse a block line by line with the csv module; report malformed lines, skip blank ones."""
    text = data.decode("utf-8")
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    keep_lines: list[int] = []
    records: list[list[str]] = []
    for offset, raw in enumerate(lines):
        number = first_line + offset
        content = raw[:-1] if raw.endswith("\r") else raw
        if not content.strip():
            continue
        try:
            fields = next(csv.reader([content], strict=True))
        except csv.Error as exc:
            report(ReadIssue(f"line {number}", "", "malformed", "",
                             f"line {number} is not valid CSV ({exc})"))
            continue
        if len(fields) != len(names):
            report(ReadIssue(f"line {number}", "", "field_count", str(len(fields)),
                             f"line {number} has {len(fields)} fields; the header has {len(names)}"))
            continue
        keep_lines.append(number)
        records.append(fields)
    frame = pd.DataFrame(records, columns=names, index=pd.Index(keep_lines, dtype="int64"), dtype=object)
    return frame.astype(dtypes)


def _drop_repeated_header(frame: pd.DataFrame, names: list[str],
                          report: Callable[[ReadIssue], None]) -> pd.DataFrame:
    suspect = (frame[names[0]] == names[0]).to_numpy(dtype=bool)
    if not suspect.any():
        return frame
    candidates = frame[suspect]
    repeated = np.ones(len(candidates), dtype=bool)
    for name in names[1:]:
        repeated &= (candidates[name] == name).to_numpy()
    drop = candidates.index[repeated]
    for line in drop:
        report(ReadIssue(f"line {line}", "", "repeated_header", "",
                         f"line {line} repeats the header; files must not be concatenated with headers"))
    return frame.drop(index=drop) if len(drop) else frame


_END: Final = object()


def prefetched(items: Iterator[pd.DataFrame], depth: int = 1) -> Generator[pd.DataFrame, None, None]:
    """`items`, produced by a background thread up to `depth` ahead (reading overlaps the caller's work).

    Exceptions of the producer are raised in the caller; stopping early stops the producer.
    """
    queue: Queue[tuple[object, BaseException | None]] = Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry: tuple[object, BaseException | None]) -> bool:
        while not stop.is_set():
            try:
                queue.put(entry, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
            put((_END, None))
        except BaseException as exc:  # handed to the consumer
            put((_END, exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name="krise-csv-reader", daemon=True)
    thread.start()
    try:
        while True:
            item, error = queue.get()
            if item is _END:
                if error is not None:
                    raise error
                return
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()


def iter_csv(
    file: DeliveryFile,
    columns: Sequence[str],
    categorical: Collection[str],
    report: Callable[[ReadIssue], None],
) -> Iterator[pd.DataFrame]:
    """Frames of the records of a CSV file, in file order.

    Each frame has the `columns` in that order (text; the `categorical` ones as pandas categoricals)
    and is indexed by line number. Malformed lines are reported and left out; blank lines are
    skipped. Raises UnreadableFile (possibly after some frames) when the file cannot be read on.
    """
    dtypes: dict[str, Any] = {c: ("category" if c in categorical else object) for c in columns}
    names: list[str] | None = None
    header_line = b""
    for first_line, block in _line_blocks(file):
        data = block
        line = first_line
        if names is None:
            if data.startswith(BOM):
                data = data[len(BOM):]
            end = data.find(b"\n")
            head = data if end < 0 else data[:end + 1]
            _check_bytes(head, 1)
            names = _parse_header(head)
            header_line = head.rstrip(b"\r\n")
            if not any(n.strip() for n in names):
                if end < 0 or not data[end + 1:].strip():
                    raise _fail("", "empty_file", "the file is empty; it must at least have the header line")
                raise _fail("line 1", "missing_header", "the first line is empty; it must be the header")
            issues = _header_issues(names, columns)
            if issues:
                raise UnreadableFile(*issues)
            data = b"" if end < 0 else data[end + 1:]
            line = 2
            if not data:
                continue
        _check_bytes(data, line)
        header_again = data.startswith(header_line) or b"\n" + header_line in data
        frame = _fast_frame(data, line, names, dtypes)
        if frame is None:
            frame = _careful_frame(data, line, names, dtypes, report)
            header_again = True
        if header_again:
            frame = _drop_repeated_header(frame, names, report)
        yield frame if list(frame.columns) == list(columns) else frame[list(columns)]
    if names is None:
        raise _fail("", "empty_file", "the file is empty; it must at least have the header line")
