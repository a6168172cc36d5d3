"""A call list's queries compiled once per process (workqueue.rows, issue 18): the same rows
as the queryset they are built from, with the values of each call in the marks' places."""

import datetime

import pytest
from django.db import connections
from django.db.models import F
from django.utils import timezone

from brokerage.core.bulk import AnyOf
from workqueue.models import WorkItem
from workqueue.rows import ID_MARKS, CompiledRows, rows_together
from workqueue.tests.factories import WorkItemFactory

pytestmark = pytest.mark.django_db


def _items(ids, agent_id, since):
    return (
        WorkItem.objects.filter(AnyOf(F("pk"), ids), agent_id=agent_id, created_at__gte=since)
        .order_by("pk")
        .values_list("pk", "title", "due_on", "agent__username")
    )


def test_the_rows_are_the_querysets_with_each_calls_values(agent, maintainer):
    built = []

    def build(*marks):
        built.append(marks)
        return _items(*marks)

    mark_time = datetime.datetime(1901, 1, 1, tzinfo=datetime.UTC)
    query = CompiledRows(build, [ID_MARKS[0]], ID_MARKS[1], mark_time)
    mine = WorkItemFactory.create_batch(3, agent=agent)
    theirs = WorkItemFactory(agent=maintainer)
    ids = [item.pk for item in (*mine, theirs)]
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    for agent_id, since in ((agent.pk, an_hour_ago), (maintainer.pk, an_hour_ago),
                            (agent.pk, timezone.now() + datetime.timedelta(hours=1))):  # fmt: skip
        assert query.rows(ids, agent_id, since) == list(_items(ids, agent_id, since))
    assert query.rows([], agent.pk, an_hour_ago) == []
    assert len(query.rows(ids[:1], agent.pk, an_hour_ago)) == 1
    assert len(built) == 1  # compiled once


def test_a_mark_the_query_does_not_carry_once_is_refused(agent):
    query = CompiledRows(lambda pk: WorkItem.objects.filter(pk=pk).values_list("pk"), ID_MARKS[0])
    assert query.rows(WorkItemFactory(agent=agent).pk) != []
    unused = CompiledRows(lambda pk: WorkItem.objects.values_list("pk"), ID_MARKS[0])
    with pytest.raises(ValueError, match="0 times"):
        unused.rows(1)


def test_instances_are_the_querysets_with_their_related_ones_and_annotations(agent, maintainer):
    from django.db.models import Value

    def build(ids):
        return (
            WorkItem.objects.filter(AnyOf(F("pk"), ids))
            .select_related("agent")
            .annotate(mark=Value("m"))
            .order_by("-pk")
        )

    query = CompiledRows(build, [ID_MARKS[0]])
    items = [*WorkItemFactory.create_batch(2, agent=agent), WorkItemFactory(agent=maintainer)]
    ids = [item.pk for item in items]
    built, expected = query.instances(ids), list(build(ids))
    assert [(i.pk, i.title, i.due_on, i.mark) for i in built] == [
        (i.pk, i.title, i.due_on, i.mark) for i in expected
    ]
    assert [i.agent.username for i in built] == [i.agent.username for i in expected]
    assert all(WorkItem.agent.is_cached(i) for i in built)
    with pytest.raises(TypeError):
        CompiledRows(lambda pk: WorkItem.objects.filter(pk=pk).values_list("pk"), 1).instances(1)


@pytest.mark.parametrize("count", [0, 1, 50, 51, 123])
def test_the_agents_queue_pages_are_queue_for_agents(agent, maintainer, count):
    from django.core.paginator import Paginator

    from workqueue.selectors import AgentQueue, queue_for_agent

    now = timezone.now()
    today = timezone.localdate()
    for n in range(count):
        WorkItemFactory(
            agent=agent,
            priority=n % 3,
            due_on=today - datetime.timedelta(days=n % 4),
            callback_at=now + datetime.timedelta(minutes=(n % 5 - 2) * 30) if n % 2 else None,
        )
    WorkItemFactory(agent=maintainer)
    WorkItemFactory(agent=agent, due_on=today + datetime.timedelta(days=1))
    compiled = Paginator(AgentQueue(user=agent, day=today, now=now), 50)
    plain = Paginator(queue_for_agent(user=agent, day=today, now=now), 50)
    assert compiled.count == plain.count == count
    for number in plain.page_range:
        got, want = compiled.page(number).object_list, list(plain.page(number).object_list)
        assert [(i.pk, i.callback_later) for i in got] == [(i.pk, i.callback_later) for i in want]


