"""A follow-up booked with the client at an agreed time (issue 16) takes its place in the agent's
call list of that day by that time (the item's ``callback_at``, set by
``workqueue.services.item_create``), not by the order the follow-ups were booked in; other
items keep their order, and other callers of ``item_create`` are unchanged."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from brokerage.accounts.tests.factories import UserFactory
from claims import services
from claims.kind import FOLLOW_UP_KIND
from claims.tests.factories import report
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory
from workqueue.models import WorkItem
from workqueue.selectors import queue_for_agent
from workqueue.services import item_create, item_record_result
from workqueue.tests.factories import TEST_KIND, WorkItemFactory, register_test_kind

pytestmark = pytest.mark.django_db

BOOKED = timezone.make_aware(datetime.datetime(2026, 6, 10, 9, 0))
DAY = datetime.date(2026, 6, 12)
FIRST = {
    "cause_and_liability": "Alcance por detrás; el tercero es responsable",
    "damage": "Defensa trasera",
    "repair_wish": "Taller de la agencia",
    "note": "",
}


def at(hour, minute=0, day=DAY):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@pytest.fixture
def agent():
    return UserFactory(roles=["agent"])


def _booked(agent, when):
    """A claim first contacted, its first follow-up recorded and the next booked ``when``."""
    with time_machine.travel(BOOKED, tick=False):
        policy = PolicyFactory(
            holder=ClientFactory(owner=agent), agent=agent,
            start_date=datetime.date(2026, 1, 1), end_date=datetime.date(2026, 12, 31),
        )  # fmt: skip
        claim = report(policy=policy, by=agent)
        services.claim_record_contact(claim=claim, by=agent)
        services.claim_follow_up_record(claim=claim, by=agent, data=FIRST | {"next_at": when})
    return WorkItem.objects.get(kind=FOLLOW_UP_KIND, subject_id=claim.pk)


def test_booked_follow_ups_are_in_the_call_list_of_their_day_by_the_time_agreed(agent, client):
    register_test_kind()
    # Booked in this order: the afternoon one first, then the morning one, then tomorrow's.
    afternoon = _booked(agent, at(16, 30))
    morning = _booked(agent, at(11, 0))
    tomorrow = _booked(agent, at(10, 0, DAY + datetime.timedelta(days=1)))
    assert (afternoon.callback_at, morning.callback_at) == (at(16, 30), at(11, 0))
    assert {afternoon.due_on, morning.due_on} == {DAY}
    assert tomorrow.due_on == DAY + datetime.timedelta(days=1)
    with time_machine.travel(at(8, 0), tick=False):
        renewal = WorkItemFactory(agent=agent, priority=100)  # a renewal-like item of the day
    for now, expected in (
        (at(8, 30), [morning, afternoon, renewal]),  # both later today, at their time
        (at(12, 0), [morning, afternoon, renewal]),  # the morning one's time has come
    ):
        with time_machine.travel(now, tick=False):
            listed = list(queue_for_agent(user=agent, day=DAY))
            assert [i.pk for i in listed] == [i.pk for i in expected]
            client.force_login(agent)
            html = client.get(reverse("workqueue:queue")).content.decode()
            positions = [html.index(f'id="item-{i.pk}"') for i in expected]
            assert positions == sorted(positions)
            assert f'id="item-{tomorrow.pk}"' not in html


def test_a_result_on_a_booked_follow_up_answers_its_time(agent):
    item = _booked(agent, at(11, 0))
    with time_machine.travel(at(11, 5), tick=False):
        item = item_record_result(item=item, by=agent, result="no_answer")
    assert item.callback_at is None and item.status == "open"


def test_item_create_without_a_time_is_unchanged(agent):
    """Other callers give no time: none is set, and reopening an item keeps the call-back its
    agent set."""
    register_test_kind()
    plain = item_create(kind=TEST_KIND, subject_id=1, title="Plain", due_on=DAY, agent=agent)
    assert plain.callback_at is None
    WorkItem.objects.filter(pk=plain.pk).update(callback_at=at(15, 0))
    again = item_create(
        kind=TEST_KIND, subject_id=1, title="Again", due_on=DAY, agent=agent, reopen=True
    )
    assert again.pk == plain.pk and again.callback_at == at(15, 0)


def test_the_items_titles_are_written_in_their_agents_language():
    """Titles are stored (the call list's "done" line shows them): in the language of the agent
    who reads them, whoever reported the claim and in whatever language."""
    agent = UserFactory(roles=["agent"], language="zh-hans")
    item = _booked(agent, at(11, 0))
    assert item.title.startswith("理赔案件 #") and "11:00" in item.title
    contact = WorkItem.objects.get(kind="claim_contact", subject_id=item.subject_id)
    assert contact.title == f"理赔案件 #{item.subject_id}：{contact.title.split('：', 1)[1]}"
    assert "Claim" not in contact.title
