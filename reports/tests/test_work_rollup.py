"""The work items counted per hand-out day and month (reports.models.WorkDay, WorkMonth) and the
points per day and month (PointsDay, PointsMonth): kept by the database in step with every
writer of the items and the awards, under the time zone and result cutoff they were counted
with (RollupClock), rebuilt by a command, and read by agent performance with the figures the
items and the awards give."""

import datetime
import threading
import time
from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brokerage.accounts.tests.factories import UserFactory
from reports.filters import ReportFilters
from reports.models import PointsDay, PointsMonth, RollupClock, WorkDay, WorkMonth
from reports.performance import (
    points_awards_figures,
    points_figures,
    work_figures,
    work_items_figures,
    work_rollup_figures,
)
from reports.rollups import work_rollup_current, work_rollup_rebuild
from workqueue.distribution import result_cutoff
from workqueue.models import ItemStatus, PointsAward, Queue, WorkItem
from workqueue.services import (
    item_close,
    item_create,
    item_record_result,
    item_return_to_agents,
    item_send_to_maintainers,
    items_close,
    items_hand_out,
    items_load_worked,
    items_supersede,
    points_award,
)
from workqueue.tests.factories import TEST_KIND, register_test_kind

pytestmark = pytest.mark.django_db

D = datetime.date
BASE = datetime.datetime(2026, 3, 1, 0, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _test_kind():
    return register_test_kind()


def recount(*, month: bool = False) -> Counter:
    """The rollup's rows as the items give them now, reckoned here in Python (the local
    hand-out day, worked, on time by the wall clock of the day after's cutoff)."""
    cutoff, rows = result_cutoff(), Counter()
    for item in WorkItem.objects.exclude(status=ItemStatus.CANCELLED).exclude(handed_out_at=None):
        owner = item.agent_id or item.first_contact_by_id
        if owner is None:
            continue
        day = timezone.localdate(item.handed_out_at)
        deadline = datetime.datetime.combine(day + datetime.timedelta(days=1), cutoff)
        on_time = any(
            moment is not None and timezone.localtime(moment).replace(tzinfo=None) <= deadline
            for moment in (item.first_contact_at, item.done_at)
        )
        worked = item.first_contact_at is not None or item.status == ItemStatus.DONE
        rows[(day.replace(day=1) if month else day, owner, item.result, worked, on_time)] += 1
    return rows


def rolled_up(model=WorkDay) -> Counter:
    return Counter({
        (r.day, r.owner_id, r.result, r.worked, r.on_time): r.items
        for r in model.objects.all() if r.items
    })  # fmt: skip


def points_recount(*, month: bool = False) -> dict:
    """The points' rollup's rows as the awards give them: (awards, points) per local day (or
    month) and agent."""
    rows: dict = {}
    for award in PointsAward.objects.all():
        day = timezone.localdate(award.awarded_at)
        key = (day.replace(day=1) if month else day, award.agent_id)
        awards, points = rows.get(key, (0, Decimal("0")))
        rows[key] = (awards + 1, points + award.points)
    return rows


def points_rolled_up(model=PointsDay) -> dict:
    return {(r.day, r.agent_id): (r.awards, r.points) for r in model.objects.all() if r.awards}


def assert_in_step():
    assert rolled_up() == recount()
    assert rolled_up(WorkMonth) == recount(month=True)
    assert points_rolled_up() == points_recount()
    assert points_rolled_up(PointsMonth) == points_recount(month=True)


def totals(rows) -> Counter:
    """work_figures' rows added up per key (a key may come in more than one row)."""
    counted = Counter()
    for row in rows:
        key = (row["owner"], row["result"], row["worked"], row["on_time"], row["past_cutoff"])
        counted[key] += row["items"]
    return +counted


@pytest.fixture
def clock(settings):
    """Mexico City's time (UTC-6) and a 17:00 cutoff, the rollups counted under them."""
    settings.TIME_ZONE = "America/Mexico_City"
    settings.WORK_RESULT_CUTOFF = "17:00"
    work_rollup_rebuild()
    assert work_rollup_current()
    return settings


def _at(day, hour, minute=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


# -- each writer of the items keeps it in step ----------------------------------------------


def test_the_queues_services_keep_it_in_step(clock, teams):
    ana, beto, maintainer = teams.ana, teams.beto, UserFactory(roles=["maintainer"])
    today = timezone.localdate()
    items = [
        item_create(kind=TEST_KIND, subject_id=n, title="Call", due_on=today, agent=ana)
        for n in range(1, 6)
    ]
    assert sum(rolled_up().values()) == 5
    assert_in_step()
    item_record_result(item=items[0], by=ana, result="call_back",
                       callback_at=timezone.now() + datetime.timedelta(hours=2))  # fmt: skip
    item_record_result(item=items[1], by=ana, result="sold")  # final: closes it
    assert {(k[2], k[3], k[4]) for k in rolled_up()} == {
        ("", False, False),
        ("call_back", True, True),
        ("sold", True, True),
    }
    assert_in_step()
    # Three failed attempts: the item leaves the agents' lists, still counted as Ana's.
    for _ in range(3):
        item_record_result(item=WorkItem.objects.get(pk=items[2].pk), by=ana, result="no_answer")
    assert WorkItem.objects.get(pk=items[2].pk).agent_id is None
    assert {k[1] for k in rolled_up()} == {ana.pk}
    assert_in_step()
    item_close(item=WorkItem.objects.get(pk=items[2].pk), by=maintainer, note="Fixed by hand")
    assert_in_step()
    # Reassigned: handed out afresh to Beto, no first contact yet.
    items_hand_out(assignments={beto.pk: [items[3].pk]})
    assert rolled_up()[(today, beto.pk, "", False, False)] == 1
    assert_in_step()
    item_send_to_maintainers(item=WorkItem.objects.get(pk=items[4].pk))  # nobody's: left out
    assert sum(rolled_up().values()) == 4
    item_return_to_agents(item=WorkItem.objects.get(pk=items[4].pk), by=maintainer)
    assert_in_step()
    # A newer item supersedes the older (cancelled: left out); the subject's work closed.
    WorkItem.objects.filter(pk=items[3].pk).update(created_at=F("created_at") - datetime.
                                                   timedelta(days=1))  # fmt: skip
    item_create(kind=TEST_KIND, subject_id=4, key="overdue", title="Call", due_on=today,
                agent=beto)  # fmt: skip
    items_supersede(kind=TEST_KIND, created_since=timezone.now() - datetime.timedelta(hours=1))
    assert WorkItem.objects.get(pk=items[3].pk).status == ItemStatus.CANCELLED
    items_close(kind=TEST_KIND, subject_ids=[1], result="sold")
    assert_in_step()
    WorkItem.objects.filter(pk=items[0].pk).delete()
    assert_in_step()


def test_points_awarded_and_loaded_keep_it_in_step(clock, teams):
    points_award(agent=teams.ana, kind="renewal", subject_id=1, points=Decimal("12.50"),
                 reason="Renewal")  # fmt: skip
    points_award(agent=teams.ana, kind="renewal", subject_id=1, points=Decimal("9"),
                 reason="Twice")  # fmt: skip  # once per subject: ignored
    late = _at(D(2026, 3, 31), 20)  # April 1st in UTC, March 31st here
    items_load_worked(items=[], points=[
        {"agent_id": teams.beto.pk, "kind": "renewal", "subject_id": 2, "points": Decimal("3"),
         "premium": None, "reason": "Loaded", "awarded_at": late},
    ])  # fmt: skip
    assert points_rolled_up(PointsMonth) == {
        (timezone.localdate().replace(day=1), teams.ana.pk): (1, Decimal("12.50")),
        (D(2026, 3, 1), teams.beto.pk): (1, Decimal("3.00")),
    }
    assert_in_step()
    PointsAward.objects.filter(subject_id=2).update(agent=teams.ana, points=Decimal("4.25"))
    assert_in_step()
    PointsAward.objects.filter(subject_id=1).delete()
    assert_in_step()
    march = ReportFilters(start=D(2026, 3, 1), end=D(2026, 3, 31))
    assert points_figures(agent_ids=[teams.ana.pk], filters=march) == {
        teams.ana.pk: Decimal("4.25")
    }


def test_an_evening_hand_out_counts_on_its_local_day_and_the_cutoff_in_local_time(clock, teams):
    """20:00 in Mexico City is already the next day in UTC: the item is the 10th's, and its
    cutoff the 11th at 17:00 local time (23:00 UTC)."""
    tenth, eleventh = D(2026, 3, 10), D(2026, 3, 11)
    for minute, subject in ((59, 1), (61, 2)):
        WorkItem.objects.create(
            kind=TEST_KIND, subject_id=subject, title="Call", agent=teams.ana, due_on=tenth,
            handed_out_at=_at(tenth, 20), first_contact_at=_at(eleventh, 16) +
            datetime.timedelta(minutes=minute), first_contact_by=teams.ana, result="call_back",
        )  # fmt: skip
    assert rolled_up() == {
        (tenth, teams.ana.pk, "call_back", True, True): 1,
        (tenth, teams.ana.pk, "call_back", True, False): 1,
    }
    assert rolled_up(WorkMonth) == {
        (D(2026, 3, 1), teams.ana.pk, "call_back", True, True): 1,
        (D(2026, 3, 1), teams.ana.pk, "call_back", True, False): 1,
    }


@pytest.mark.django_db(transaction=True)
def test_two_agents_logging_results_at_once_both_count(settings, teams):
    """Two transactions changing one key at once (items of one agent and day, results logged
    by two people) both count: the second waits for the first's lock on the rollup's row,
    then adds to what it committed; neither is lost, nothing deadlocks."""
    settings.TIME_ZONE, settings.WORK_RESULT_CUTOFF = "America/Mexico_City", "17:00"
    work_rollup_rebuild()
    day = timezone.localdate()
    items = [
        item_create(kind=TEST_KIND, subject_id=n, title="Call", due_on=day, agent=teams.ana)
        for n in (1, 2)
    ]
    start = threading.Barrier(2)
    errors = []

    def log(item):
        try:
            start.wait(timeout=10)
            with transaction.atomic():
                WorkItem.objects.filter(pk=item.pk).update(
                    result="call_back", first_contact_at=timezone.now(),
                    first_contact_by=teams.ana,
                )  # fmt: skip
                time.sleep(0.2)  # the other transaction's trigger meets this one's lock
        except Exception as exc:  # noqa: BLE001 - a thread's error is asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=log, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert errors == []
    assert rolled_up() == {(day, teams.ana.pk, "call_back", True, True): 2}
    assert_in_step()


# -- the clock: counted under the settings' time zone and cutoff, or not read ---------------


def _book(teams):
    eleventh = D(2026, 3, 11)
    for subject, minute in enumerate((0, 30, 90)):
        WorkItem.objects.create(
            kind=TEST_KIND, subject_id=subject + 1, title="Call", agent=teams.ana,
            due_on=D(2026, 3, 10), handed_out_at=_at(D(2026, 3, 10), 9),
            first_contact_at=_at(eleventh, 16) + datetime.timedelta(minutes=minute),
            first_contact_by=teams.ana, result="call_back",
        )  # fmt: skip


def test_a_new_cutoff_is_read_from_the_items_until_the_rollup_is_counted_again(clock, teams):
    _book(teams)
    march = ReportFilters(start=D(2026, 3, 1), end=D(2026, 3, 31))
    now = _at(D(2026, 4, 2), 12)
    rows = work_figures(agent_ids=[teams.ana.pk], filters=march, now=now)
    assert totals(rows) == {
        (teams.ana.pk, "call_back", True, True, True): 2,
        (teams.ana.pk, "call_back", True, False, True): 1,
    }
    clock.WORK_RESULT_CUTOFF = "16:15"
    assert not work_rollup_current()
    with CaptureQueriesContext(connection) as queries:
        rows = work_figures(agent_ids=[teams.ana.pk], filters=march, now=now)
    assert not any("reports_work" in q["sql"] for q in queries.captured_queries)
    assert totals(rows) == {
        (teams.ana.pk, "call_back", True, True, True): 1,
        (teams.ana.pk, "call_back", True, False, True): 2,
    }
    out = StringIO()
    call_command("rebuild_rollups", "--from", "2026-03-05", "--to", "2026-03-06", stdout=out)
    assert "work items' rollup rebuilt: 4 rows" in out.getvalue()  # every month: a new clock
    assert RollupClock.objects.get().result_cutoff == datetime.time(16, 15)
    assert work_rollup_current()
    with CaptureQueriesContext(connection) as queries:
        assert totals(work_figures(agent_ids=[teams.ana.pk], filters=march, now=now)) == totals(
            rows
        )
    assert any("reports_workmonth" in q["sql"] for q in queries.captured_queries)
    assert_in_step()
    clock.TIME_ZONE = "UTC"
    assert not work_rollup_current()


def test_the_command_counts_a_range_of_months_again(clock, teams):
    _book(teams)
    WorkItem.objects.create(kind=TEST_KIND, subject_id=9, title="Call", agent=teams.beto,
                            due_on=D(2026, 5, 2), handed_out_at=_at(D(2026, 5, 2), 9))  # fmt: skip
    before = rolled_up(), rolled_up(WorkMonth)
    WorkDay.objects.filter(day__month=3).delete()
    WorkMonth.objects.filter(day=D(2026, 3, 1)).update(items=7)
    WorkDay.objects.filter(day__month=5).update(items=2)
    call_command("rebuild_rollups", "--from", "2026-03-20", "--to", "2026-03-21",
                 stdout=StringIO())  # fmt: skip
    assert rolled_up()[(D(2026, 5, 2), teams.beto.pk, "", False, False)] == 2  # untouched
    call_command("rebuild_rollups", stdout=StringIO())
    assert (rolled_up(), rolled_up(WorkMonth)) == before
    assert_in_step()


def test_the_page_reads_the_rollup(client, clock, teams):
    _book(teams)
    client.force_login(teams.manager)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/reports/agents/", {"start": "2026-03-01", "end": "2026-03-31"})
    table = {t.slug: t for t in response.context["tables"]}["agents"]
    assert [(r.label, r.values["handed_out"], r.values["on_time"]) for r in table.rows] == [
        ("Ana Ruiz", 3, 2), ("Beto Soto", 0, 0),
    ]  # fmt: skip
    assert not any('"workqueue_workitem"' in q["sql"] for q in queries.captured_queries)


# -- random books: the rollup gives the figures the items give ------------------------------

MINUTES = 60 * 24 * 70  # hand-outs over ten weeks
# Moments from March 1st 00:00 UTC: any in ten weeks, or often at the turn of a day (in UTC,
# Mexico City's UTC-6 or Kolkata's UTC+5:30) near the turn of a month.
moments = st.one_of(
    st.integers(0, MINUTES),
    st.builds(
        lambda day, minute: day * 24 * 60 + minute,
        st.sampled_from([0, 1, 29, 30, 31, 59, 60, 61]),
        st.sampled_from([0, 1, 329, 330, 359, 360, 361, 1080, 1439]),
    ),
)
item_specs = st.fixed_dictionaries({
    "agent": st.sampled_from([0, 1, 2, None]), "by": st.sampled_from([0, 1, 2, None]),
    "handed": st.one_of(moments, st.none()),
    "contact": st.one_of(st.none(), st.integers(-60, 60 * 60)),
    "done": st.one_of(st.none(), st.integers(-60, 60 * 60)),
    "status": st.sampled_from(ItemStatus.values),
    "result": st.sampled_from(["", "no_answer", "call_back", "sold"]),
})  # fmt: skip
edits = st.lists(
    st.tuples(st.sampled_from(["result", "close", "reassign", "cancel", "maintainers",
                               "delete"]),
              st.integers(0, 30), st.integers(0, 60 * 50)),
    max_size=5,
)  # fmt: skip
award_specs = st.lists(
    st.tuples(st.sampled_from([0, 1, 2]), moments, st.integers(-500, 5000)),
    max_size=10,
)  # fmt: skip
award_edits = st.lists(
    st.tuples(st.sampled_from(["agent", "points", "moved", "delete"]), st.integers(0, 20),
              moments),
    max_size=3,
)  # fmt: skip
clocks = st.tuples(st.sampled_from(["UTC", "America/Mexico_City", "Asia/Kolkata"]),
                   st.sampled_from(["17:00", "09:30", "23:59"]))  # fmt: skip
# (first day, days after it, today, the minute of today): days from March 1st, often whole
# months (March's 31 days, April's 30) and a today inside them.
report_ranges = st.lists(
    st.tuples(st.one_of(st.sampled_from([-1, 0, 1, 30, 31]), st.integers(-10, 75)),
              st.one_of(st.sampled_from([0, 29, 30, 59, 60, 61]), st.integers(0, 80)),
              st.one_of(st.integers(0, 40), st.integers(-5, 80)), st.integers(0, 24 * 60)),
    min_size=1, max_size=4,
)  # fmt: skip


def _minutes(n):
    return BASE + datetime.timedelta(minutes=n)


def _award(agents, awards, changes):
    made = [
        PointsAward.objects.create(
            agent=agents[agent],
            kind="renewal",
            subject_id=n + 1,
            reason="Renewal",
            awarded_at=_minutes(minute),
            points=Decimal(points) / 100,
        )  # fmt: skip
        for n, (agent, minute, points) in enumerate(awards)
    ]
    for what, index, value in changes:
        if not made:
            break
        one = PointsAward.objects.filter(pk=made[index % len(made)].pk)
        if what == "agent":
            one.update(agent=agents[value % 3])
        elif what == "points":
            one.update(points=Decimal(value % 997) / 10)
        elif what == "moved":
            one.update(awarded_at=_minutes(value))
        else:
            one.delete()


def _build(agents, specs, changes):
    items = []
    for n, spec in enumerate(specs):
        handed = None if spec["handed"] is None else _minutes(spec["handed"])
        agent = None if spec["agent"] is None else agents[spec["agent"]]
        by = None if spec["by"] is None or spec["contact"] is None else agents[spec["by"]]
        after = handed or BASE
        items.append(WorkItem.objects.create(
            kind=TEST_KIND, subject_id=n + 1, title="Call", agent=agent, due_on=after.date(),
            handed_out_at=handed, status=spec["status"], result=spec["result"],
            queue=Queue.AGENT if agent else Queue.MAINTAINERS,
            first_contact_at=None if by is None else after + datetime.timedelta(
                minutes=spec["contact"]),
            first_contact_by=by,
            done_at=None if spec["done"] is None else after + datetime.timedelta(
                minutes=spec["done"]),
        ))  # fmt: skip
    for what, index, value in changes:
        if not items:
            break
        item = items[index % len(items)]
        one = WorkItem.objects.filter(pk=item.pk)
        later = _minutes(value + index)
        if what == "result":  # a contact result logged (the first since the hand-out)
            one.update(result="call_back", first_contact_at=later,
                       first_contact_by=agents[value % 3])  # fmt: skip
        elif what == "close":
            one.update(status=ItemStatus.DONE, done_at=later, result="sold")
        elif what == "reassign":  # handed out afresh to another agent
            items_hand_out(assignments={agents[value % 3].pk: [item.pk]}, now=later)
        elif what == "cancel":
            one.update(status=ItemStatus.CANCELLED, done_at=later)
        elif what == "maintainers":
            one.update(agent=None, queue=Queue.MAINTAINERS)
        else:
            one.delete()


@settings(
    max_examples=40,
    database=None,  # nothing written to the working tree
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=st.lists(item_specs, min_size=1, max_size=12), changes=edits, zone=clocks,
       ranges=report_ranges, awards=award_specs, award_changes=award_edits)  # fmt: skip
def test_the_rollup_gives_the_figures_the_items_give(settings, teams, specs, changes, zone,
                                                     ranges, awards, award_changes):  # fmt: skip
    """Random small books of items (owners, hand-outs at any hour, results logged and items
    closed before and after the cutoff, or never; items with no agent, never handed out or
    cancelled) and points awarded at any hour under a random time zone and cutoff, changed
    afterwards the ways the queue changes them; for random ranges and moments, agent
    performance's work figures and points read from the rollups equal those counted from the
    items and the awards, and the rollups equal their recount."""
    agents = [teams.ana, teams.beto, teams.carla]
    ids = [a.pk for a in agents]
    with transaction.atomic():
        settings.TIME_ZONE, settings.WORK_RESULT_CUTOFF = zone
        work_rollup_rebuild()
        _build(agents, specs, changes)
        _award(agents, awards, award_changes)
        assert_in_step()
        assert work_rollup_current()
        for start, length, today, minute in ranges:
            first = BASE.date() + datetime.timedelta(days=start)
            filters = ReportFilters(start=first, end=first + datetime.timedelta(days=length))
            now = _minutes(today * 24 * 60 + minute)
            rollup = work_rollup_figures(agent_ids=ids, filters=filters, now=now)
            live = work_items_figures(agent_ids=ids, filters=filters, now=now)
            assert totals(rollup) == totals(live)
            assert totals(work_rollup_figures(agent_ids=ids[:1], filters=filters, now=now)) == (
                totals(work_items_figures(agent_ids=ids[:1], filters=filters, now=now))
            )
            for some in (ids, ids[1:]):
                assert points_figures(agent_ids=some, filters=filters) == (
                    points_awards_figures(agent_ids=some, filters=filters)
                )
        transaction.set_rollback(True)


def test_the_equivalence_test_can_fail(clock, teams):
    """A rollup row gone wrong shows in the comparison the property test makes."""
    _book(teams)
    WorkMonth.objects.update(items=F("items") + 1)
    march = ReportFilters(start=D(2026, 3, 1), end=D(2026, 3, 31))
    now = _at(D(2026, 4, 2), 12)
    ids = [teams.ana.pk]
    assert totals(work_rollup_figures(agent_ids=ids, filters=march, now=now)) != totals(
        work_items_figures(agent_ids=ids, filters=march, now=now)
    )
    with pytest.raises(AssertionError):
        assert_in_step()
