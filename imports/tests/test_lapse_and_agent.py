"""Issue 14: a lapse list (脱保清单) reaches the lapsed-policy work like a lapse found by the
morning job, and the agent and hand-out date columns filled in by the maintainer (seed 001)
assign the client and the case's touches."""

import datetime

import pytest
from django.utils import timezone

from brokerage.accounts.services import user_deactivate
from brokerage.accounts.tests.factories import UserFactory
from clients.models import Client
from clients.tests.factories import ClientFactory
from imports.models import RowError, RowLevel
from imports.services import commit, dry_run, job_create
from imports.tests.conftest import HEADER, row, workbook
from policies.models import Policy, PolicyStatus
from policies.tests.factories import PolicyFactory
from renewals.jobs import renewals_morning_job
from renewals.kind import LAPSED_KIND, RENEWAL_KIND
from renewals.models import CaseStatus, RenewalCase
from renewals.tests.factories import RenewalCaseFactory, TouchFactory
from workqueue.models import DistributionLine, HandOutReason, ItemStatus, Queue, WorkItem
from workqueue.selectors import queue_for_agent, queue_for_maintainers

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ladder")]

FILLED_IN = [*HEADER, "Agente", "Fecha de asignación"]


@pytest.fixture
def ana(db):
    return UserFactory(
        roles=["agent"], username="ana.lopez", email="Ana.Lopez@example.com",
        first_name="Ana", last_name="López",
    )  # fmt: skip


@pytest.fixture
def bruno(db):
    return UserFactory(
        roles=["agent"], username="bruno", email="bruno@example.com", first_name="Bruno",
        last_name="Díaz",
    )  # fmt: skip


def today():
    return timezone.localdate()


def ending(n, days, *, agent="", handout="", **over):
    """A report row of policy ``n`` ending ``days`` from today (negative: already ended)."""
    end = today() + datetime.timedelta(days=days)
    dates = {
        "Fin de vigencia": end.isoformat(),
        "Inicio de vigencia": (end - datetime.timedelta(days=365)).isoformat(),
    }
    return [*row(n, **dates, **over), agent, handout]


def imported(hdi, maint, rows, capture):
    """Commit a report and run what follows the commit (the renewals task, the distribution)."""
    job, _table = job_create(
        insurer=hdi, by=maint, name="report.xlsx", data=workbook(rows, header=FILLED_IN)
    )
    with capture(execute=True):
        job = commit(job)
    return job


def case_of(number) -> RenewalCase:
    return RenewalCase.objects.select_related("policy__holder").get(policy__number=number)


def touches(case, kind=RENEWAL_KIND):
    return WorkItem.objects.filter(kind=kind, subject_id=case.pk)


# -- lapse lists -------------------------------------------------------------------------------


def test_a_policy_that_had_already_ended_lapses_like_the_morning_job_lapses_one(
    hdi, maint, ana, client, django_capture_on_commit_callbacks
):
    # The morning job's lapse, for comparison: a case opened while running, then not renewed.
    end = today() + datetime.timedelta(days=10)
    running = PolicyFactory(
        holder=ClientFactory(owner=ana), insurer=hdi, start_date=end - datetime.timedelta(365),
        end_date=end,
    )  # fmt: skip
    renewals_morning_job(day=today())
    lapse_morning = timezone.now() + datetime.timedelta(days=11)
    renewals_morning_job(day=today() + datetime.timedelta(days=11), now=lapse_morning)
    # The lapse list: the insurer's policies that ended ten days ago, unrenewed.
    imported(hdi, maint, [ending(1, -10, agent="ana.lopez")], django_capture_on_commit_callbacks)

    by_morning, by_list = RenewalCase.objects.get(policy=running), case_of("HDI-00001")
    for case in (by_morning, by_list):
        case.policy.refresh_from_db()
        assert case.policy.status == PolicyStatus.LAPSED
        assert "lapsed" in case.policy.history.first().history_change_reason
        assert case.status == CaseStatus.LAPSED and case.lapsed_at is not None
        # The agent keeps the case's last touch on the call list (a lapsed case can still be
        # won back) ...
        touch = touches(case).get()
        assert touch.agent == ana and touch.status == ItemStatus.OPEN
        assert touch.key == "rung-15" and touch.handed_out_at is not None
    assert by_list.policy.holder.owner == ana
    assert by_list.stage == by_morning.stage == "quote"
    week_after = today() + datetime.timedelta(days=7)
    call_list = queue_for_agent(user=ana, day=week_after)
    assert set(call_list.values_list("subject_id", flat=True)) == {by_morning.pk, by_list.pk}
    client.force_login(ana)
    assert "HDI-00001" in client.get("/queue/").content.decode()

    # ... and 48 hours after the lapse the maintainers get it, once, by the same morning job.
    later = lapse_morning + datetime.timedelta(hours=49)
    renewals_morning_job(day=timezone.localdate(later), now=later)
    renewals_morning_job(day=timezone.localdate(later) + datetime.timedelta(1), now=later)
    maintainers = queue_for_maintainers(day=timezone.localdate(later))
    lapsed = maintainers.filter(kind=LAPSED_KIND)
    assert set(lapsed.values_list("subject_id", flat=True)) == {by_morning.pk, by_list.pk}
    assert all(item.queue == Queue.MAINTAINERS and item.agent is None for item in lapsed)


