"""A renewal touch of a client whose contact is to fix (``contact_inaccurate``: three failed
attempts, or a report's number that does not read) goes to the maintainers' fix-contact queue
even when a phone is on file; once a maintainer sends an item back with "Contact fixed" the
flag is cleared, with history, and the client's next touches reach the agent's call list again
(issue 14). The routing stays one CASE in the morning job's INSERT … SELECT."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clients.models import Client
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory
from renewals.jobs import renewals_morning_job, renewals_open_and_queue
from renewals.kind import RENEWAL_KIND
from workqueue.models import ItemResult, Queue, WorkItem
from workqueue.results import CONTACT_FIXED
from workqueue.services import item_return_to_agents

pytestmark = pytest.mark.django_db


def _ending_in(days, **client):
    end = timezone.localdate() + datetime.timedelta(days=days)
    holder = ClientFactory(**client)
    return PolicyFactory(holder=holder, start_date=end - datetime.timedelta(days=365), end_date=end)


def _where() -> dict[str, tuple[str, int | None]]:
    """Policy number → (queue, agent id) of its renewal touches."""
    return {
        item.title.rsplit(" · ", 1)[1]: (item.queue, item.agent_id)
        for item in WorkItem.objects.filter(kind=RENEWAL_KIND)
    }


def test_it_sends_the_touch_of_a_client_whose_contact_is_to_fix_to_the_maintainers(ladders, agent):
    reached = _ending_in(20, owner=agent)
    to_fix = _ending_in(20, owner=agent, contact_inaccurate=True)
    as_written = _ending_in(20, owner=agent, phone="", phone_as_written="55 12",
                            contact_inaccurate=True)  # fmt: skip
    renewals_morning_job(day=timezone.localdate())
    assert str(to_fix.holder.phone)  # a phone is on file: the flag alone decides
    assert _where() == {
        reached.number: (Queue.AGENT, agent.pk),
        to_fix.number: (Queue.MAINTAINERS, None),
        as_written.number: (Queue.MAINTAINERS, None),
    }


def test_it_routes_the_same_way_after_an_import(ladders, agent):
    """The import's own call (open the cases and queue their touches) uses the same rule."""
    reached = _ending_in(20, owner=agent)
    to_fix = _ending_in(20, owner=agent, contact_inaccurate=True)
    renewals_open_and_queue(day=timezone.localdate())
    assert _where() == {
        reached.number: (Queue.AGENT, agent.pk),
        to_fix.number: (Queue.MAINTAINERS, None),
    }


def test_contact_fixed_clears_the_flag_with_history_and_the_next_touch_is_the_agents(
    ladders, agent, maintainer
):
    policy = _ending_in(20, owner=agent, contact_inaccurate=True)
    today = timezone.localdate()
    renewals_morning_job(day=today)
    item = WorkItem.objects.get(kind=RENEWAL_KIND)
    assert (item.key, item.queue) == ("rung-25", Queue.MAINTAINERS)
    history_before = policy.holder.history.count()

    item = item_return_to_agents(item=item, by=maintainer)

    assert (item.queue, item.agent_id) == (Queue.AGENT, agent.pk)
    assert ItemResult.objects.get(item=item).result == CONTACT_FIXED
    holder = Client.objects.get(pk=policy.holder_id)
    assert holder.contact_inaccurate is False
    assert policy.holder.history.count() == history_before + 1
    latest = holder.history.order_by("-history_date", "-history_id").first()
    assert (latest.contact_inaccurate, latest.history_user_id) == (False, maintainer.pk)
    assert latest.prev_record.contact_inaccurate is True

    # The next rung (15 days before the end) falls due five days on: the agent's call list.
    renewals_morning_job(day=today + datetime.timedelta(days=5))
    nxt = WorkItem.objects.get(kind=RENEWAL_KIND, key="rung-15")
    assert (nxt.queue, nxt.agent_id) == (Queue.AGENT, agent.pk)


def test_contact_fixed_on_a_client_already_cleared_writes_no_history(ladders, agent, maintainer):
    """Two items of one client: the second "Contact fixed" finds the flag already cleared."""
    first = _ending_in(20, owner=agent, contact_inaccurate=True)
    second = PolicyFactory(
        holder=first.holder, start_date=first.start_date, end_date=first.end_date
    )
    renewals_morning_job(day=timezone.localdate())
    items = list(WorkItem.objects.filter(kind=RENEWAL_KIND).order_by("pk"))
    assert {i.queue for i in items} == {Queue.MAINTAINERS} and len(items) == 2
    item_return_to_agents(item=items[0], by=maintainer)
    history = first.holder.history.count()
    item_return_to_agents(item=items[1], by=maintainer)
    assert first.holder.history.count() == history
    assert _where() == {
        first.number: (Queue.AGENT, agent.pk),
        second.number: (Queue.AGENT, agent.pk),
    }


def test_the_flag_costs_no_query_per_policy(ladders, agent):
    _ending_in(20, owner=agent, contact_inaccurate=True)
    _ending_in(20, owner=agent)
    with CaptureQueriesContext(connection) as few:
        renewals_morning_job(day=timezone.localdate())
    for _n in range(10):
        _ending_in(20, owner=agent, contact_inaccurate=True)
        _ending_in(20, owner=agent)
    with CaptureQueriesContext(connection) as many:
        renewals_morning_job(day=timezone.localdate())
    assert WorkItem.objects.filter(queue=Queue.MAINTAINERS).count() == 11
    assert WorkItem.objects.filter(queue=Queue.AGENT, agent=agent).count() == 11
    assert len(many) == len(few)


# Measured on PostgreSQL, 13 with 2 items and the same with 12: session, user, the permission
# check (2), the queue's count and page (2), the cases and the results of their touches (the
# kind's context, 2), the user's roles, the flagged clients' count, the session's save (3).
MAINTAINERS_PAGE_QUERIES = 13


@pytest.mark.parametrize("n", [1, 6])
def test_the_maintainers_page_counts_items_and_clients_to_fix_in_fixed_queries(
    client, ladders, agent, maintainer, n, django_assert_max_num_queries
):
    for _i in range(n):
        _ending_in(20, owner=agent, contact_inaccurate=True)  # a touch due: an item
        _ending_in(20, owner=agent, phone="", phone_as_written="55 12")  # an item, no flag
        _ending_in(200, owner=agent, contact_inaccurate=True)  # flagged, nothing due yet
    renewals_morning_job(day=timezone.localdate())
    client.force_login(maintainer)
    with django_assert_max_num_queries(MAINTAINERS_PAGE_QUERIES):
        html = client.get("/queue/maintainers/").content.decode()
    assert html.count("data-item=") == 2 * n
    assert f'data-testid="to-fix-contact" data-count="{2 * n}"' in html
    assert f"{2 * n} clients have a contact to fix" in html
