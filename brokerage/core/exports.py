"""Exports: CSV and .xlsx responses with safe spreadsheet cells, each export recorded."""

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.http import StreamingHttpResponse
from django.utils import timezone

from .models import ExportRecord

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Control characters an .xlsx cannot hold.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


# Number formats of .xlsx cells: a figure is stored as a number and shown with its format.
MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.0%"
INTEGER_FORMAT = "#,##0"
NUMBER_FORMAT = "#,##0.0#"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


@dataclass(frozen=True)
class Figure:
    """A number for an .xlsx cell with the format it is shown in (``None``: an empty cell)."""

    value: int | float | Decimal | None
    number_format: str

    def __str__(self):
        return "" if self.value is None else str(self.value)


def percent(value) -> Figure:
    """A percentage given in hundreds (50 for 50 %), stored as the fraction Excel expects
    (0.5) and shown as a percentage."""
    return Figure(None if value is None else Decimal(value) / 100, PERCENT_FORMAT)


def money(value) -> Figure:
    return Figure(value, MONEY_FORMAT)


def neutralise_cell(value) -> str:
    """Make a value safe for a spreadsheet: text that Excel would run as a formula is
    prefixed with an apostrophe."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def export_record(*, user, what: str, filters: dict, rows: int) -> ExportRecord:
    return ExportRecord.objects.create(user=user, what=what, filters=filters, rows=rows)


class _Echo:
    def write(self, value):
        return value


def csv_response(
    *, filename: str, header: list[str], rows: Iterable[list]
) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def stream():
        yield "\ufeff"  # so that Excel reads UTF-8 (Chinese and Spanish names)
        yield writer.writerow([neutralise_cell(h) for h in header])
        for row in rows:
            yield writer.writerow([neutralise_cell(v) for v in row])

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# Characters a sheet title may not hold.
_SHEET_NAME = str.maketrans({c: " " for c in "[]:*?/\\"})


def xlsx_response(
    *, filename: str, sheet: str = "", header: list[str] = (), rows: Iterable[list] = (),
    sheets: Iterable[tuple[str, list[str], Iterable[list]]] = (),
):  # fmt: skip
    """An .xlsx download written with openpyxl's write-only mode (constant memory): one sheet
    (``sheet``, ``header``, ``rows``) or several (``sheets``: (title, header, rows) each).
    Text is always written as text: a cell starting with ``=``, ``+``, ``-``, ``@``, tab or
    carriage return is stored as a string, never a formula Excel would run. Numbers are
    numbers with a number format: a ``Figure`` with its own (``percent``, ``money``), a
    ``Decimal`` as an amount, dates and times as such; other values are text."""
    import io

    from django.http import HttpResponse
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)

    def number(ws, value, number_format):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = number_format
        return cell

    def cells(ws, values):
        out = []
        for value in values:
            if isinstance(value, datetime) and value.tzinfo is not None:
                value = timezone.localtime(value).replace(tzinfo=None)  # Excel has no zones
            if isinstance(value, Figure):
                out.append(
                    None if value.value is None else number(ws, value.value, value.number_format)
                )
                continue
            if isinstance(value, Decimal):
                out.append(number(ws, value, MONEY_FORMAT))
                continue
            if isinstance(value, datetime):
                out.append(number(ws, value, DATETIME_FORMAT))
                continue
            if isinstance(value, date):
                out.append(number(ws, value, DATE_FORMAT))
                continue
            if value is None or isinstance(value, bool | int | float):
                out.append(value)
                continue
            cell = WriteOnlyCell(ws, value=None)
            cell.value = _ILLEGAL.sub("", str(value))
            cell.data_type = "s"  # text, even when it starts with "="
            out.append(cell)
        return out

    used = set()
    for title, head, body in [*([(sheet, header, rows)] if sheet else []), *sheets]:
        title = _ILLEGAL.sub("", str(title)).translate(_SHEET_NAME)[:31] or "Sheet"
        while title in used:
            title = title[:28] + f" {len(used)}"
        used.add(title)
        ws = book.create_sheet(title=title)
        ws.append(cells(ws, head))
        for row in body:
            ws.append(cells(ws, row))
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