def test_a_lapse_list_nobody_owns_reaches_the_agents_through_the_distribution(
    hdi, maint, ana, django_capture_on_commit_callbacks
):
    imported(hdi, maint, [ending(1, -3)], django_capture_on_commit_callbacks)
    case = case_of("HDI-00001")
    assert case.status == CaseStatus.LAPSED
    touch = touches(case).get()
    assert touch.agent == ana and DistributionLine.objects.filter(item=touch).exists()


def test_importing_the_lapse_list_again_creates_nothing_twice(
    hdi, maint, ana, django_capture_on_commit_callbacks
):
    rows = [ending(1, -10, agent="ana.lopez"), ending(2, -2), ending(3, 20)]
    imported(hdi, maint, rows, django_capture_on_commit_callbacks)
    later = timezone.now() + datetime.timedelta(hours=49)
    renewals_morning_job(day=timezone.localdate(later), now=later)

    def state():
        return (
            Policy.objects.count(), Policy.history.count(), Client.history.count(),
            RenewalCase.objects.count(),
            sorted(WorkItem.objects.values_list("kind", "subject_id", "key", "agent_id")),
        )  # fmt: skip

    before = state()
    assert RenewalCase.objects.filter(status=CaseStatus.LAPSED).count() == 2
    assert WorkItem.objects.filter(kind=LAPSED_KIND).count() == 2
    again = imported(hdi, maint, rows, django_capture_on_commit_callbacks)
    renewals_morning_job(day=timezone.localdate(later), now=later)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert state() == before


# -- the agent and hand-out date columns ---------------------------------------------------------


def test_the_agent_column_names_an_agent_by_user_name_e_mail_or_full_name(
    hdi, maint, ana, bruno, django_capture_on_commit_callbacks
):
    rows = [
        ending(1, 20, agent="ANA.LOPEZ"),
        ending(2, 20, agent=" ana.lopez@EXAMPLE.com "),
        ending(3, 20, agent="bruno  díaz"),
        ending(4, 20, agent="López Ana"),
    ]
    job = imported(hdi, maint, rows, django_capture_on_commit_callbacks)
    assert job.errors == 0 and not RowError.objects.filter(job=job).exists()
    expected = {"HDI-00001": ana, "HDI-00002": ana, "HDI-00003": bruno, "HDI-00004": ana}
    for number, agent in expected.items():
        case = case_of(number)
        assert case.policy.holder.owner == agent and case.policy.agent == agent
        touch = touches(case).get()
        assert touch.agent == agent and touch.handed_out_at is not None
    # Given by the file, not by the distribution.
    assert not DistributionLine.objects.exists()


def test_the_agent_column_reassigns_a_known_client_and_its_open_work_follows(
    hdi, maint, ana, bruno, django_capture_on_commit_callbacks
):
    known = ClientFactory(owner=bruno, tax_id="PEPC000001AB1")
    old = PolicyFactory(holder=known, end_date=today() + datetime.timedelta(days=12))
    touch = TouchFactory(case=RenewalCaseFactory(policy=old), days=15)
    assert touch.agent == bruno
    job = imported(hdi, maint, [ending(1, 20, agent="Ana López")],
                   django_capture_on_commit_callbacks)  # fmt: skip
    assert job.updated == 0 and job.created == 1
    known.refresh_from_db()
    assert known.owner == ana
    record = known.history.first()
    assert record.owner_id == ana.pk and record.history_user == maint
    assert "agent column" in record.history_change_reason
    touch.refresh_from_db()
    assert touch.agent == ana
    old.refresh_from_db()
    assert old.agent == ana and Policy.objects.get(number="HDI-00001").agent == ana
    records = known.history.count()
    # The same file again: the client is already the agent's, nothing changes.
    again = imported(hdi, maint, [ending(1, 20, agent="Ana López")],
                     django_capture_on_commit_callbacks)  # fmt: skip
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert known.history.count() == records


