"""Who may open each collections page of the work (issue 15): the "promised to pay" and
"refuses to pay" pages of a payment item, recording a payment from an item, the managers'
at-risk list and decision, and the payment-due ladder.

One payment item (on the call list of the owner, an agent of team A, whose client is co-assigned
to a second agent of team A) and one policy at risk are tried by its owner, the co-assigned
agent, a teammate, an agent of team B, the manager of team A, the manager of team B, a
maintainer, an administrator and an anonymous visitor. An item is its agent's alone: everyone
else who may work a call list gets a 404, those who may not a 403. The at-risk pages are the
managers' (and administrators'), each seeing their team's; the ladder is the managers'.
Anonymous visitors go to sign in, on every URL, GET and POST, and change nothing."""

import datetime
import uuid
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from billing.kind import PAYMENT_KIND
from billing.models import (
    CancellationRisk,
    CollectionRung,
    Payment,
    PaymentMethod,
    PaymentPromise,
    RiskSource,
    RiskStatus,
)
from billing.tests.factories import InstalmentFactory
from billing.work import risk_open
from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from clients.tests.factories import ClientFactory
from policies.models import PolicyStatus
from policies.tests.factories import PolicyFactory
from workqueue.models import ItemStatus
from workqueue.tests.factories import WorkItemFactory

pytestmark = pytest.mark.django_db

ROLES = [
    "owner", "co_agent", "teammate", "outsider", "manager", "other_manager", "maintainer",
    "admin", "anonymous",
]  # fmt: skip
# Those who may work a call list: the others get a 403 on the item pages.
WORK_A_QUEUE = {"owner", "co_agent", "teammate", "outsider"}
# Those who see the client, so may open its "Record a payment" page (not its item's).
SEES_THE_CLIENT = {"owner", "co_agent", "manager", "maintainer", "admin"}
# Those who may open the at-risk pages, and of them those who see this policy.
MANAGE_TEAMS = {"manager", "other_manager", "admin"}
SEES_THE_RISK = {"manager", "admin"}


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


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
    policy = PolicyFactory(holder=client, start_date=days(-200), end_date=days(165))
    instalment = InstalmentFactory(
        policy=policy, number=2, count=4, due_on=days(-3), amount=Decimal("1500.00")
    )
    item = WorkItemFactory(kind=PAYMENT_KIND, subject_id=instalment.pk, key="due+3", agent=owner)
    risk = risk_open(instalment=instalment, source=RiskSource.GRACE)
    return SimpleNamespace(
        users=users, client=client, policy=policy, instalment=instalment, item=item, risk=risk
    )


def as_user(client, user):
    if user is not None:
        client.force_login(user)
    return client


def assert_sent_to_sign_in(response):
    assert response.status_code == 302
    assert response.url.startswith(reverse(settings.LOGIN_URL))


def assert_item_denied(response, role):
    if role == "anonymous":
        assert_sent_to_sign_in(response)
    elif role in WORK_A_QUEUE:
        assert response.status_code == 404
    else:
        assert response.status_code == 403


def assert_item_untouched(world):
    world.item.refresh_from_db()
    assert (world.item.status, world.item.attempts) == (ItemStatus.OPEN, 0)
    assert not world.item.results.exists()


# --- The item's pages -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_promise_page(client, world, role):
    url = reverse("billing:item_promise", args=[world.item.pk])
    as_user(client, world.users[role])
    page = client.get(url)
    response = client.post(url, {"promised_on": days(5).isoformat(), "token": str(uuid.uuid4())})
    if role == "owner":
        assert page.status_code == 200
        assert world.policy.number in page.content.decode()
        assert response.status_code == 302
        assert PaymentPromise.objects.get().made_by == world.users["owner"]
    else:
        assert_item_denied(page, role)
        assert_item_denied(response, role)
        assert not PaymentPromise.objects.exists()
        assert_item_untouched(world)


@pytest.mark.parametrize("role", ROLES)
def test_refuse_page(client, world, role):
    url = reverse("billing:item_refuse", args=[world.item.pk])
    as_user(client, world.users[role])
    page = client.get(url)
    response = client.post(url, {"note": "Too expensive", "token": str(uuid.uuid4())})
    if role == "owner":
        assert page.status_code == 200
        assert response.status_code == 302
        world.item.refresh_from_db()
        assert world.item.result == "refuses"
    else:
        assert_item_denied(page, role)
        assert_item_denied(response, role)
        assert_item_untouched(world)


@pytest.mark.parametrize("role", ROLES)
def test_one_click_result(client, world, role):
    response = as_user(client, world.users[role]).post(
        reverse("workqueue:result", args=[world.item.pk]),
        {"result": "pays_at_insurer", "token": str(uuid.uuid4())},
    )
    if role == "owner":
        assert response.status_code == 302
        world.item.refresh_from_db()
        assert world.item.status == ItemStatus.DONE
    else:
        assert_item_denied(response, role)
        assert_item_untouched(world)


