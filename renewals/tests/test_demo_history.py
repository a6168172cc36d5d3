"""The demo step that gives the book a year of renewal history (renewals.demo)."""

import datetime
from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from brokerage.accounts.demo import seed_people
from brokerage.accounts.tests.factories import UserFactory
from brokerage.core.demo import STEPS, DemoContext
from clients.demo import seed_clients
from clients.tests.factories import ClientFactory
from policies.demo import seed_policies
from policies.models import Line, Policy, PolicyStatus
from policies.tests.factories import InsurerFactory, PolicyFactory
from renewals.demo import WORK_DAYS, seed_renewal_history
from renewals.kind import (
    DECLINED,
    LAPSED_KIND,
    RENEWAL_KIND,
    RENEWED,
    RENEWED_ELSEWHERE,
    VEHICLE_SOLD,
)
from renewals.models import CaseStatus, CompetitorWhy, LostReason, RenewalCase
from renewals.services import renewal_points
from workqueue.models import ItemResult, ItemStatus, PointsAward, Queue, WorkItem
from workqueue.results import FAILED_ATTEMPTS

FAILED = {r.code for r in FAILED_ATTEMPTS}
pytestmark = pytest.mark.django_db

# The result on the touch that closed a lost case, by reason.
CLOSING = {
    LostReason.RENEWED_ELSEWHERE: {RENEWED_ELSEWHERE.code},
    LostReason.PRICE: {DECLINED.code},
    LostReason.SERVICE: {DECLINED.code},
    LostReason.DECLINED: {DECLINED.code},
    LostReason.VEHICLE_SOLD: {VEHICLE_SOLD.code},
    LostReason.UNREACHABLE: FAILED,
}


def _context(clients: int, seed: int = 5) -> DemoContext:
    lines: list[str] = []
    ctx = DemoContext(clients=clients, seed=seed, write=lines.append)
    ctx.data["lines"] = lines
    return ctx


@pytest.fixture
def book():
    """A demo book of 400 clients with its renewal history."""
    ctx = _context(400)
    for step in (seed_people, seed_clients, seed_policies, seed_renewal_history):
        step(ctx)
    return ctx


def _past_policies():
    return Policy.objects.filter(end_date__lt=timezone.localdate())


def _recent(case: RenewalCase) -> bool:
    """Whether the case was closed (or last touched, for a lapsed one) in the work window."""
    since = timezone.localdate() - datetime.timedelta(days=WORK_DAYS)
    if case.closed_at is not None:
        return timezone.localdate(case.closed_at) >= since
    return False


def test_the_step_runs_after_the_policies_in_seed_demo():
    assert STEPS.index("renewals.demo.seed_renewal_history") == (
        STEPS.index("policies.demo.seed_policies") + 1
    )


def test_it_opens_exactly_one_closed_case_for_every_policy_that_ended(book):
    past = list(_past_policies().values_list("pk", "status"))
    assert len(past) > 100
    per_policy = Counter(RenewalCase.objects.values_list("policy_id", flat=True))
    assert all(per_policy[pk] == 1 for pk, _ in past)
    assert len(per_policy) == len(past)
    expected = {
        PolicyStatus.RENEWED: {CaseStatus.WON},
        PolicyStatus.EXPIRED: {CaseStatus.LOST},
        PolicyStatus.LAPSED: {CaseStatus.LAPSED, CaseStatus.LOST},
    }
    for case in RenewalCase.objects.select_related("policy", "ladder"):
        assert case.status in expected[case.policy.status]
        assert case.ladder.is_default
        assert case.end_date == case.policy.end_date
        assert case.last_premium == case.policy.premium
        assert case.opened_on == case.end_date - datetime.timedelta(days=30)
        assert case.stage == "quote"  # the design card's last rung, 15 days before the end
    statuses = Counter(RenewalCase.objects.values_list("status", flat=True))
    assert statuses[CaseStatus.LAPSED] and statuses[CaseStatus.LOST] and statuses[CaseStatus.WON]
    graded = RenewalCase.objects.exclude(grade="").count()
    assert 0.7 < graded / RenewalCase.objects.count() < 0.95
    assert "renewal history:" in book.data["lines"][-1]


