"""Instalments written for a policy: planned when it is written, re-planned when its terms
change (settled ones untouched), cancelled with it, and planned set-based for the rest."""

import random
import threading
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from dateutil.relativedelta import relativedelta
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from billing.models import Instalment, InstalmentStatus
from billing.planning import plan
from billing.services import (
    instalments_cancel_future,
    instalments_plan,
    instalments_plan_missing,
)
from brokerage.core.morning import morning_day_reopen
from clients.tests.factories import ClientFactory
from policies.models import Line, PaymentFrequency, Policy, PolicyStatus
from policies.services import policy_cancel, policy_create, policy_renewed, policy_update
from policies.tests.factories import InsurerFactory, PolicyFactory
from renewals.tasks import renewals_morning_task, renewals_open_task

pytestmark = pytest.mark.django_db


def _rows(policy):
    return [
        (i.number, i.due_on, i.amount)
        for i in Instalment.objects.filter(policy=policy).order_by("number")
    ]


def _create(agent, **overrides):
    fields = {
        "number": "AUT-1001", "insurer": InsurerFactory(), "line": Line.AUTO,
        "coverage": "Amplia", "premium": Decimal("1200.00"),
        "payment_frequency": PaymentFrequency.QUARTERLY,
        "start_date": date(2026, 1, 31), "end_date": date(2027, 1, 31),
    }  # fmt: skip
    fields.update(overrides)
    return policy_create(by=agent, holder=ClientFactory(owner=agent), **fields)


def _pay(instalment, amount):
    instalment.paid_amount = amount
    instalment.status = (
        InstalmentStatus.PAID if amount >= instalment.amount else InstalmentStatus.PARTLY_PAID
    )
    instalment.paid_on = date(2026, 2, 1)
    instalment.save()


def test_a_new_policy_gets_its_plan_with_history(agent):
    policy = _create(agent)
    assert _rows(policy) == [
        (1, date(2026, 1, 31), Decimal("300.00")),
        (2, date(2026, 4, 30), Decimal("300.00")),
        (3, date(2026, 7, 31), Decimal("300.00")),
        (4, date(2026, 10, 31), Decimal("300.00")),
    ]
    instalment = Instalment.objects.get(policy=policy, number=1)
    assert (instalment.count, instalment.currency, instalment.status) == (
        4,
        policy.currency,
        InstalmentStatus.PENDING,
    )
    assert instalment.history.get().history_user == agent


def test_a_premium_change_replans_pending_and_keeps_paid(agent):
    policy = _create(agent)
    first = Instalment.objects.get(policy=policy, number=1)
    _pay(first, Decimal("300.00"))
    second = Instalment.objects.get(policy=policy, number=2)
    _pay(second, Decimal("100.00"))  # partly paid: settled too

    policy_update(policy=policy, by=agent, data={"premium": Decimal("1000.01")})

    rows = _rows(policy)
    assert rows[:2] == [
        (1, date(2026, 1, 31), Decimal("300.00")),
        (2, date(2026, 4, 30), Decimal("300.00")),
    ]
    # 400.01 left over the two open periods, the odd cent on the first of them.
    assert rows[2:] == [
        (3, date(2026, 7, 31), Decimal("200.01")),
        (4, date(2026, 10, 31), Decimal("200.00")),
    ]
    assert sum(a for _, _, a in rows) == Decimal("1000.01")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.paid_amount) == (InstalmentStatus.PAID, Decimal("300.00"))
    assert (second.status, second.paid_amount) == (InstalmentStatus.PARTLY_PAID, Decimal("100"))
    third = Instalment.objects.get(policy=policy, number=3)
    assert third.history.count() == 2
    assert third.history.first().history_change_reason == "re-planned"


