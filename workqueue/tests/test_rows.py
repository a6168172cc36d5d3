"""A call list's queries compiled once per process (workqueue.rows, issue 18): the same rows
as the queryset they are built from, with the values of each call in the marks' places."""

import datetime

import pytest
from django.db.models import F
from django.utils import timezone

from brokerage.core.bulk import AnyOf
from workqueue.models import WorkItem
from workqueue.rows import ID_MARKS, CompiledRows
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
