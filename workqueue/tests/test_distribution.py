import datetime
import threading
import time
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone

from brokerage.accounts.models import Team
from brokerage.accounts.tests.factories import UserFactory
from workqueue import distribution, kinds
from workqueue.distribution import distribution_run, last_cutoff, plan_distribution
from workqueue.models import (
    DistributionLine,
    DistributionRun,
    HandOutReason,
    ItemResult,
    ItemStatus,
    Queue,
    WorkItem,
)

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 22)


def at(day, hour, minute=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


MORNING = at(DAY, 6, 5)
EVENING = at(DAY, 18)
OWNERS: dict[int, int] = {}


@pytest.fixture(autouse=True)
def _kinds():
    OWNERS.clear()
    kinds.register(kinds.WorkKind(name="test_lead", label="Leads", order=10))
    kinds.register(
        kinds.WorkKind(
            name="test_owned",
            label="Owned",
            order=20,
            owners=lambda ids: {i: OWNERS[i] for i in ids if i in OWNERS},
        )
    )


def _item(agent=None, kind="test_lead", subject=None, handed_out_at=None, **kwargs):
    return WorkItem.objects.create(
        kind=kind,
        subject_id=subject or (WorkItem.objects.count() + 1000),
        key=kwargs.pop("key", ""),
        title=kwargs.pop("title", "Lead"),
        agent=agent,
        due_on=kwargs.pop("due_on", DAY),
        handed_out_at=handed_out_at,
        **kwargs,
    )


def _agents(n, team=None):
    return [UserFactory(roles=["agent"], team=team) for _ in range(n)]


def test_it_shares_unowned_items_at_random_and_equally():
    agents = _agents(3)
    items = [_item() for _ in range(10)]
    plan = distribution_run(now=MORNING)
    counts = Counter(
        WorkItem.objects.filter(pk__in=[i.pk for i in items]).values_list("agent_id", flat=True)
    )
    assert set(counts) == {a.pk for a in agents}
    assert sorted(counts.values()) == [3, 3, 4]
    assert WorkItem.objects.filter(handed_out_at=MORNING).count() == 10
    run = DistributionRun.objects.get()
    assert run.seed == plan.seed and run.items_count == 10 and run.by is None
    assert set(run.lines.values_list("reason", flat=True)) == {HandOutReason.SHARED}
    assert run.lines.count() == 10


@pytest.mark.parametrize("n_items,n_agents", [(1, 4), (7, 7), (23, 5), (100, 6)])
def test_it_never_gives_one_agent_two_more_than_another(n_items, n_agents):
    _agents(n_agents)
    for _ in range(n_items):
        _item()
    plan = distribution_run(now=MORNING)
    counts = plan.counts()
    full = [counts.get(pk, 0) for pk in plan.agents]
    assert sum(full) == n_items
    assert max(full) - min(full) <= 1


def test_it_is_random_but_reproducible_from_its_seed():
    _agents(4)
    for _ in range(20):
        _item()
    first = plan_distribution(now=MORNING, seed=1)
    again = plan_distribution(now=MORNING, seed=1)
    other = plan_distribution(now=MORNING, seed=2)
    pairs = lambda plan: [(line.item_id, line.agent_id) for line in plan.lines]  # noqa: E731
    assert pairs(first) == pairs(again)
    assert pairs(first) != pairs(other)
    # Running with the preview's seed hands out exactly what the preview showed.
    run = distribution_run(now=MORNING, seed=first.seed)
    assert sorted(pairs(run)) == sorted(pairs(first))
    assert sorted(WorkItem.objects.values_list("pk", "agent_id")) == sorted(pairs(first))


def test_a_preview_changes_nothing():
    _agents(2)
    _item()
    plan_distribution(now=MORNING)
    assert WorkItem.objects.get().agent is None
    assert not DistributionRun.objects.exists()


def test_it_skips_an_agent_who_left_yesterdays_items_without_a_result_by_the_cutoff():
    idle, diligent, late = _agents(3)
    yesterday = DAY - datetime.timedelta(days=1)
    _item(idle, handed_out_at=at(yesterday, 6))
    worked = _item(diligent, handed_out_at=at(yesterday, 6))
    ItemResult.objects.create(item=worked, result="no_answer", by=diligent)
    ItemResult.objects.filter(item=worked).update(at=at(DAY, 16, 59))
    slow = _item(late, handed_out_at=at(yesterday, 6))
    ItemResult.objects.create(item=slow, result="no_answer", by=late)
    ItemResult.objects.filter(item=slow).update(at=at(DAY, 17, 30))
    leads = [_item() for _ in range(4)]

    plan = distribution_run(now=EVENING)

    assert plan.cutoff_at == at(DAY, 17)
    assert {row["agent_id"]: row["unworked"] for row in plan.skipped} == {idle.pk: 1, late.pk: 1}
    assert set(
        WorkItem.objects.filter(pk__in=[i.pk for i in leads]).values_list("agent", flat=True)
    ) == {diligent.pk}
    run = DistributionRun.objects.get()
    assert {row["agent_id"] for row in run.skipped} == {idle.pk, late.pk}


def test_before_the_cutoff_it_checks_the_day_before_yesterday():
    idle, other = _agents(2)
    # Handed out yesterday: the agent has until 17:00 today, so this morning they still get work.
    _item(idle, handed_out_at=at(DAY - datetime.timedelta(days=1), 6))
    # Handed out the day before yesterday and never worked: the deadline (yesterday 17:00) passed.
    _item(other, handed_out_at=at(DAY - datetime.timedelta(days=2), 6))
    for _ in range(4):
        _item()
    plan = distribution_run(now=MORNING)
    assert plan.cutoff_at == at(DAY - datetime.timedelta(days=1), 17)
    assert plan.counts() == {idle.pk: 4}


def test_closed_or_cancelled_items_count_as_worked(settings):
    settings.WORK_RESULT_CUTOFF = "12:00"
    (agent,) = _agents(1)
    yesterday = DAY - datetime.timedelta(days=1)
    _item(agent, handed_out_at=at(yesterday, 6), status=ItemStatus.CANCELLED)
    _item(agent, handed_out_at=at(yesterday, 6), status=ItemStatus.DONE, done_at=at(DAY, 9))
    _item()
    plan = distribution_run(now=at(DAY, 12, 30))
    assert plan.cutoff_at == at(DAY, 12)
    assert plan.skipped == [] and plan.counts() == {agent.pk: 1}


def test_a_departed_agents_items_stay_in_their_team():
    north, south = Team.objects.create(name="North"), Team.objects.create(name="South")
    departed = UserFactory(roles=["agent"], team=north, deactivated_at=MORNING, is_active=False)
    north_agents = _agents(2, team=north)
    _agents(3, team=south)
    items = [_item(departed, handed_out_at=at(DAY, 6)) for _ in range(5)]
    plan = distribution_run(now=MORNING)
    got = Counter(
        WorkItem.objects.filter(pk__in=[i.pk for i in items]).values_list("agent", flat=True)
    )
    assert set(got) == {a.pk for a in north_agents} and sorted(got.values()) == [2, 3]
    assert {line.previous_agent_id for line in plan.lines} == {departed.pk}


def test_a_team_run_touches_only_that_teams_agents():
    north, south = Team.objects.create(name="North"), Team.objects.create(name="South")
    (north_agent,) = _agents(1, team=north)
    _agents(2, team=south)
    departed_south = UserFactory(roles=["agent"], team=south, is_active=False)
    south_item = _item(departed_south)
    leads = [_item() for _ in range(3)]
    distribution_run(now=MORNING, team=north)
    assert set(
        WorkItem.objects.filter(pk__in=[i.pk for i in leads]).values_list("agent", flat=True)
    ) == {north_agent.pk}
    south_item.refresh_from_db()
    assert south_item.agent_id == departed_south.pk
    assert DistributionRun.objects.get().team == north


def test_an_item_whose_client_has_an_owner_goes_to_the_owner_even_if_behind():
    owner, other = _agents(2)
    # The owner is behind on yesterday's work: shared items skip them, their own clients do not.
    _item(owner, handed_out_at=at(DAY - datetime.timedelta(days=2), 6))
    OWNERS[77] = owner.pk
    owned = _item(kind="test_owned", subject=77)
    shared = [_item() for _ in range(2)]
    plan = distribution_run(now=MORNING)
    owned.refresh_from_db()
    assert owned.agent == owner
    assert {line.reason for line in plan.lines if line.item_id == owned.pk} == {HandOutReason.OWNER}
    assert set(
        WorkItem.objects.filter(pk__in=[i.pk for i in shared]).values_list("agent", flat=True)
    ) == {other.pk}


def test_the_agent_who_worked_the_subject_before_gets_its_next_item():
    first, _second, _third = _agents(3)
    _item(first, subject=5, key="rung-30", handed_out_at=at(DAY - datetime.timedelta(days=5), 6),
          status=ItemStatus.DONE)  # fmt: skip
    ItemResult.objects.create(
        item=WorkItem.objects.get(key="rung-30"), result="call_back", by=first
    )
    follow_up = _item(subject=5, key="rung-25")
    plan = distribution_run(now=MORNING)
    follow_up.refresh_from_db()
    assert follow_up.agent == first
    assert [line.reason for line in plan.lines] == [HandOutReason.CONTINUITY]


def test_only_active_agents_get_items():
    UserFactory(roles=["maintainer"])
    UserFactory(roles=["agent"], is_active=False)
    UserFactory(roles=["agent"], deactivated_at=MORNING)
    (agent,) = _agents(1)
    _item()
    _item()
    assert distribution_run(now=MORNING).counts() == {agent.pk: 2}


def test_with_no_agent_available_the_items_wait_and_the_run_says_so():
    for _ in range(3):
        _item()
    plan = distribution_run(now=MORNING)
    assert plan.unassigned == 3 and plan.lines == []
    assert DistributionRun.objects.get().unassigned_count == 3
    assert not WorkItem.objects.filter(agent__isnull=False).exists()


def test_it_leaves_alone_closed_future_and_maintainer_items():
    _agents(1)
    _item(status=ItemStatus.DONE)
    _item(due_on=DAY + datetime.timedelta(days=1))
    _item(queue=Queue.MAINTAINERS)
    assert distribution_run(now=MORNING).lines == []


def test_last_cutoff_follows_the_setting(settings):
    settings.WORK_RESULT_CUTOFF = "16:30"
    assert last_cutoff(at(DAY, 16, 29)) == at(DAY - datetime.timedelta(days=1), 16, 30)
    assert last_cutoff(at(DAY, 16, 30)) == at(DAY, 16, 30)


@pytest.mark.django_db(transaction=True)
def test_two_distributions_at_once_never_hand_out_one_item_twice(monkeypatch):
    assert connection.vendor == "postgresql"
    _agents(4)
    items = [_item() for _ in range(60)]
    original = distribution.unworked_by_agent
    first_inside = threading.Event()
    calls = []

    def slow_first(*args, **kwargs):
        calls.append(threading.get_ident())
        if len(calls) == 1:
            first_inside.set()
            time.sleep(1.0)  # hold the locks while the second run starts
        return original(*args, **kwargs)

    monkeypatch.setattr(distribution, "unworked_by_agent", slow_first)
    plans, errors = [], []

    def run():
        try:
            plans.append(distribution_run(now=MORNING))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    first = threading.Thread(target=run)
    first.start()
    assert first_inside.wait(5)
    second = threading.Thread(target=run)
    second.start()
    first.join(10)
    second.join(10)
    assert not errors
    assert len(plans) == 2 and len(calls) == 2
    handed = Counter(DistributionLine.objects.values_list("item_id", flat=True))
    assert set(handed) == {i.pk for i in items}
    assert max(handed.values()) == 1
    for line in DistributionLine.objects.all():
        assert WorkItem.objects.get(pk=line.item_id).agent_id == line.agent_id