def test_a_frequency_change_replaces_the_pending_periods(agent):
    policy = _create(agent)
    _pay(Instalment.objects.get(policy=policy, number=1), Decimal("300.00"))
    policy_update(policy=policy, by=agent, data={"payment_frequency": PaymentFrequency.MONTHLY})
    rows = _rows(policy)
    assert [n for n, _, _ in rows] == list(range(1, 13))
    assert rows[0] == (1, date(2026, 1, 31), Decimal("300.00"))
    # 900.00 over eleven months: 81.81 each, the odd cents on the first of them.
    assert rows[1] == (2, date(2026, 2, 28), Decimal("81.90"))
    assert rows[2] == (3, date(2026, 3, 31), Decimal("81.81"))
    assert sum(a for _, _, a in rows) == Decimal("1200.00")
    assert set(Instalment.objects.filter(policy=policy).values_list("count", flat=True)) == {12}


def test_shorter_dates_drop_the_periods_past_the_new_end(agent):
    policy = _create(agent, payment_frequency=PaymentFrequency.MONTHLY)
    assert len(_rows(policy)) == 12
    policy_update(policy=policy, by=agent, data={"end_date": date(2026, 4, 15)})
    assert _rows(policy) == [
        (1, date(2026, 1, 31), Decimal("400.00")),
        (2, date(2026, 2, 28), Decimal("400.00")),
        (3, date(2026, 3, 31), Decimal("400.00")),
    ]
    assert Instalment.history.filter(policy_id=policy.pk, history_type="-").count() == 9


def test_a_premium_lowered_below_what_is_paid_plans_nothing_more(agent):
    policy = _create(agent, payment_frequency=PaymentFrequency.SEMIANNUAL)
    _pay(Instalment.objects.get(policy=policy, number=1), Decimal("600.00"))
    policy_update(policy=policy, by=agent, data={"premium": Decimal("500.00")})
    assert _rows(policy) == [(1, date(2026, 1, 31), Decimal("600.00"))]


def test_a_change_outside_the_terms_does_not_replan(agent):
    policy = _create(agent)
    before = list(Instalment.history.filter(policy_id=policy.pk).values_list("pk", flat=True))
    policy_update(policy=policy, by=agent, data={"coverage": "Limitada"})
    after = list(Instalment.history.filter(policy_id=policy.pk).values_list("pk", flat=True))
    assert before == after


def test_cancelling_the_policy_cancels_its_future_instalments(agent):
    policy = _create(agent)
    _pay(Instalment.objects.get(policy=policy, number=1), Decimal("300.00"))
    policy_cancel(policy=policy, by=agent, reason="Sold the car", on=date(2026, 5, 1))
    statuses = dict(Instalment.objects.filter(policy=policy).values_list("number", "status"))
    assert statuses == {
        1: InstalmentStatus.PAID, 2: InstalmentStatus.PENDING,
        3: InstalmentStatus.CANCELLED, 4: InstalmentStatus.CANCELLED,
    }  # fmt: skip
    # A cancelled policy's plan is not rewritten afterwards.
    instalments_plan(policy, agent)
    assert Instalment.objects.get(policy=policy, number=3).status == InstalmentStatus.CANCELLED
    assert instalments_cancel_future(policy, date(2026, 5, 1)) == 0


def test_a_renewal_written_here_plans_the_new_term(agent):
    old = _create(agent)
    new = _create(
        agent, number="AUT-1002", previous_policy=old, premium=Decimal("999.99"),
        payment_frequency=PaymentFrequency.ANNUAL,
        start_date=date(2027, 1, 31), end_date=date(2028, 1, 31),
    )  # fmt: skip
    assert _rows(new) == [(1, date(2027, 1, 31), Decimal("999.99"))]
    assert len(_rows(old)) == 4  # the old term keeps its own


def test_an_imported_renewal_is_planned_after_the_import(agent):
    old = _create(agent)
    new = PolicyFactory(
        holder=old.holder, insurer=old.insurer, premium=Decimal("999.99"),
        payment_frequency=PaymentFrequency.ANNUAL,
        start_date=date(2027, 1, 31), end_date=date(2028, 1, 31),
    )  # fmt: skip
    policy_renewed(old=old, new=new, by=agent)  # as imports.expiry does, row by row
    assert not new.instalments.exists()
    renewals_open_task()  # the task every import commit ends with
    assert _rows(new) == [(1, date(2027, 1, 31), Decimal("999.99"))]


