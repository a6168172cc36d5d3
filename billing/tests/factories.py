"""Instalment and payment factories. They write rows directly: tests of behaviour go through
the services (billing.payments)."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from billing.models import Instalment, InstalmentStatus
from policies.tests.factories import PolicyFactory


class InstalmentFactory(DjangoModelFactory):
    """One pending instalment of a policy (number 1 of 1 unless given), due in a month."""

    class Meta:
        model = Instalment

    policy = factory.SubFactory(PolicyFactory)
    number = 1
    count = 1
    due_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))
    amount = Decimal("1000.00")
    currency = factory.LazyAttribute(lambda o: o.policy.currency)
    status = InstalmentStatus.PENDING
    paid_amount = Decimal("0.00")


def instalment_plan(policy, *, count: int, amount: Decimal = Decimal("1000.00"), first_due=None):
    """``count`` pending instalments of ``policy``, one month apart (30 days), from first_due."""
    first_due = first_due or timezone.localdate() - datetime.timedelta(days=10)
    return [
        InstalmentFactory(
            policy=policy,
            number=n,
            count=count,
            amount=amount,
            due_on=first_due + datetime.timedelta(days=30 * (n - 1)),
        )
        for n in range(1, count + 1)
    ]
