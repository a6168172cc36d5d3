"""Insurers' collection (paid/unpaid) reports through the import engine: dry run, conflicts,
good rows applied, idempotent commit, the summary against the previous report (issue 15)."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import Workbook

from billing.models import Allocation, Instalment, InstalmentStatus, Payment, PaymentMethod
from billing.payments import payment_record
from billing.tests.factories import instalment_plan
from brokerage.accounts.tests.factories import UserFactory
from imports import services
from imports.models import CollectionLine, ImportJob, JobStatus, ReportKind
from policies.tests.factories import PolicyFactory

pytestmark = pytest.mark.django_db

D = Decimal
HEADER = ["No. de Póliza", "Recibo", "Fecha de vencimiento", "Importe pagado", "Fecha de pago",
          "Estatus", "Folio de pago"]  # fmt: skip


def report(rows, header=HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["Reporte de cobranza"])
    sheet.append(list(header))
    for r in rows:
        sheet.append(list(r))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def maint():
    return UserFactory(roles=["maintainer"])


@pytest.fixture
def book(hdi):
    """Two policies of HDI with three monthly instalments of 1,000.00 each, the first due ten
    days ago (so overdue while unpaid), the others in 20 and 50 days."""
    a = PolicyFactory(insurer=hdi, number="HDI-A1")
    b = PolicyFactory(insurer=hdi, number="HDI-B2")
    return {"a": instalment_plan(a, count=3), "b": instalment_plan(b, count=3)}


def today() -> str:
    return timezone.localdate().strftime("%d/%m/%Y")


def run(data: bytes, insurer, by, *, commit=True, name="cobranza.xlsx"):
    job, table = services.job_create(
        insurer=insurer, by=by, name=name, data=data, kind=ReportKind.COLLECTIONS
    )
    services.mapping_save(job=job, by=by, columns=job.columns)
    if commit:
        return services.commit(job, by=by)
    return services.dry_run(job)


def errors_of(job) -> dict[int, str]:
    return {e.row: e.code for e in job.row_errors.all()}


def status(instalment) -> tuple:
    i = Instalment.objects.get(pk=instalment.pk)
    return i.status, i.paid_amount


def test_it_suggests_the_collection_report_columns_on_upload(hdi, maint):
    job, _table = services.job_create(
        insurer=hdi, by=maint, name="c.xlsx", data=report([]), kind=ReportKind.COLLECTIONS
    )
    assert job.header_row == 2
    assert job.columns == {
        "policy_number": "No. de Póliza", "instalment": "Recibo",
        "due_date": "Fecha de vencimiento", "amount_paid": "Importe pagado",
        "paid_on": "Fecha de pago", "status": "Estatus", "reference": "Folio de pago",
    }  # fmt: skip


def test_the_dry_run_reports_row_errors_with_their_rows_and_writes_nothing(hdi, maint, book):
    rows = [
        ["HDI-A1", "1/3", "", "1,000.00", today(), "Pagado", "F-1"],  # row 3: good
        ["HDI-A1", "", "", "1000", today(), "Pagado", "F-2"],  # 4: no instalment nor due date
        ["HDI-A1", "2", "", "1000", "31/02/2026", "Pagado", "F-3"],  # 5: not a real date
        ["", "2", "", "1000", today(), "Pagado", "F-4"],  # 6: no policy number
        ["HDI-ZZ", "1", "", "1000", today(), "Pagado", "F-5"],  # 7: unknown policy
        ["HDI-B2", "1", "", "", "", "Quizás", ""],  # 8: not a status
        ["HDI-A1", "1", "", "1000", today(), "Pagado", "F-1"],  # 9: the same as row 3
        ["HDI-B2", "2", "", "", "", "Pendiente", ""],  # 10: confirmed unpaid
    ]
    job = run(report(rows), hdi, maint, commit=False)
    assert job.status == JobStatus.PREVIEWED
    assert errors_of(job) == {
        4: "instalment_or_due_missing", 5: "date_not_real", 6: "missing",
        7: "policy_unknown", 8: "status_unknown", 9: "duplicate_instalment",
    }  # fmt: skip
    assert (job.created, job.updated, job.unchanged, job.errors) == (1, 1, 0, 6)
    assert job.total_rows == 8
    assert job.preview["rows"][0]["number"] == "HDI-A1"
    assert not Payment.objects.exists()
    assert status(book["a"][0]) == (InstalmentStatus.PENDING, D("0.00"))
    error = job.row_errors.get(row=7)
    assert error.column == "No. de Póliza" and "HDI-ZZ" in error.text


def test_the_commit_applies_good_rows_and_reports_conflicts(hdi, maint, book):
    a1, a2, a3 = book["a"]
    b1, b2, b3 = book["b"]
    # An instalment the office already recorded in part, and one paid in full elsewhere.
    payment_record(client=a3.policy.holder, by=maint, amount=D("300.00"), currency="MXN",
                   method=PaymentMethod.CASH, paid_on=timezone.localdate(),
                   instalments=[a3])  # fmt: skip
    payment_record(client=b3.policy.holder, by=maint, amount=D("1000.00"), currency="MXN",
                   method=PaymentMethod.CASH, paid_on=timezone.localdate(),
                   instalments=[b3])  # fmt: skip
    due_b1 = b1.due_on.strftime("%d/%m/%Y")
    rows = [
        ["HDI-A1", "1", "", "1000.00", today(), "Pagado", "F-1"],  # 3: recorded
        ["HDI-A1", "2", "", "900.00", today(), "Pagado", "F-2"],  # 4: owes 1,000.00
        ["HDI-A1", "3", "", "1000.00", today(), "Pagado", "F-3"],  # 5: owes 700.00 only
        ["HDI-B2", "", due_b1, "", "", "Pagado", "F-4"],  # 6: by due date, what it owes
        ["HDI-B2", "2", "", "", "", "Pendiente", ""],  # 7: unpaid, confirmed
        ["HDI-B2", "3", "", "900.00", today(), "Pagado", "F-6"],  # 8: paid with 1,000.00
        ["HDI-B2", "9", "", "1000.00", today(), "Pagado", "F-7"],  # 9: no instalment 9
    ]
    job = run(report(rows), hdi, maint)
    assert job.status == JobStatus.DONE
    assert errors_of(job) == {
        4: "amount_not_outstanding", 5: "amount_not_outstanding", 8: "already_paid_other",
        9: "instalment_unknown",
    }  # fmt: skip
    assert (job.created, job.updated, job.unchanged, job.errors) == (2, 1, 0, 4)
    assert status(a1) == (InstalmentStatus.PAID, D("1000.00"))
    assert status(a2) == (InstalmentStatus.PENDING, D("0.00"))
    assert status(a3) == (InstalmentStatus.PARTLY_PAID, D("300.00"))
    assert status(b1) == (InstalmentStatus.PAID, D("1000.00"))
    assert status(b2) == (InstalmentStatus.PENDING, D("0.00"))
    recorded = Payment.objects.filter(method=PaymentMethod.AT_INSURER).order_by("reference")
    assert [(p.reference, p.amount, p.recorded_by) for p in recorded] == [
        ("F-1", D("1000.00"), maint), ("F-4", D("1000.00"), maint),
    ]  # fmt: skip
    assert Allocation.objects.get(payment=recorded[0]).instalment_id == a1.pk
    text = job.row_errors.get(row=5).text
    assert "700.00 MXN" in text and "1,000.00 MXN" in text
    # The instalments the good rows named are kept for the next report's comparison.
    assert sorted(CollectionLine.objects.filter(job=job).values_list("row", "paid")) == [
        (3, True), (6, True), (7, False),
    ]  # fmt: skip


def test_a_currency_other_than_the_instalments_is_a_conflict(hdi, maint, book):
    header = [*HEADER, "Moneda"]
    rows = [["HDI-A1", "1", "", "1000", today(), "Pagado", "F-1", "USD"],
            ["HDI-A1", "2", "", "1000", today(), "Pagado", "F-2", "MXN"]]  # fmt: skip
    job = run(report(rows, header), hdi, maint)
    assert errors_of(job) == {3: "currency_mismatch"}
    assert status(book["a"][0]) == (InstalmentStatus.PENDING, D("0.00"))
    assert status(book["a"][1]) == (InstalmentStatus.PAID, D("1000.00"))


def test_an_unpaid_row_for_an_instalment_paid_in_cartera_is_a_conflict(hdi, maint, book):
    first = book["a"][0]
    payment_record(client=first.policy.holder, by=maint, amount=D("1000.00"), currency="MXN",
                   method=PaymentMethod.CASH, paid_on=timezone.localdate(),
                   instalments=[first])  # fmt: skip
    job = run(report([["HDI-A1", "1", "", "", "", "No pagado", ""]]), hdi, maint)
    assert errors_of(job) == {3: "unpaid_but_paid"}
    assert status(first) == (InstalmentStatus.PAID, D("1000.00"))


def test_a_row_paid_in_the_office_already_reads_already_recorded(hdi, maint, book):
    first = book["a"][0]
    payment_record(client=first.policy.holder, by=maint, amount=D("1000.00"), currency="MXN",
                   method=PaymentMethod.CASH, paid_on=timezone.localdate(),
                   instalments=[first])  # fmt: skip
    job = run(report([["HDI-A1", "1", "", "1000", today(), "Pagado", "F-1"]]), hdi, maint)
    assert (job.created, job.unchanged, job.errors) == (0, 1, 0)
    assert Payment.objects.count() == 1


def test_the_same_report_imported_twice_changes_nothing_the_second_time(hdi, maint, book):
    rows = [
        ["HDI-A1", "1", "", "1000.00", today(), "Pagado", "F-1"],
        ["HDI-A1", "2", "", "", "", "Pendiente", ""],
        ["HDI-B2", "1", "", "", today(), "", "F-3"],  # no status: a payment date says paid
        ["HDI-B2", "2", "", "500.00", today(), "Pagado", "F-4"],  # a conflict, both times
    ]
    data = report(rows)
    first = run(data, hdi, maint, name="cobranza.xlsx")
    assert (first.created, first.updated, first.unchanged, first.errors) == (2, 1, 0, 1)
    every = [*book["a"], *book["b"]]
    states = [status(i) for i in every]
    payments = list(Payment.objects.values_list("pk", "amount", "reference"))
    history = Instalment.history.count()
    second = run(data, hdi, maint, name="cobranza (copia).xlsx")
    assert (second.created, second.updated, second.unchanged, second.errors) == (0, 1, 2, 1)
    assert errors_of(second) == {6: "amount_not_outstanding"}
    assert [status(i) for i in every] == states
    assert list(Payment.objects.values_list("pk", "amount", "reference")) == payments
    assert Instalment.history.count() == history


def test_a_resumed_commit_records_each_payment_once(hdi, maint, book, monkeypatch):
    rows = [["HDI-A1", str(n), "", "1000", today(), "Pagado", f"F-{n}"] for n in (1, 2, 3)]
    monkeypatch.setattr(services.collections, "CHUNK", 2)
    job, _table = services.job_create(
        insurer=hdi, by=maint, name="c.xlsx", data=report(rows), kind=ReportKind.COLLECTIONS
    )
    services.mapping_save(job=job, by=maint, columns=job.columns)
    job = services.dry_run(job)
    calls = []
    original = services.collections.apply

    def apply_then_die(out, *, by, job):
        calls.append(len(out.payments))
        original(out, by=by, job=job)
        if len(calls) == 2:
            raise RuntimeError("worker lost")

    monkeypatch.setattr(services.collections, "apply", apply_then_die)
    services.commit_queue(job_id=job.pk)
    with pytest.raises(RuntimeError):
        services.commit(ImportJob.objects.get(pk=job.pk), by=maint)
    assert Payment.objects.count() == 2  # the first chunk stays whole; the second rolled back
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.FAILED)
    monkeypatch.setattr(services.collections, "apply", original)
    job = services.commit(ImportJob.objects.get(pk=job.pk), by=maint)
    assert job.status == JobStatus.DONE and job.created == 3
    assert Payment.objects.count() == 3
    assert all(status(i)[0] == InstalmentStatus.PAID for i in book["a"])


def test_the_commit_says_what_changed_since_the_previous_report(hdi, maint, book):
    a1, a2, a3 = book["a"]
    b1, b2, _b3 = book["b"]
    previous = run(report([
        ["HDI-A1", "1", "", "", "", "Pendiente", ""],  # overdue (due 10 days ago)
        ["HDI-A1", "2", "", "", "", "Pendiente", ""],  # not yet due
        ["HDI-B2", "1", "", "1000", today(), "Pagado", "F-1"],
    ]), hdi, maint, name="octubre.xlsx")  # fmt: skip
    assert previous.diff["previous"] is None
    # A month on: A1's second instalment is past its due date too.
    Instalment.objects.filter(pk=a2.pk).update(
        due_on=timezone.localdate() - datetime.timedelta(days=2)
    )
    job = run(report([
        ["HDI-A1", "1", "", "1000", today(), "Pagado", "F-2"],  # newly paid
        ["HDI-A1", "2", "", "", "", "Pendiente", ""],  # still unpaid, newly overdue
        ["HDI-A1", "3", "", "", "", "Pendiente", ""],  # unpaid, not yet due
        ["HDI-B2", "1", "", "1000", today(), "Pagado", "F-1"],  # paid in both: not new
        ["HDI-B2", "2", "", "1000", today(), "Pagado", "F-3"],  # newly paid (not in the last)
    ]), hdi, maint, name="noviembre.xlsx")  # fmt: skip
    diff = job.diff
    assert diff["previous"] == previous.pk and diff["previous_name"] == "octubre.xlsx"
    assert diff["newly_paid"] == ["HDI-A1 1/3", "HDI-B2 2/3"] and diff["newly_paid_count"] == 2
    assert diff["still_unpaid"] == ["HDI-A1 2/3"] and diff["still_unpaid_count"] == 1
    assert diff["newly_overdue"] == ["HDI-A1 2/3"] and diff["newly_overdue_count"] == 1
    assert diff["counts"] == {"paid": 2, "unpaid": 2, "already": 1}
    # Another insurer's report is never the previous one.
    assert a3.policy.insurer == hdi and b2.policy.insurer == hdi


def test_the_shell_command_imports_a_collection_report(hdi, maint, book, tmp_path):
    path = tmp_path / "cobranza.xlsx"
    path.write_bytes(report([
        ["HDI-A1", "1", "", "1000", today(), "Pagado", "F-1"],
        ["HDI-A1", "2", "", "", "", "Pendiente", ""],
        ["HDI-ZZ", "1", "", "1000", today(), "Pagado", "F-9"],
    ]))  # fmt: skip
    out = io.StringIO()
    call_command("import_report", str(path), insurer="hdi", kind="collections",
                 user=maint.username, stdout=out)  # fmt: skip
    text = out.getvalue()
    assert "paid=1 unpaid=1 already=0 errors=1" in text
    assert "row 5, No. de Póliza: No policy HDI-ZZ of this insurer in Cartera." in text
    assert "First collection report of this insurer." in text
    assert status(book["a"][0]) == (InstalmentStatus.PAID, D("1000.00"))
    job = ImportJob.objects.get()
    assert job.kind == ReportKind.COLLECTIONS and job.status == JobStatus.DONE
    out = io.StringIO()
    call_command("import_report", str(path), insurer="hdi", kind="collections",
                 user=maint.username, stdout=out)  # fmt: skip
    text = out.getvalue()
    assert "paid=0 unpaid=1 already=1 errors=1" in text
    assert "still unpaid=1  (HDI-A1 2/3)" in text and "newly paid=0" in text
    assert Payment.objects.count() == 1


def test_the_shell_command_still_imports_expiry_reports_by_default(hdi, maint, tmp_path):
    from imports.tests.conftest import row, workbook

    path = tmp_path / "vencimientos.xlsx"
    path.write_bytes(workbook([row(1)]))
    out = io.StringIO()
    call_command("import_report", str(path), insurer="hdi", user=maint.username, stdout=out)
    assert "created=1 updated=0 unchanged=0 errors=0" in out.getvalue()
    assert ImportJob.objects.get().kind == ReportKind.EXPIRY


def test_a_paid_row_closes_the_instalments_open_payment_items(hdi, maint, book):
    from workqueue.models import ItemStatus
    from workqueue.services import item_create

    first, second = book["a"][0], book["a"][1]
    items = [
        item_create(kind="payment_due", subject_id=i.pk, title=str(i), due_on=i.due_on)
        for i in (first, second)
    ]
    run(report([
        ["HDI-A1", "1", "", "1000", today(), "Pagado", "F-1"],
        ["HDI-A1", "2", "", "", "", "Pendiente", ""],
    ]), hdi, maint)  # fmt: skip
    for item in items:
        item.refresh_from_db()
    assert [item.status for item in items] == [ItemStatus.DONE, ItemStatus.OPEN]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("Pagado", (True, None)), ("PENDIENTE", (False, None)), ("已缴费", (True, None)),
        ("未缴", (False, None)), ("Sí", (True, None)), ("no", (False, None)), (1, (True, None)),
        ("0", (False, None)), ("1,250.00", (True, D("1250.00"))), (980.5, (True, D("980.50"))),
        ("Paid in full", (True, None)), ("No pagado", (False, None)),
    ],
)  # fmt: skip
def test_a_status_cell_reads_in_english_spanish_chinese_or_as_a_flag_or_amount(cell, expected):
    from imports.collections import _status

    assert _status(cell) == expected


def test_a_totals_row_at_the_bottom_is_skipped_and_a_row_without_a_policy_is_an_error(
    hdi, maint, book
):
    rows = [
        ["HDI-A1", "1", "", "1000", today(), "Pagado", "F-1"],
        ["", "2", "", "1000", today(), "Pagado", "F-2"],  # 4: no policy number
        ["Total", "", "", "2000", "", "", ""],
        ["", "", "", "2000", "", "", ""],
    ]
    job = run(report(rows), hdi, maint, commit=False)
    assert errors_of(job) == {4: "missing"}
    assert (job.created, job.errors, job.total_rows) == (1, 1, 2)


def test_a_payment_refused_at_commit_is_a_row_error_and_the_other_rows_are_recorded(
    hdi, maint, book, monkeypatch
):
    """F-2's instalment is paid in the office after the dry run read it (between classify and
    the batch): the batch refuses that row alone, which is a row error; the others are
    recorded."""
    from imports import collections

    original = collections.payments_record_many

    def paid_in_the_office_meanwhile(*, specs, by):
        second = book["a"][1]
        payment_record(client=second.policy.holder, by=by, amount=D("1000.00"),
                       currency="MXN", method=PaymentMethod.CASH,
                       paid_on=timezone.localdate(), instalments=[second])  # fmt: skip
        return original(specs=specs, by=by)

    monkeypatch.setattr(collections, "payments_record_many", paid_in_the_office_meanwhile)
    rows = [["HDI-A1", str(n), "", "1000", today(), "Pagado", f"F-{n}"] for n in (1, 2, 3)]
    job = run(report(rows), hdi, maint)
    assert errors_of(job) == {4: "payment_refused"}
    assert "no longer open" in job.row_errors.get().text
    assert (job.created, job.errors) == (2, 1)
    assert sorted(Payment.objects.values_list("reference", flat=True)) == ["", "F-1", "F-3"]
    assert [status(i)[0] for i in book["a"]] == [InstalmentStatus.PAID] * 3
    assert Payment.objects.filter(reference="", method=PaymentMethod.CASH).count() == 1
    assert sorted(CollectionLine.objects.values_list("row", flat=True)) == [3, 5]
