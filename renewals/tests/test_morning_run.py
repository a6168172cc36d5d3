"""The morning run's record of each day's parts (issue 18): a second run of the same day finds
the renewals, the instalments' catch-up, the payments and the service touches done and reads
nothing of the book; a forced
run, or a run after an import reopened the day, does them again; a part that fails is done by
the next run; two runs at once do each part once."""

import datetime
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.kind import PAYMENT_KIND
from billing.tests.factories import InstalmentFactory
from brokerage.core.models import MorningRun
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory
from renewals import morning as morning_module
from renewals.jobs import renewals_morning_job
from renewals.kind import RENEWAL_KIND
from renewals.models import RenewalCase
from renewals.morning import INSTALMENTS, PAYMENTS, RENEWALS, TOUCHES, morning_run
from renewals.tasks import renewals_morning_task, renewals_open_task
from renewals.tests.conftest import TODAY, days, policy_ending
from workqueue.models import WorkItem

pytestmark = pytest.mark.django_db

PARTS = {RENEWALS, INSTALMENTS, PAYMENTS, TOUCHES}


@pytest.fixture(autouse=True)
def payment_ladder():
    """Seed 000's payment-due ladder (a transactional test before may have flushed it)."""
    from billing.ladder import collection_ladder_default
    from billing.models import CollectionRung

    if not CollectionRung.objects.exists():
        collection_ladder_default()


def test_a_second_run_the_same_day_finds_every_part_done_without_reading_the_book(ladders, agent):
    policy_ending(30, owner=agent)
    first = morning_run(day=TODAY)
    assert first.done_before == {} and first.renewals.cases_opened == 1
    with CaptureQueriesContext(connection) as queries:
        again = morning_run(day=TODAY)
    assert set(again.done_before) == PARTS
    assert (again.renewals, again.payments, again.touches) == (None, None, None)
    read = " ".join(q["sql"] for q in queries.captured_queries)
    for table in ("renewals_renewalcase", "workqueue_workitem", "touches_touch", "clients_client",
                  "billing_paymentpromise"):  # fmt: skip
        assert table not in read
    assert len(queries.captured_queries) == 4 * len(PARTS)  # a savepoint, its row, the record
    done = MorningRun.objects.get(part=RENEWALS, day=TODAY)
    assert done.report["cases_opened"] == 1 and done.finished_at is not None
    assert RenewalCase.objects.count() == 1


def test_the_next_day_runs_every_part(ladders, agent):
    morning_run(day=TODAY)
    policy_ending(31, owner=agent)  # enters the ladder tomorrow
    tomorrow = morning_run(day=days(1))
    assert tomorrow.done_before == {} and tomorrow.renewals.cases_opened == 1


def test_force_runs_every_part_again(ladders, agent):
    morning_run(day=TODAY)
    late = policy_ending(25, owner=agent)  # written after the morning run
    assert morning_run(day=TODAY).renewals is None
    assert not RenewalCase.objects.filter(policy=late).exists()
    forced = morning_run(day=TODAY, force=True)
    assert forced.done_before == {} and forced.renewals.cases_opened == 1
    assert WorkItem.objects.filter(kind=RENEWAL_KIND, subject_id=late.renewal_case.pk).exists()
    assert MorningRun.objects.filter(day=TODAY).count() == len(PARTS)


def test_the_command_says_what_was_already_done_and_force_does_it_again(ladders, agent):
    policy_ending(30, owner=agent)
    out = StringIO()
    call_command("run_morning_jobs", "--date", TODAY.isoformat(), stdout=out)
    assert "renewal cases opened: 1" in out.getvalue()
    again = StringIO()
    call_command("run_morning_jobs", "--date", TODAY.isoformat(), stdout=again)
    text = again.getvalue()
    for part in PARTS:
        assert f"  {part}: already done at " in text
    assert "renewal cases opened" not in text and "distribution (seed" not in text
    assert "distribution: nothing new to hand out" in text
    forced = StringIO()
    call_command("run_morning_jobs", "--date", TODAY.isoformat(), "--force", stdout=forced)
    assert "already done" not in forced.getvalue() and "distribution (seed" in forced.getvalue()
    assert "renewal cases opened: 0" in forced.getvalue()


def test_an_import_reopens_the_day_for_the_parts_after_it(ladders, agent):
    today = timezone.localdate()
    morning_run()
    # The import brings a policy with an instalment due today.
    policy = PolicyFactory(
        holder=ClientFactory(owner=agent), start_date=today - datetime.timedelta(days=60),
        end_date=today + datetime.timedelta(days=300),
    )  # fmt: skip
    due = InstalmentFactory(policy=policy, due_on=today)
    assert morning_run().payments is None
    assert not WorkItem.objects.filter(kind=PAYMENT_KIND, subject_id=due.pk).exists()
    renewals_open_task()
    assert not MorningRun.objects.filter(day=today).exists()
    after = morning_run()
    assert after.done_before == {} and after.payments.total_items == 1
    assert WorkItem.objects.get(kind=PAYMENT_KIND, subject_id=due.pk).agent == agent


