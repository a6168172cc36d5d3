"""The parser's quick ways through the common cells read exactly as the general ones (issue 14):
amounts in their common shapes, text cells, the totals row's words, vehicle years, a policy's
term in years, a row taken from its cells at once, the garbage collector paused per chunk.
Each is checked against the general reading on hostile values: blanks, no-break and
ideographic spaces, full-width digits, floats, dates written as text, "²"."""

import csv
import gc
import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from imports import expiry, parsing, services
from imports.errors import RowProblem
from imports.models import RowError
from imports.services import dry_run, job_create
from imports.tests.conftest import HEADER, row
from policies.models import years_after

HOSTILE_TEXT = [
    "", " ", "\u00a0", "\u3000", "\t\n", "²", "１２５００", "٣٤", "x\u00a0 y", "  HDI   0042 ",
    "01/12/2026", "2026年12月1日", "ſum", "ﬅ", "Ｔotal", "İ", "ß", "\x00",
]  # fmt: skip

AMOUNTS = [
    "12500", "12500.5", "12500.50", "12500.555", "$12,500.00", "12,500", "1,250,000", "12,50",
    "12.500,50", "1.234", "1,234", "0,123.45", "007", "0.5", ".5", "12.", "$", "$,", ",500",
    "1,2345", "12,500.5", "1,000,00", "1,000.00.00", "-5", "(100)", "+5", "$ 12 500",
    "\u00a012,500", "12,500\u00a0", " 12500", "12500 ", "1e3", "US$100", "¥12,500", "12500 MXN",
    "1'250.00", "99999999999", "9999999999.99", "9999999999.995", "10000000000", "$0", "0",
    "０", "１２,５００", "12,５００", "²", "١٢", "12_500", "0x10", "Infinity", "NaN", "1,000,",
    "$$100", "$-1", "12,500.-",
]  # fmt: skip


def _read(parser, value):
    try:
        return parser(value)
    except RowProblem as exc:
        return ("refused", exc.code, exc.params)


def test_an_amount_in_a_common_shape_reads_as_the_general_reading(monkeypatch):
    quick = [_read(parsing.parse_amount, value) for value in AMOUNTS]
    monkeypatch.setattr(parsing, "_PLAIN_AMOUNT", re.compile(r"(?!)"))  # never: all go general
    general = [_read(parsing.parse_amount, value) for value in AMOUNTS]
    assert quick == general
    # Same amounts, and the same digits after the point (Decimal("1.50") is not "1.5" as text).
    assert [str(q) for q in quick] == [str(g) for g in general]
    assert quick[AMOUNTS.index("$12,500.00")] == Decimal("12500.00")


class _Str(str):
    """A str that is not exactly str: the general path."""


@pytest.mark.parametrize("value", HOSTILE_TEXT)
def test_text_reads_as_the_general_reading(value):
    assert parsing.parse_text(value) == parsing.parse_text(_Str(value))
    assert parsing.is_blank(value) == parsing.is_blank(_Str(value)) == (not value.split())


def test_cells_that_are_not_text_read_as_before():
    cells = (None, 12.0, 12.5, 12, False, date(2026, 12, 1))
    assert [parsing.parse_text(v) for v in cells] == ["", "12", "12.5", "12", "False",
                                                      "2026-12-01"]  # fmt: skip
    assert [parsing.is_blank(v) for v in cells] == [True, False, False, False, False, False]


def _total_word_in_general(value) -> bool:
    text = parsing.parse_text(value).casefold().rstrip(" :：.").strip()
    return text in expiry.TOTAL_WORDS or text.startswith(("total ", "totales "))


TOTAL_CELLS = [
    *HOSTILE_TEXT, *expiry.TOTAL_WORDS, "TOTAL:", "Totales：", " Total", "\u00a0Total",
    "\u3000合计", "Total de primas", "Totales generales", "Grand Total.", "SUMA", "Sum.",
    "HDI-0001", "total", "t", "s", "g", ":", "：", ".", "ＴＯＴＡＬ", "ＳＵＭ", None, 12.0, 7,
    date(2026, 1, 1), True,
]  # fmt: skip


