"""The morning beat task through a real Celery worker on the Redis broker: it opens the cases,
queues the touches and then hands out the ones nobody owns."""

import datetime
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from brokerage.accounts.tests.factories import UserFactory
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory
from renewals.kind import RENEWAL_KIND
from renewals.models import RenewalCase
from workqueue.models import DistributionRun, WorkItem

pytestmark = pytest.mark.django_db(transaction=True)


def _wait_for(predicate, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def _ending_in(days, owner):
    end = timezone.localdate() + datetime.timedelta(days=days)
    return PolicyFactory(
        holder=ClientFactory(owner=owner), start_date=end - datetime.timedelta(days=365),
        end_date=end,
    )  # fmt: skip


def test_the_beat_task_runs_the_morning_job_and_the_distribution_on_a_real_worker(
    celery_live, ladders
):
    owner = UserFactory(roles=["agent"])
    helper = UserFactory(roles=["agent"])
    owned = _ending_in(30, owner)
    lead = _ending_in(25, None)
    task_name = celery_live.conf.beat_schedule["renewals-morning"]["task"]
    celery_live.control.purge()
    with start_worker(celery_live, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        celery_live.send_task(task_name)
        assert _wait_for(lambda: DistributionRun.objects.exists())
    assert RenewalCase.objects.count() == 2
    mine = WorkItem.objects.get(kind=RENEWAL_KIND, subject_id=owned.renewal_case.pk)
    shared = WorkItem.objects.get(kind=RENEWAL_KIND, subject_id=lead.renewal_case.pk)
    assert mine.agent == owner
    # The lead went to one of the agents at random and its client now belongs to that agent.
    assert shared.agent in (owner, helper) and shared.handed_out_at is not None
    lead.holder.refresh_from_db()
    assert lead.holder.owner == shared.agent
    run = DistributionRun.objects.get()
    assert run.by is None and run.items_count == 1
