"""Opening an insurer's report: .xlsx, .xls or .csv, checked before parsing.

The file's content decides what it is, not its name: a renamed program or an archive that
would expand past the limits is refused before any parser touches it. Workbooks are read with
python-calamine (formulas come as their last computed value, hidden sheets are skipped, a
merged header cell keeps its text in its first cell). CSV files are decoded as UTF-8 (with or
without BOM), GB18030 or Latin-1, whichever the bytes are.
"""

import csv
import io
import itertools
import zipfile
from dataclasses import dataclass

from charset_normalizer import from_bytes
from django.conf import settings
from django.utils.translation import gettext as _
from python_calamine import CalamineError, CalamineWorkbook, SheetVisibleEnum

from .fields import header_score

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
HEADER_SEARCH_ROWS = 30


class ReportError(ValueError):
    """The file as a whole cannot be read: the message says why, for the person uploading."""


@dataclass
class Table:
    sheet: str
    header_row: int  # 1-based row number in the sheet
    headers: list[str]
    rows: list[tuple[int, list]]  # (row number in the sheet, cells)


def sniff(data: bytes, name: str) -> str:
    """'xlsx', 'xls' or 'csv' from the content."""
    if not data:
        raise ReportError(_("The file is empty."))
    if data.startswith(ZIP_MAGIC):
        _check_archive(data)
        return "xlsx"
    if data.startswith(OLE_MAGIC):
        return "xls"
    head = data[:4096]
    if b"\x00" in head or head.startswith(b"MZ") or head.startswith(b"\x7fELF"):
        raise ReportError(
            _("%(name)s is not a spreadsheet: upload an .xlsx, .xls or .csv file.") % {"name": name}
        )
    return "csv"


def _check_archive(data: bytes) -> None:
    """An .xlsx is a zip archive: refuse one that would expand too far (a zip bomb)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise ReportError(_("The workbook is damaged: it cannot be opened.")) from exc
    expanded = sum(info.file_size for info in infos)
    if expanded > settings.IMPORT_MAX_EXPANDED_BYTES:
        raise ReportError(
            _("The workbook would expand to %(mb)d MB, more than the %(limit)d MB allowed.")
            % {"mb": expanded // 2**20, "limit": settings.IMPORT_MAX_EXPANDED_BYTES // 2**20}
        )
    if expanded > 10 * 2**20 and expanded / max(len(data), 1) > settings.IMPORT_MAX_RATIO:
        raise ReportError(
            _("The workbook is compressed %(ratio)d times, more than a real report ever is.")
            % {"ratio": expanded // max(len(data), 1)}
        )
    if not any(info.filename == "[Content_Types].xml" for info in infos):
        raise ReportError(_("This zip archive is not an Excel workbook."))


def decode_text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data, cp_isolation=["gb18030", "latin_1", "cp1252"]).best()
    if best is None:
        return data.decode("latin-1")
    return str(best)


def _csv_rows(data: bytes) -> list[list]:
    text = decode_text(data)
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    return [list(row) for row in csv.reader(io.StringIO(text), dialect)]


def _find_header(rows, kind: str) -> int | None:
    """The row (index) with the most cells naming a field, among the first rows; title rows
    above the header are skipped."""
    best, best_score = None, 1
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        score = header_score(row, kind)
        if score > best_score:
            best, best_score = index, score
    return best


def _sheets(data: bytes, name: str):
    """(sheet name, row iterator) of each visible sheet, in order; rows come lazily."""
    if sniff(data, name) == "csv":
        yield "csv", iter(_csv_rows(data))
        return
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - calamine raises its own error types
        raise ReportError(
            _("The workbook cannot be read: %(error)s") % {"error": str(exc)[:200]}
        ) from exc
    for meta in workbook.sheets_metadata:
        if meta.visible != SheetVisibleEnum.Visible:
            continue
        try:
            sheet = workbook.get_sheet_by_name(meta.name)
        except CalamineError as exc:
            raise _damaged(meta.name, exc) from exc
        yield meta.name, _checked_rows(meta.name, sheet.iter_rows())


def _damaged(sheet: str, exc: Exception) -> ReportError:
    return ReportError(
        _("The workbook is damaged: its sheet “%(sheet)s” cannot be read (%(error)s).")
        % {"sheet": sheet, "error": str(exc)[:200]}
    )


def _checked_rows(sheet: str, rows):
    """The sheet's rows; a damaged sheet (calamine's XmlError, met while reading, possibly past
    the header) becomes a ReportError with a message for the user, not a 500."""
    try:
        yield from rows
    except CalamineError as exc:
        raise _damaged(sheet, exc) from exc


def _filled(row) -> bool:
    return any(c not in (None, "") and str(c).strip() for c in row)


def open_table(data: bytes, name: str, kind: str = "expiry"):
    """The report's header (a Table without rows) and an iterator of its non-empty data rows
    as (row number in the sheet, cells), from the first visible sheet that has a header. The
    rows are read as they are consumed: memory stays flat whatever the size of the report."""
    for sheet_name, rows in _sheets(data, name):
        head = list(itertools.islice(rows, HEADER_SEARCH_ROWS))
        header_index = _find_header(head, kind)
        if header_index is None:
            continue
        headers = [str(c).strip() if c not in (None, "") else "" for c in head[header_index]]
        table = Table(sheet=sheet_name, header_row=header_index + 1, headers=headers, rows=[])
        rest = itertools.chain(head[header_index + 1 :], rows)
        numbered = (
            (header_index + 2 + offset, list(row))
            for offset, row in enumerate(rest)
        )  # fmt: skip
        return table, (pair for pair in numbered if _filled(pair[1]))
    raise ReportError(
        _(
            "No header row found: the first rows of the file name none of the columns Cartera "
            "knows (such as “Policy No”, “Póliza”, “保单号”)."
        )
    )


def read_table(data: bytes, name: str, kind: str = "expiry", limit: int | None = None) -> Table:
    """The header and the data rows (the first ``limit`` of them, or all)."""
    table, rows = open_table(data, name, kind)
    table.rows = list(itertools.islice(rows, limit) if limit is not None else rows)
    return table
