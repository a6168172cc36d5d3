"""The hand-out rule for work that falls due later (a report's hand-out date, a follow-up a week
ahead): the item is handed out at the start of its due day, so no deadline runs on work the
agent cannot see yet."""

import datetime

import pytest
from django.utils import timezone

from brokerage.accounts.tests.factories import UserFactory
from workqueue.distribution import unworked_by_agent
from workqueue.models import WorkItem
from workqueue.services import item_create, items_create, items_follow_owner
from workqueue.tests.factories import TEST_KIND, WorkItemFactory, register_test_kind

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _kind():
    register_test_kind()


def day_start(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def test_an_item_due_later_is_handed_out_on_its_due_day(agent):
    today = timezone.localdate()
    ahead = today + datetime.timedelta(days=4)
    before = timezone.now()
    later = item_create(kind=TEST_KIND, subject_id=1, title="Later", due_on=ahead, agent=agent)
    now = item_create(kind=TEST_KIND, subject_id=2, title="Now", due_on=today, agent=agent)
    waiting = item_create(kind=TEST_KIND, subject_id=3, title="Nobody's", due_on=ahead)
    assert later.handed_out_at == day_start(ahead)
    assert before <= now.handed_out_at <= timezone.now()
    assert waiting.handed_out_at is None


def test_the_set_based_call_follows_the_same_rule(agent):
    today = timezone.localdate()
    ahead = today + datetime.timedelta(days=2)
    rows = [(1, "", "Later", agent.pk, "agent", ahead, 0), (2, "", "Now", agent.pk, "agent",
            today - datetime.timedelta(days=3), 0)]  # fmt: skip
    values = ", ".join(["(%s, %s, %s, %s, %s, %s::date, %s)"] * len(rows))
    created = items_create(
        kind=TEST_KIND,
        select=(f"SELECT * FROM (VALUES {values}) AS v", [v for r in rows for v in r]),
    )
    assert created == 2
    handed = dict(WorkItem.objects.values_list("subject_id", "handed_out_at"))
    assert handed[1] == day_start(ahead)
    assert handed[2] <= timezone.now() and handed[2] > day_start(today) - datetime.timedelta(1)


def test_work_due_later_is_not_unworked_the_next_day(agent):
    today = timezone.localdate()
    item_create(kind=TEST_KIND, subject_id=1, title="Later", due_on=today + datetime.timedelta(7),
                agent=agent)  # fmt: skip
    cutoff = timezone.make_aware(
        datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time(17))
    )
    assert unworked_by_agent([agent.pk], cutoff)[1] == {}


def test_work_that_follows_a_new_owner_keeps_its_hand_out_day(agent):
    other = UserFactory(roles=["agent"])
    ahead = timezone.localdate() + datetime.timedelta(days=3)
    item = WorkItemFactory(agent=other, due_on=ahead, subject_id=9)
    items_follow_owner(kind=TEST_KIND, owners={9: agent.pk})
    item.refresh_from_db()
    assert item.agent == agent and item.handed_out_at == day_start(ahead)