def test_a_part_that_fails_is_done_by_the_next_run(ladders, agent, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the payments failed")

    monkeypatch.setattr("renewals.morning.collections_morning_job", broken)
    with pytest.raises(RuntimeError):
        morning_run(day=TODAY)
    assert set(MorningRun.objects.values_list("part", flat=True)) == {RENEWALS, INSTALMENTS}
    monkeypatch.undo()
    again = morning_run(day=TODAY)
    assert set(again.done_before) == {RENEWALS, INSTALMENTS}
    assert again.payments is not None and again.touches is not None


def test_the_beat_task_twice_lists_the_parts_already_done(
    ladders, agent, django_capture_on_commit_callbacks
):
    from workqueue.tasks import distribution_task

    with django_capture_on_commit_callbacks() as after_first:
        first = renewals_morning_task()
    with django_capture_on_commit_callbacks() as after_second:
        second = renewals_morning_task()
    # The hand-out follows the first run only: the second made nothing new.
    assert distribution_task.delay in after_first
    assert distribution_task.delay not in after_second
    assert first["already_done"] == []
    assert second["already_done"] == sorted(PARTS)
    assert second["items_created"] == second["payment_items_created"] == 0


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_do_each_part_once(ladders, agent):
    for n in range(0, 31, 3):
        policy_ending(n, owner=agent)
    barrier = threading.Barrier(2)
    reports, errors = [], []

    def run():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            reports.append(morning_run(day=TODAY))
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
    for part in PARTS:
        assert sorted(part in report.done_before for report in reports) == [False, True]
    assert RenewalCase.objects.count() == 11
    keys = list(WorkItem.objects.values_list("kind", "subject_id", "key"))
    assert len(keys) == len(set(keys)) > 0
    assert MorningRun.objects.filter(day=TODAY).count() == len(PARTS)


def test_day_by_day_runs_that_read_only_the_rungs_fallen_due_since_miss_nothing(ladders, agent):
    """Each morning reads the rungs fallen due since the last run (its record), the cases it
    opened and those whose end date moved: a full reading afterwards finds nothing left to do,
    over days with gaps (the job down), a late policy and end dates edited both ways."""
    policies = [policy_ending(n, owner=agent) for n in (45, 40, 33, 31, 29, 20, 12)]
    stages = {}
    for offset in (0, 1, 2, 5, 6, 7, 8, 12, 13, 20, 21, 22):
        if offset == 5:
            late = policy_ending(26, owner=agent)  # written by hand, already past a rung
            policies.append(late)
        if offset == 7:  # end dates edited (as the policy form saves): one earlier, one later
            policies[0].end_date = days(24)
            policies[0].save()
            policies[3].end_date = days(60)
            policies[3].save()
        run = morning_run(day=days(offset))
        assert run.done_before == {}
        stages[offset] = dict(RenewalCase.objects.values_list("pk", "stage"))
    last = days(22)
    items_before = set(WorkItem.objects.values_list("kind", "subject_id", "key"))
    full = renewals_morning_job(day=last, now=timezone.now())
    assert full.total_items == 0 and full.cases_opened == 0
    assert set(WorkItem.objects.values_list("kind", "subject_id", "key")) == items_before
    assert dict(RenewalCase.objects.values_list("pk", "stage")) == stages[22]
    # Brought forward 21 days, it entered the ladder past its first rung: the latest rung
    # passed, then the next.
    moved = RenewalCase.objects.get(policy=policies[0])
    assert set(
        WorkItem.objects.filter(kind=RENEWAL_KIND, subject_id=moved.pk).values_list(
            "key", flat=True
        )
    ) == {"rung-25", "rung-15"}


def test_the_renewals_read_from_their_last_run_while_the_ladders_stay_the_same(
    ladders, agent, monkeypatch
):
    seen = []
    real = morning_module.renewals_morning_job

    def spy(**kwargs):
        seen.append((kwargs["since"], kwargs["changed_since"] is not None))
        return real(**kwargs)

    monkeypatch.setattr(morning_module, "renewals_morning_job", spy)
    morning_run(day=TODAY)
    morning_run(day=days(3))
    morning_run(day=days(2), force=True)  # a past day run again: reads from the day before it
    ladders["default"].rungs = [*ladders["default"].rungs, {"days": 45, "stage": "reminder"}]
    ladders["default"].save()
    morning_run(day=days(4))  # a ladder edited: everything read again
    morning_run(day=days(5))
    assert seen == [(None, False), (TODAY, True), (TODAY, True), (None, False), (days(4), True)]


def test_a_policy_written_after_the_last_run_inside_its_ladder_gets_its_case(ladders, agent):
    morning_run(day=TODAY)
    late = policy_ending(12, owner=agent)  # written by hand after the run, well inside
    inside = policy_ending(20, owner=agent)
    # Edited into the ladder after the run (its end date was a year away).
    inside.end_date = days(400)
    inside.save()
    morning_run(day=days(1))
    assert not RenewalCase.objects.filter(policy=inside).exists()
    inside.end_date = days(18)
    inside.save()
    morning_run(day=days(2))
    assert RenewalCase.objects.filter(policy__in=[late, inside]).count() == 2