# --- Set-based ----------------------------------------------------------------------------

ODD_TERMS = [
    (Decimal("1200.00"), "monthly", date(2024, 1, 31), date(2025, 1, 31)),
    (Decimal("1000.00"), "monthly", date(2025, 1, 31), date(2025, 6, 1)),
    (Decimal("100.00"), "quarterly", date(2025, 11, 30), date(2026, 11, 30)),
    (Decimal("0.05"), "monthly", date(2025, 8, 31), date(2026, 8, 31)),
    (Decimal("12345.67"), "semiannual", date(2024, 2, 29), date(2034, 2, 28)),
    (Decimal("777.77"), "annual", date(2023, 3, 31), date(2026, 3, 31)),
    (Decimal("333.33"), "quarterly", date(2025, 5, 31), date(2025, 8, 31)),
    (Decimal("50.00"), "monthly", date(1900, 1, 31), date(1900, 12, 30)),
]


def test_the_sql_plan_matches_the_python_plan(agent):
    policies = [
        PolicyFactory(premium=p, payment_frequency=f, start_date=s, end_date=e)
        for p, f, s, e in ODD_TERMS
    ]
    written = instalments_plan_missing(by=agent)
    assert written == sum(len(plan(p, "MXN", f, s, e)) for p, f, s, e in ODD_TERMS)
    for policy, (premium, frequency, start, end) in zip(policies, ODD_TERMS, strict=True):
        expected = plan(premium, policy.currency, frequency, start, end)
        assert _rows(policy) == expected
        counts = set(policy.instalments.values_list("count", flat=True))
        assert counts == {len(expected)}
        assert set(policy.instalments.values_list("currency", flat=True)) == {policy.currency}
    assert Instalment.history.filter(history_type="+").count() == written
    assert set(Instalment.history.values_list("history_user", flat=True)) == {agent.pk}


def test_the_sql_plan_runs_twice_without_writing_twice(agent):
    policy = PolicyFactory(payment_frequency="quarterly")
    assert instalments_plan_missing() == 4
    assert instalments_plan_missing() == 0
    assert policy.instalments.count() == 4


def test_the_sql_plan_leaves_planned_free_and_out_of_bounds_policies(agent):
    planned = _create(agent)
    free = PolicyFactory(premium=Decimal("0.00"))
    today = timezone.localdate()
    too_long = PolicyFactory(start_date=today, end_date=today.replace(year=today.year + 11))
    history = Instalment.history.count()
    assert instalments_plan_missing() == 0
    assert Instalment.history.count() == history
    assert not free.instalments.exists() and not too_long.instalments.exists()
    assert planned.instalments.count() == 4


def test_the_sql_plan_cancels_a_cancelled_policy_s_instalments_after_its_date():
    policy = PolicyFactory(
        premium=Decimal("400.00"), payment_frequency="quarterly",
        start_date=date(2026, 1, 1), end_date=date(2027, 1, 1),
        status=PolicyStatus.CANCELLED, cancelled_on=date(2026, 5, 1),
    )  # fmt: skip
    instalments_plan_missing()
    statuses = list(policy.instalments.order_by("number").values_list("status", flat=True))
    assert statuses == ["pending", "pending", "cancelled", "cancelled"]


@pytest.mark.django_db(transaction=True)
def test_the_sql_plan_run_twice_at_once_writes_each_instalment_once():
    policies = [PolicyFactory(payment_frequency="monthly") for _ in range(5)]
    barrier = threading.Barrier(2)
    written, errors = [], []

    def run():
        try:
            with transaction.atomic():
                barrier.wait(timeout=10)
                written.append(instalments_plan_missing())
        except Exception as exc:  # noqa: BLE001 - reported below: the test fails with it
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(written) == [0, 60]
    for policy in policies:
        assert policy.instalments.count() == 12
    assert Instalment.history.count() == 60


