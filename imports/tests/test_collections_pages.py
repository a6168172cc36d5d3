"""The import pages with a collection report: upload (choosing the kind), mapping, dry run,
commit, the summary against the previous report, and who may use them (issue 15)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from billing.models import InstalmentStatus, Payment
from billing.tests.factories import instalment_plan
from brokerage.accounts.tests.factories import UserFactory
from imports.models import ColumnMapping, ImportJob, JobStatus, ReportKind
from imports.tests.test_collections_services import report
from policies.tests.factories import PolicyFactory

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def maint(db):
    return UserFactory(roles=["maintainer"])


@pytest.fixture
def plan(hdi):
    return instalment_plan(PolicyFactory(insurer=hdi, number="HDI-A1"), count=3)


def _upload(client, insurer, data, kind=ReportKind.COLLECTIONS, name="cobranza.xlsx"):
    return client.post(
        "/imports/",
        {"insurer": insurer.pk, "kind": kind, "file": SimpleUploadedFile(name, data, XLSX)},
    )


def _rows():
    today = timezone.localdate().strftime("%d/%m/%Y")
    return [
        ["HDI-A1", "1/3", "", "$1,000.00", today, "Pagado", "OXXO-771"],
        ["HDI-A1", "2/3", "", "", "", "Pendiente", ""],
        ["HDI-A1", "3/3", "", "950.00", today, "Pagado", "OXXO-772"],  # owes 1,000.00
        ["HDI-Z9", "1/1", "", "500.00", today, "Pagado", "OXXO-773"],  # unknown policy
    ]


def _map_and_dry_run(client, job, capture, **override):
    form = client.get(f"/imports/{job.pk}/mapping/").context["form"]
    posted = {name: form[name].initial or "" for name in form.fields}
    posted.update(override)
    with capture(execute=True):  # the dry run's task
        return client.post(f"/imports/{job.pk}/mapping/", posted)


def test_it_walks_a_collection_report_from_upload_to_commit(
    client, maint, hdi, plan, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    client.force_login(maint)
    response = _upload(client, hdi, report(_rows()))
    job = ImportJob.objects.get()
    assert job.kind == ReportKind.COLLECTIONS
    assert response["Location"] == f"/imports/{job.pk}/mapping/"
    page = client.get(response["Location"])
    form = page.context["form"]
    assert list(form.fields)[:3] == ["policy_number", "instalment", "due_date"]
    assert form["instalment"].initial == "Recibo" and form["status"].initial == "Estatus"
    assert 'data-testid="collections-mapping-note"' in page.content.decode()
    response = _map_and_dry_run(client, job, django_capture_on_commit_callbacks)
    assert response["Location"] == f"/imports/{job.pk}/"
    job.refresh_from_db()
    assert job.status == JobStatus.PREVIEWED
    assert (job.created, job.updated, job.unchanged, job.errors) == (1, 1, 0, 2)
    assert (
        ColumnMapping.objects.get(insurer=hdi, kind=ReportKind.COLLECTIONS).columns["reference"]
        == "Folio de pago"
    )
    with django_assert_max_num_queries(12):
        html = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'data-testid="count-paid">1<' in html and 'data-testid="count-unpaid">1<' in html
    assert "OXXO-771" in html and "No policy HDI-Z9 of this insurer in Cartera." in html
    assert "owes 1,000.00 MXN" in html
    assert not Payment.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{job.pk}/commit/")
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    payment = Payment.objects.get()
    assert (payment.reference, payment.method) == ("OXXO-771", "at_insurer")
    plan[0].refresh_from_db()
    assert plan[0].status == InstalmentStatus.PAID
    html = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'data-testid="collections-first"' in html
    # The next report of the insurer is compared with this one.
    _upload(client, hdi, report(_rows()), name="cobranza-2.xlsx")
    second = ImportJob.objects.order_by("-pk").first()
    _map_and_dry_run(client, second, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{second.pk}/commit/")
    with django_assert_max_num_queries(12):
        html = client.get(f"/imports/{second.pk}/").content.decode()
    assert 'data-testid="collections-summary"' in html
    assert "1 instalment still unpaid" in html and "HDI-A1 2/3" in html
    assert "0 instalments newly paid" in html
    assert 'data-testid="count-already">1<' in html
    assert Payment.objects.count() == 1
    listing = client.get("/imports/").content.decode()
    assert listing.count("Collection report") >= 2


def test_a_mapping_without_instalment_nor_due_date_is_refused(
    client, maint, hdi, plan, django_capture_on_commit_callbacks
):
    client.force_login(maint)
    _upload(client, hdi, report(_rows()))
    job = ImportJob.objects.get()
    response = _map_and_dry_run(
        client, job, django_capture_on_commit_callbacks, instalment="", due_date=""
    )
    assert response.status_code == 200
    assert "Choose a column for “Instalment number” or for “Due date”." in (
        response.content.decode()
    )
    job.refresh_from_db()
    assert job.status == JobStatus.UPLOADED and not job.row_errors.exists()


def test_an_expiry_report_is_still_the_default_kind(client, maint, hdi):
    from imports.tests.conftest import row, workbook

    client.force_login(maint)
    data = workbook([row(1)])
    client.post("/imports/", {"insurer": hdi.pk, "file": SimpleUploadedFile("v.xlsx", data, XLSX)})
    job = ImportJob.objects.get()
    assert job.kind == ReportKind.EXPIRY
    assert "holder_name" in client.get(f"/imports/{job.pk}/mapping/").context["form"].fields


@pytest.mark.parametrize("role", ["agent", "manager"])
def test_only_those_who_may_import_upload_collection_reports(client, hdi, plan, role):
    client.force_login(UserFactory(roles=[role]))
    assert _upload(client, hdi, report(_rows())).status_code == 403
    assert not ImportJob.objects.exists()


def test_collection_jobs_answer_403_to_others_and_send_visitors_to_log_in(client, maint, hdi, plan):
    client.force_login(maint)
    _upload(client, hdi, report(_rows()))
    job = ImportJob.objects.get()
    urls = [f"/imports/{job.pk}/", f"/imports/{job.pk}/mapping/", f"/imports/{job.pk}/progress/",
            f"/imports/{job.pk}/errors.xlsx"]  # fmt: skip
    for role in ("agent", "manager"):
        client.force_login(UserFactory(roles=[role]))
        assert [client.get(url).status_code for url in urls] == [403] * 4
        assert client.post(f"/imports/{job.pk}/commit/").status_code == 403
    client.logout()
    assert all(client.get(url).status_code == 302 for url in urls)
    assert client.post(f"/imports/{job.pk}/commit/")["Location"].startswith("/accounts/login")
    assert ImportJob.objects.get().status == JobStatus.UPLOADED
