import datetime
import threading
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from policies.models import Line, PolicyStatus
from policies.tests.factories import InsurerFactory
from renewals.jobs import renewals_morning_job, renewals_open_and_queue
from renewals.kind import LAPSED_KIND, RENEWAL_KIND
from renewals.ladders import validate_rungs
from renewals.models import CaseStatus, LadderRule, RenewalCase
from renewals.tests.conftest import TODAY, days, policy_ending
from workqueue.models import ItemStatus, Queue, WorkItem

pytestmark = pytest.mark.django_db


def items(**filters):
    return WorkItem.objects.filter(kind=RENEWAL_KIND, **filters)


def test_it_opens_cases_only_for_policies_entering_the_ladder(ladders, agent):
    inside = policy_ending(30, owner=agent)
    edge = policy_ending(0, owner=agent)
    outside = policy_ending(31, owner=agent)
    cancelled = policy_ending(10, owner=agent, status=PolicyStatus.CANCELLED)
    report = renewals_morning_job(day=TODAY)
    assert report.cases_opened == 2
    cases = RenewalCase.objects.all()
    assert {c.policy_id for c in cases} == {inside.pk, edge.pk}
    case = RenewalCase.objects.get(policy=inside)
    assert case.ladder == ladders["default"] and case.status == CaseStatus.OPEN
    assert case.last_premium == inside.premium and case.opened_on == TODAY
    assert not RenewalCase.objects.filter(policy__in=[outside, cancelled]).exists()


def test_it_queues_the_touch_that_falls_due_for_the_owner(ladders, agent):
    policy = policy_ending(30, owner=agent)
    renewals_morning_job(day=TODAY)
    item = items().get()
    case = RenewalCase.objects.get(policy=policy)
    assert (item.subject_id, item.key, item.agent, item.due_on) == (
        case.pk,
        "rung-30",
        agent,
        TODAY,
    )
    assert item.queue == Queue.AGENT and item.status == ItemStatus.OPEN
    assert policy.holder.display_name in item.title and policy.number in item.title
    assert case.__class__.objects.get(pk=case.pk).stage == "reminder"


def test_an_unowned_client_leaves_the_item_for_distribution(ladders):
    policy_ending(30)
    renewals_morning_job(day=TODAY)
    assert items().get().agent is None


def test_running_twice_creates_everything_once(ladders, agent):
    for n in (30, 25, 20, 15, 3):
        policy_ending(n, owner=agent)
    first = renewals_morning_job(day=TODAY)
    counts = (RenewalCase.objects.count(), items().count())
    second = renewals_morning_job(day=TODAY)
    assert (RenewalCase.objects.count(), items().count()) == counts
    assert first.total_items == counts[1] and second.total_items == 0
    assert second.cases_opened == 0


def test_it_walks_the_ladder_day_by_day(ladders, agent):
    policy = policy_ending(30, owner=agent)
    for offset in range(0, 16):
        renewals_morning_job(day=days(offset))
    case = RenewalCase.objects.get(policy=policy)
    assert sorted(items(subject_id=case.pk).values_list("key", flat=True)) == [
        "rung-15", "rung-25", "rung-30",
    ]  # fmt: skip
    assert items(key="rung-25").get().due_on == days(5)
    case.refresh_from_db()
    assert case.stage == "quote"


def test_it_catches_up_rungs_missed_while_the_job_was_down(ladders, agent):
    policy = policy_ending(30, owner=agent)
    renewals_morning_job(day=TODAY)  # opens the case, 30-day touch
    renewals_morning_job(day=days(16))  # the job was down from day 1 to day 15
    case = RenewalCase.objects.get(policy=policy)
    due = dict(items(subject_id=case.pk).values_list("key", "due_on"))
    assert due == {"rung-30": TODAY, "rung-25": days(5), "rung-15": days(15)}


def test_a_case_opened_late_gets_one_first_touch_at_its_stage(ladders, agent):
    policy = policy_ending(20, owner=agent)  # imported 20 days before expiry
    renewals_morning_job(day=TODAY)
    case = RenewalCase.objects.get(policy=policy)
    assert list(items(subject_id=case.pk).values_list("key", "due_on")) == [("rung-25", days(-5))]
    renewals_morning_job(day=days(5))
    assert sorted(items(subject_id=case.pk).values_list("key", flat=True)) == [
        "rung-15", "rung-25",
    ]  # fmt: skip


def test_an_imports_call_queues_the_touches_of_the_cases_it_opens_only(ladders, agent):
    """After an import, the rungs of the cases already open stay the morning job's: the
    import's call does not read the book's open cases for them."""
    policy = policy_ending(30, owner=agent)
    renewals_morning_job(day=TODAY)  # opens the case, 30-day touch
    imported = policy_ending(25, owner=agent)
    report = renewals_open_and_queue(day=days(5))  # the first case's 25-day rung is due too
    case, new = (RenewalCase.objects.get(policy=p) for p in (policy, imported))
    assert report.cases_opened == 1 and report.items_created == {25: 1}
    assert list(items(subject_id=new.pk).values_list("key", "due_on")) == [("rung-25", TODAY)]
    assert list(items(subject_id=case.pk).values_list("key", flat=True)) == ["rung-30"]
    renewals_morning_job(day=days(5))
    assert sorted(items(subject_id=case.pk).values_list("key", flat=True)) == [
        "rung-25", "rung-30",
    ]  # fmt: skip
    assert items(subject_id=new.pk).count() == 1