def test_the_morning_run_plans_what_is_missing(agent):
    policy = PolicyFactory(payment_frequency="semiannual")
    out = StringIO()
    call_command("run_morning_jobs", stdout=out)
    assert policy.instalments.count() == 2
    assert "policies' instalments planned: 2" in out.getvalue()
    other = PolicyFactory(payment_frequency="annual")
    # Written after today's run: tomorrow's plans it, or today's again once reopened (issue 18).
    assert renewals_morning_task()["instalments_planned"] == 0
    morning_day_reopen()
    assert renewals_morning_task()["instalments_planned"] == 1
    assert other.instalments.count() == 1


def test_the_sql_plan_matches_the_python_plan_on_many_odd_policies():
    rng = random.Random(15)
    month_ends = [date(2024, m, 28) + relativedelta(day=31) for m in range(1, 13)]
    terms = []
    for _ in range(150):
        start = (
            rng.choice(month_ends)
            if rng.random() < 0.5
            else date(rng.randint(1900, 2189), rng.randint(1, 12), rng.randint(1, 28))
        )
        end = min(start + relativedelta(days=rng.randint(1, 3700)), start + relativedelta(years=10))
        premium = Decimal(rng.randint(0, 10_000_000)) / 100
        terms.append((premium, rng.choice(list(PaymentFrequency)), start, end))
    policies = [
        PolicyFactory(premium=p, payment_frequency=f, start_date=s, end_date=e)
        for p, f, s, e in terms
    ]
    instalments_plan_missing()
    for policy, (premium, frequency, start, end) in zip(policies, terms, strict=True):
        expected = plan(premium, policy.currency, frequency, start, end) if premium else []
        assert _rows(policy) == expected, (premium, frequency, start, end)


def test_the_sql_plan_bounded_to_the_policies_just_written_leaves_the_others(agent):
    """An import knows its first policy id; a catch-up knows when it last ran: each bound
    leaves the policies outside it unplanned (and unread)."""
    older = PolicyFactory(payment_frequency="quarterly")
    newer = PolicyFactory(payment_frequency="semiannual")
    assert instalments_plan_missing(policy_id_from=newer.pk) == 2
    assert not older.instalments.exists() and newer.instalments.count() == 2
    assert instalments_plan_missing(created_since=timezone.now()) == 0
    Policy.objects.filter(pk=older.pk).update(created_at=timezone.now() - relativedelta(days=3))
    assert instalments_plan_missing(created_since=timezone.now() - relativedelta(days=2)) == 0
    assert instalments_plan_missing(created_since=timezone.now() - relativedelta(days=4)) == 4
    assert older.instalments.count() == 4


def test_the_sql_plan_leaves_jit_as_it_was():
    """The statement turns PostgreSQL's JIT off for itself only."""
    PolicyFactory()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = on")
        assert instalments_plan_missing() == 1
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "on"


def test_the_sql_plan_copies_the_policy_s_report_dimensions(agent):
    """The set-based plan selects the copies itself (the insert trigger skips rows that bring
    a holder): every instalment carries its policy's agent, insurer, line and client."""
    policy = PolicyFactory(agent=agent, line=Line.HEALTH, payment_frequency="quarterly")
    no_agent = PolicyFactory(agent=None)
    assert instalments_plan_missing() == 5
    assert set(policy.instalments.values_list("agent_id", "insurer_id", "line", "holder_id")) == {
        (agent.pk, policy.insurer_id, "health", policy.holder_id)
    }
    assert set(no_agent.instalments.values_list("agent_id", "insurer_id", "line", "holder_id")) == {
        (None, no_agent.insurer_id, no_agent.line, no_agent.holder_id)
    }
