"""seed_demo's payment history (billing.demo.seed_payment_history): instalments, payments and
allocations agree with each other and with the status rule, the history mixes payers, it is the
same for the same seed, a second run adds nothing, and its statements do not grow with the
book."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count, F, Max, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing import demo
from billing.models import (
    Allocation,
    CancellationRisk,
    Instalment,
    InstalmentStatus,
    Payment,
    PaymentMethod,
    PaymentPromise,
    PromiseStatus,
    RiskSource,
    RiskStatus,
)
from brokerage.core import demo as core_demo
from brokerage.core.demo import DemoContext, run_steps
from policies.models import PolicyStatus

pytestmark = pytest.mark.django_db

OPEN = (InstalmentStatus.PENDING, InstalmentStatus.PARTLY_PAID, InstalmentStatus.OVERDUE)


def seed(clients: int = 300, seed: int = 7) -> str:
    out = StringIO()
    call_command("seed_demo", clients=clients, seed=seed, stdout=out)
    return out.getvalue()


def allocated(field: str):
    total = (
        Allocation.objects.filter(**{field: OuterRef("pk")})
        .values(field)
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(total), 0, output_field=Instalment._meta.get_field("amount"))


def test_amounts_add_up_and_statuses_follow_the_payments():
    seed()
    today = timezone.localdate()
    assert Payment.objects.count() > 1000
    # An instalment's paid amount is what is allocated to it, and never more than it owes.
    instalments = Instalment.objects.annotate(allocated=allocated("instalment"))
    assert not instalments.exclude(paid_amount=F("allocated")).exists()
    assert not instalments.filter(paid_amount__gt=F("amount")).exists()
    # A payment's amount is what it allocates; it is the holder's, in the instalment's currency.
    assert (
        not Payment.objects.annotate(allocated=allocated("payment"))
        .exclude(amount=F("allocated"))
        .exists()
    )
    assert not Allocation.objects.exclude(payment__client=F("instalment__policy__holder")).exists()
    assert not Allocation.objects.exclude(payment__currency=F("instalment__currency")).exists()
    assert not Payment.objects.filter(paid_on__gt=today).exists()
    # billing.payments._status_after's rule; overdue is open and due before today.
    paid = Instalment.objects.filter(status=InstalmentStatus.PAID)
    assert paid.exists()
    assert not paid.exclude(paid_amount=F("amount")).exists()
    last_payment = Max("allocations__payment__paid_on")
    assert not paid.annotate(last=last_payment).exclude(paid_on=F("last")).exists()
    unpaid = Instalment.objects.exclude(status=InstalmentStatus.PAID)
    assert not unpaid.filter(paid_amount__gte=F("amount")).exists()
    assert not unpaid.exclude(paid_on=None).exists()
    assert (
        not Instalment.objects.filter(status__in=OPEN, due_on__lt=today)
        .exclude(status=InstalmentStatus.OVERDUE)
        .exists()
    )
    assert not Instalment.objects.filter(
        status=InstalmentStatus.OVERDUE, due_on__gte=today
    ).exists()
    assert not Instalment.objects.filter(
        status=InstalmentStatus.PARTLY_PAID, paid_amount=0
    ).exists()
    assert not Instalment.objects.filter(
        status=InstalmentStatus.PENDING, paid_amount__gt=0
    ).exists()
    # Every change has its history row, as a recorded payment has.
    assert Payment.history.filter(history_type="+").count() == Payment.objects.count()
    changed = Instalment.objects.exclude(status=InstalmentStatus.PENDING).exclude(
        status=InstalmentStatus.CANCELLED
    )
    assert Instalment.history.filter(history_type="~").count() == changed.count()


def test_the_history_mixes_on_time_late_partial_and_missed_payers():
    out = seed()
    today = timezone.localdate()
    paid = Instalment.objects.filter(status=InstalmentStatus.PAID)
    on_time = paid.filter(paid_on__lte=F("due_on")).count()
    late = paid.filter(paid_on__gt=F("due_on")).count()
    partial = Instalment.objects.filter(status__in=OPEN, paid_amount__gt=0).count()
    missed = Instalment.objects.filter(status=InstalmentStatus.OVERDUE, paid_amount=0).count()
    assert on_time > 2 * late > 0  # most pay on time
    assert late > partial > 0 and missed > 0
    assert (
        f"({on_time} instalments paid on time, {late} late, {partial} part-paid, {missed} missed)"
        in out
    )
    # Paid in two parts: the rest of an old part-paid instalment, weeks later.
    assert Instalment.objects.annotate(n=Count("allocations")).filter(n=2).exists()
    assert set(Payment.objects.values_list("method", flat=True)) == {
        PaymentMethod.CASH, PaymentMethod.CARD, PaymentMethod.TRANSFER,
        PaymentMethod.DIRECT_DEBIT, PaymentMethod.AT_INSURER,
    }  # fmt: skip
    assert not Payment.objects.filter(reference="").exists()
    # A direct debit is taken on the due date.
    assert (
        not Allocation.objects.filter(payment__method=PaymentMethod.DIRECT_DEBIT)
        .exclude(payment__paid_on=F("instalment__due_on"))
        .exists()
    )
    assert not Payment.objects.filter(recorded_by=None, client__owner__isnull=False).exists()

    promises = PaymentPromise.objects.all()
    statuses = set(promises.values_list("status", flat=True))
    assert statuses == {PromiseStatus.KEPT, PromiseStatus.BROKEN, PromiseStatus.OPEN}
    kept = promises.filter(status=PromiseStatus.KEPT)
    assert not kept.exclude(instalment__status=InstalmentStatus.PAID).exists()
    assert not kept.exclude(instalment__paid_on__lte=F("promised_on")).exists()
    assert not kept.exclude(settled_on=F("instalment__paid_on")).exists()
    broken = promises.filter(status=PromiseStatus.BROKEN)
    assert not broken.filter(promised_on__gte=today).exists()
    assert not broken.filter(instalment__paid_on__lte=F("promised_on")).exists()
    assert not promises.filter(status=PromiseStatus.OPEN, promised_on__lt=today).exists()
    assert (
        not promises.filter(status=PromiseStatus.OPEN)
        .exclude(instalment__status=InstalmentStatus.OVERDUE)
        .exists()
    )

    risks = CancellationRisk.objects.select_related("instalment", "policy__insurer")
    assert risks.exists()
    for risk in risks:
        instalment, policy = risk.instalment, risk.policy
        assert (risk.status, risk.source) == (RiskStatus.OPEN, RiskSource.GRACE)
        assert instalment.policy_id == policy.pk and policy.status == PolicyStatus.ACTIVE
        assert instalment.status in OPEN
        assert (today - instalment.due_on).days > policy.insurer.grace_days
    # Every active policy with an instalment unpaid past its grace is on the list, once.
    at_risk = {
        i.policy_id
        for i in Instalment.objects.filter(
            status__in=OPEN, policy__status=PolicyStatus.ACTIVE
        ).select_related("policy__insurer")
        if (today - i.due_on).days > i.policy.insurer.grace_days
    }
    assert sorted(risks.values_list("policy", flat=True)) == sorted(at_risk)
    assert CancellationRisk.history.count() == len(at_risk)


def snapshot():
    """The history by what it is about (policy numbers, instalment numbers), not by ids."""
    return {
        "payments": sorted(
            Allocation.objects.values_list(
                "instalment__policy__number", "instalment__number", "amount",
                "payment__paid_on", "payment__method", "payment__reference",
                "payment__recorded_by__username",
            )
        ),
        "instalments": sorted(
            Instalment.objects.values_list("policy__number", "number", "status", "paid_on")
        ),
        "promises": sorted(
            PaymentPromise.objects.values_list(
                "instalment__policy__number", "instalment__number", "promised_on", "status",
                "settled_on", "note",
            )
        ),
        "risks": sorted(CancellationRisk.objects.values_list("policy__number", "opened_on")),
    }  # fmt: skip


def seeded_snapshot(clients: int, seed_: int):
    with transaction.atomic():
        seed(clients, seed_)
        taken = snapshot()
        transaction.set_rollback(True)
    return taken


def test_the_same_seed_gives_the_same_history():
    first = seeded_snapshot(120, 3)
    assert first["payments"] and first["promises"]
    assert seeded_snapshot(120, 3) == first
    assert seeded_snapshot(120, 4)["payments"] != first["payments"]


def test_a_second_run_adds_nothing():
    seed(120, 5)
    counts = [
        m.objects.count()
        for m in (Payment, Allocation, PaymentPromise, CancellationRisk, Instalment.history.model)
    ]
    statuses = sorted(Instalment.objects.values_list("pk", "status", "paid_amount"))
    out = StringIO()
    demo.seed_payment_history(DemoContext(clients=120, seed=5, write=out.write))
    assert "already has payments; none added" in out.getvalue()
    assert counts == [
        m.objects.count()
        for m in (Payment, Allocation, PaymentPromise, CancellationRisk, Instalment.history.model)
    ]
    assert sorted(Instalment.objects.values_list("pk", "status", "paid_amount")) == statuses


def queries_for(clients: int, monkeypatch) -> tuple[int, int]:
    """The payment step's statements on a book of ``clients`` (the earlier steps run first)."""
    steps = [s for s in core_demo.STEPS if s != "billing.demo.seed_payment_history"]
    monkeypatch.setattr(core_demo, "STEPS", steps)
    with transaction.atomic():
        ctx = DemoContext(clients=clients, seed=2, write=lambda line: None)
        run_steps(ctx)
        with CaptureQueriesContext(connection) as queries:
            demo.seed_payment_history(ctx)
        payments = Payment.objects.count()
        transaction.set_rollback(True)
    return len(queries.captured_queries), payments


def test_the_step_runs_a_fixed_number_of_statements_whatever_the_size(monkeypatch):
    small, small_payments = queries_for(15, monkeypatch)
    large, large_payments = queries_for(250, monkeypatch)
    assert 0 < small_payments < large_payments / 5
    assert small == large