def test_won_cases_point_at_the_policy_that_renewed_them(book):
    won = list(RenewalCase.objects.filter(status=CaseStatus.WON).select_related("new_policy"))
    assert won
    for case in won:
        new = case.new_policy
        assert new.previous_policy_id == case.policy_id
        assert case.quoted_premium == new.premium  # as renewal_renew records it
        assert timezone.is_aware(case.closed_at)
        assert timezone.localdate(case.closed_at) == new.written_on
        assert 8 <= timezone.localtime(case.closed_at).hour <= 19
        assert case.closed_by_id == case.policy.agent_id
        assert case.outcome_reason == "" and case.lost_to_id is None


def test_clients_who_left_went_to_another_insurer_of_the_same_currency(book):
    insurers_by_currency: dict[str, set[int]] = {}
    for currency, insurer in Policy.objects.values_list("currency", "insurer_id"):
        insurers_by_currency.setdefault(currency, set()).add(insurer)
    elsewhere = list(
        RenewalCase.objects.filter(outcome_reason=LostReason.RENEWED_ELSEWHERE).select_related(
            "policy"
        )
    )
    assert elsewhere
    for case in elsewhere:
        assert case.status == CaseStatus.LOST
        assert case.policy.status == PolicyStatus.EXPIRED
        assert case.lost_to_id is not None
        assert case.lost_to_id != case.policy.insurer_id
        assert case.lost_to_id in insurers_by_currency[case.policy.currency]
        assert case.lost_why in CompetitorWhy.values
    expired = RenewalCase.objects.filter(policy__status=PolicyStatus.EXPIRED).count()
    assert 0.3 < len(elsewhere) / expired < 0.6
    others = RenewalCase.objects.filter(status=CaseStatus.LOST).exclude(
        outcome_reason=LostReason.RENEWED_ELSEWHERE
    )
    assert set(others.values_list("outcome_reason", flat=True)) <= set(LostReason.values) - {
        LostReason.RENEWED_ELSEWHERE
    }
    assert not others.exclude(lost_to=None).exists()
    assert not (
        others.filter(outcome_reason=LostReason.VEHICLE_SOLD).exclude(policy__line=Line.AUTO)
    ).exists()


def test_lapsed_cases_lapsed_after_the_end_and_were_handed_over(book):
    lapsed = RenewalCase.objects.filter(status=CaseStatus.LAPSED)
    assert lapsed.exists()
    for case in lapsed:
        assert case.policy.status == PolicyStatus.LAPSED
        assert timezone.localdate(case.lapsed_at) > case.end_date
        assert case.handed_over_at >= case.lapsed_at + datetime.timedelta(hours=48)
        assert case.closed_at is None and case.outcome_reason == ""


def test_every_won_case_earns_its_agent_the_points_renewal_points_gives(book):
    won = RenewalCase.objects.filter(status=CaseStatus.WON).select_related("policy", "new_policy")
    with_agent = [case for case in won if case.policy.agent_id is not None]
    awards = {a.subject_id: a for a in PointsAward.objects.all()}
    assert len(awards) == len(with_agent) == PointsAward.objects.count()
    for case in with_agent:
        award = awards[case.pk]
        assert award.kind == RENEWAL_KIND
        assert award.agent_id == case.policy.agent_id
        assert award.premium == case.new_policy.premium
        assert award.points == renewal_points(case.new_policy.premium)
        assert award.awarded_at == case.closed_at
        assert award.reason == f"Renewal of {case.policy}"


