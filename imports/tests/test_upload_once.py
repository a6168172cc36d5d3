"""The same file uploaded twice at once, for the same insurer by the same user, makes one
import: the second request gets the first one's page with a message (issue 14)."""

import threading
import time
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from brokerage.accounts.tests.factories import UserFactory
from imports import services
from imports.models import ImportJob, JobStatus
from imports.tests.conftest import row, workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload(client, insurer, data, name="vencimientos.xlsx"):
    return client.post(
        "/imports/", {"insurer": insurer.pk, "file": SimpleUploadedFile(name, data, XLSX)}
    )


def _another_session_waits_for_an_advisory_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_two_identical_uploads_at_once_make_one_job(hdi):
    assert connection.vendor == "postgresql"
    user = UserFactory(roles=["maintainer"])
    data = workbook([row(n) for n in range(1, 30)])
    read_sample = services._read_sample

    def read_once_the_other_waits(job, sheet):
        # The first upload holds its lock while it reads the file: it goes on once the other
        # request is seen waiting for that lock (or after a while, should it never wait).
        for _attempt in range(200):
            if _another_session_waits_for_an_advisory_lock():
                break
            time.sleep(0.05)
        return read_sample(job, sheet)

    responses, errors = [], []

    def upload():
        try:
            client = Client()
            client.force_login(user)
            responses.append(_upload(client, hdi, data))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    with mock.patch.object(services, "_read_sample", read_once_the_other_waits):
        threads = [threading.Thread(target=upload) for _n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert not errors
    job = ImportJob.objects.get()
    assert [r.status_code for r in responses] == [302, 302]
    assert {r["Location"] for r in responses} == {f"/imports/{job.pk}/mapping/"}


@pytest.mark.django_db
def test_the_same_upload_again_opens_its_import_with_a_message(client, hdi):
    user = UserFactory(roles=["maintainer"])
    client.force_login(user)
    data = workbook([row(1), row(2)])
    first = _upload(client, hdi, data)
    job = ImportJob.objects.get()
    second = client.post(
        "/imports/", {"insurer": hdi.pk,
                      "file": SimpleUploadedFile("copia.xlsx", data, XLSX)}, follow=True,
    )  # fmt: skip
    assert first["Location"] == f"/imports/{job.pk}/mapping/"
    assert second.redirect_chain[0][0] == f"/imports/{job.pk}/mapping/"
    assert "You had already uploaded this file for this insurer" in second.content.decode()
    assert ImportJob.objects.count() == 1


@pytest.mark.django_db
def test_another_file_user_or_a_committed_import_makes_a_new_job(client, hdi):
    user, other = UserFactory(roles=["maintainer"]), UserFactory(roles=["maintainer"])
    data = workbook([row(1), row(2)])
    client.force_login(user)
    _upload(client, hdi, data)
    _upload(client, hdi, workbook([row(1), row(3)]))  # another file
    client.force_login(other)
    _upload(client, hdi, data)  # another user
    assert ImportJob.objects.count() == 3
    ImportJob.objects.filter(uploaded_by=user).update(status=JobStatus.DONE)
    client.force_login(user)
    _upload(client, hdi, data)  # its import was committed: imported again, a new job
    assert ImportJob.objects.filter(uploaded_by=user).count() == 3
