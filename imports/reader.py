"""Opening an insurer's report: .xlsx, .xls or .csv, checked before parsing, read row by row.

The file's content decides what it is, not its name: a renamed program or an archive that
would expand past the limits is refused before any parser touches it. A report is read from
bytes, a path or an open binary file, and its rows come as they are consumed:

- CSV files are read with the ``csv`` module over a text wrapper of the file, decoded as UTF-8
  (with or without BOM), GB18030 or Latin-1, whichever the bytes are: memory stays flat
  whatever the size of the file.
- Workbooks are read with python-calamine (formulas come as their last computed value, hidden
  sheets are skipped, a merged header cell keeps its text in its first cell). Calamine loads a
  whole sheet before its first row, so a sheet is refused, before it is loaded, when its XML
  (with the workbook's shared strings) unpacks past IMPORT_MAX_SHEET_BYTES: that bounds the
  memory of a workbook's import. An .xlsx sheet's first rows come at once, read from its XML
  as it comes (``sheet_stream``, which reads a cell only where it reads it as calamine does):
  the header and sample without loading the sheet, the import's first rows while calamine
  loads it beside. Any error calamine meets (on opening, loading the sheet or reading its
  rows) means the file is damaged: a message for the user, never a 500.
"""

import codecs
import csv
import ctypes
import io
import itertools
import logging
import os
import threading
import zipfile
import zlib
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from xml.etree import ElementTree

from charset_normalizer import from_bytes
from django.conf import settings
from django.utils.translation import gettext as _
from python_calamine import CalamineError, CalamineWorkbook, SheetVisibleEnum

from . import sheet_stream
from .fields import header_score

logger = logging.getLogger(__name__)

ZIP_MAGIC = b"PK\x03\x04"
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
HEADER_SEARCH_ROWS = 30
# The rows a workbook's stream gives while calamine loads the sheet beside, at most: the
# import's first two chunks (1,000 rows, then 5,000) and the rows above them, which the other
# lanes work on meanwhile. The stream reads a row for about three times calamine's CPU (47
# against 14 microseconds): further, on a machine with two cores, it took more from the
# other lanes than it saved them.
STREAM_AHEAD = 6_100
SNIFF_BYTES = 64 * 1024
# A member smaller than this is not checked for its own ratio (small XML compresses very well).
RATIO_CHECK_FROM = 2**20


class ReportError(ValueError):
    """The file as a whole cannot be read: the message says why, for the person uploading."""


@dataclass
class Table:
    sheet: str
    header_row: int  # 1-based row number in the sheet
    headers: list[str]
    rows: list[tuple[int, list]]  # (row number in the sheet, cells)
    sheets: list[str] = field(default_factory=list)  # the workbook's visible sheets, in order
    size_hint: int | None = None  # rows below the header, when known without reading them
    # Else, for a sheet whose size is learnt as its rows are read: that hint once known.
    size_later: Callable[[], int | None] | None = None


# --- Sources: bytes, a path, or an open binary file ------------------------------------------


def _path_of(source) -> str | None:
    return os.fspath(source) if isinstance(source, str | os.PathLike) else None


@contextmanager
def _binary(source):
    """A seekable binary file for ``source``, at its start."""
    if isinstance(source, bytes | bytearray | memoryview):
        yield io.BytesIO(source)
    elif _path_of(source) is not None:
        with open(_path_of(source), "rb") as handle:
            yield handle
    else:
        source.seek(0)
        yield source


def _head(source, size: int = SNIFF_BYTES) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source[:size])
    with _binary(source) as handle:
        head = handle.read(size)
        if _path_of(source) is None:
            handle.seek(0)
        return head


def sniff(source, name: str) -> str:
    """'xlsx', 'xls' or 'csv' from the content (bytes, a path or an open binary file)."""
    data = _head(source)
    if not data:
        raise ReportError(_("The file is empty."))
    if data.startswith(ZIP_MAGIC):
        _check_archive(source)
        return "xlsx"
    if data.startswith(OLE_MAGIC):
        return "xls"
    head = data[:4096]
    if head.startswith(UTF16_BOMS):
        return "csv"  # Excel's "Unicode text": UTF-16, where every other byte may be NUL
    if b"\x00" in head or head.startswith(b"MZ") or head.startswith(b"\x7fELF"):
        raise ReportError(
            _("%(name)s is not a spreadsheet: upload an .xlsx, .xls or .csv file.") % {"name": name}
        )
    return "csv"


# --- Workbooks: the archive check and the sheets' sizes --------------------------------------