def test_recent_cases_carry_the_agents_touches_with_one_result_each(book):
    items = list(WorkItem.objects.all())
    assert items
    cases = {c.pk: c for c in RenewalCase.objects.select_related("policy")}
    per_case = Counter(item.subject_id for item in items)
    for pk, case in cases.items():
        if case.policy.agent_id is None:
            assert per_case[pk] == 0
        elif case.status == CaseStatus.LAPSED:
            assert per_case[pk] in (0, 1, 2)  # touched in the window or not
        else:
            assert per_case[pk] in ((1, 2) if _recent(case) else (0,))
    results = {r.item_id: r for r in ItemResult.objects.all()}
    assert len(results) == len(items) == ItemResult.objects.count()
    late = 0
    for item in items:
        case = cases[item.subject_id]
        assert item.kind == RENEWAL_KIND and item.key.startswith("rung-")
        assert item.status == ItemStatus.DONE and item.queue == Queue.AGENT
        assert item.agent_id == case.policy.agent_id
        assert item.attempts == 1
        handed = timezone.localtime(item.handed_out_at)
        assert handed.hour == 8 and handed.date() == item.due_on
        assert item.created_at == item.handed_out_at
        assert item.handed_out_at < item.done_at < timezone.now()
        assert 0 <= (timezone.localdate(item.done_at) - handed.date()).days <= 2
        result = results[item.pk]
        assert (result.result, result.by_id, result.at) == (
            item.result,
            item.agent_id,
            item.done_at,
        )
        cutoff = timezone.make_aware(
            datetime.datetime.combine(handed.date() + datetime.timedelta(1), datetime.time(17))
        )
        late += item.done_at > cutoff
    assert 0 < late < len(items) * 0.3
    # The touch that closed the case logged the result that closed it.
    for pk in per_case:
        case = cases[pk]
        last = max((i for i in items if i.subject_id == pk), key=lambda i: i.done_at)
        if case.status == CaseStatus.WON:
            assert last.result == RENEWED.code
            assert last.done_at == case.closed_at
        elif case.status == CaseStatus.LOST:
            assert last.result in CLOSING[case.outcome_reason]
            assert last.done_at == case.closed_at
        else:
            assert last.result in FAILED
            assert last.done_at < case.lapsed_at


def test_it_records_a_renewal_won_last_week_with_touches_and_points():
    today = timezone.localdate()
    agent = UserFactory(roles=["agent"])
    holder = ClientFactory(owner=agent)
    old = PolicyFactory(
        holder=holder, status=PolicyStatus.RENEWED, premium=Decimal("12000.00"),
        start_date=today - datetime.timedelta(days=370), end_date=today - datetime.timedelta(5),
    )  # fmt: skip
    new = PolicyFactory(
        holder=holder, previous_policy=old, premium=Decimal("12600.00"),
        start_date=old.end_date, end_date=old.end_date + datetime.timedelta(days=365),
        written_on=today - datetime.timedelta(days=8),
    )  # fmt: skip
    unowned = PolicyFactory(
        holder=ClientFactory(owner=None), status=PolicyStatus.EXPIRED,
        end_date=today - datetime.timedelta(days=3),
    )  # fmt: skip
    ctx = _context(0, seed=3)
    seed_renewal_history(ctx)

    case = RenewalCase.objects.get(policy=old)
    assert (case.status, case.new_policy, case.closed_by) == (CaseStatus.WON, new, agent)
    assert timezone.localdate(case.closed_at) == new.written_on
    touches = list(WorkItem.objects.filter(kind=RENEWAL_KIND, subject_id=case.pk))
    assert len(touches) in (1, 2)
    closing = max(touches, key=lambda i: i.done_at)
    assert closing.key == "rung-15" and closing.result == RENEWED.code
    assert closing.done_at == case.closed_at
    assert f"{holder.display_name} · {old.number}" == closing.title
    award = PointsAward.objects.get(kind=RENEWAL_KIND, subject_id=case.pk)
    assert (award.agent, award.premium, award.points) == (agent, new.premium, Decimal("22.60"))

    lost = RenewalCase.objects.get(policy=unowned)
    assert lost.status == CaseStatus.LOST and lost.closed_by is None
    assert not WorkItem.objects.filter(subject_id=lost.pk).exists()
    assert "1 won" in ctx.data["lines"][-1]


