"""A call-back stays in view: the agent's list of call-backs, and the call list showing a
call-back at its time (issue 13, item 7)."""

import datetime

import pytest
from django.utils import timezone

from brokerage.accounts.tests.factories import UserFactory
from brokerage.core.navigation import nav_for
from workqueue.selectors import callback_sections, callbacks_for_agent, queue_for_agent
from workqueue.services import item_record_result
from workqueue.tests.factories import WorkItemFactory

pytestmark = pytest.mark.django_db


def _local(day, hour, minute=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@pytest.fixture
def noon(monkeypatch):
    """Today at 12:00 local time, whatever time the suite runs at."""
    at = _local(timezone.localdate(), 12)
    monkeypatch.setattr(timezone, "now", lambda: at)
    return at


def _callback(agent, title, at, **fields):
    return WorkItemFactory(
        agent=agent, title=title, callback_at=at, due_on=timezone.localdate(at),
        result="call_back", **fields,
    )  # fmt: skip


def test_the_call_list_sorts_a_later_call_back_at_its_time_and_hides_nothing_due_today(agent):
    today = timezone.localdate()
    now = _local(today, 12)
    fresh = WorkItemFactory(agent=agent, title="Fresh")
    later = _callback(agent, "At four", _local(today, 16))
    due = _callback(agent, "At ten", _local(today, 10))
    overdue = WorkItemFactory(agent=agent, title="Overdue", due_on=today - datetime.timedelta(1))
    tomorrow = _callback(agent, "Tomorrow", _local(today + datetime.timedelta(1), 10))

    listed = list(queue_for_agent(user=agent, day=today, now=now))

    assert listed == [overdue, due, fresh, later]
    assert tomorrow not in listed


def test_the_call_list_shows_a_call_back_later_today_with_its_time(client, agent, noon):
    _callback(agent, "Call at four", noon + datetime.timedelta(hours=4))
    _callback(agent, "Call at eleven", noon - datetime.timedelta(hours=1))
    client.force_login(agent)
    html = client.get("/queue/").content.decode()
    assert "Call at four" in html and "Call at eleven" in html
    assert html.index("Call at eleven") < html.index("Call back now") < html.index("Call at four")
    assert html.index("Call at four") < html.index("Call back at 4 p.m.")


def test_my_call_backs_lists_them_by_section_and_time(client, agent, noon):
    today = timezone.localdate()
    week_end = today + datetime.timedelta(days=6 - today.weekday())
    _callback(agent, "Missed one", noon - datetime.timedelta(hours=2))
    _callback(agent, "This afternoon", noon + datetime.timedelta(hours=3))
    _callback(agent, "In a month", noon + datetime.timedelta(days=30))
    if week_end > today:
        _callback(agent, "This week", _local(week_end, 9))
    other = UserFactory(roles=["agent"])
    _callback(other, "Someone else's", noon + datetime.timedelta(hours=1))
    WorkItemFactory(agent=agent, title="No call-back")
    client.force_login(agent)

    html = client.get("/queue/callbacks/").content.decode()

    assert "Someone else's" not in html and "No call-back" not in html
    order = ["Due now", "Missed one", "Today", "This afternoon", "Later this week"]
    if week_end > today:
        order.append("This week")
    order += ["After this week", "In a month"]
    positions = [html.index(text) for text in order]
    assert positions == sorted(positions)


def test_it_splits_call_backs_into_missed_today_this_week_and_later(agent):
    monday = datetime.date(2026, 11, 30)
    now = _local(monday, 12)
    items = [
        _callback(agent, "a", _local(monday, 9)),
        _callback(agent, "b", _local(monday, 17)),
        _callback(agent, "c", _local(monday + datetime.timedelta(days=6), 9)),
        _callback(agent, "d", _local(monday + datetime.timedelta(days=7), 9)),
    ]
    sections = {s["key"]: [i.title for i in s["items"]] for s in callback_sections(items, now=now)}
    assert sections == {"missed": ["a"], "today": ["b"], "week": ["c"], "later": ["d"]}


def test_a_later_result_answers_the_call_back(agent):
    item = WorkItemFactory(agent=agent)
    when = timezone.now() + datetime.timedelta(hours=2)
    item_record_result(item=item, by=agent, result="call_back", callback_at=when, note="after 4")
    assert [(i, i.callback_note) for i in callbacks_for_agent(user=agent)] == [(item, "after 4")]
    item_record_result(item=item, by=agent, result="no_answer")
    item.refresh_from_db()
    assert item.callback_at is None and not callbacks_for_agent(user=agent).exists()


def test_the_call_backs_page_is_the_agents_and_in_their_navbar(client, agent, manager):
    assert "/queue/callbacks/" in [entry["url"] for entry in nav_for(agent)]
    assert "/queue/callbacks/" not in [entry["url"] for entry in nav_for(manager)]
    client.force_login(manager)
    assert client.get("/queue/callbacks/").status_code == 403


def test_the_call_backs_page_runs_a_fixed_number_of_queries(
    client, agent, noon, django_assert_max_num_queries
):
    client.force_login(agent)
    _callback(agent, "first", noon + datetime.timedelta(hours=1))
    with django_assert_max_num_queries(12) as few:
        client.get("/queue/callbacks/")
    for n in range(15):
        _callback(agent, f"more {n}", noon + datetime.timedelta(days=n + 1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/queue/callbacks/")