@contextmanager
def _zip(source):
    with _binary(source) as handle:
        try:
            archive = zipfile.ZipFile(handle)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise ReportError(_("The workbook is damaged: it cannot be opened.")) from exc
        with archive:
            yield archive


def _check_archive(source) -> None:
    """An .xlsx is a zip archive: refuse one that would expand too far (a zip bomb). Each
    member is checked on its own ratio, so members that barely compress (padding) cannot hide
    one that expands a thousand times, and all together on their expanded size."""
    with _zip(source) as archive:
        infos = archive.infolist()
    limit = settings.IMPORT_MAX_EXPANDED_BYTES
    expanded = sum(info.file_size for info in infos)
    if expanded > limit:
        raise ReportError(
            _("The workbook would expand to %(mb)d MB, more than the %(limit)d MB allowed.")
            % {"mb": expanded // 2**20, "limit": limit // 2**20}
        )
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= RATIO_CHECK_FROM and ratio > settings.IMPORT_MAX_RATIO:
            raise ReportError(
                _("The workbook is compressed %(ratio)d times, more than a real report ever is.")
                % {"ratio": ratio}
            )
    if not any(info.filename == "[Content_Types].xml" for info in infos):
        raise ReportError(_("This zip archive is not an Excel workbook."))


def _sheet_sizes(source) -> dict[str, int]:
    """{sheet name: bytes calamine holds to load it}: the sheet's XML unpacked plus the shared
    strings (every sheet's strings live there). Sheets whose member cannot be found are left
    out (calamine then says what is wrong)."""
    try:
        with _zip(source) as archive:
            sizes = {info.filename: info.file_size for info in archive.infolist()}
            _book, sheets, strings = sheet_stream.workbook_parts(archive)
    except (KeyError, ValueError, ElementTree.ParseError, zipfile.BadZipFile, OSError) as exc:
        raise ReportError(_("The workbook is damaged: it cannot be opened.")) from exc
    shared = sizes.get(strings, 0) if strings else 0
    return {name: sizes[member] + shared for name, member in sheets.items() if member in sizes}


def _check_sheet_size(sheet: str, sizes: dict[str, int]) -> None:
    limit = settings.IMPORT_MAX_SHEET_BYTES
    if sizes.get(sheet, 0) > limit:
        raise ReportError(
            _(
                "The sheet “%(sheet)s” unpacks to %(mb)d MB, more than the %(limit)d MB Cartera "
                "reads from one sheet of a workbook. Split it into smaller files, or save it as "
                "CSV (CSV files are read row by row, with no such limit)."
            )
            % {"sheet": sheet, "mb": sizes[sheet] // 2**20, "limit": limit // 2**20}
        )


def _damaged(sheet: str, exc: Exception) -> ReportError:
    """The user's message says which sheet, in their language; the reader's own (English)
    reason goes to the log, not to the page."""
    logger.warning("Damaged workbook, sheet %r: %s", sheet, exc)
    return ReportError(
        _("The workbook is damaged: its sheet “%(sheet)s” cannot be read.") % {"sheet": sheet}
    )


def _checked_rows(sheet: str, rows):
    """The sheet's rows; a damaged sheet (calamine's XmlError, met while reading, possibly past
    the header) becomes a ReportError with a message for the user, not a 500."""
    try:
        yield from rows
    except CalamineError as exc:
        raise _damaged(sheet, exc) from exc


def _workbook(source):
    try:
        if _path_of(source) is not None:
            return CalamineWorkbook.from_path(_path_of(source))
        if isinstance(source, bytes | bytearray | memoryview):
            return CalamineWorkbook.from_filelike(io.BytesIO(source))
        source.seek(0)
        return CalamineWorkbook.from_filelike(source)
    except Exception as exc:  # noqa: BLE001 - calamine raises its own error types
        logger.warning("Damaged workbook, not opened: %s", exc)  # its text: English, in the log
        raise ReportError(_("The workbook is damaged: it cannot be opened.")) from exc


# Sheets loaded from files on disk, kept while ``sheets_kept`` is entered (else None).
_kept: dict[tuple, object] | None = None


@contextmanager
def sheets_kept():
    """Inside, a sheet loaded from a file on disk is kept, and its rows read again from memory
    when the same file's same sheet is opened again: the shell command reads a report's first
    rows (its header and sample), then all of them (the import), and calamine loads the whole
    sheet before its first row each time (1.3 s for 100,000 rows). A sheet whose first rows
    are streamed (``sheet_stream``) is not loaded for them; one the stream leaves to calamine
    is, and the parser process the import forks gets it with the rest of its memory; the
    importing process then drops it (``sheets_forget``). A web upload reads its sample in the
    request and imports in a task: nothing is kept there."""
    global _kept
    outer = _kept
    if outer is None:
        _kept = {}
    try:
        yield
    finally:
        if outer is None:
            _kept = None


def sheets_forget() -> None:
    """Drop the sheets kept so far (``sheets_kept`` stays entered), and give their memory back
    to the system at once: the process forked with them holds them now, and pages freed here
    but kept by the allocator would be copied again as soon as they were reused (the import's
    memory with its parser, counted together, grew by the sheet's size, 26 MB at 100,000
    rows, until it was)."""
    if not _kept:
        return
    _kept.clear()
    _malloc_trim()


def _malloc_trim() -> None:
    """glibc's ``malloc_trim(0)``: free pages back to the system (a no-op elsewhere)."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass


def _kept_key(path: str | None, name: str) -> tuple | None:
    if _kept is None or path is None:
        return None
    stat = os.stat(path)
    return (os.path.realpath(path), stat.st_size, stat.st_mtime_ns, name)


class _Sheet:
    """A visible sheet. Its rows come from row 1 (python-calamine gives the empty rows above
    its first used row too), their cells from column A (calamine's from the sheet's first
    used column: shifted here). A workbook's (.xlsx) first rows come from its XML as
    they are read (``sheet_stream``), and then, for a reader that wants them all
    (``whole``), from calamine, which loads the sheet beside the stream once the header has
    been looked for: the rows come at once, not after the whole sheet. Anything the stream
    does not read as calamine does, and the rest of the rows, come from calamine."""

    def __init__(self, workbook, name: str, sizes: dict[str, int], source=None):
        self.workbook, self.name, self.sizes, self.source = workbook, name, sizes, source
        self.path = _path_of(source)
        self.last_row = None  # the sheet's last row, once known

    def rows(self, whole: bool = True):
        _check_sheet_size(self.name, self.sizes)
        key = _kept_key(self.path, self.name)
        kept = _kept.get(key) if key is not None else None
        if kept is None and self.sizes:  # an .xlsx (its sheets' sizes are known)
            streamed = self._streamed()
            # calamine loads beside the stream from a file or bytes of its own, not from an
            # open file the stream reads too (a report in S3): after the header's rows.
            own = self.path is not None or isinstance(self.source, bytes | bytearray | memoryview)
            if streamed is not None and whole and own:
                return self._beside(streamed)
            if streamed is not None:
                return self._after(streamed, HEADER_SEARCH_ROWS if whole else None)
        return self._calamine(kept, key)

    def _load(self, key=None):
        try:
            sheet = self.workbook.get_sheet_by_name(self.name)
        except CalamineError as exc:
            raise _damaged(self.name, exc) from exc
        kept = _kept
        if key is not None and kept is not None:  # (loaded beside: maybe after sheets_kept)
            kept[key] = sheet
        return sheet

    def _calamine(self, sheet=None, key=None, skip: int = 0):
        """calamine's rows (of ``sheet``, loaded now if not given), past the first ``skip``."""
        sheet = sheet if sheet is not None else self._load(key)
        start, end = sheet.start, sheet.end
        self.last_row = end[0] + 1 if end else 0
        try:
            rows = sheet.iter_rows()
        except CalamineError as exc:
            raise _damaged(self.name, exc) from exc
        rows = itertools.islice(_checked_rows(self.name, rows), skip, None)
        if start and start[1]:
            pad = [""] * start[1]  # cells from column A, as the stream gives them
            rows = (pad + row for row in rows)
        return rows

    def _streamed(self):
        """The stream's rows (its first row read already), or None when it cannot start."""
        try:
            archive = zipfile.ZipFile(self.path or _seekable(self.source))
        except (zipfile.BadZipFile, OSError, EOFError, ValueError):
            return None
        try:
            book = sheet_stream.Workbook(archive)
            rows = book.rows(self.name)
            first = next(rows, None)
        except _STREAM_ERRORS:
            archive.close()
            return None
        if first is None:  # no row with a value (or none the stream read)
            archive.close()
            return None
        self.last_row = book.last_rows.get(self.name)  # as the sheet's XML declares it
        return _Stream(archive, rows, first[1])

    def _after(self, stream, limit: int | None = None):
        """The stream's rows (the first ``limit`` at most), then calamine's."""
        count = 0
        try:
            for cells in stream:
                yield cells
                count += 1
                if count == limit:
                    break
        finally:
            stream.close()
        if not stream.exhausted:
            key = _kept_key(self.path, self.name)
            yield from self._calamine(key=key, skip=count)

    def _beside(self, stream):
        """The stream's rows, then calamine's: loaded beside once the header has been looked
        for (so that a sheet without one is never loaded), the stream read while it loads
        (up to STREAM_AHEAD rows)."""
        loading = None
        count = 0
        try:
            for cells in stream:
                yield cells
                count += 1
                if loading is None and count >= HEADER_SEARCH_ROWS:
                    loading = _Loading(self)
                elif loading is not None and (count >= STREAM_AHEAD or loading.done.is_set()):
                    break
        finally:
            stream.close()
        if stream.exhausted:
            if loading is not None:
                loading.result()  # kept (sheets_kept) once loaded: not loaded again
            return  # the whole sheet streamed
        sheet = (loading or _Loading(self)).result()
        yield from self._calamine(sheet, skip=count)


_STREAM_ERRORS = (
    sheet_stream.Unsure, ElementTree.ParseError, zipfile.BadZipFile, zlib.error, OSError,
    EOFError, KeyError, ValueError, IndexError,
)  # fmt: skip


def _seekable(source):
    if isinstance(source, bytes | bytearray | memoryview):
        return io.BytesIO(source)
    source.seek(0)
    return source


class _Stream:
    """The stream's rows; at its end, or at a cell it does not read as calamine does (or a
    damaged part), it stops, and the rows that follow are calamine's. ``exhausted``: it read
    the sheet to its end."""

    def __init__(self, archive, rows, first):
        self.archive, self._rows, self._first = archive, rows, first
        self.exhausted, self._closed = False, False

    def __iter__(self):
        return self

    def __next__(self):
        if self._closed:
            raise StopIteration
        if self._first is not None:
            cells, self._first = self._first, None
            return cells
        try:
            return next(self._rows)[1]
        except StopIteration:
            self.exhausted = True
            self.close()
            raise
        except _STREAM_ERRORS:
            self.close()
            raise StopIteration from None

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._rows.close()
            self.archive.close()


class _Loading:
    """The sheet loaded by calamine in a thread (it lets the GIL go while it loads), kept
    (``sheets_kept``) once loaded."""

    def __init__(self, sheet: _Sheet):
        self.done, self._sheet, self._loaded, self._error = threading.Event(), sheet, None, None
        self._thread = threading.Thread(target=self._run, name="sheet-load", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._loaded = self._sheet._load(_kept_key(self._sheet.path, self._sheet.name))
        except BaseException as exc:  # noqa: BLE001 - raised in the reading thread
            self._error = exc
        finally:
            self.done.set()

    def result(self):
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._loaded


def _workbook_sheets(source, kind: str):
    workbook = _workbook(source)
    sizes = _sheet_sizes(source) if kind == "xlsx" else {}
    try:
        metas = workbook.sheets_metadata
    except CalamineError as exc:  # pragma: no cover - calamine reads these on opening
        raise ReportError(_("The workbook is damaged: it cannot be opened.")) from exc
    return [
        _Sheet(workbook, m.name, sizes, source)
        for m in metas
        if m.visible == SheetVisibleEnum.Visible
    ]


# --- CSV: decoded as it is read --------------------------------------------------------------


def _encoding_of(sample: bytes, *, complete: bool = True) -> str:
    """'utf-8-sig' when ``sample`` is UTF-8 (a sample cut mid-character still is), else the
    best of GB18030, Latin-1 and cp1252."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8-sig"
    best = from_bytes(sample, cp_isolation=["gb18030", "latin_1", "cp1252"]).best()
    return best.encoding if best is not None else "latin-1"


def _file_encoding(handle) -> str:
    """The encoding of a CSV file, decided on its first bytes; a file that starts as UTF-8 is
    checked to the end (a block at a time), so a Latin-1 or GB18030 byte far down the file is
    not misread. A UTF-16 file says so by its byte-order mark."""
    head = handle.read(SNIFF_BYTES)
    if head.startswith(UTF16_BOMS):
        return "utf-16"
    encoding = _encoding_of(head, complete=len(head) < SNIFF_BYTES)
    if encoding != "utf-8-sig" or len(head) < SNIFF_BYTES:
        return encoding
    decoder = codecs.getincrementaldecoder("utf-8")()
    decoder.decode(head)
    while True:
        block = handle.read(SNIFF_BYTES)
        try:
            decoder.decode(block, final=not block)
        except UnicodeDecodeError as exc:
            return _encoding_of(block[max(exc.start - 4096, 0) : exc.start + 4096])
        if not block:
            return encoding


def _csv_rows(source):
    """The CSV file's rows, one at a time (a list of strings each)."""
    with _binary(source) as handle:
        encoding = _file_encoding(handle)
        handle.seek(0)
        text = io.TextIOWrapper(handle, encoding=encoding, errors="replace", newline="")
        try:
            sample = text.read(8192)
            try:
                dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
            except csv.Error:
                dialect = csv.excel
            text.seek(0)  # the decoder starts again (and drops a BOM again)
            try:
                # A NUL byte in a cell (a damaged export) is dropped: PostgreSQL's text cannot
                # hold one, and the rest of the cell is what the insurer wrote.
                lines = (line.replace("\x00", "") if "\x00" in line else line for line in text)
                yield from csv.reader(lines, dialect)
            except csv.Error as exc:
                raise ReportError(
                    _("The CSV file cannot be read: %(error)s") % {"error": str(exc)[:200]}
                ) from exc
        finally:
            text.detach()


# --- The table ------------------------------------------------------------------------------


def _find_header(rows, kind: str) -> int | None:
    """The row (index) with the most cells naming a field, among the first rows; title rows
    above the header are skipped."""
    best, best_score = None, 1
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        score = header_score(row, kind)
        if score > best_score:
            best, best_score = index, score
    return best


def _filled(row) -> bool:
    return any(c not in (None, "") and str(c).strip() for c in row)


def _header_text(cell) -> str:
    if cell in (None, ""):
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return str(cell).strip()


def _table_of(sheet_name: str, rows, kind: str):
    """(Table, numbered rows) of a sheet whose header is among its first rows, else None."""
    head = list(itertools.islice(rows, HEADER_SEARCH_ROWS))
    header_index = _find_header(head, kind)
    if header_index is None:
        return None
    headers = [_header_text(c) for c in head[header_index]]
    while headers and not headers[-1]:
        headers.pop()  # trailing empty columns
    table = Table(
        sheet=sheet_name, header_row=1 + header_index, headers=headers, rows=[]
    )  # fmt: skip
    rest = itertools.chain(head[header_index + 1 :], rows)
    numbered = (
        (table.header_row + 1 + offset, list(row))
        for offset, row in enumerate(rest)
    )  # fmt: skip
    return table, (pair for pair in numbered if _filled(pair[1]))


def _no_header(sheet: str | None = None) -> ReportError:
    if sheet:
        return ReportError(
            _(
                "No header row found in the sheet “%(sheet)s”: its first rows name none of the "
                "columns Cartera knows (such as “Policy No”, “Póliza”, “保单号”)."
            )
            % {"sheet": sheet}
        )
    return ReportError(
        _(
            "No header row found: the first rows of the file name none of the columns Cartera "
            "knows (such as “Policy No”, “Póliza”, “保单号”)."
        )
    )


def open_table(
    source, name: str, kind: str = "expiry", sheet: str | None = None, *, whole: bool = True
):
    """The report's header (a Table without rows) and an iterator of its non-empty data rows
    as (row number in the sheet, cells). ``source`` is the file's bytes, its path or an open
    binary file (kept open by the caller while the rows are read). In a workbook the rows come
    from ``sheet`` when it is one of its visible sheets, else from the first visible sheet that
    has a header. The rows are read as they are consumed: a CSV file's memory stays flat
    whatever its size, a workbook's is bounded by IMPORT_MAX_SHEET_BYTES."""
    fmt = sniff(source, name)
    if fmt == "csv":
        found = _table_of("csv", _csv_rows(source), kind)
        if found is None:
            raise _no_header()
        found[0].sheets = ["csv"]
        return found
    sheets = _workbook_sheets(source, fmt)
    names = [s.name for s in sheets]
    chosen = [s for s in sheets if s.name == sheet] if sheet in names else sheets
    for candidate in chosen:
        rows = candidate.rows(whole=whole)
        found = _table_of(candidate.name, rows, kind)
        if found is not None:
            table, data_rows = found
            table.sheets = names

            def below_header(sheet=candidate, header_row=table.header_row):
                return None if sheet.last_row is None else max(sheet.last_row - header_row, 0)

            table.size_hint = below_header()
            if table.size_hint is None and whole:
                table.size_later = below_header  # calamine's height, once it has loaded
            return table, data_rows
    raise _no_header(sheet if sheet in names and len(names) > 1 else None)


def read_table(
    source, name: str, kind: str = "expiry", limit: int | None = None, sheet: str | None = None
) -> Table:
    """The header and the data rows (the first ``limit`` of them, or all)."""
    table, rows = open_table(source, name, kind, sheet=sheet, whole=limit is None)
    table.rows = list(itertools.islice(rows, limit) if limit is not None else rows)
    return table