def test_it_takes_another_insurer_when_the_book_has_only_unknown_ones():
    today = timezone.localdate()
    ours, theirs = InsurerFactory(code="ours"), InsurerFactory(code="theirs")
    for _ in range(30):
        PolicyFactory(
            insurer=ours, status=PolicyStatus.EXPIRED, end_date=today - datetime.timedelta(9)
        )
    seed_renewal_history(_context(0, seed=8))
    elsewhere = RenewalCase.objects.filter(outcome_reason=LostReason.RENEWED_ELSEWHERE)
    assert elsewhere.exists()
    assert set(elsewhere.values_list("lost_to", flat=True)) == {theirs.pk}


def test_running_it_again_adds_nothing(book):
    counts = [m.objects.count() for m in (RenewalCase, WorkItem, ItemResult, PointsAward)]
    seed_renewal_history(book)
    assert [m.objects.count() for m in (RenewalCase, WorkItem, ItemResult, PointsAward)] == counts
    assert "renewal history: 0 closed cases" in book.data["lines"][-1]


def test_the_morning_jobs_afterwards_add_no_second_case_nor_touch(book):
    past = set(_past_policies().values_list("pk", flat=True))
    closed = set(RenewalCase.objects.values_list("pk", flat=True))
    items = WorkItem.objects.filter(kind=RENEWAL_KIND).count()
    out = StringIO()
    call_command("run_morning_jobs", stdout=out)
    call_command("run_morning_jobs", stdout=out)
    per_policy = Counter(
        RenewalCase.objects.filter(policy__in=past).values_list("policy_id", flat=True)
    )
    assert set(per_policy.values()) == {1} and set(per_policy) == past
    assert set(RenewalCase.objects.filter(pk__in=closed).values_list("status", flat=True)) <= {
        CaseStatus.WON,
        CaseStatus.LOST,
        CaseStatus.LAPSED,
    }
    # New touches only for the cases the job opened (running policies), none for the history.
    renewal_items = WorkItem.objects.filter(kind=RENEWAL_KIND)
    assert not renewal_items.filter(subject_id__in=closed, status=ItemStatus.OPEN).exists()
    assert renewal_items.filter(subject_id__in=closed).count() == items
    assert not WorkItem.objects.filter(kind=LAPSED_KIND).exists()
    opened = RenewalCase.objects.exclude(pk__in=closed)
    assert opened.exists() and not opened.filter(policy__in=past).exists()
    assert "policies lapsed: 0" in out.getvalue()


def test_the_loaded_touches_keep_their_times_and_first_contact():
    """The history goes in through the queue's load (COPY): each touch keeps the history's own
    times, and its one result is its first contact, as the service would have kept it."""
    today = timezone.localdate()
    agent = UserFactory(roles=["agent"])
    for n in range(20):
        PolicyFactory(
            holder=ClientFactory(owner=agent), status=PolicyStatus.EXPIRED,
            end_date=today - datetime.timedelta(days=2 + n),
        )  # fmt: skip
    seed_renewal_history(_context(0, seed=4))
    items = list(WorkItem.objects.all())
    assert len(items) >= 20
    for item in items:
        assert item.created_at == item.handed_out_at
        assert [r.at for r in item.results.all()] == [item.done_at]
        assert (item.first_contact_at, item.first_contact_by_id) == (item.done_at, agent.pk)


def _history_rows():
    cases = sorted(
        RenewalCase.objects.values_list(
            "policy__number", "status", "outcome_reason", "lost_to__code", "lost_why", "grade",
            "client_type", "quoted_premium", "closed_at", "lapsed_at",
        )
    )  # fmt: skip
    items = sorted(
        WorkItem.objects.values_list("title", "key", "result", "handed_out_at", "done_at")
    )
    points = sorted(PointsAward.objects.values_list("points", "awarded_at"))
    return cases, items, points


def test_it_is_deterministic_for_a_seed():
    ctx = _context(150, seed=9)
    for step in (seed_people, seed_clients, seed_policies):
        step(ctx)
    state = ctx.rng.getstate()
    seed_renewal_history(ctx)
    first = _history_rows()
    assert all(first)
    ItemResult.objects.all().delete()
    WorkItem.objects.all().delete()
    PointsAward.objects.all().delete()
    RenewalCase.objects.all().delete()
    ctx.rng.setstate(state)
    seed_renewal_history(ctx)
    assert _history_rows() == first
