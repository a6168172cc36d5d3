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
