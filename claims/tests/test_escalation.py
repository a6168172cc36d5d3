"""The 10-minute contact (issue 16): a claim whose client was not contacted within 10 minutes
of its report escalates once (a flag on the claim, an item in the maintainers' queue, an e-mail
to the agent's manager), whether the task scheduled at report time or the beat sweep gets there
first; a contacted claim never does. The beat sweep escalates any number of claims in the same
few queries, and two sweeps or a sweep and a claim's task at the same moment escalate each
claim once. The clock is frozen with time-machine."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from brokerage.notifications.models import Message
from claims.kind import CLAIM_KIND, CONTACTED, ESCALATION_KIND
from claims.models import Claim, ClaimStatus
from claims.services import claim_escalate, claim_set_status, claims_escalate_due
from claims.tasks import claim_escalate_task, claims_escalate_due_task
from claims.tests.factories import report
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory
from workqueue.models import ItemStatus, Queue, WorkItem
from workqueue.services import item_record_result

pytestmark = pytest.mark.django_db

REPORTED = datetime.datetime(2026, 3, 10, 16, 0, 0, tzinfo=datetime.UTC)


@pytest.fixture
def team_manager():
    return UserFactory(roles=["manager"], email="jefa@example.com", language="es")


@pytest.fixture
def owner(team_manager):
    return UserFactory(roles=["agent"], team=TeamFactory(manager=team_manager))


@pytest.fixture
def claim(owner):
    with time_machine.travel(REPORTED, tick=False):
        policy = PolicyFactory(holder=ClientFactory(owner=owner), agent=owner)
        return report(policy=policy, by=owner)


def escalations(claim):
    return WorkItem.objects.filter(kind=ESCALATION_KIND, subject_id=claim.pk)


def test_it_escalates_once_after_ten_minutes(
    claim, team_manager, django_capture_on_commit_callbacks
):
    with time_machine.travel(REPORTED + datetime.timedelta(minutes=9, seconds=59), tick=False):
        assert claim_escalate_task.delay(claim.pk).get() is False
        assert claims_escalate_due_task.delay().get() == 0
    claim.refresh_from_db()
    assert claim.escalated_at is None and not escalations(claim).exists()

    at = REPORTED + datetime.timedelta(minutes=10, seconds=1)
    with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert claim_escalate_task.delay(claim.pk).get() is True  # the scheduled task
        assert claims_escalate_due_task.delay().get() == 0  # the sweep finds nothing left
    with time_machine.travel(at + datetime.timedelta(minutes=1), tick=False):
        assert claims_escalate_due_task.delay().get() == 0  # nor does the next one
        assert claim_escalate(claim_id=claim.pk) is False
    claim.refresh_from_db()
    assert claim.escalated_at == at
    item = escalations(claim).get()
    assert (item.queue, item.agent, item.status) == (Queue.MAINTAINERS, None, ItemStatus.OPEN)
    message = Message.objects.get(template="claim_escalated")
    assert (message.to, message.language) == ("jefa@example.com", "es")
    assert claim.reference in message.subject
    assert claim.history.filter(escalated_at=at).count() == 1


def test_the_sweep_escalates_what_the_task_missed(claim):
    with time_machine.travel(REPORTED + datetime.timedelta(minutes=11), tick=False):
        assert claims_escalate_due() == 1
        assert claims_escalate_due() == 0
        assert claim_escalate(claim_id=claim.pk) is False
    assert escalations(claim).count() == 1
    assert Message.objects.filter(template="claim_escalated").count() == 1


def test_a_contacted_claim_never_escalates(claim, owner):
    item = WorkItem.objects.get(kind=CLAIM_KIND, subject_id=claim.pk)
    contacted_at = REPORTED + datetime.timedelta(minutes=4, seconds=30)
    with time_machine.travel(contacted_at, tick=False):
        item_record_result(item=item, by=owner, result="no_answer")
        item_record_result(item=item, by=owner, result=CONTACTED.code)
    with time_machine.travel(REPORTED + datetime.timedelta(minutes=30), tick=False):
        assert claim_escalate(claim_id=claim.pk) is False
        assert claims_escalate_due() == 0
    claim.refresh_from_db()
    assert claim.escalated_at is None and not escalations(claim).exists()
    assert not Message.objects.filter(template="claim_escalated").exists()
    # The time to first contact is recorded: 4 min 30 s, within the 10 minutes.
    assert claim.first_contact_at == contacted_at and claim.first_contact_by == owner
    assert claim.time_to_first_contact == datetime.timedelta(minutes=4, seconds=30)
    assert claim.contacted_in_time is True
    assert claim.status == ClaimStatus.FIRST_CONTACT
    item.refresh_from_db()
    assert item.status == ItemStatus.DONE


def test_failed_attempts_do_not_stop_the_escalation(claim, owner):
    item = WorkItem.objects.get(kind=CLAIM_KIND, subject_id=claim.pk)
    with time_machine.travel(REPORTED + datetime.timedelta(minutes=2), tick=False):
        item_record_result(item=item, by=owner, result="no_answer")
    with time_machine.travel(REPORTED + datetime.timedelta(minutes=10), tick=False):
        assert claim_escalate(claim_id=claim.pk) is True


def test_a_late_contact_closes_the_escalation_and_counts_as_late(claim, owner):
    with time_machine.travel(REPORTED + datetime.timedelta(minutes=12), tick=False):
        claims_escalate_due()
        item = WorkItem.objects.get(kind=CLAIM_KIND, subject_id=claim.pk)
        item_record_result(item=item, by=owner, result=CONTACTED.code)
    claim.refresh_from_db()
    assert claim.contacted_in_time is False
    assert claim.time_to_first_contact == datetime.timedelta(minutes=12)
    assert escalations(claim).get().status == ItemStatus.DONE


def test_a_withdrawn_claim_does_not_escalate(claim, owner):
    with time_machine.travel(REPORTED + datetime.timedelta(minutes=3), tick=False):
        claim_set_status(claim=claim, by=owner, status=ClaimStatus.WITHDRAWN, note="Se arregló")
    with time_machine.travel(REPORTED + datetime.timedelta(minutes=15), tick=False):
        assert claims_escalate_due() == 0
    assert WorkItem.objects.get(kind=CLAIM_KIND, subject_id=claim.pk).status == ItemStatus.DONE


def test_the_escalation_is_shown_to_maintainers_and_managers(
    claim, client, team_manager, maintainer
):
    with time_machine.travel(REPORTED + datetime.timedelta(minutes=10), tick=False):
        claims_escalate_due()
    client.force_login(maintainer)
    html = client.get(reverse("workqueue:maintainers")).content.decode()
    assert 'data-kind="claim_escalation"' in html
    assert reverse("claims:contact", args=[claim.pk]) in html
    client.force_login(team_manager)
    html = client.get(reverse("claims:list"), {"escalated": "1"}).content.decode()
    assert f'data-claim="{claim.pk}"' in html and 'data-testid="row-escalated"' in html
    html = client.get(reverse("claims:detail", args=[claim.pk])).content.decode()
    assert 'data-testid="claim-escalated"' in html


def test_the_report_schedules_the_check_ten_minutes_ahead(
    owner, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(claim_escalate_task, "apply_async", lambda **kwargs: sent.append(kwargs))
    policy = PolicyFactory(holder=ClientFactory(owner=owner), agent=owner)
    with django_capture_on_commit_callbacks(execute=True):
        claim = report(policy=policy, by=owner)
    assert [(s["args"], s["countdown"]) for s in sent] == [([claim.pk], 601)]


def test_the_beat_runs_the_sweep_every_minute():
    from brokerage.celery import app

    entry = app.conf.beat_schedule["claims-escalate-due"]
    assert entry["task"] == claims_escalate_due_task.name
    assert entry["schedule"].minute == set(range(60))


def test_an_agent_without_a_team_escalates_without_an_email(maintainer):
    lone = UserFactory(roles=["agent"])
    with time_machine.travel(REPORTED, tick=False):
        claim = report(policy=PolicyFactory(holder=ClientFactory(owner=lone), agent=lone), by=lone)
    with time_machine.travel(REPORTED + datetime.timedelta(minutes=10), tick=False):
        assert claims_escalate_due() == 1
    assert escalations(claim).count() == 1
    assert not Message.objects.exists()
    assert Claim.objects.get().escalated_at is not None


# --- the sweep at size: a fixed number of queries, once each, whatever runs beside it -------

DUE = REPORTED + datetime.timedelta(minutes=10, seconds=5)


def _reported(count, owner, *, contacted=0):
    """``count`` claims reported at REPORTED on ``owner``'s clients, the first ``contacted``
    of them with their client contacted after 3 minutes."""
    with time_machine.travel(REPORTED, tick=False):
        claims = [
            report(policy=PolicyFactory(holder=ClientFactory(owner=owner), agent=owner), by=owner)
            for _ in range(count)
        ]
    with time_machine.travel(REPORTED + datetime.timedelta(minutes=3), tick=False):
        for claim in claims[:contacted]:
            item = WorkItem.objects.get(kind=CLAIM_KIND, subject_id=claim.pk)
            item_record_result(item=item, by=owner, result=CONTACTED.code)
    return claims


def _assert_escalated_once(claims, *, at):
    assert set(Claim.objects.filter(pk__in=[c.pk for c in claims]).values_list(
        "escalated_at", flat=True)) == {at}  # fmt: skip
    items = WorkItem.objects.filter(kind=ESCALATION_KIND)
    assert sorted(items.values_list("subject_id", flat=True)) == sorted(c.pk for c in claims)
    assert set(items.values_list("queue", "agent", "status", "due_on")) == {
        (Queue.MAINTAINERS, None, ItemStatus.OPEN, at.date())
    }
    titles = dict(items.values_list("subject_id", "title"))
    assert titles[claims[0].pk] == f"Claim {claims[0].reference}: not contacted within 10 minutes"
    for claim in claims:
        assert claim.history.filter(escalated_at__isnull=False).count() == 1
    # One e-mail per claim to the agent's manager, in her language.
    messages = Message.objects.filter(template="claim_escalated")
    assert sorted(m.context["claim"] for m in messages) == sorted(c.reference for c in claims)
    assert {(m.to, m.language) for m in messages} == {("jefa@example.com", "es")}


@pytest.mark.parametrize("count", [1, 20])
def test_the_sweep_costs_the_same_queries_for_1_or_20_claims(
    count, owner, django_assert_max_num_queries
):
    claims = _reported(count + 2, owner, contacted=2)  # two contacted: never escalated
    contacted, due = claims[:2], claims[2:]
    with time_machine.travel(DUE, tick=False), django_assert_max_num_queries(6):
        assert claims_escalate_due() == count
    _assert_escalated_once(due, at=DUE)
    with time_machine.travel(DUE + datetime.timedelta(minutes=1), tick=False):
        with django_assert_max_num_queries(3):
            assert claims_escalate_due() == 0  # run again: nothing left
        assert all(claim_escalate(claim_id=c.pk) is False for c in claims)
    _assert_escalated_once(due, at=DUE)
    assert not Claim.objects.filter(pk__in=[c.pk for c in contacted], escalated_at__isnull=False)
    assert not WorkItem.objects.filter(
        kind=ESCALATION_KIND, subject_id__in=[c.pk for c in contacted]
    ).exists()


def test_the_sweep_takes_the_longest_waiting_first_within_its_limit(owner):
    claims = _reported(3, owner)
    Claim.objects.filter(pk=claims[2].pk).update(
        contact_due_at=REPORTED - datetime.timedelta(minutes=5)
    )
    assert claims_escalate_due(now=DUE, limit=2) == 2
    escalated = set(Claim.objects.exclude(escalated_at=None).values_list("pk", flat=True))
    assert escalated == {claims[2].pk, claims[0].pk}
    assert claims_escalate_due(now=DUE, limit=2) == 1


def _in_thread(target):
    """Run ``target`` on its own thread (its own database connection); return its result."""
    import threading

    from django.db import connection

    outcome = {}

    def run():
        try:
            outcome["value"] = target()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _result(thread, outcome):
    thread.join(timeout=30)
    assert not thread.is_alive()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_and_the_tasks_at_the_same_moment_escalate_each_claim_once(owner):
    import threading

    from django.db import transaction

    claims = _reported(6, owner, contacted=1)
    due = claims[1:]
    # One sweep holds its claims (its transaction not yet committed): a second sweep skips
    # them without waiting, a claim's own task waits and then finds it escalated.
    holding, release = threading.Event(), threading.Event()

    def slow_sweep():
        with transaction.atomic():
            escalated = claims_escalate_due(now=DUE)
            holding.set()
            assert release.wait(timeout=20)
        return escalated

    first = _in_thread(slow_sweep)
    assert holding.wait(timeout=20)
    assert _result(*_in_thread(lambda: claims_escalate_due(now=DUE))) == 0
    task = _in_thread(lambda: claim_escalate(claim_id=due[0].pk, now=DUE))
    release.set()
    assert _result(*first) == 5
    assert _result(*task) is False
    _assert_escalated_once(due, at=DUE)

    # Two sweeps and every claim's task started together on a fresh backlog: once each.
    Message.objects.all().delete()
    WorkItem.objects.filter(kind=ESCALATION_KIND).delete()
    later = _reported(8, owner)
    barrier = threading.Barrier(2 + len(later))

    def together(call):
        def run():
            barrier.wait(timeout=20)
            return call()

        return run

    runs = [_in_thread(together(lambda: claims_escalate_due(now=DUE))) for _ in range(2)]
    runs += [
        _in_thread(together(lambda pk=c.pk: claim_escalate(claim_id=pk, now=DUE))) for c in later
    ]
    results = [_result(*run) for run in runs]
    assert results[0] + results[1] + sum(results[2:]) == len(later)
    _assert_escalated_once(later, at=DUE)