@pytest.mark.parametrize("role", ROLES)
def test_paying_from_the_item(client, world, role):
    """Only the item's agent records a payment from it; the others who see the client get a
    404 for the item (they may still record a payment without it)."""
    url = reverse("billing:payment_create", args=[world.client.pk])
    as_user(client, world.users[role])
    page = client.get(url, {"item": world.item.pk})
    response = client.post(
        f"{url}?item={world.item.pk}",
        {
            "amount": "1500.00", "currency": "MXN", "method": PaymentMethod.CASH,
            "paid_on": timezone.localdate().isoformat(), "instalments": [world.instalment.pk],
            "token": str(uuid.uuid4()),
        },
    )  # fmt: skip
    if role == "owner":
        assert page.status_code == 200
        assert page.context["item"] == world.item
        assert response.status_code == 302
        assert Payment.objects.get().recorded_by == world.users["owner"]
        world.item.refresh_from_db()
        assert (world.item.status, world.item.result) == (ItemStatus.DONE, "paid")
        return
    if role == "anonymous":
        assert_sent_to_sign_in(page)
        assert_sent_to_sign_in(response)
    else:
        assert page.status_code == response.status_code == 404
    assert not Payment.objects.exists()
    assert_item_untouched(world)
    if role in SEES_THE_CLIENT:  # without the item, the page is theirs
        assert client.get(url).status_code == 200


# --- The at-risk pages ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_at_risk_list(client, world, role):
    response = as_user(client, world.users[role]).get(reverse("billing:risks"))
    if role == "anonymous":
        assert_sent_to_sign_in(response)
    elif role in MANAGE_TEAMS:
        assert response.status_code == 200
        listed = [risk.pk for risk in response.context["page"].object_list]
        assert listed == ([world.risk.pk] if role in SEES_THE_RISK else [])
        assert (world.policy.number in response.content.decode()) is (role in SEES_THE_RISK)
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_at_risk_decision(client, world, role):
    url = reverse("billing:risk_detail", args=[world.risk.pk])
    as_user(client, world.users[role])
    page = client.get(url)
    response = client.post(url, {"decision": "cancel", "note": "Unpaid since spring"})
    world.risk.refresh_from_db()
    world.policy.refresh_from_db()
    if role in SEES_THE_RISK:
        assert page.status_code == 200
        assert response.status_code == 302
        assert (world.risk.status, world.risk.decided_by) == (
            RiskStatus.CANCELLED, world.users[role],
        )  # fmt: skip
        assert world.policy.status == PolicyStatus.CANCELLED
        return
    if role == "anonymous":
        assert_sent_to_sign_in(page)
        assert_sent_to_sign_in(response)
    elif role in MANAGE_TEAMS:
        assert page.status_code == response.status_code == 404
    else:
        assert page.status_code == response.status_code == 403
    assert world.risk.status == RiskStatus.OPEN
    assert world.policy.status == PolicyStatus.ACTIVE
    assert CancellationRisk.objects.count() == 1


# --- The ladder -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_ladder(client, world, role):
    before = list(CollectionRung.objects.order_by("days").values_list("days", "action"))
    url = reverse("billing:ladder")
    as_user(client, world.users[role])
    page = client.get(url)
    response = client.post(
        url,
        {
            "rungs-TOTAL_FORMS": "1", "rungs-INITIAL_FORMS": "0", "rungs-MIN_NUM_FORMS": "0",
            "rungs-MAX_NUM_FORMS": "20", "rungs-0-days": "2", "rungs-0-action": "call",
            "rungs-0-priority": "70", "rungs-0-active": "on",
        },
    )  # fmt: skip
    after = list(CollectionRung.objects.order_by("days").values_list("days", "action"))
    if role in MANAGE_TEAMS:
        assert page.status_code == 200
        assert response.status_code == 302
        assert after == [(2, "call")]
        return
    if role == "anonymous":
        assert_sent_to_sign_in(page)
        assert_sent_to_sign_in(response)
    else:
        assert page.status_code == response.status_code == 403
    assert after == before and len(before) == 5


# --- Anonymous visitors, on every new URL ----------------------------------------------------


@pytest.mark.parametrize(
    "name, args",
    [
        ("billing:item_promise", "item"),
        ("billing:item_refuse", "item"),
        ("billing:risks", None),
        ("billing:risk_detail", "risk"),
        ("billing:ladder", None),
        ("billing:payment_create", "client"),
    ],
)
def test_anonymous_visitors_are_sent_to_sign_in_and_come_back(client, world, name, args):
    target = {"item": world.item, "risk": world.risk, "client": world.client}.get(args)
    url = reverse(name, args=[target.pk] if target else [])
    for response in (client.get(url), client.post(url, {"note": "x"})):
        assert_sent_to_sign_in(response)
        assert f"next={url}" in response.url.replace("%2F", "/")
    assert_item_untouched(world)
    assert CancellationRisk.objects.get().status == RiskStatus.OPEN
