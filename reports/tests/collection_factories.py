"""Promise and at-risk factories for the collections view's tests (billing's own factories
write instalments only). They write rows directly, as billing's factories do."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from billing.models import (
    CancellationRisk,
    InstalmentStatus,
    PaymentPromise,
    PromiseStatus,
    RiskSource,
    RiskStatus,
)
from billing.tests.factories import InstalmentFactory
from clients.tests.factories import ClientFactory
from policies.models import Currency, Line
from policies.tests.factories import PolicyFactory


class PromiseFactory(DjangoModelFactory):
    class Meta:
        model = PaymentPromise

    instalment = factory.SubFactory(InstalmentFactory)
    promised_on = factory.LazyFunction(timezone.localdate)
    status = PromiseStatus.OPEN


class RiskFactory(DjangoModelFactory):
    class Meta:
        model = CancellationRisk

    instalment = factory.SubFactory(InstalmentFactory)
    policy = factory.LazyAttribute(lambda o: o.instalment.policy)
    source = RiskSource.GRACE
    opened_on = factory.LazyFunction(timezone.localdate)
    status = RiskStatus.OPEN


def policy_of(agent, *, insurer=None, line=Line.AUTO, currency=Currency.MXN):
    """A policy of a client of ``agent``'s."""
    return PolicyFactory(
        holder=ClientFactory(owner=agent), agent=agent, line=line, currency=currency,
        **({"insurer": insurer} if insurer else {}),
    )  # fmt: skip


def instalment(policy, number, days, amount, status=InstalmentStatus.PENDING, paid="0.00"):
    """Instalment ``number`` of ``policy``, due ``days`` from today (negative: in the past)."""
    paid = Decimal(paid)
    return InstalmentFactory(
        policy=policy, number=number, count=12,
        due_on=timezone.localdate() + datetime.timedelta(days=days), amount=Decimal(amount),
        status=status, paid_amount=paid,
        paid_on=timezone.localdate() if paid else None,
    )  # fmt: skip