def test_an_unknown_agent_is_a_warning_and_the_row_waits_for_the_distribution(
    hdi, maint, ana, django_capture_on_commit_callbacks
):
    rows = [ending(1, 20, agent="Ejecutivo HDI 07"), ending(2, 20)]
    job, _table = job_create(
        insurer=hdi, by=maint, name="report.xlsx", data=workbook(rows, header=FILLED_IN)
    )
    job = dry_run(job)
    assert (job.created, job.errors) == (2, 0)
    with django_capture_on_commit_callbacks(execute=True):
        job = commit(job)
    assert (job.created, job.errors) == (2, 0)
    warning = RowError.objects.get(job=job)
    assert warning.level == RowLevel.WARNING and warning.code == "agent_unknown"
    assert (warning.row, warning.column, warning.value) == (3, "Agente", "Ejecutivo HDI 07")
    assert "Ejecutivo HDI 07" in warning.text and "distribution" in warning.text
    case = case_of("HDI-00001")
    touch = touches(case).get()
    # The distribution handed it out (the only active agent), which made her the owner.
    line = DistributionLine.objects.get(item=touch)
    assert line.agent == ana and line.reason == HandOutReason.SHARED
    assert touch.agent == ana


def test_a_deactivated_agent_is_a_warning_and_gets_nothing(
    hdi, maint, ana, bruno, manager, django_capture_on_commit_callbacks
):
    user_deactivate(user=bruno, by=manager)
    job = imported(hdi, maint, [ending(1, 20, agent="bruno")], django_capture_on_commit_callbacks)
    warning = RowError.objects.get(job=job)
    assert warning.level == RowLevel.WARNING and warning.code == "agent_unknown"
    case = case_of("HDI-00001")
    assert case.policy.holder.owner == ana  # by the distribution, not bruno
    assert not WorkItem.objects.filter(agent=bruno).exists()


def test_two_agents_with_one_name_is_a_warning(hdi, maint, ana, django_capture_on_commit_callbacks):
    UserFactory(roles=["agent"], username="ana2", first_name="Ana", last_name="López")
    job = imported(hdi, maint, [ending(1, 20, agent="Ana López")],
                   django_capture_on_commit_callbacks)  # fmt: skip
    assert RowError.objects.get(job=job).code == "agent_ambiguous"
    assert job.created == 1


def test_the_hand_out_date_is_when_the_touch_reaches_the_agent(
    hdi, maint, ana, client, django_capture_on_commit_callbacks
):
    ahead = today() + datetime.timedelta(days=3)
    past = today() - datetime.timedelta(days=2)
    rows = [
        ending(1, 20, agent="ana.lopez", handout=ahead.isoformat()),
        ending(2, 20, agent="ana.lopez", handout=past.isoformat()),
    ]
    imported(hdi, maint, rows, django_capture_on_commit_callbacks)
    first = case_of("HDI-00001")
    assert first.policy.handout_on == ahead
    touch = touches(first).get()
    assert touch.agent == ana and touch.due_on == ahead
    start = timezone.make_aware(datetime.datetime.combine(ahead, datetime.time.min))
    assert touch.handed_out_at == start  # its deadline runs from that day, not from today
    assert touch.pk not in queue_for_agent(user=ana, day=today()).values_list("pk", flat=True)
    assert touch.pk in queue_for_agent(user=ana, day=ahead).values_list("pk", flat=True)
    # A date already past (after the rung's): the touch is due that day and handed out now.
    second = touches(case_of("HDI-00002")).get()
    assert second.due_on == past
    assert second.handed_out_at <= timezone.now()
    client.force_login(ana)
    page = client.get("/queue/").content.decode()
    assert "HDI-00002" in page and "HDI-00001" not in page


def test_a_hand_out_date_that_is_not_a_date_is_a_row_error(
    hdi, maint, ana, django_capture_on_commit_callbacks
):
    job = imported(hdi, maint, [ending(1, 20, agent="ana.lopez", handout="pronto"),
                                ending(2, 20)], django_capture_on_commit_callbacks)  # fmt: skip
    error = RowError.objects.get(job=job)
    assert error.level == RowLevel.ERROR and error.column == "Fecha de asignación"
    assert (job.created, job.errors) == (1, 1)
