"""The print sweep re-sends by when a print was queued, and the print task claims its print
(queued → running) so a second delivery prints nothing (issue 13, item 17)."""

import datetime

import pytest
from django.utils import timezone

from brokerage.accounts.tests.factories import UserFactory
from reports import tasks
from reports.models import DashboardPrint, PrintStatus
from reports.printing import print_request, print_requeue_stale
from reports.tasks import dashboard_print_task

pytestmark = pytest.mark.django_db

LONG_AGO = datetime.timedelta(hours=3)


@pytest.fixture
def queued(db):
    printed = print_request(  # on_commit not run here: no task sent
        user=UserFactory(roles=["manager"]),
        params={"start": "2026-01-01", "end": "2026-12-31"}, language="en",
    )  # fmt: skip
    return DashboardPrint.objects.get(pk=printed.pk)


@pytest.fixture
def renders(monkeypatch):
    calls = []
    original = tasks.print_render

    def counted(printed, **kwargs):
        calls.append(printed.pk)
        return original(printed, **kwargs)

    monkeypatch.setattr(tasks, "print_render", counted)
    return calls


def test_it_does_not_resend_an_old_print_queued_just_now(queued):
    DashboardPrint.objects.filter(pk=queued.pk).update(created_at=timezone.now() - LONG_AGO)
    assert print_requeue_stale() == 0
    assert DashboardPrint.objects.get(pk=queued.pk).status == PrintStatus.QUEUED


def test_it_refreshes_queued_at_when_the_sweep_resends(queued, monkeypatch):
    from brokerage import celery

    monkeypatch.setattr(celery, "enqueue", lambda task, *args: True)  # sent, not run
    DashboardPrint.objects.filter(pk=queued.pk).update(queued_at=timezone.now() - LONG_AGO)
    assert print_requeue_stale() == 1
    assert print_requeue_stale() == 0  # re-sent just now: not again at the next sweep


def test_it_prints_once_when_the_task_is_delivered_twice(queued, renders):
    dashboard_print_task(queued.pk)
    dashboard_print_task(queued.pk)
    assert renders == [queued.pk]
    assert DashboardPrint.objects.get(pk=queued.pk).status == PrintStatus.DONE


def test_it_leaves_a_print_another_task_is_running_alone(queued, renders):
    DashboardPrint.objects.filter(pk=queued.pk).update(status=PrintStatus.RUNNING)
    assert dashboard_print_task(queued.pk)["status"] == PrintStatus.RUNNING
    assert renders == [] and not DashboardPrint.objects.get(pk=queued.pk).file


def test_it_prints_a_running_print_when_the_broker_redelivers_its_task(queued, renders):
    DashboardPrint.objects.filter(pk=queued.pk).update(status=PrintStatus.RUNNING)
    dashboard_print_task.push_request(delivery_info={"redelivered": True})
    try:
        dashboard_print_task(queued.pk)
    finally:
        dashboard_print_task.pop_request()
    assert renders == [queued.pk]
    assert DashboardPrint.objects.get(pk=queued.pk).status == PrintStatus.DONE
