"""Audit helpers: exports and safe spreadsheet cells."""

import csv
from collections.abc import Iterable

from django.http import StreamingHttpResponse

from .models import ExportRecord

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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
