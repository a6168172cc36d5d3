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


@pytest.mark.django_db(transaction=True)
def test_it_serialises_results_on_two_touches_of_one_case(ladders, agent, monkeypatch):
    """Two open touches of one case (rungs caught up) declined at the same moment: the queue
    takes the case's locks first, in the renewals' order, so one waits for the other."""
    from renewals.tests.factories import TouchFactory

    policy = policy_ending(30, owner=agent)
    renewals_morning_job(day=TODAY)
    case = RenewalCase.objects.get(policy=policy)
    first = WorkItem.objects.get(kind=RENEWAL_KIND, subject_id=case.pk)
    second = TouchFactory(case=case, days=25, agent=agent)
    started, errors, outcomes = threading.Barrier(2), [], {}
    timeline = services.client_log_call_result

    def slow_timeline(**kwargs):
        time.sleep(0.5)  # each holds its own item while the other starts
        return timeline(**kwargs)

    monkeypatch.setattr(services, "client_log_call_result", slow_timeline)

    def decline(name, item):
        from django.db import connection as thread_connection

        try:
            started.wait(5)
            outcomes[name] = item_record_result(item=item, by=agent, result="declined")
        except Exception as exc:  # noqa: BLE001
            errors.append((name, exc))
        finally:
            thread_connection.close()

    threads = [
        threading.Thread(target=decline, args=(name, item))
        for name, item in (("first", first), ("second", second))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    # One declined the case; the other found its touch closed with it. No deadlock.
    assert len(outcomes) == 1 and len(errors) == 1
    assert "already closed" in str(errors[0][1])
    case.refresh_from_db()
    assert case.status == CaseStatus.LOST
    assert set(WorkItem.objects.filter(subject_id=case.pk).values_list("status", flat=True)) == {
        ItemStatus.DONE
    }
