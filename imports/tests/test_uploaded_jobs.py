"""An upload left before its mapping is never stranded: the list and its page lead back to
the mapping step, and from there to the dry run."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from brokerage.accounts.tests.factories import UserFactory
from imports.models import ImportJob, JobStatus
from imports.tests.conftest import row, workbook

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def uploaded(client, hdi):
    client.force_login(UserFactory(roles=["maintainer"]))
    data = workbook([row(1), row(2)])
    client.post("/imports/", {"insurer": hdi.pk, "file": SimpleUploadedFile("r.xlsx", data, XLSX)})
    client.get("/imports/")  # the maintainer leaves the mapping page
    return ImportJob.objects.get()


def test_the_list_leads_an_uploaded_job_back_to_its_mapping(client, uploaded):
    assert uploaded.status == JobStatus.UPLOADED
    html = client.get("/imports/").content.decode()
    table = html.split('data-testid="import-jobs"')[1].split("</table>")[0]
    assert f'href="/imports/{uploaded.pk}/mapping/" data-testid="job-link"' in table
    assert f'href="/imports/{uploaded.pk}/mapping/" data-testid="map-columns"' in table


def test_the_page_of_an_uploaded_job_leads_to_its_mapping_then_the_dry_run(
    client, uploaded, django_capture_on_commit_callbacks
):
    html = client.get(f"/imports/{uploaded.pk}/").content.decode()
    assert 'data-testid="import-unmapped"' in html
    assert f'href="/imports/{uploaded.pk}/mapping/" data-testid="map-columns"' in html
    form = client.get(f"/imports/{uploaded.pk}/mapping/").context["form"]
    posted = {name: form[name].initial or "" for name in form.fields}
    with django_capture_on_commit_callbacks(execute=True):  # the dry run's task
        response = client.post(f"/imports/{uploaded.pk}/mapping/", posted)
    assert response["Location"] == f"/imports/{uploaded.pk}/"
    uploaded.refresh_from_db()
    assert uploaded.status == JobStatus.PREVIEWED and uploaded.created == 2


def test_a_job_past_its_mapping_is_listed_with_its_page(client, uploaded):
    ImportJob.objects.filter(pk=uploaded.pk).update(status=JobStatus.PREVIEWED)
    table = client.get("/imports/").content.decode().split('data-testid="import-jobs"')[1]
    assert f'href="/imports/{uploaded.pk}/" data-testid="job-link"' in table
    assert 'data-testid="map-columns"' not in table
