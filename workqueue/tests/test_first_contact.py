"""A work item keeps its first contact result since the hand-out (when, by whom): agent
performance reads it. workqueue.services keeps it, on every result and every hand-out."""

import datetime

import pytest
from django.utils import timezone

from brokerage.accounts.tests.factories import UserFactory
from workqueue.models import WorkItem
from workqueue.services import (
    item_record_result,
    item_return_to_agents,
    items_hand_out,
)
from workqueue.tests.factories import WorkItemFactory

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def item(agent):
    return WorkItemFactory(agent=agent, handed_out_at=timezone.now() - 5 * HOUR)


def _first(item) -> tuple:
    return WorkItem.objects.values_list("first_contact_at", "first_contact_by_id").get(pk=item.pk)


def test_it_has_no_first_contact_before_anyone_calls(item):
    assert _first(item) == (None, None)


def test_it_keeps_the_first_result_logged_and_not_the_later_ones(item, agent):
    item_record_result(item=item, by=agent, result="no_answer")
    at, by = _first(item)
    logged = item.results.get()
    assert (at, by) == (logged.at, agent.pk)
    item_record_result(item=item, by=agent, result="sold")
    assert _first(item) == (logged.at, agent.pk)


def test_it_keeps_the_first_contact_when_given_a_stale_item(item, agent):
    stale = WorkItem.objects.get(pk=item.pk)
    item_record_result(item=item, by=agent, result="no_answer")
    first = _first(item)
    item_record_result(item=stale, by=agent, result="no_answer")
    assert _first(item) == first


def test_a_new_hand_out_starts_afresh(item, agent):
    item_record_result(item=item, by=agent, result="no_answer")
    other = UserFactory(roles=["agent"])
    items_hand_out(assignments={other.pk: [item.pk]})
    item.refresh_from_db()
    assert item.agent == other and item.handed_out_at > timezone.now() - HOUR
    assert _first(item) == (None, None)
    item_record_result(item=item, by=other, result="sold")
    assert _first(item)[1] == other.pk


def test_a_maintainers_entry_is_not_a_contact(item, agent, maintainer):
    for _ in range(3):
        item_record_result(item=item, by=agent, result="no_answer")
    item.refresh_from_db()
    assert item.queue == "maintainers"
    returned = item_return_to_agents(item=item, by=maintainer)
    assert returned.results.filter(result="contact_fixed").exists()
    # Back with nobody (the test kind knows no owners): not handed out, no contact yet.
    assert (returned.agent_id, returned.handed_out_at) == (None, None)
    assert _first(item) == (None, None)