@pytest.mark.parametrize("value", TOTAL_CELLS)
def test_a_total_word_reads_as_the_general_reading(value):
    assert expiry._total_word(value) == _total_word_in_general(value)


def test_the_initials_of_every_character_a_total_word_may_start_with_are_known():
    """The quick refusal looks at a cell's first character: any character whose case folding
    starts a total word must be among the initials."""
    starts = {word[0] for word in expiry.TOTAL_WORDS}
    for code in range(0x30000):
        ch = chr(code)
        folded = ch.casefold()[:1]
        if folded in starts:
            assert folded in expiry._TOTAL_INITIALS, ch


YEARS = [2022, 2022.0, 2022.5, 1949, 1950, 1949.999, 2200, 10**20, 1e20, -0.0, 0, True, False,
         "2022", " 2022 ", "2022.0", "２０２２", float("nan"), 2018.0000001]  # fmt: skip


def _year_in_general(value):
    year = int(Decimal(parsing.parse_text(value)))
    if not 1950 <= year <= timezone.now().year + 2:
        raise RowProblem("year_invalid", value=value)
    return year


@pytest.mark.parametrize("value", YEARS, ids=repr)
def test_a_vehicle_year_reads_as_the_general_reading(value):
    def read(parser):
        try:
            return parser(value)
        except Exception as exc:  # noqa: BLE001 - the same error, whatever it is
            return type(exc), str(exc)

    assert read(expiry._year) == read(_year_in_general)


def test_years_after_is_dateutils_relativedelta():
    day = date(2015, 1, 1)
    while day < date(2030, 1, 1):
        for years in (-1, 1, 10):
            assert years_after(day, years) == day + relativedelta(years=years), (day, years)
        day += timedelta(days=1)
    assert years_after(date(2024, 2, 29), 10) == date(2034, 2, 28)
    assert years_after(date(2024, 2, 29), -1) == date(2023, 2, 28)
    assert years_after(datetime(2024, 2, 29, 9), 4) == datetime(2028, 2, 29, 9)
    with pytest.raises(ValueError, match="out of range"):
        years_after(date(9995, 2, 28), 10)


def test_a_row_with_every_cell_wrong_lists_its_errors_in_the_same_order():
    fields = ("policy_number", "holder_name", "end_date", "start_date", "premium", "currency",
              "line", "phone", "email", "vin", "year", "agent")  # fmt: skip
    headers = {f: f.upper() for f in fields}
    raw = {
        "policy_number": "\u00a0", "holder_name": None, "end_date": "31/02/2026",
        "start_date": "2026年13月1日", "premium": "²", "currency": "xyz", "line": "nave",
        "phone": "abc", "email": "ana@", "vin": "ABC", "year": "1949",
    }  # fmt: skip
    record, issues = expiry.parse_row(7, raw, headers, expiry.ReadContext("MX", "MXN", "es"))
    assert record is None
    assert [(i.row, i.column, i.value, i.code, i.level) for i in issues] == [
        (7, "POLICY_NUMBER", "", "missing", "error"),
        (7, "HOLDER_NAME", "", "missing", "error"),
        (7, "END_DATE", "31/02/2026", "date_not_real", "error"),
        (7, "START_DATE", "2026年13月1日", "date_not_real", "error"),
        (7, "PREMIUM", "²", "amount_not_an_amount", "error"),
        (7, "CURRENCY", "xyz", "currency_unknown", "error"),
        (7, "LINE", "nave", "line_unknown", "error"),
        (7, "EMAIL", "ana@", "email_invalid", "error"),
        (7, "VIN", "ABC", "vin_length", "error"),
        (7, "YEAR", "1949", "year_invalid", "error"),
        (7, "PHONE", "abc", "phone_not_a_phone", "warning"),  # warnings after the errors
    ]


