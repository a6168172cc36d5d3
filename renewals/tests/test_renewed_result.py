"""A renewal's "renewed" is recorded like every other result: renewing on the renew page (where
the card's "Renewed" leads) or buying the renewal quote logs one result row on the agent's own
touch, one attempt, and one entry on the client's timeline; the page posted twice, one after
the other or at the same moment, counts it once. A touch in someone else's queue closes as
renewed, the work being over. Renewing takes the case's locks in the order a result logged
from the call list takes them, so the two never deadlock."""

import datetime
import threading
import time

import pytest

from clients.models import Interaction
from policies.models import Policy
from policies.services import quote_accept
from renewals import services, timeline
from renewals.jobs import renewals_morning_job
from renewals.kind import RENEWAL_KIND
from renewals.models import CaseStatus, RenewalCase
from renewals.services import renewal_defaults, renewal_renew
from renewals.tests.conftest import TODAY, policy_ending
from renewals.tests.factories import TouchFactory
from workqueue.models import ItemResult, ItemStatus, Queue, WorkItem
from workqueue.services import item_record_result


def _worked(agent):
    """A policy of ``agent``'s client ending in 30 days, its case and its touch today."""
    policy = policy_ending(30, owner=agent)
    renewals_morning_job(day=TODAY)
    return (
        policy,
        RenewalCase.objects.get(policy=policy),
        WorkItem.objects.get(kind=RENEWAL_KIND, subject_id=policy.renewal_case.pk),
    )


def _renew_page(case, item, number):
    old = case.policy
    return {
        "insurer": old.insurer.pk, "number": number, "line": old.line,
        "coverage": old.coverage, "premium": "13100.00", "currency": old.currency,
        "payment_frequency": old.payment_frequency, "start_date": old.end_date.isoformat(),
        "end_date": (old.end_date + datetime.timedelta(days=365)).isoformat(),
        "item": item.pk, "next": "/queue/",
    }  # fmt: skip


def _renewed_rows(item):
    return list(ItemResult.objects.filter(item=item).values_list("result", "by_id"))


def _renew_terms(case):
    data = renewal_defaults(case=case)
    data.pop("vehicles", None)
    return data


@pytest.mark.django_db
def test_renewed_is_a_result_row_counted_once_when_the_renew_page_is_posted_twice(
    client, ladders, agent
):
    policy, case, item = _worked(agent)
    client.force_login(agent)
    url = f"/renewals/{case.pk}/renew/?item={item.pk}&next=/queue/"
    first = client.post(url, _renew_page(case, item, "NEW-1"))
    again = client.post(url, _renew_page(case, item, "NEW-2"), follow=True)
    assert first.status_code == 302 and first["Location"] == "/queue/"
    assert "This renewal is already closed" in again.content.decode()
    assert list(Policy.objects.filter(previous_policy=policy).values_list("number", flat=True)) == [
        "NEW-1"
    ]
    item.refresh_from_db()
    assert (item.status, item.result, item.attempts) == (ItemStatus.DONE, "renewed", 1)
    assert _renewed_rows(item) == [("renewed", agent.pk)]
    # One entry on the timeline for the call, naming the new policy, by the agent.
    calls = Interaction.objects.filter(client=policy.holder)
    assert list(calls.values_list("message", "user_id", "result")) == [
        (timeline.RENEWED, agent.pk, "Renewed")
    ]
    assert "NEW-1" in calls.get().summary


@pytest.mark.django_db
def test_a_renewal_quote_bought_records_renewed_after_interested(ladders, agent):
    policy, case, item = _worked(agent)
    item_record_result(item=item, by=agent, result="interested")
    quote = RenewalCase.objects.get(pk=case.pk).quotation.quotes.get()
    start = policy.end_date
    quote_accept(quote=quote, by=agent, number="NEW-Q", payment_frequency="annual",
                 start_date=start, end_date=start + datetime.timedelta(days=365))  # fmt: skip
    item.refresh_from_db()
    assert (item.status, item.result, item.attempts) == (ItemStatus.DONE, "renewed", 2)
    assert [r for r, _by in _renewed_rows(item)].count("renewed") == 1
    assert RenewalCase.objects.get(pk=case.pk).status == CaseStatus.WON


