import datetime

import pytest
from django.utils import timezone

from brokerage.accounts.tests.factories import UserFactory
from workqueue import kinds
from workqueue.models import ItemStatus, WorkItem

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _kinds():
    kinds.register(kinds.WorkKind(name="test_renewal", label="Renewals", order=10))
    kinds.register(kinds.WorkKind(name="test_claim", label="Claims", order=20))


def _item(agent, title, kind="test_renewal", days=0, status=ItemStatus.OPEN, priority=0):
    return WorkItem.objects.create(
        kind=kind,
        subject_id=WorkItem.objects.count() + 1,
        title=title,
        agent=agent,
        due_on=timezone.localdate() + datetime.timedelta(days=days),
        status=status,
        priority=priority,
    )


def test_the_queue_shows_only_my_open_items_due_today_or_before(client, agent):
    other = UserFactory(roles=["agent"])
    _item(agent, "Mine today")
    _item(agent, "Mine overdue", days=-2)
    _item(agent, "Mine tomorrow", days=1)
    _item(agent, "Mine done", status=ItemStatus.DONE)
    _item(other, "Theirs")
    client.force_login(agent)
    html = client.get("/queue/").content.decode()
    assert "Mine today" in html and "Mine overdue" in html
    assert "Mine tomorrow" not in html and "Mine done" not in html and "Theirs" not in html
    assert "2 items to work" in html


def test_the_queue_groups_items_by_kind_in_kind_order(client, agent):
    _item(agent, "A claim", kind="test_claim", priority=9)
    _item(agent, "A renewal", kind="test_renewal")
    client.force_login(agent)
    html = client.get("/queue/").content.decode()
    # The page's groups, below the navbar (which has a "Claims" entry of its own).
    html = html[html.index("<main") :]
    assert (
        html.index("Renewals")
        < html.index("A renewal")
        < html.index("Claims")
        < html.index("A claim")
    )


def test_an_empty_queue_says_so(client, agent):
    client.force_login(agent)
    response = client.get("/queue/")
    assert "Nothing to work right now" in response.content.decode()
    assert response.context["page"].paginator.count == 0


def test_the_queue_runs_a_fixed_number_of_queries(client, agent, django_assert_max_num_queries):
    for i in range(120):
        _item(agent, f"Item {i}", kind="test_claim" if i % 2 else "test_renewal")
    client.force_login(agent)
    with django_assert_max_num_queries(11):
        response = client.get("/queue/")
    assert response.content.decode().count("list-group-item ") == 50


def test_an_item_is_unique_per_subject_and_key(agent):
    from django.db import IntegrityError, transaction

    WorkItem.objects.create(
        kind="test_renewal",
        subject_id=1,
        key="30",
        title="x",
        agent=agent,
        due_on=timezone.localdate(),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkItem.objects.create(
            kind="test_renewal",
            subject_id=1,
            key="30",
            title="y",
            agent=agent,
            due_on=timezone.localdate(),
        )
