"""A client file merged into another takes its payments along: the survivor's page lists them
and the merge says how many moved."""

from decimal import Decimal as D

import pytest
from django.utils import timezone

from billing.models import Payment, PaymentMethod
from billing.payments import payment_record
from billing.tests.factories import instalment_plan
from brokerage.accounts.tests.factories import UserFactory
from clients import services
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory

pytestmark = pytest.mark.django_db


def test_a_merged_files_payments_move_to_the_survivor_with_history():
    maintainer = UserFactory(roles=["maintainer"])
    survivor, duplicate = ClientFactory(), ClientFactory()
    policy = PolicyFactory(holder=duplicate, currency="MXN")
    instalment_plan(policy, count=2)
    payment = payment_record(
        client=duplicate, by=maintainer, amount=D("150.00"), currency="MXN",
        method=PaymentMethod.CASH, paid_on=timezone.localdate(),
    )  # fmt: skip
    moved = dict(services.client_merge(survivor=survivor, merged=duplicate, by=maintainer))
    assert Payment.objects.get(pk=payment.pk).client_id == survivor.pk
    assert {str(k): v for k, v in moved.items()}["payments"] == 1
    latest = Payment.history.filter(id=payment.pk).first()
    assert latest.client_id == survivor.pk and latest.history_user_id == maintainer.pk
