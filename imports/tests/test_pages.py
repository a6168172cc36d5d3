"""The import pages: upload, map, dry run, commit, progress, the error report."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from brokerage.accounts.tests.factories import UserFactory
from brokerage.core.models import ExportRecord
from imports.models import ColumnMapping, ImportJob, JobStatus
from imports.tests.conftest import row, workbook
from policies.models import Policy

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def maint(db):
    return UserFactory(roles=["maintainer"])


def _upload(client, hdi, data, name="vencimientos.xlsx"):
    return client.post(
        "/imports/", {"insurer": hdi.pk, "file": SimpleUploadedFile(name, data, XLSX)}
    )


def test_it_walks_from_upload_to_mapping_to_dry_run_to_commit(
    client, maint, hdi, django_capture_on_commit_callbacks
):
    client.force_login(maint)
    data = workbook([row(1), row(2, **{"Prima Total": "=1+1"}), row(3)])
    response = _upload(client, hdi, data)
    job = ImportJob.objects.get()
    assert response["Location"] == f"/imports/{job.pk}/mapping/"
    page = client.get(response["Location"])
    form = page.context["form"]
    assert form["policy_number"].initial == "No. de Póliza"
    posted = {name: form[name].initial or "" for name in form.fields}
    with django_capture_on_commit_callbacks(execute=True):  # the dry run's task
        response = client.post(f"/imports/{job.pk}/mapping/", posted)
    assert response["Location"] == f"/imports/{job.pk}/"
    html = client.get(response["Location"]).content.decode()
    job.refresh_from_db()
    assert job.status == JobStatus.PREVIEWED and (job.created, job.errors) == (2, 1)
    assert "Dry run: nothing has been written yet." in html and "HDI-00001" in html
    assert not Policy.objects.exists()
    assert ColumnMapping.objects.get(insurer=hdi).columns["premium"] == "Prima Total"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{job.pk}/commit/")
    response = client.get(f"/imports/{job.pk}/")
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and Policy.objects.count() == 2
    assert 'data-testid="import-done"' in response.content.decode()
    # A second click queues nothing.
    response = client.post(f"/imports/{job.pk}/commit/", follow=True)
    assert "not waiting for a commit" in response.content.decode()


def test_a_file_that_is_not_a_report_is_refused_on_the_form(client, maint, hdi):
    client.force_login(maint)
    response = _upload(client, hdi, b"MZ\x90\x00" + b"\x00" * 100, name="report.xlsx")
    assert response.status_code == 200
    assert "is not a spreadsheet" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_one_column_cannot_fill_two_fields(client, maint, hdi):
    client.force_login(maint)
    _upload(client, hdi, workbook([row(1)]))
    job = ImportJob.objects.get()
    form = client.get(f"/imports/{job.pk}/mapping/").context["form"]
    posted = {name: form[name].initial or "" for name in form.fields}
    posted["holder_name"] = "No. de Póliza"
    response = client.post(f"/imports/{job.pk}/mapping/", posted)
    assert "already fills" in response.content.decode()
    assert ImportJob.objects.get().status == JobStatus.UPLOADED


def test_the_error_report_downloads_as_xlsx_with_text_cells(
    client, maint, hdi, django_capture_on_commit_callbacks
):
    client.force_login(maint)
    _upload(client, hdi, workbook([row(1, **{"Prima Total": "@SUM(1+1)"})]))
    job = ImportJob.objects.get()
    form = client.get(f"/imports/{job.pk}/mapping/").context["form"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{job.pk}/mapping/", {n: form[n].initial or "" for n in form.fields})
    response = client.get(f"/imports/{job.pk}/errors.xlsx")
    assert response["Content-Type"] == XLSX
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Row", "Column", "Value", "Reason")
    assert rows[1][0] == 3 and rows[1][1] == "Prima Total"
    cell = sheet["C2"]
    assert cell.value == "@SUM(1+1)" and cell.data_type == "s"
    assert ExportRecord.objects.get().what == "import errors"


def test_the_progress_partial_polls_until_the_job_ends(client, maint, hdi):
    client.force_login(maint)
    _upload(client, hdi, workbook([row(1)]))
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, rows_done=1,
                                               total_rows=4)  # fmt: skip
    html = client.get(f"/imports/{job.pk}/progress/").content.decode()
    assert 'hx-trigger="every 1s"' in html and "25 %" in html
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.DONE)
    response = client.get(f"/imports/{job.pk}/progress/")
    assert response.status_code == 204 and response["HX-Refresh"] == "true"


@pytest.mark.parametrize("role", ["agent", "manager"])
def test_only_maintainers_and_admins_import(client, hdi, role):
    client.force_login(UserFactory(roles=[role]))
    assert client.get("/imports/").status_code == 403
    assert _upload(client, hdi, workbook([row(1)])).status_code == 403
    assert not ImportJob.objects.exists()


def test_a_failed_import_can_be_resumed_from_its_page(
    client, maint, hdi, django_capture_on_commit_callbacks
):
    client.force_login(maint)
    _upload(client, hdi, workbook([row(1), row(2)]))
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, message="worker lost")
    assert 'data-testid="resume"' in client.get(f"/imports/{job.pk}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{job.pk}/commit/")
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and Policy.objects.count() == 2
