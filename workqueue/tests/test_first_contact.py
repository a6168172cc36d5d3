"""A work item keeps its first contact result since the hand-out (when, by whom): agent
performance reads it. Database triggers keep it through results logged, edited or deleted,
hand-outs and saves of a stale item."""

import datetime
import importlib

import pytest
from django.utils import timezone

from brokerage.accounts.tests.factories import UserFactory
from workqueue import kinds
from workqueue.models import ItemResult, WorkItem
from workqueue.results import CONTACT_FIXED, ContactResult
from workqueue.services import item_record_result

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _kinds():
    kinds.register(kinds.WorkKind(name="test_first", label="First contact", order=10))


@pytest.fixture
def item(agent):
    return WorkItem.objects.create(
        kind="test_first", subject_id=1, title="Call", agent=agent,
        due_on=timezone.localdate(), handed_out_at=timezone.now() - 5 * HOUR,
    )  # fmt: skip


def _first(item) -> tuple:
    return WorkItem.objects.values_list("first_contact_at", "first_contact_by_id").get(pk=item.pk)


def _log(item, by, result, at):
    logged = ItemResult.objects.create(item=item, result=result, by=by)
    ItemResult.objects.filter(pk=logged.pk).update(at=at)
    return logged


def test_an_item_nobody_called_has_no_first_contact(item):
    assert _first(item) == (None, None)


def test_the_first_result_logged_through_the_call_list_is_kept(item, agent):
    item_record_result(item=item, by=agent, result="no_answer")
    at, by = _first(item)
    logged = ItemResult.objects.get(item=item)
    assert (at, by) == (logged.at, agent.pk)
    item_record_result(item=item, by=agent, result="interested")
    assert _first(item) == (logged.at, agent.pk)


def test_a_maintainers_entry_is_not_a_contact_result(item, agent):
    _log(item, agent, CONTACT_FIXED, timezone.now() - HOUR)
    assert _first(item) == (None, None)


def test_an_earlier_result_edited_in_becomes_the_first(item, agent):
    later = timezone.now() - 2 * HOUR
    earlier = timezone.now() - 4 * HOUR
    _log(item, agent, "call_back", later)
    _log(item, agent, "interested", earlier)
    assert _first(item) == (earlier, agent.pk)


def test_results_before_the_hand_out_do_not_count_and_a_new_hand_out_starts_afresh(item, agent):
    _log(item, agent, "no_answer", item.handed_out_at - HOUR)
    assert _first(item) == (None, None)
    logged_at = timezone.now() - HOUR
    _log(item, agent, "no_answer", logged_at)
    assert _first(item)[0] == logged_at
    other = UserFactory(roles=["agent"])
    # The distribution hands items out with one UPDATE.
    WorkItem.objects.filter(pk=item.pk).update(agent=other, handed_out_at=timezone.now())
    assert _first(item) == (None, None)


def test_deleting_the_first_result_falls_back_to_the_next(item, agent):
    first = _log(item, agent, "no_answer", timezone.now() - 3 * HOUR)
    second_at = timezone.now() - 2 * HOUR
    _log(item, agent, "interested", second_at)
    first.delete()
    assert _first(item) == (second_at, agent.pk)


def test_a_stale_item_in_memory_does_not_write_its_copy_back(item, agent):
    stale = WorkItem.objects.get(pk=item.pk)
    logged_at = timezone.now() - HOUR
    _log(item, agent, "interested", logged_at)
    stale.priority = 3
    stale.save()
    assert _first(item) == (logged_at, agent.pk)


def test_the_triggers_know_every_contact_result():
    migration = importlib.import_module("workqueue.migrations.0005_first_contact")
    assert migration.CONTACT == ", ".join(f"'{value}'" for value in ContactResult.values)