def test_rules_pick_the_most_specific_ladder(ladders, agent):
    picc = InsurerFactory(code="picc")
    LadderRule.objects.create(ladder=ladders["dealer"], insurer=picc)
    LadderRule.objects.create(ladder=ladders["dealer"], line=Line.HEALTH)
    dealer_auto = policy_ending(58, owner=agent, insurer=picc)
    dealer_health = policy_ending(50, owner=agent, line=Line.HEALTH)
    default_auto = policy_ending(29, owner=agent)
    not_yet = policy_ending(58, owner=agent)  # default ladder starts at 30 days
    renewals_morning_job(day=TODAY)
    ladder_of = dict(RenewalCase.objects.values_list("policy_id", "ladder__code"))
    assert ladder_of == {
        dealer_auto.pk: "dealer", dealer_health.pk: "dealer", default_auto.pk: "design-card",
    }  # fmt: skip
    assert not_yet.pk not in ladder_of


def test_it_lapses_unrenewed_policies_after_the_end_date(ladders, agent, manager):
    policy = policy_ending(1, owner=agent)
    renewals_morning_job(day=TODAY)
    renewals_morning_job(day=days(2))
    policy.refresh_from_db()
    case = RenewalCase.objects.get(policy=policy)
    assert policy.status == PolicyStatus.LAPSED
    assert case.status == CaseStatus.LAPSED and case.lapsed_at is not None
    record = policy.history.first()
    assert record.status == PolicyStatus.LAPSED and "lapsed" in record.history_change_reason


def test_a_lapse_writes_each_policy_and_one_full_history_row_in_sql(ladders, agent):
    """The lapse is one statement (the policies' UPDATE returning into their history): every
    lapsed policy gets one update row copying all its fields; the others get none."""
    ended = [policy_ending(-n, owner=agent, premium=1000 + n) for n in (1, 2, 3)]
    running = policy_ending(5, owner=agent)
    rows = {p.pk: p.history.count() for p in (*ended, running)}
    report = renewals_morning_job(day=TODAY)
    assert report.policies_lapsed == 3
    for policy in ended:
        old_updated_at = policy.updated_at
        policy.refresh_from_db()
        assert policy.status == PolicyStatus.LAPSED and policy.updated_at > old_updated_at
        assert policy.history.count() == rows[policy.pk] + 1
        record = policy.history.first()
        assert record.history_type == "~" and record.history_user_id is None
        assert record.history_change_reason == "lapsed: not renewed by the end date"
        assert (record.number, record.premium, record.holder_id, record.end_date) == (
            policy.number, policy.premium, policy.holder_id, policy.end_date,
        )  # fmt: skip
    assert running.history.count() == rows[running.pk]
    assert renewals_morning_job(day=TODAY).policies_lapsed == 0


def test_it_hands_cases_lapsed_over_48_hours_to_the_maintainers(ladders, agent):
    policy = policy_ending(1, owner=agent)
    renewals_morning_job(day=TODAY)
    lapsed_at = timezone.make_aware(datetime.datetime.combine(days(2), datetime.time(6)))
    renewals_morning_job(day=days(2), now=lapsed_at)
    assert not WorkItem.objects.filter(kind=LAPSED_KIND).exists()
    renewals_morning_job(day=days(3), now=lapsed_at + datetime.timedelta(hours=24))
    assert not WorkItem.objects.filter(kind=LAPSED_KIND).exists()
    later = lapsed_at + datetime.timedelta(hours=49)
    report = renewals_morning_job(day=days(4), now=later)
    item = WorkItem.objects.get(kind=LAPSED_KIND)
    assert report.cases_handed_over == 1
    assert item.queue == Queue.MAINTAINERS and item.agent is None
    assert item.subject_id == RenewalCase.objects.get(policy=policy).pk
    renewals_morning_job(day=days(5), now=later + datetime.timedelta(days=1))
    assert WorkItem.objects.filter(kind=LAPSED_KIND).count() == 1


def test_the_query_count_does_not_grow_with_the_policies(
    ladders, agent, django_assert_max_num_queries
):
    def run(n, day):
        for i in range(n):
            policy_ending(30 - (i % 16), owner=agent)
        with django_assert_max_num_queries(30) as captured:
            renewals_morning_job(day=day)
        return len(captured.captured_queries)

    few = run(3, TODAY)
    RenewalCase.objects.all().delete()
    WorkItem.objects.all().delete()
    many = run(60, TODAY)
    assert many == few


@pytest.mark.parametrize(
    ("rungs", "message"),
    [
        ([{"days": 30}, {"days": 30}], "twice"),
        ([{"days": -1}], "zero or more"),
        ([], "at least one rung"),
        ([{"days": "x"}], "whole number"),
    ],
)
def test_a_bad_ladder_is_refused(rungs, message):
    with pytest.raises(ValidationError, match=message):
        validate_rungs(rungs)


def test_the_command_prints_what_it_created(ladders, agent):
    policy_ending(30, owner=agent)
    out = StringIO()
    call_command("run_morning_jobs", "--date", TODAY.isoformat(), stdout=out)
    text = out.getvalue()
    assert "renewal cases opened: 1" in text and "touches at 30 days: 1" in text


def test_the_command_refuses_a_bad_date():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("run_morning_jobs", "--date", "22/11/2026")


@pytest.mark.django_db(transaction=True)
def test_two_jobs_at_once_create_everything_once(ladders, agent):
    for n in range(0, 31, 3):
        policy_ending(n, owner=agent)
    barrier = threading.Barrier(2)
    errors = []

    def run():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            renewals_morning_job(day=TODAY)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert RenewalCase.objects.count() == 11
    keys = list(items().values_list("subject_id", "key"))
    assert len(keys) == len(set(keys)) > 0
