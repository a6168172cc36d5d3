"""Renew and "declined" at the same moment on one case: both lock the case's touches before
the case (renewals.services._lock_case), so one waits for the other instead of deadlocking."""

import threading
import time

import pytest

from renewals import services
from renewals.jobs import renewals_morning_job
from renewals.kind import RENEWAL_KIND
from renewals.models import CaseStatus, RenewalCase
from renewals.services import renewal_defaults, renewal_renew
from renewals.tests.conftest import TODAY, policy_ending
from workqueue.models import ItemStatus, WorkItem
from workqueue.services import item_record_result


@pytest.mark.django_db(transaction=True)
def test_it_serialises_renew_and_declined_at_the_same_moment(ladders, agent, monkeypatch):
    policy = policy_ending(30, owner=agent)
    renewals_morning_job(day=TODAY)
    item = WorkItem.objects.get(kind=RENEWAL_KIND)
    case = RenewalCase.objects.get(policy=policy)
    data = renewal_defaults(case=case)
    data.pop("vehicles", None)
    # "Declined" holds its item's lock while it writes the timeline; the renewal starts then.
    renew_started, errors, outcomes = threading.Event(), [], {}
    timeline = services.client_log_call_result

    def slow_timeline(**kwargs):
        renew_started.wait(5)
        time.sleep(0.5)  # the renewal takes whatever lock it takes first
        return timeline(**kwargs)

    monkeypatch.setattr(services, "client_log_call_result", slow_timeline)

    def run(name, work):
        from django.db import connection as thread_connection

        try:
            outcomes[name] = work()
        except Exception as exc:  # noqa: BLE001
            errors.append((name, exc))
        finally:
            thread_connection.close()

    def renew():
        renew_started.set()
        return renewal_renew(case=case, by=agent, number="NEW-1", **data)

    declined = threading.Thread(
        target=run,
        args=("declined", lambda: item_record_result(item=item, by=agent, result="declined")),
    )
    renewing = threading.Thread(target=run, args=("renew", renew))
    declined.start()
    time.sleep(0.2)
    renewing.start()
    declined.join(20)
    renewing.join(20)
    # The declined result came first and won; the renewal then found the case closed.
    assert [name for name, _exc in errors] == ["renew"]
    assert "already closed" in str(errors[0][1])
    assert "declined" in outcomes
    case.refresh_from_db()
    assert case.status == CaseStatus.LOST and case.new_policy is None
    assert WorkItem.objects.get(pk=item.pk).status == ItemStatus.DONE