@pytest.mark.django_db
def test_touches_in_other_queues_and_a_second_touch_close_as_renewed(ladders, agent, maintainer):
    policy, case, item = _worked(agent)
    TouchFactory(case=case, days=25, agent=agent)
    elsewhere = TouchFactory(case=case, days=15, agent=agent)
    WorkItem.objects.filter(pk=elsewhere.pk).update(agent=None, queue=Queue.MAINTAINERS)
    renewal_renew(case=case, by=agent, number="NEW-1", **_renew_terms(case))
    touches = WorkItem.objects.filter(kind=RENEWAL_KIND, subject_id=case.pk)
    assert set(touches.values_list("status", "result")) == {(ItemStatus.DONE, "renewed")}
    # The result is counted once for the case: on the first of the agent's own touches.
    assert list(ItemResult.objects.values_list("item_id", "result")) == [(item.pk, "renewed")]


@pytest.mark.django_db
def test_a_manager_renewing_closes_the_agents_touch_without_a_row_of_theirs(
    ladders, agent, manager
):
    _policy, case, item = _worked(agent)
    renewal_renew(case=case, by=manager, number="NEW-1", **_renew_terms(case))
    item.refresh_from_db()
    assert (item.status, item.result, item.attempts) == (ItemStatus.DONE, "renewed", 0)
    assert not ItemResult.objects.exists()


def _in_threads(*work, monkeypatch, slow):
    """Run each (name, callable) in its own thread and connection; ``slow`` is the renewals
    service function made to hold its transaction's locks for a moment."""
    errors, outcomes = [], {}
    original = getattr(services, slow)
    started = threading.Event()

    def held(**kwargs):
        started.set()
        time.sleep(0.5)  # the other thread asks for the same locks meanwhile
        return original(**kwargs)

    monkeypatch.setattr(services, slow, held)

    def run(name, job):
        from django.db import connection as thread_connection

        try:
            outcomes[name] = job()
        except Exception as exc:  # noqa: BLE001
            errors.append((name, exc))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in work]
    threads[0].start()
    started.wait(5)
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join(20)
    return outcomes, errors


@pytest.mark.django_db(transaction=True)
def test_two_renewals_at_the_same_moment_count_renewed_once(ladders, agent, monkeypatch):
    _policy, case, item = _worked(agent)
    terms = _renew_terms(case)
    outcomes, errors = _in_threads(
        ("first", lambda: renewal_renew(case=case, by=agent, number="NEW-1", **terms)),
        ("second", lambda: renewal_renew(case=case, by=agent, number="NEW-2", **terms)),
        monkeypatch=monkeypatch, slow="policy_create",
    )  # fmt: skip
    assert list(outcomes) == ["first"]
    assert [name for name, _exc in errors] == ["second"]
    assert "already closed" in str(errors[0][1])
    assert _renewed_rows(item) == [("renewed", agent.pk)]
    item.refresh_from_db()
    assert (item.status, item.attempts) == (ItemStatus.DONE, 1)


@pytest.mark.django_db(transaction=True)
def test_declined_logged_while_renewing_waits_and_finds_the_touch_closed(
    ladders, agent, monkeypatch
):
    """Renew holds the case's touches and the case, then records "renewed" on the touch; a
    "declined" from the call list meanwhile asks for the same locks in the same order, waits,
    and finds its touch closed: no deadlock, one result row."""
    _policy, case, item = _worked(agent)
    terms = _renew_terms(case)
    outcomes, errors = _in_threads(
        ("renew", lambda: renewal_renew(case=case, by=agent, number="NEW-1", **terms)),
        ("declined", lambda: item_record_result(item=item, by=agent, result="declined")),
        monkeypatch=monkeypatch, slow="policy_create",
    )  # fmt: skip
    assert list(outcomes) == ["renew"]
    assert [name for name, _exc in errors] == ["declined"]
    assert "already closed" in str(errors[0][1])
    assert RenewalCase.objects.get(pk=case.pk).status == CaseStatus.WON
    assert _renewed_rows(item) == [("renewed", agent.pk)]
