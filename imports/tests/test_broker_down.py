"""With the broker unreachable, committing an import (and anything that sends a notification)
answers normally: the job stays queued, the user is told it starts when a worker is back, and
the beat sweep sends it once the broker answers again (issue 13, item 17)."""

import datetime
import socket

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from brokerage.accounts.tests.factories import UserFactory
from brokerage.notifications.models import Message
from brokerage.notifications.services import notification_send
from imports import services
from imports.models import ImportJob, JobStatus
from imports.services import import_requeue_stale
from imports.tests.conftest import row, workbook
from policies.models import Policy

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


@pytest.fixture
def broker_down(settings):
    """Tasks go to a Redis broker on a closed port (not run eagerly)."""
    from brokerage.celery import app

    previous = {"task_always_eager": app.conf.task_always_eager, "broker_url": app.conf.broker_url}
    app.conf.update(task_always_eager=False, broker_url=f"redis://127.0.0.1:{_closed_port()}/0")
    app._pool = None
    app.amqp._producer_pool = None
    yield app
    app.conf.update(**previous)
    app._pool = None
    app.amqp._producer_pool = None


def _previewed_job(client, hdi):
    client.post("/imports/", {"insurer": hdi.pk, "file": SimpleUploadedFile(
        "vencimientos.xlsx", workbook([row(1), row(2)]), XLSX)})  # fmt: skip
    job = ImportJob.objects.get()
    form = client.get(f"/imports/{job.pk}/mapping/").context["form"]
    services.mapping_save(
        job=job, by=job.uploaded_by, columns={n: form[n].initial or "" for n in form.fields}
    )
    services.dry_run(job)  # the broker may be down: the dry run's task is run directly here
    job.refresh_from_db()
    assert job.status == JobStatus.PREVIEWED
    return job


def test_it_queues_the_import_without_a_500_and_the_sweep_sends_it_later(
    client, hdi, broker_down, django_capture_on_commit_callbacks, caplog
):
    client.force_login(UserFactory(roles=["maintainer"]))
    job = _previewed_job(client, hdi)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/imports/{job.pk}/commit/")
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and not Policy.objects.exists()
    assert "Broker unreachable" in caplog.text
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "it will start when a worker is back." in page
    # A fresh job is not swept (its task may still be on its way)...
    assert import_requeue_stale() == 0
    # ...a stale one is, and with the broker down again it stays queued for the next sweep.
    ImportJob.objects.filter(pk=job.pk).update(
        queued_at=timezone.now() - datetime.timedelta(hours=1)
    )
    assert import_requeue_stale() == 0
    assert ImportJob.objects.get(pk=job.pk).status == JobStatus.QUEUED


def test_it_imports_a_stale_queued_job_once_the_broker_is_back(client, hdi, settings):
    client.force_login(UserFactory(roles=["maintainer"]))
    job = _previewed_job(client, hdi)
    ImportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.QUEUED, uploaded_at=timezone.now() - datetime.timedelta(hours=1)
    )
    assert import_requeue_stale() == 1  # eager here: the task runs at once
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and Policy.objects.count() == 2


def test_it_keeps_a_notification_queued_when_the_broker_is_down(
    broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = notification_send(
            channel="email", to="ana@example.com", template="agent_changed", language="en"
        )
    assert Message.objects.get(pk=message.pk).status == "queued"
