"""An import never committed (an upload left unmapped, a dry run not imported) can be
discarded by its uploader or a maintainer: confirmed, with a POST, its file deleted and who
discarded it kept; a committed import cannot be (issue 14)."""

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from brokerage.accounts.tests.factories import UserFactory
from imports.models import ImportJob, JobStatus, RowError
from imports.services import commit, job_create
from imports.tests.conftest import row, workbook

pytestmark = pytest.mark.django_db


def _job(hdi, by, rows=(1, 2)):
    job, _table = job_create(
        insurer=hdi, by=by, name="vencimientos.xlsx", data=workbook([row(n) for n in rows])
    )
    return job


def test_the_uploader_discards_an_unmapped_upload_after_confirming(
    client, hdi, django_capture_on_commit_callbacks
):
    uploader = UserFactory(roles=["maintainer"])
    job = _job(hdi, uploader)
    name = job.file.name
    assert default_storage.exists(name)
    client.force_login(uploader)
    listed = client.get("/imports/").content.decode()
    assert f'href="/imports/{job.pk}/discard/"' in listed
    confirm = client.get(f"/imports/{job.pk}/discard/")
    assert 'data-testid="discard-confirm"' in confirm.content.decode()
    job.refresh_from_db()
    assert job.status == JobStatus.UPLOADED  # asking changes nothing
    with django_capture_on_commit_callbacks(execute=True):  # the file goes once committed
        response = client.post(f"/imports/{job.pk}/discard/", follow=True)
    assert response.redirect_chain[-1][0] == "/imports/"
    page = response.content.decode()
    assert "The import of “vencimientos.xlsx” was discarded." in page
    assert f"/imports/{job.pk}/" not in page.split('data-testid="import-jobs"', 1)[1]
    job.refresh_from_db()
    assert job.status == JobStatus.DISCARDED
    assert job.discarded_by == uploader and job.discarded_at is not None
    assert job.sample == {} and not job.file
    assert not default_storage.exists(name)
    detail = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'data-testid="import-discarded"' in detail and str(uploader) in detail
    # A discarded job's mapping page leads to its page; its dry run cannot be queued.
    assert client.get(f"/imports/{job.pk}/mapping/")["Location"] == f"/imports/{job.pk}/"


def test_a_maintainer_discards_anothers_dry_run_and_its_row_errors_go(client, hdi):
    uploader, maintainer = UserFactory(roles=["admin"]), UserFactory(roles=["maintainer"])
    job = _job(hdi, uploader)
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.PREVIEWED)
    RowError.objects.create(job=job, row=4, column="Teléfono", value="55 1", reason="x")
    client.force_login(maintainer)
    assert client.post(f"/imports/{job.pk}/discard/").status_code == 302
    job.refresh_from_db()
    assert (job.status, job.discarded_by) == (JobStatus.DISCARDED, maintainer)
    assert not RowError.objects.filter(job=job).exists()
    # Discarded, it cannot be committed.
    client.post(f"/imports/{job.pk}/commit/")
    job.refresh_from_db()
    assert job.status == JobStatus.DISCARDED


def test_a_committed_import_cannot_be_discarded(client, hdi):
    uploader = UserFactory(roles=["maintainer"])
    job = commit(_job(hdi, uploader))
    client.force_login(uploader)
    assert f'href="/imports/{job.pk}/discard/"' not in client.get("/imports/").content.decode()
    response = client.post(f"/imports/{job.pk}/discard/", follow=True)
    assert response.redirect_chain[-1][0] == f"/imports/{job.pk}/"
    assert "Only an import that was never committed can be discarded." in (
        response.content.decode()
    )
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.discarded_by is None
    assert default_storage.exists(job.file.name)


@pytest.mark.parametrize("status", [JobStatus.CHECKING, JobStatus.RUNNING, JobStatus.FAILED])
def test_an_import_a_task_works_on_or_that_wrote_rows_is_kept(client, hdi, status):
    uploader = UserFactory(roles=["maintainer"])
    job = _job(hdi, uploader)
    ImportJob.objects.filter(pk=job.pk).update(status=status)
    client.force_login(uploader)
    client.post(f"/imports/{job.pk}/discard/")
    job.refresh_from_db()
    assert job.status == status and default_storage.exists(job.file.name)


def test_the_discard_wants_a_post_with_its_csrf_token(hdi):
    uploader = UserFactory(roles=["maintainer"])
    job = _job(hdi, uploader)
    client = Client(enforce_csrf_checks=True)
    client.force_login(uploader)
    assert client.post(f"/imports/{job.pk}/discard/").status_code == 403
    job.refresh_from_db()
    assert job.status == JobStatus.UPLOADED


def test_an_agent_may_not_discard(client, hdi):
    job = _job(hdi, UserFactory(roles=["maintainer"]))
    client.force_login(UserFactory(roles=["agent"]))
    assert client.get(f"/imports/{job.pk}/discard/").status_code == 403
    assert client.post(f"/imports/{job.pk}/discard/").status_code == 403
    job.refresh_from_db()
    assert job.status == JobStatus.UPLOADED and default_storage.exists(job.file.name)


def test_a_user_with_the_import_permission_discards_only_their_own(client, hdi):
    """A manager granted imports by name, not a maintainer: their own upload, not another's."""
    from django.contrib.auth.models import Permission

    manager = UserFactory(roles=["manager"])
    manager.user_permissions.add(Permission.objects.get(codename="import_reports"))
    others = _job(hdi, UserFactory(roles=["maintainer"]))
    own = _job(hdi, manager, rows=(3, 4))
    client.force_login(manager)
    assert client.post(f"/imports/{others.pk}/discard/").status_code == 403
    assert client.post(f"/imports/{own.pk}/discard/").status_code == 302
    others.refresh_from_db()
    own.refresh_from_db()
    assert (others.status, own.status) == (JobStatus.UPLOADED, JobStatus.DISCARDED)


def test_a_missing_import_is_a_404(client):
    client.force_login(UserFactory(roles=["maintainer"]))
    assert client.post("/imports/999999/discard/").status_code == 404