def test_the_date_problems_of_a_row_are_its_own_however_often_the_dates_repeat():
    headers = {"end_date": "Fin", "start_date": "Inicio"}
    context = expiry.ReadContext("MX", "MXN", "es")
    raw = {"policy_number": "P-1", "holder_name": "Ana", "premium": "100",
           "start_date": "2016-02-29", "end_date": "2026-03-01"}  # fmt: skip
    first = expiry.parse_row(2, raw, headers, context)[1]
    first[0].params["years"] = 99  # a reader changing one row's issue changes no other row's
    again = expiry.parse_row(3, raw, headers, context)[1]
    assert [(i.row, i.column, i.code, i.params) for i in again] == [
        (3, "Fin", "term_too_long", {"years": 10})
    ]
    # Without a start date the term is a year: 29 February ends, it started 28 February.
    record, issues = expiry.parse_row(4, {**raw, "start_date": " ", "end_date": "29/02/2028"},
                                      headers, context)  # fmt: skip
    assert not issues and record.policy["start_date"] == date(2027, 2, 28)


def _csv(rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode()


@pytest.mark.django_db
def test_short_rows_read_as_rows_with_their_last_cells_empty(hdi, maintainer):
    """A row with every mapped cell is taken at once; a shorter one cell by cell, the cells it
    lacks empty: the same records and errors either way."""
    short = [row(1), row(2)[:6], row(3)[:-1]]  # no premium onward; no year
    padded = [row(1), [*row(2)[:6], *[""] * (len(HEADER) - 6)], [*row(3)[:-1], ""]]
    results = []
    for rows in (short, padded):
        job, _table = job_create(insurer=hdi, by=maintainer, name="hdi.csv", data=_csv(rows))
        job = dry_run(job)
        errors = sorted(RowError.objects.filter(job=job).values_list("row", "column", "code"))
        results.append((job.created, job.errors, errors, job.preview["rows"]))
    assert results[0] == results[1]
    assert results[0][:3] == (2, 1, [(3, "Prima Total", "missing")])


@pytest.mark.django_db
def test_the_garbage_collector_runs_again_after_each_chunk_and_after_an_error(
    hdi, maintainer, monkeypatch
):
    monkeypatch.setattr(services, "CHUNK", 2)
    seen = []
    original = expiry.parse_row

    def parse_row(number, raw, headers, context):
        seen.append(gc.isenabled())
        if number == 6:
            raise LookupError("row 6")
        return original(number, raw, headers, context)

    monkeypatch.setattr(expiry, "parse_row", parse_row)
    job, _table = job_create(insurer=hdi, by=maintainer, name="hdi.csv",
                             data=_csv([row(n) for n in range(1, 8)]))  # fmt: skip
    context = expiry.ReadContext.of(hdi)
    messages = services._parsed(job, expiry, context)
    assert next(messages)[0] == "table" and gc.isenabled()
    assert next(messages)[0] == "chunk" and gc.isenabled()  # the consumer runs with it
    with pytest.raises(LookupError):
        list(messages)
    assert gc.isenabled()
    assert seen and not any(seen)  # paused while the rows were parsed


ARRAY_TEXTS = [
    "HDI0001", "", " spaced ", 'a "quoted" key', "back\\slash", "\\", '"', "a,b", "{braces}",
    "NULL", "null", "王伟", "\u00a0", "+525512345678", "tab\there",
]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("values", [[], ["HDI0001", "HDI0002"], ARRAY_TEXTS, ARRAY_TEXTS[::-1]])
def test_values_sent_as_an_array_text_arrive_as_they_are(values):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::text[]", [expiry._pg_array(values)])
        assert cursor.fetchone()[0] == values
        ids = [1, 2, 9_007_199_254_740_993]
        cursor.execute("SELECT %s::bigint[]", [expiry._pg_array(iter(ids), "bigint")])
        assert cursor.fetchone()[0] == ids
        cursor.execute("SELECT %s::bigint[]", [expiry._pg_array([], "bigint")])
        assert cursor.fetchone()[0] == []
