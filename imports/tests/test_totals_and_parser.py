"""A totals row at the bottom of a report is skipped, not an error (issue 14, part 1, "Excel
quirks"); a large report is parsed in a second process while the importing one writes (issue
14, part 3), with the same result as parsing in process and its errors raised where the
import runs."""

import csv
import io
import os
from decimal import Decimal

import pytest
from openpyxl import Workbook

from billing.models import Instalment
from imports import expiry, services
from imports.models import RowError
from imports.services import commit, dry_run, job_create
from imports.tests.conftest import HEADER, row
from policies.models import Policy
from renewals.models import RenewalCase

pytestmark = pytest.mark.django_db

PREMIUM = HEADER.index("Prima Total")


def _totals(premium, word="") -> list:
    cells = [""] * len(HEADER)
    cells[0], cells[PREMIUM] = word, premium
    return cells


def _xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["Reporte de vencimientos"])
    sheet.append(HEADER)
    for cells in rows:
        sheet.append([c if c != "" else None for c in cells])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _csv(rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode()


def _data_rows(count=3) -> list:
    return [row(n, **{"Prima Total": 12500 + n}) for n in range(1, count + 1)]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize(
    "totals",
    [
        _totals(Decimal("37506.00")),  # no word: the premium is the sum of those above
        _totals("$37,506.00", "Total"),
        _totals("37506", "Totales:"),
        _totals(37506, "合计"),
        _totals("", "总计"),
    ],
    ids=["sum", "Total", "Totales", "合计", "总计"],
)
def test_a_totals_row_at_the_bottom_is_skipped_not_an_error(hdi, maintainer, fmt, totals):
    rows = [*_data_rows(), totals]
    if fmt == "xlsx":
        data = _xlsx([[float(c) if isinstance(c, Decimal) else c for c in r] for r in rows])
    else:
        data = _csv(rows)
    job, _table = job_create(insurer=hdi, by=maintainer, name=f"hdi.{fmt}", data=data)
    previewed = dry_run(job)
    assert (previewed.created, previewed.errors) == (3, 0)
    job = commit(previewed)
    assert (job.created, job.errors) == (3, 0), list(RowError.objects.values_list("reason"))
    assert not RowError.objects.filter(job=job).exists()
    assert Policy.objects.count() == 3 and job.total_rows == 3


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_row_without_policy_number_that_is_no_total_is_still_an_error(hdi, maintainer, fmt):
    no_number = row(9, **{"No. de Póliza": ""})  # a holder and dates: a policy row
    wrong_sum = _totals(99)  # not the sum of the premiums above: not recognised
    rows = [*_data_rows(), no_number, wrong_sum]
    data = _xlsx(rows) if fmt == "xlsx" else _csv(rows)
    job, _table = job_create(insurer=hdi, by=maintainer, name=f"hdi.{fmt}", data=data)
    job = commit(job)
    first = 3 if fmt == "xlsx" else 2  # the first data row's number in the sheet
    assert job.created == 3
    errors = RowError.objects.filter(job=job)
    assert {r for r, _code in errors.values_list("row", "code")} == {first + 3, first + 4}
    assert set(errors.filter(row=first + 3).values_list("code", flat=True)) == {"missing"}


def _report(count: int) -> bytes:
    rows = [row(n, **({"Fin de vigencia": "31/02/2026"} if n % 7 == 0 else {}))
            for n in range(1, count + 1)]  # fmt: skip
    rows.append(row(3))  # a repeated policy
    return _csv(rows)


def test_a_large_report_parsed_in_a_second_process_reads_as_in_process(
    hdi, maintainer, monkeypatch
):
    monkeypatch.setattr(services, "CHUNK", 7)
    monkeypatch.setattr(services, "PARSE_IN_CHILD_FROM", 10)
    results = {}
    for in_child in (False, True):
        monkeypatch.setattr(services, "PARSE_IN_CHILD", in_child)
        # The first import's policies, with what followed each chunk (cases, instalments).
        RenewalCase.objects.all().delete()
        Instalment.objects.all().delete()
        Policy.objects.all().delete()
        job, _table = job_create(insurer=hdi, by=maintainer, name="hdi.csv", data=_report(40))
        job = commit(dry_run(job), by=maintainer)
        errors = sorted(RowError.objects.filter(job=job).values_list("row", "code", "level"))
        results[in_child] = (job.created, job.errors, job.total_rows, errors)
    assert results[True] == results[False]
    created, errors, _total, rows = results[True]
    assert (created, errors) == (35, 6)
    assert "duplicate_policy" in {code for _row, code, _level in rows}


def _parser_fails_at(monkeypatch, row: int, fail) -> None:
    """Chunks of 7 rows, and the row ``row`` of the report handed to ``fail(row)`` (in the
    process that parses it) instead of being parsed."""
    monkeypatch.setattr(services, "CHUNK", 7)
    original = expiry.parse_row

    def parse_row(number, raw, headers, context):
        if number == row:
            fail(number)
        return original(number, raw, headers, context)

    monkeypatch.setattr(expiry, "parse_row", parse_row)


def test_an_error_in_the_parser_process_is_raised_by_the_import(hdi, maintainer, monkeypatch):
    def fail(number):
        raise LookupError(f"row {number} in process {os.getpid()}")

    _parser_fails_at(monkeypatch, 30, fail)
    job, _table = job_create(insurer=hdi, by=maintainer, name="hdi.csv", data=_report(40))
    with pytest.raises(LookupError, match="row 30 in process") as raised:
        commit(job, by=maintainer)
    assert str(os.getpid()) not in str(raised.value)  # parsed in the second process
    assert Policy.objects.count() == 24  # the four chunks before the failing one are written


def _receivers() -> list:
    import threading

    return [t for t in threading.enumerate() if t.name == "import-receive" and t.is_alive()]


def test_a_parser_process_that_dies_is_a_clear_error_and_leaves_no_thread(
    hdi, maintainer, monkeypatch
):
    """The commit receives the parser's next chunk in a thread of its own while it writes:
    a parser killed mid-way (out of memory, say) ends the import with a clear error, the chunks
    before it written, and that thread gone."""
    _parser_fails_at(monkeypatch, 30, lambda _number: os._exit(9))  # dies without a word
    job, _table = job_create(insurer=hdi, by=maintainer, name="hdi.csv", data=_report(40))
    with pytest.raises(services.ParserDied, match=r"exit code 9"):
        commit(job, by=maintainer)
    assert Policy.objects.count() == 24  # the four chunks before the one it died in
    assert _receivers() == []


def test_an_import_that_fails_while_the_parser_is_ahead_stops_both(hdi, maintainer, monkeypatch):
    monkeypatch.setattr(services, "CHUNK", 7)
    original, applied = expiry.apply, []

    def apply(out, *, by):
        if len(applied) == 2:
            raise RuntimeError("the disk is full")
        applied.append(len(out.new_policies))
        return original(out, by=by)

    monkeypatch.setattr(expiry, "apply", apply)
    job, _table = job_create(insurer=hdi, by=maintainer, name="hdi.csv", data=_report(40))
    with pytest.raises(RuntimeError, match="the disk is full"):
        commit(job, by=maintainer)
    assert Policy.objects.count() == sum(applied) == 12  # two chunks (a row in 7 is wrong)
    assert _receivers() == []


def test_the_parser_process_collects_by_chunk_with_what_the_fork_brought_frozen(
    hdi, maintainer, monkeypatch
):
    """The garbage collector in the parser process, as the importing process's: off between
    chunks (run once per chunk sent), and the objects the fork brought out of its reach."""
    import gc

    def fail(_number):
        state = f"enabled={gc.isenabled()} frozen={gc.get_freeze_count() > 1000}"
        raise LookupError(f"{state} in process {os.getpid()}")

    _parser_fails_at(monkeypatch, 30, fail)
    job, _table = job_create(insurer=hdi, by=maintainer, name="hdi.csv", data=_report(40))
    with pytest.raises(LookupError, match="enabled=False frozen=True in process") as raised:
        commit(job, by=maintainer)
    assert str(os.getpid()) not in str(raised.value)  # parsed in the second process
    assert gc.isenabled() and gc.get_freeze_count() == 0  # this process's, as they were


def test_between_chunks_nothing_holds_the_chunk_consumed(hdi, maintainer, monkeypatch):
    """The parser process collects its garbage between chunks (``_parsed``'s ``between``):
    by then the chunk it sent is gone, so the collector does not walk its records again."""
    import weakref

    monkeypatch.setattr(services, "CHUNK", 7)
    monkeypatch.setattr(services, "FIRST_CHUNK", 7)
    job, _table = job_create(insurer=hdi, by=maintainer, name="hdi.csv", data=_report(30))
    kind = services.REPORT_KINDS[job.kind]
    context = kind.ReadContext.of(job.insurer)
    last, alive = [], []

    def between():
        alive.append([ref() is not None for ref in last])

    for message in services._parsed(job, kind, context, between=between):
        if message[0] == "chunk":
            last[:] = [weakref.ref(record) for record in message[1]]
        message = None
    # Once after each of the 5 chunks, each time with the chunk's records watched and gone.
    assert len(alive) == 5 and all(seen and not any(seen) for seen in alive)
