"""The 10-minute contact (issue 16): a claim whose client was not contacted within 10 minutes
of its report escalates once (a flag on the claim, an item in the maintainers' queue, an e-mail
to the agent's manager), whether the task scheduled at report time or the beat sweep gets there
first; a contacted claim never does. The clock is frozen with time-machine."""

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
