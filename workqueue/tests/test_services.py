"""The queue's service API: the one place that creates items, hands them out, logs results
and closes them, with each kind's own vocabulary."""

import datetime
import pathlib
import re

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from brokerage.accounts.tests.factories import UserFactory
from workqueue import kinds
from workqueue.models import ItemStatus, Queue, WorkItem
from workqueue.services import (
    item_create,
    item_record_result,
    items_close,
    items_create,
)
from workqueue.tests.factories import TEST_KIND, WorkItemFactory, register_test_kind

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def test_it_refuses_a_result_the_kind_does_not_offer(agent):
    item = WorkItemFactory(agent=agent)
    with pytest.raises(ValidationError, match="not a result of this kind"):
        item_record_result(item=item, by=agent, result="renewed")
    item.refresh_from_db()
    assert (item.status, item.attempts, item.results.count()) == (ItemStatus.OPEN, 0, 0)


def test_it_refuses_one_click_for_a_result_recorded_on_its_own_page(agent):
    item = WorkItemFactory(agent=agent)
    with pytest.raises(ValidationError, match="on its own page"):
        item_record_result(item=item, by=agent, result="on_paper")
    item_record_result(item=item, by=agent, result="on_paper", page=True)
    item.refresh_from_db()
    assert item.status == ItemStatus.DONE


def test_a_final_result_closes_the_item_and_a_failed_one_counts_a_strike(agent):
    item = WorkItemFactory(agent=agent)
    item_record_result(item=item, by=agent, result="switched_off")
    item.refresh_from_db()
    assert (item.status, item.attempts) == (ItemStatus.OPEN, 1)
    item_record_result(item=item, by=agent, result="sold")
    item.refresh_from_db()
    assert item.status == ItemStatus.DONE and item.done_at is not None


def test_the_handler_and_next_page_run_inside_the_results_transaction(agent):
    def failing_after(*, item, result, by):
        raise ValidationError("The quotation could not be opened.")

    register_test_kind(name="test_after", results=kinds.get(TEST_KIND).results,
                       after_result=failing_after)  # fmt: skip
    item = WorkItemFactory(kind="test_after", agent=agent)
    with pytest.raises(ValidationError):
        item_record_result(item=item, by=agent, result="sold")
    item.refresh_from_db()
    # Nothing half-written: the result went with what it was to open.
    assert (item.status, item.results.count()) == (ItemStatus.OPEN, 0)


def test_it_says_where_the_agent_goes_next(agent):
    register_test_kind(
        name="test_next", results=kinds.get(TEST_KIND).results,
        after_result=lambda *, item, result, by: f"/next/{result}/",
    )  # fmt: skip
    item = WorkItemFactory(kind="test_next", agent=agent)
    assert item_record_result(item=item, by=agent, result="sold").next_url == "/next/sold/"


def test_creating_one_item_twice_gives_the_same_item_and_reopens_on_request(agent):
    first = item_create(kind=TEST_KIND, subject_id=7, key="k", title="Call", due_on=TODAY,
                        agent=agent)  # fmt: skip
    assert first.handed_out_at is not None
    again = item_create(kind=TEST_KIND, subject_id=7, key="k", title="Other", due_on=TODAY)
    assert again.pk == first.pk and again.agent == agent
    items_close(kind=TEST_KIND, subject_ids=[7], status=ItemStatus.CANCELLED)
    other = UserFactory(roles=["agent"])
    later = TODAY + datetime.timedelta(days=3)
    reopened = item_create(kind=TEST_KIND, subject_id=7, key="k", title="Call", due_on=later,
                           agent=other, reopen=True)  # fmt: skip
    assert (reopened.pk, reopened.status, reopened.agent, reopened.due_on) == (
        first.pk, ItemStatus.OPEN, other, later
    )
    assert reopened.handed_out_at >= first.handed_out_at


def test_an_item_with_no_agent_waits_for_the_distribution():
    item = item_create(kind=TEST_KIND, subject_id=8, title="Lead", due_on=TODAY)
    assert (item.agent, item.handed_out_at) == (None, None)


def test_the_set_based_call_creates_each_item_once_and_hands_out_only_owned_ones(agent):
    now = timezone.now()
    select = (
        "SELECT * FROM (VALUES (1, 'a', 'One', %s, 'agent', CURRENT_DATE, 5),"
        " (2, 'a', 'Two', NULL::bigint, 'agent', CURRENT_DATE, 0)) v",
        [agent.pk],
    )
    assert items_create(kind=TEST_KIND, select=select, now=now) == 2
    assert items_create(kind=TEST_KIND, select=select, now=now) == 0
    owned, lead = WorkItem.objects.filter(kind=TEST_KIND).order_by("subject_id")
    assert (owned.agent, owned.handed_out_at, owned.priority) == (agent, now, 5)
    assert (lead.agent, lead.handed_out_at, lead.queue) == (None, None, Queue.AGENT)


def test_the_set_based_call_takes_a_queryset(agent):
    from django.contrib.auth import get_user_model
    from django.db.models import DateField, IntegerField, Value

    people = get_user_model().objects.filter(pk=agent.pk).annotate(
        k=Value("q"), t=Value("From a queryset"), q=Value(Queue.AGENT),
        d=Value(TODAY, output_field=DateField()), p=Value(1, output_field=IntegerField()),
    ).values_list("pk", "k", "t", "pk", "q", "d", "p")  # fmt: skip
    assert items_create(kind=TEST_KIND, select=people) == 1
    item = WorkItem.objects.get(kind=TEST_KIND, subject_id=agent.pk)
    assert (item.title, item.agent, item.key) == ("From a queryset", agent, "q")


def test_no_module_outside_the_queue_writes_its_tables():
    """Only workqueue.services writes work items, results and points: other apps call it."""
    root = pathlib.Path(settings.BASE_DIR)
    writes = re.compile(
        r"(INSERT INTO|UPDATE|DELETE FROM)\s+\"?workqueue_"
        r"|\b(WorkItem|ItemResult|PointsAward)\.objects\.(create|update|bulk_create|"
        r"bulk_update|update_or_create|get_or_create|filter\([^)]*\)\s*\.(update|delete))"
        r"|insert_rows\(\s*(WorkItem|ItemResult|PointsAward)\b"
        r"|\.objects\.filter\(.*\)\.update\(.*first_contact"
    )
    offenders = []
    for path in root.rglob("*.py"):
        relative = path.relative_to(root)
        top = relative.parts[0]
        skipped = {"workqueue", ".venv", "node_modules", "bench", "e2e"}
        if top in skipped or "tests" in relative.parts or "migrations" in relative.parts:
            continue
        text = path.read_text(encoding="utf-8")
        offenders += [f"{relative}: {m.group(0)}" for m in writes.finditer(text)]
    assert offenders == []
