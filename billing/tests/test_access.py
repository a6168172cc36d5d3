"""Who may open each billing URL: the rules of clients and policies (an agent sees the payments
of their own clients only, a manager those of their team's agents, maintainers and admins all).

One client (owned by an agent of team A, co-assigned to a second agent of team A) is tried by
its owner, its co-assigned agent, a teammate who is not assigned, an agent of team B, the
manager of team A, the manager of team B, a maintainer, an administrator and an anonymous
visitor. Those who may see the client get the page (or, for a POST, the redirect of a payment
recorded); the others get a 404 (anonymous: the login page) and change nothing.
"""

import uuid
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from billing.models import Instalment, Payment, PaymentMethod
from billing.payments import payment_record
from billing.tests.factories import instalment_plan
from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory

pytestmark = pytest.mark.django_db

ROLES = [
    "owner", "co_agent", "teammate", "outsider", "manager", "other_manager", "maintainer",
    "admin", "anonymous",
]  # fmt: skip
SEES_THE_CLIENT = {"owner", "co_agent", "manager", "maintainer", "admin"}


@pytest.fixture
def world():
    manager = UserFactory(roles=["manager"])
    other_manager = UserFactory(roles=["manager"])
    team = TeamFactory(manager=manager)
    other_team = TeamFactory(manager=other_manager)
    owner = UserFactory(roles=["agent"], team=team)
    users = {
        "owner": owner,
        "co_agent": UserFactory(roles=["agent"], team=team),
        "teammate": UserFactory(roles=["agent"], team=team),
        "outsider": UserFactory(roles=["agent"], team=other_team),
        "manager": manager,
        "other_manager": other_manager,
        "maintainer": UserFactory(roles=["maintainer"]),
        "admin": UserFactory(roles=["admin"]),
        "anonymous": None,
    }
    client = ClientFactory(owner=owner, co_agents=[users["co_agent"]])
    policy = PolicyFactory(holder=client)
    plan = instalment_plan(policy, count=4)
    payment = payment_record(
        client=client, by=owner, amount=Decimal("500.00"), currency="MXN",
        method=PaymentMethod.CASH, paid_on=timezone.localdate(), instalments=plan[:1],
    )  # fmt: skip
    return SimpleNamespace(users=users, client=client, policy=policy, plan=plan, payment=payment)


def as_user(client, user):
    if user is not None:
        client.force_login(user)
    return client


def assert_denied(response, role):
    if role == "anonymous":
        assert response.status_code == 302
        assert response.url.startswith(reverse(settings.LOGIN_URL))
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_record_payment_page(client, world, role):
    response = as_user(client, world.users[role]).get(
        reverse("billing:payment_create", args=[world.client.pk]), {"policy": world.policy.pk}
    )
    if role in SEES_THE_CLIENT:
        assert response.status_code == 200
        assert world.client.display_name in response.content.decode()
    else:
        assert_denied(response, role)


@pytest.mark.parametrize("role", ROLES)
def test_record_payment_post(client, world, role):
    data = {
        "amount": "100.00", "currency": "MXN", "method": PaymentMethod.CARD,
        "paid_on": timezone.localdate().isoformat(), "reference": "",
        "instalments": [world.plan[1].pk], "token": str(uuid.uuid4()),
    }  # fmt: skip
    response = as_user(client, world.users[role]).post(
        reverse("billing:payment_create", args=[world.client.pk]), data
    )
    paid = Instalment.objects.get(pk=world.plan[1].pk).paid_amount
    if role in SEES_THE_CLIENT:
        assert response.status_code == 302
        payment = Payment.objects.get(token=data["token"])
        assert payment.recorded_by == world.users[role]
        assert paid == Decimal("100.00")
    else:
        assert_denied(response, role)
        assert paid == 0
        assert Payment.objects.count() == 1


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", ["billing:payment_detail", "billing:payment_receipt"])
def test_payment_and_receipt(client, world, role, name):
    response = as_user(client, world.users[role]).get(reverse(name, args=[world.payment.pk]))
    if role in SEES_THE_CLIENT:
        assert response.status_code == 200
    else:
        assert_denied(response, role)


@pytest.mark.parametrize("role", ROLES)
def test_policy_page_instalments(client, world, role):
    response = as_user(client, world.users[role]).get(
        reverse("policies:detail", args=[world.policy.pk])
    )
    if role in SEES_THE_CLIENT:
        assert response.status_code == 200
        assert response.content.decode().count("data-instalment=") == 4
    else:
        assert_denied(response, role)


def test_an_agent_cannot_reach_another_agents_payment_through_their_own_client(client, world):
    """The outsider's own client in the URL does not open the owner's payment or instalments."""
    outsider = world.users["outsider"]
    theirs = ClientFactory(owner=outsider)
    instalment_plan(PolicyFactory(holder=theirs), count=1)
    as_user(client, outsider)
    page = client.get(reverse("billing:payment_create", args=[theirs.pk]))
    assert page.status_code == 200
    assert f'value="{world.plan[1].pk}"' not in page.content.decode()
    response = client.post(
        reverse("billing:payment_create", args=[theirs.pk]),
        {
            "amount": "10.00", "currency": "MXN", "method": PaymentMethod.CASH,
            "paid_on": timezone.localdate().isoformat(), "instalments": [world.plan[1].pk],
            "token": str(uuid.uuid4()),
        },
    )  # fmt: skip
    assert response.status_code == 200
    assert "instalments" in response.context["form"].errors
    assert Instalment.objects.get(pk=world.plan[1].pk).paid_amount == 0


@pytest.mark.parametrize("role", ROLES)
def test_void_payment(client, world, role):
    response = as_user(client, world.users[role]).post(
        reverse("billing:payment_void", args=[world.payment.pk]), {"reason": "Wrong client"}
    )
    exists = Payment.objects.filter(pk=world.payment.pk).exists()
    if role in {"owner", "co_agent"}:  # they see the payment, a manager or maintainer voids it
        assert response.status_code == 403
        assert exists
    elif role in SEES_THE_CLIENT:
        assert response.status_code == 302
        assert not exists
        assert Instalment.objects.get(pk=world.plan[0].pk).paid_amount == 0
    else:
        assert_denied(response, role)
        assert exists