def test_queries_read_together_are_each_ones_rows_in_one_round_trip(
    agent, maintainer, django_assert_num_queries
):
    """rows_together sends the statements as one and reads each result in turn: the rows
    rows() reads, converters applied (a text with "%" and ";" bound as a value), an empty result
    in the middle included; one query each where the server binds the values."""
    mark_time = datetime.datetime(1901, 1, 1, tzinfo=datetime.UTC)
    items = CompiledRows(_items, [ID_MARKS[0]], ID_MARKS[1], mark_time)
    titles = CompiledRows(
        lambda title: WorkItem.objects.filter(title=title).order_by("pk").values_list("pk"),
        "mark-title-1f3a",
    )
    mine = WorkItemFactory.create_batch(2, agent=agent, title="50%; off")
    theirs = WorkItemFactory(agent=maintainer)
    ids = [item.pk for item in (*mine, theirs)]
    since = timezone.now() - datetime.timedelta(hours=1)
    calls = (
        (items, ([ids], agent.pk, since)),
        (titles, ("nothing",)),
        (titles, ("50%; off",)),
        (items, ([ids], maintainer.pk, since)),
    )
    expected = [query.rows(*values) for query, values in calls]
    assert [len(rows) for rows in expected] == [2, 0, 2, 1]
    with django_assert_num_queries(1):
        assert rows_together(*calls) == expected
    connection = connections["default"]
    options = connection.settings_dict.setdefault("OPTIONS", {})
    options["server_side_binding"] = True
    try:
        with django_assert_num_queries(4):
            assert rows_together(*calls) == expected
    finally:
        del options["server_side_binding"]


@pytest.mark.parametrize("count", [0, 1, 50, 51, 123])
def test_the_page_asked_for_is_read_with_the_count(
    agent, maintainer, count, django_assert_num_queries
):
    """Given the page the request asks for, the agent's queue reads its items with the count in
    one round trip: each page (the last one's slice stops at the count) is queue_for_agent's;
    a page number out of range, or none a paginator reads, falls back to a query of its own."""
    from django.core.paginator import Paginator

    from workqueue.selectors import AgentQueue, queue_for_agent

    now = timezone.now()
    today = timezone.localdate()
    for n in range(count):
        WorkItemFactory(agent=agent, priority=n % 3, due_on=today - datetime.timedelta(days=n % 4))
    WorkItemFactory(agent=maintainer)
    plain = Paginator(queue_for_agent(user=agent, day=today, now=now), 50)
    for number in [*plain.page_range, None, "x", "2.0", 0, 99, 10**9]:
        want = list(plain.get_page(number).object_list)
        queue = AgentQueue(user=agent, day=today, now=now, page=number, per_page=50)
        asked = {None: 1, "x": 1, "2.0": 1, 0: 1}.get(number, number)
        read_ahead = count == 0 or asked == plain.get_page(number).number
        with django_assert_num_queries(1 if read_ahead else 2):
            got = Paginator(queue, 50).get_page(number).object_list
        assert [i.pk for i in got] == [i.pk for i in want]


def test_the_leaderboard_is_read_with_the_count(agent, django_assert_num_queries):
    """The page's other queries given as ``along`` are read in the count's round trip, their
    rows the queries' own (the leaderboard: the same rows points_leaderboard reads)."""
    from django.core.paginator import Paginator

    from workqueue.selectors import AgentQueue, leaderboard_query, points_leaderboard

    WorkItemFactory.create_batch(3, agent=agent)
    board = leaderboard_query(user=agent)
    for page, queries in (("1", 1), (None, 1), ("7", 2), (str(10**6), 2)):
        queue = AgentQueue(
            user=agent, day=timezone.localdate(), page=page, per_page=50, along=[board]
        )
        with django_assert_num_queries(queries):  # another page than asked: read on its own
            items = Paginator(queue, 50).get_page(page).object_list
        assert len(items) == 3
        assert queue.along_rows == [board[0].rows(*board[1])]
        assert points_leaderboard(user=agent, rows=queue.along_rows[0]) == points_leaderboard(
            user=agent
        )
