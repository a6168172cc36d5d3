"""A dashboard print asked for while the broker is down is kept queued (no 500), and the beat
sweep sends it once the broker is back (issue 13, item 17)."""

import datetime
import socket

import pytest
from django.utils import timezone

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from reports.models import DashboardPrint, PrintStatus
from reports.printing import print_requeue_stale

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down():
    """Tasks go to a Redis broker on a closed port (not run eagerly)."""
    from brokerage.celery import app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    previous = {"task_always_eager": app.conf.task_always_eager, "broker_url": app.conf.broker_url}
    app.conf.update(task_always_eager=False, broker_url=f"redis://127.0.0.1:{port}/0")
    app._pool = app.amqp._producer_pool = None
    yield app
    app.conf.update(**previous)
    app._pool = app.amqp._producer_pool = None


@pytest.fixture
def manager(db):
    manager = UserFactory(roles=["manager"])
    TeamFactory(manager=manager)
    return manager


def test_it_keeps_the_print_queued_when_the_broker_is_down(
    client, manager, broker_down, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/reports/prints/", {"start": "2026-01-01", "end": "2026-12-31"})
    printed = DashboardPrint.objects.get()
    assert response.status_code == 302 and printed.status == PrintStatus.QUEUED
    page = client.get(f"/reports/prints/{printed.pk}/").content.decode()
    assert "Queued: it will start when a worker is back." in page
    assert print_requeue_stale() == 0  # not stale yet; and the broker is still down


def test_it_prints_a_stale_queued_print_once_the_broker_is_back(manager):
    printed = DashboardPrint.objects.create(
        user=manager, filters={"start": "2026-01-01", "end": "2026-12-31"}, language="en",
        views_total=5, created_at=timezone.now() - datetime.timedelta(hours=1),
    )  # fmt: skip
    fresh = DashboardPrint.objects.create(user=manager, filters={}, language="en", views_total=5)
    assert print_requeue_stale() == 1  # eager here: the task runs at once
    printed.refresh_from_db()
    fresh.refresh_from_db()
    assert printed.status == PrintStatus.DONE and fresh.status == PrintStatus.QUEUED
