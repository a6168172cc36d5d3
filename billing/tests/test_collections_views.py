"""The collections pages around the work queue, through the real views (issue 15): the payment
item on the agent's call list and its one-click results, the "promised to pay" and "refuses to
pay" pages, paying from the item, the managers' at-risk list and decision, and the ladder."""

import datetime
import html
import io
import re
import threading
import uuid
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from billing.kind import PAYMENT_KIND
from billing.models import (
    CancellationRisk,
    CollectionRung,
    Instalment,
    InstalmentStatus,
    Payment,
    PaymentMethod,
    PaymentPromise,
    RiskSource,
    RiskStatus,
)
from billing.tests.factories import InstalmentFactory
from billing.work import PROMISE_MAX_DAYS, risk_open
from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from clients.models import Interaction
from clients.tests.factories import ClientFactory
from policies.models import PolicyStatus
from policies.tests.factories import PolicyFactory
from workqueue.models import ItemResult, ItemStatus, Queue, WorkItem
from workqueue.tests.factories import WorkItemFactory

pytestmark = pytest.mark.django_db

D = Decimal


def today() -> datetime.date:
    return timezone.localdate()


def days(n: int) -> datetime.date:
    return today() + datetime.timedelta(days=n)


@pytest.fixture
def team():
    return TeamFactory(manager=UserFactory(roles=["manager"]))


@pytest.fixture
def agent(team):
    return UserFactory(roles=["agent"], team=team)


@pytest.fixture
def manager(team):
    return team.manager


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def payment_item(agent, *, due=0, client=None, number=2, count=4, amount="1500.00", **kwargs):
    """A payment-due item on ``agent``'s call list today about instalment ``number`` of
    ``count`` of a new policy of ``client`` (by default a new client of the agent's), due
    ``due`` days from today (negative: overdue)."""
    client = client or ClientFactory(owner=agent)
    policy = PolicyFactory(holder=client, start_date=days(-200), end_date=days(165))
    instalment = InstalmentFactory(
        policy=policy, number=number, count=count, due_on=days(due), amount=D(amount), **kwargs
    )
    return WorkItemFactory(
        kind=PAYMENT_KIND, subject_id=instalment.pk, key=f"due{due:+d}", agent=agent,
        title=f"{policy.number} {number}/{count}",
    )  # fmt: skip


def instalment_of(item) -> Instalment:
    return Instalment.objects.select_related("policy__holder").get(pk=item.subject_id)


def queue_url() -> str:
    return reverse("workqueue:queue")


def result_url(item) -> str:
    return reverse("workqueue:result", args=[item.pk])


PAYMENT_CARD = 'data-testid="call-item" data-kind="payment_due"'


def card(body: str, item) -> str:
    """The HTML of one item's card on the call list."""
    at = body.index(f'id="item-{item.pk}"')
    start = body.rfind("<div", 0, at)
    end = body.find('class="list-group-item call-item"', at)
    return body[start : end if end != -1 else len(body)]


# --- The call list ----------------------------------------------------------------------------


def test_the_call_list_shows_the_instalment_what_is_owed_the_history_and_the_results(
    signed_in, agent
):
    item = payment_item(agent, due=0, number=4, count=5, amount="1500.00")
    instalment = instalment_of(item)
    policy = instalment.policy
    # The policy's history: 1 paid on time, 2 paid late, 3 still owed; 5 not yet due.
    InstalmentFactory(policy=policy, number=1, count=5, due_on=days(-90), status="paid",
                      paid_amount=D("1500.00"), paid_on=days(-92))  # fmt: skip
    InstalmentFactory(policy=policy, number=2, count=5, due_on=days(-60), status="paid",
                      paid_amount=D("1500.00"), paid_on=days(-50))  # fmt: skip
    InstalmentFactory(policy=policy, number=3, count=5, due_on=days(-30), status="overdue")
    InstalmentFactory(policy=policy, number=5, count=5, due_on=days(30))
    Instalment.objects.filter(pk=instalment.pk).update(
        paid_amount=D("250.00"), status=InstalmentStatus.PARTLY_PAID
    )
    overdue = payment_item(agent, due=-3)
    ahead = payment_item(agent, due=5)

    body = signed_in.get(queue_url()).content.decode()

    mine = card(body, item)
    assert 'data-kind="payment_due"' in mine
    assert policy.number in mine and policy.holder.display_name in mine
    assert ">4 of 5<" in mine
    assert "1,250.00 MXN" in mine  # what is still owed, the 250.00 paid said beside it
    assert "250.00 paid" in mine
    assert "due today" in mine
    assert "1 on time" in mine and "1 late" in mine and "1 missed" in mine
    assert "3 days overdue" in card(body, overdue)
    assert "in 5 days" in card(body, ahead)
    # One-click results, and links to the pages that record paid, promised and refuses.
    for code in ("no_answer", "switched_off", "wrong_number", "pays_at_insurer",
                 "policy_to_cancel"):  # fmt: skip
        assert f'name="result" value="{code}" data-result="{code}"' in mine
    pay = reverse("billing:payment_create", args=[policy.holder_id])
    assert f"{pay}?policy={policy.pk}&amp;instalment={instalment.pk}&amp;item={item.pk}" in mine
    assert reverse("billing:item_promise", args=[item.pk]) in mine
    assert reverse("billing:item_refuse", args=[item.pk]) in mine
    for code in ("paid", "promised", "refuses"):
        assert f'name="result" value="{code}"' not in mine
        assert f'data-result="{code}"' in mine  # as a link


def test_the_call_list_shows_payment_items_in_a_fixed_number_of_queries(
    signed_in, agent, django_assert_max_num_queries
):
    def add_item():
        item = payment_item(agent, due=-3)
        policy = instalment_of(item).policy
        InstalmentFactory(policy=policy, number=1, count=4, due_on=days(-33), status="paid",
                          paid_amount=D("1500.00"), paid_on=days(-35))  # fmt: skip
        ItemResult.objects.create(item=item, result="no_answer", by=agent)
        return item

    add_item()
    with django_assert_max_num_queries(60) as one:
        first = signed_in.get(queue_url())
    assert first.content.decode().count(PAYMENT_CARD) == 1
    for _ in range(19):
        add_item()
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = signed_in.get(queue_url())
    body = page.content.decode()
    assert body.count(PAYMENT_CARD) == 20
    assert body.count("1 on time") == 20


# --- One-click results ------------------------------------------------------------------------


def post_result(client, item, result, *, htmx=False, **data):
    return client.post(
        result_url(item), {"result": result, "token": str(uuid.uuid4()), **data},
        headers={"HX-Request": "true"} if htmx else {},
    )  # fmt: skip


def test_pays_at_the_insurer_closes_the_item(signed_in, agent):
    item = payment_item(agent, due=-3)
    response = post_result(signed_in, item, "pays_at_insurer")
    assert response.status_code == 302 and response.url == queue_url()
    item.refresh_from_db()
    assert (item.status, item.result) == (ItemStatus.DONE, "pays_at_insurer")
    assert instalment_of(item).status == InstalmentStatus.PENDING  # nothing paid yet
    assert f'id="item-{item.pk}"' not in signed_in.get(queue_url()).content.decode()


def test_policy_to_cancel_puts_the_policy_on_the_managers_at_risk_list(client, agent, manager):
    item = payment_item(agent, due=-20)
    client.force_login(agent)
    post_result(client, item, "policy_to_cancel", note="Sold the car")
    item.refresh_from_db()
    assert (item.status, item.result) == (ItemStatus.DONE, "policy_to_cancel")
    instalment = instalment_of(item)
    risk = CancellationRisk.objects.get()
    assert (risk.policy_id, risk.instalment_id, risk.source, risk.status) == (
        instalment.policy_id, instalment.pk, RiskSource.AGENT, RiskStatus.OPEN,
    )  # fmt: skip
    assert risk.note == "Sold the car"
    client.force_login(manager)
    body = client.get(reverse("billing:risks")).content.decode()
    assert instalment.policy.number in body and "Sold the car" in body
    assert reverse("billing:risk_detail", args=[risk.pk]) in body


def test_policy_to_cancel_on_a_policy_already_at_risk_keeps_one_entry(signed_in, agent):
    item = payment_item(agent, due=-40)
    risk = risk_open(instalment=instalment_of(item), source=RiskSource.GRACE)
    post_result(signed_in, item, "policy_to_cancel")
    assert list(CancellationRisk.objects.values_list("pk", flat=True)) == [risk.pk]


def test_three_failed_attempts_send_the_item_to_the_maintainers(signed_in, agent, maintainer):
    item = payment_item(agent, due=-3)
    for result in ("no_answer", "switched_off"):
        post_result(signed_in, item, result)
        item.refresh_from_db()
        assert (item.queue, item.agent, item.status) == (Queue.AGENT, agent, ItemStatus.OPEN)
    response = post_result(signed_in, item, "wrong_number")
    item.refresh_from_db()
    assert (item.queue, item.agent, item.status) == (Queue.MAINTAINERS, None, ItemStatus.OPEN)
    assert item.attempts == 3
    follow = signed_in.get(response.url).content.decode()
    assert "three attempts without reaching the client" in follow
    assert f'id="item-{item.pk}"' not in follow
    signed_in.force_login(maintainer)
    maintainers = signed_in.get(reverse("workqueue:maintainers")).content.decode()
    assert f'id="item-{item.pk}"' in maintainers
    assert "instalment 2 of 4, 1,500.00 MXN" in maintainers


def test_three_failed_attempts_mark_the_contact_inaccurate_as_for_renewals(signed_in, agent):
    item = payment_item(agent, due=-3)
    for result in ("no_answer", "switched_off", "wrong_number"):
        post_result(signed_in, item, result)
    holder = instalment_of(item).policy.holder
    holder.refresh_from_db()
    assert holder.contact_inaccurate is True
    assert Interaction.objects.filter(client=holder).count() == 3


@pytest.mark.parametrize("result", ["paid", "promised", "refuses"])
def test_results_recorded_on_their_own_page_are_refused_as_one_click(signed_in, agent, result):
    item = payment_item(agent, due=-3)
    response = post_result(signed_in, item, result)
    assert response.status_code == 302
    assert "is recorded on its own page" in signed_in.get(response.url).content.decode()
    htmx = post_result(signed_in, item, result, htmx=True)
    assert "is recorded on its own page" in htmx.content.decode()
    item.refresh_from_db()
    assert (item.status, item.attempts, item.result) == (ItemStatus.OPEN, 0, "")
    assert not item.results.exists()
    assert not PaymentPromise.objects.exists() and not Payment.objects.exists()


def test_another_agents_payment_item_answers_404_and_logs_nothing(signed_in, agent):
    theirs = payment_item(UserFactory(roles=["agent"]), due=-3)
    assert post_result(signed_in, theirs, "pays_at_insurer").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == ItemStatus.OPEN and not theirs.results.exists()


# --- "Promised to pay" ------------------------------------------------------------------------


def promise_url(item, *, back: bool = False) -> str:
    url = reverse("billing:item_promise", args=[item.pk])
    return f"{url}?next={queue_url()}" if back else url


def test_the_promise_page_names_the_instalment(signed_in, agent):
    item = payment_item(agent, due=-3, number=3, count=12)
    page = signed_in.get(promise_url(item))
    body = page.content.decode()
    assert page.status_code == 200
    assert "instalment 3 of 12, 1,500.00 MXN" in body
    assert instalment_of(item).policy.number in body
    assert f'min="{today().isoformat()}"' in body


@pytest.mark.parametrize(
    "promised_on, message",
    [
        (lambda: days(-1).isoformat(), "The promised date cannot be in the past."),
        (lambda: days(PROMISE_MAX_DAYS + 1).isoformat(), "at most 60 days ahead"),
        (lambda: "", "This field is required."),
        (lambda: "2026-02-30", "Enter a valid date."),
        (lambda: "²", "Enter a valid date."),
        (lambda: "2026-01-01\x00", "Enter a valid date."),
    ],
    ids=["past", "beyond-60-days", "missing", "no-such-day", "superscript", "nul"],
)
def test_a_bad_promise_date_is_a_field_error(signed_in, agent, promised_on, message):
    item = payment_item(agent, due=-3)
    response = signed_in.post(
        promise_url(item), {"promised_on": promised_on(), "token": str(uuid.uuid4())}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["promised_on"]
    assert message in " ".join(errors["promised_on"])
    assert message.split("%")[0] in response.content.decode()
    item.refresh_from_db()
    assert item.status == ItemStatus.OPEN and not item.results.exists()
    assert not PaymentPromise.objects.exists()


@pytest.mark.parametrize("ahead", [0, PROMISE_MAX_DAYS])
def test_a_promise_is_recorded_and_closes_the_item(signed_in, agent, ahead):
    item = payment_item(agent, due=-3)
    response = signed_in.post(
        promise_url(item, back=True),
        {"promised_on": days(ahead).isoformat(), "note": "Payday on Friday",
         "token": str(uuid.uuid4()), "next": queue_url()},
    )  # fmt: skip
    assert response.status_code == 302 and response.url == queue_url()
    promise = PaymentPromise.objects.get()
    assert (promise.instalment_id, promise.promised_on, promise.made_by, promise.note) == (
        item.subject_id, days(ahead), agent, "Payday on Friday",
    )  # fmt: skip
    assert promise.status == "open"
    item.refresh_from_db()
    assert (item.status, item.result) == (ItemStatus.DONE, "promised")
    body = signed_in.get(response.url).content.decode()
    assert "Promise recorded:" in body and f'id="item-{item.pk}"' not in body


def test_the_same_promise_posted_twice_is_recorded_once(signed_in, agent):
    item = payment_item(agent, due=-3)
    data = {"promised_on": days(7).isoformat(), "token": str(uuid.uuid4())}
    first = signed_in.post(promise_url(item), data)
    second = signed_in.post(promise_url(item), data)
    assert first.status_code == second.status_code == 302
    assert PaymentPromise.objects.count() == 1
    assert ItemResult.objects.filter(item=item).count() == 1
    assert "This item is already closed." in signed_in.get(second.url).content.decode()


def test_the_promise_page_does_not_redirect_off_site(signed_in, agent):
    item = payment_item(agent, due=-3)
    response = signed_in.post(
        promise_url(item),
        {"promised_on": days(3).isoformat(), "token": str(uuid.uuid4()),
         "next": "https://evil.example/"},
    )  # fmt: skip
    assert response.status_code == 302 and response.url == queue_url()


def test_the_promise_page_of_another_agents_item_answers_404(signed_in, agent):
    theirs = payment_item(UserFactory(roles=["agent"]), due=-3)
    assert signed_in.get(promise_url(theirs)).status_code == 404
    response = signed_in.post(
        promise_url(theirs), {"promised_on": days(3).isoformat(), "token": str(uuid.uuid4())}
    )
    assert response.status_code == 404
    assert not PaymentPromise.objects.exists()


# --- "Refuses to pay" -------------------------------------------------------------------------


def refuse_url(item) -> str:
    return reverse("billing:item_refuse", args=[item.pk])


@pytest.mark.parametrize("note", ["", "   "])
def test_refusing_without_a_reason_is_a_field_error(signed_in, agent, note):
    item = payment_item(agent, due=-3)
    response = signed_in.post(refuse_url(item), {"note": note, "token": str(uuid.uuid4())})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["note"]
    item.refresh_from_db()
    assert item.status == ItemStatus.OPEN and not item.results.exists()


def test_a_refusal_is_recorded_with_its_reason(signed_in, agent):
    item = payment_item(agent, due=-3)
    page = signed_in.get(refuse_url(item)).content.decode()
    assert "instalment 2 of 4, 1,500.00 MXN" in page
    response = signed_in.post(
        refuse_url(item), {"note": "Says the insurer overcharged", "token": str(uuid.uuid4())}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.result) == (ItemStatus.DONE, "refuses")
    logged = item.results.get()
    assert (logged.result, logged.note, logged.by) == ("refuses", "Says the insurer overcharged",
                                                       agent)  # fmt: skip
    assert "refuses to pay" in signed_in.get(response.url).content.decode()


# --- Paying from the item ---------------------------------------------------------------------


def pay_url(item, *, client_pk=None, item_id=None) -> str:
    instalment = instalment_of(item)
    url = reverse("billing:payment_create", args=[client_pk or instalment.policy.holder_id])
    return f"{url}?item={item.pk if item_id is None else item_id}"


def pay_data(**overrides):
    return {
        "amount": "1500.00", "currency": "MXN", "method": PaymentMethod.TRANSFER,
        "paid_on": today().isoformat(), "reference": "SPEI 991", "token": str(uuid.uuid4()),
    } | overrides  # fmt: skip


def test_the_payment_form_from_an_item_is_filled_with_the_instalment_and_what_it_owes(
    signed_in, agent
):
    item = payment_item(agent, due=-3, paid_amount=D("400.00"), status="partly_paid")
    instalment = instalment_of(item)
    # Another instalment of the client, older, which the form would otherwise not choose.
    InstalmentFactory(policy=instalment.policy, number=1, count=4, due_on=days(-33))
    page = signed_in.get(pay_url(item))
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["instalments"] == [instalment]
    assert form.initial["amount"] == D("1100.00")
    assert form.initial["currency"] == "MXN"
    assert page.context["item"] == item


def test_paying_from_the_item_records_the_payment_and_closes_the_item(signed_in, agent):
    item = payment_item(agent, due=-3)
    instalment = instalment_of(item)
    response = signed_in.post(
        f"{pay_url(item)}&next={queue_url()}", pay_data(instalments=[instalment.pk])
    )
    assert response.status_code == 302 and response.url == queue_url()
    payment = Payment.objects.get()
    assert (payment.amount, payment.recorded_by, payment.client_id) == (
        D("1500.00"), agent, instalment.policy.holder_id,
    )  # fmt: skip
    instalment.refresh_from_db()
    assert (instalment.status, instalment.paid_amount) == (InstalmentStatus.PAID, D("1500.00"))
    item.refresh_from_db()
    assert (item.status, item.result) == (ItemStatus.DONE, "paid")
    assert list(item.results.values_list("result", "note")) == [("paid", "SPEI 991")]
    assert "Payment of 1,500.00 MXN recorded." in signed_in.get(response.url).content.decode()


def test_the_same_payment_posted_twice_from_the_item_is_recorded_once(signed_in, agent):
    item = payment_item(agent, due=-3)
    data = pay_data(instalments=[item.subject_id])
    first = signed_in.post(pay_url(item), data)
    second = signed_in.post(pay_url(item), data)
    assert first.status_code == second.status_code == 302
    assert Payment.objects.count() == 1
    assert ItemResult.objects.filter(item=item).count() == 1


def test_an_overpayment_from_the_item_records_neither_the_payment_nor_the_result(signed_in, agent):
    item = payment_item(agent, due=-3)
    response = signed_in.post(
        pay_url(item), pay_data(amount="1500.01", instalments=[item.subject_id])
    )
    assert response.status_code == 200
    assert "amount" in response.context["form"].errors
    assert not Payment.objects.exists()
    item.refresh_from_db()
    assert (item.status, item.result, item.attempts) == (ItemStatus.OPEN, "", 0)
    assert not item.results.exists()
    assert instalment_of(item).paid_amount == 0


def test_paying_from_another_agents_item_answers_404(signed_in, agent):
    """The agent's own client in the URL, another agent's item id in the query."""
    mine = payment_item(agent, due=-3)
    theirs = payment_item(UserFactory(roles=["agent"]), due=-3)
    url = pay_url(mine, item_id=theirs.pk)
    assert signed_in.get(url).status_code == 404
    assert signed_in.post(url, pay_data(instalments=[mine.subject_id])).status_code == 404
    assert not Payment.objects.exists()
    theirs.refresh_from_db()
    assert theirs.status == ItemStatus.OPEN


def test_paying_from_an_item_of_another_client_answers_404(signed_in, agent):
    """Both clients are the agent's: the item must be about the client in the URL."""
    mine = payment_item(agent, due=-3)
    other = payment_item(agent, due=-3)
    url = pay_url(mine, client_pk=instalment_of(other).policy.holder_id)
    assert signed_in.get(url).status_code == 404
    response = signed_in.post(url, pay_data(instalments=[other.subject_id]))
    assert response.status_code == 404
    assert not Payment.objects.exists()
    mine.refresh_from_db()
    assert mine.status == ItemStatus.OPEN


@pytest.mark.parametrize("item_id", ["²", "1\x00", "99999999999999999999", "-1", "0", "abc", "1e3"])
def test_a_bad_item_id_answers_404_never_500(signed_in, agent, item_id):
    item = payment_item(agent, due=-3)
    url = reverse("billing:payment_create", args=[instalment_of(item).policy.holder_id])
    assert signed_in.get(url, {"item": item_id}).status_code == 404
    response = signed_in.post(url, pay_data(item=item_id, instalments=[item.subject_id]))
    assert response.status_code == 404
    assert not Payment.objects.exists()
    item.refresh_from_db()
    assert item.status == ItemStatus.OPEN


def test_paying_from_a_closed_item_says_so_and_records_nothing(signed_in, agent):
    item = payment_item(agent, due=-3)
    post_result(signed_in, item, "pays_at_insurer")
    response = signed_in.post(pay_url(item), pay_data(instalments=[item.subject_id]))
    assert response.status_code == 302
    assert "This item is already closed." in signed_in.get(response.url).content.decode()
    assert not Payment.objects.exists()


# --- The at-risk list and the decision ---------------------------------------------------------


def at_risk(agent, *, due=-40, **kwargs) -> CancellationRisk:
    item = payment_item(agent, due=due, **kwargs)
    return risk_open(instalment=instalment_of(item), source=RiskSource.GRACE)


def test_a_manager_sees_their_teams_policies_at_risk_only(client, agent, manager):
    mine = at_risk(agent)
    other_manager = UserFactory(roles=["manager"])
    outsider = UserFactory(roles=["agent"], team=TeamFactory(manager=other_manager))
    theirs = at_risk(outsider)
    client.force_login(manager)
    page = client.get(reverse("billing:risks"))
    body = page.content.decode()
    assert [r.pk for r in page.context["page"].object_list] == [mine.pk]
    assert mine.policy.number in body and theirs.policy.number not in body
    assert client.get(reverse("billing:risk_detail", args=[mine.pk])).status_code == 200
    client.force_login(other_manager)
    assert client.get(reverse("billing:risk_detail", args=[mine.pk])).status_code == 404
    response = client.post(
        reverse("billing:risk_detail", args=[mine.pk]), {"decision": "keep", "note": "No"}
    )
    assert response.status_code == 404
    mine.refresh_from_db()
    assert mine.status == RiskStatus.OPEN


@pytest.mark.parametrize("role", ["agent", "maintainer"])
def test_agents_and_maintainers_may_not_open_the_at_risk_pages(client, agent, role):
    risk = at_risk(agent)
    client.force_login(agent if role == "agent" else UserFactory(roles=["maintainer"]))
    assert client.get(reverse("billing:risks")).status_code == 403
    assert client.get(reverse("billing:risk_detail", args=[risk.pk])).status_code == 403
    response = client.post(
        reverse("billing:risk_detail", args=[risk.pk]), {"decision": "cancel", "note": "x"}
    )
    assert response.status_code == 403
    risk.refresh_from_db()
    assert risk.status == RiskStatus.OPEN


def test_keeping_a_policy_without_a_reason_is_a_field_error(client, agent, manager):
    risk = at_risk(agent)
    client.force_login(manager)
    response = client.post(
        reverse("billing:risk_detail", args=[risk.pk]), {"decision": "keep", "note": " "}
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["note"]
    assert "Say why the policy is kept in force." in response.content.decode()
    risk.refresh_from_db()
    assert risk.status == RiskStatus.OPEN


@pytest.mark.parametrize("decision", ["", "delete", "²"])
def test_no_decision_or_an_unknown_one_is_a_field_error(client, agent, manager, decision):
    risk = at_risk(agent)
    client.force_login(manager)
    response = client.post(reverse("billing:risk_detail", args=[risk.pk]), {"decision": decision})
    assert response.status_code == 200
    assert "decision" in response.context["form"].errors
    risk.refresh_from_db()
    assert risk.status == RiskStatus.OPEN


def test_keeping_a_policy_in_force_with_a_reason(client, agent, manager):
    risk = at_risk(agent)
    client.force_login(manager)
    response = client.post(
        reverse("billing:risk_detail", args=[risk.pk]),
        {"decision": "keep", "note": "Pays on the 20th, as every year"},
    )
    assert response.status_code == 302 and response.url == reverse("billing:risks")
    risk.refresh_from_db()
    assert (risk.status, risk.decided_by, risk.note) == (
        RiskStatus.KEPT, manager, "Pays on the 20th, as every year",
    )  # fmt: skip
    assert Instalment.objects.get(pk=risk.policy.instalments.get().pk).status == "pending"
    decided = client.get(reverse("billing:risks"), {"show": "decided"}).content.decode()
    assert risk.policy.number in decided and "Kept in force" in decided


def test_cancelling_cancels_the_policy_its_future_instalments_and_its_open_payment_items(
    client, agent, manager
):
    risk = at_risk(agent, due=-40, number=2, count=4)
    policy = risk.policy
    overdue_item = WorkItem.objects.get(subject_id=risk.instalment_id)
    later = InstalmentFactory(policy=policy, number=3, count=4, due_on=days(-10))
    later_item = WorkItemFactory(kind=PAYMENT_KIND, subject_id=later.pk, key="due+3",
                                 agent=agent)  # fmt: skip
    future = InstalmentFactory(policy=policy, number=4, count=4, due_on=days(20))
    paid = InstalmentFactory(policy=policy, number=1, count=4, due_on=days(-70), status="paid",
                             paid_amount=D("1500.00"), paid_on=days(-70))  # fmt: skip
    client.force_login(manager)
    response = client.post(
        reverse("billing:risk_detail", args=[risk.pk]), {"decision": "cancel", "note": ""}
    )
    assert response.status_code == 302 and response.url == reverse("billing:risks")
    policy.refresh_from_db()
    assert (policy.status, policy.cancelled_on) == (PolicyStatus.CANCELLED, today())
    assert "Not paid" in policy.cancel_reason
    statuses = dict(Instalment.objects.filter(policy=policy).values_list("number", "status"))
    assert statuses[4] == InstalmentStatus.CANCELLED
    assert statuses[1] == InstalmentStatus.PAID
    assert Instalment.objects.get(pk=future.pk).status == InstalmentStatus.CANCELLED
    assert Instalment.objects.get(pk=paid.pk).paid_amount == D("1500.00")
    for item in (overdue_item, later_item):
        item.refresh_from_db()
        assert (item.status, item.result) == (ItemStatus.DONE, "policy_to_cancel")
    risk.refresh_from_db()
    assert (risk.status, risk.decided_by) == (RiskStatus.CANCELLED, manager)
    assert f"{policy.number}: Policy cancelled." in client.get(response.url).content.decode()
    client.force_login(agent)
    assert f'id="item-{later_item.pk}"' not in client.get(queue_url()).content.decode()


def test_cancelling_from_a_past_date_closes_the_payment_items_of_what_it_cancels(
    client, agent, manager
):
    risk = at_risk(agent, due=-40)
    item = WorkItem.objects.get(subject_id=risk.instalment_id)
    client.force_login(manager)
    response = client.post(
        reverse("billing:risk_detail", args=[risk.pk]),
        {"decision": "cancel", "on": days(-45).isoformat(), "note": "From the unpaid due date"},
    )
    assert response.status_code == 302
    assert Instalment.objects.get(pk=risk.instalment_id).status == InstalmentStatus.CANCELLED
    item.refresh_from_db()
    assert item.status == ItemStatus.DONE


def test_a_cancellation_date_outside_the_policy_is_a_field_error(client, agent, manager):
    risk = at_risk(agent)
    client.force_login(manager)
    response = client.post(
        reverse("billing:risk_detail", args=[risk.pk]),
        {"decision": "cancel", "on": days(400).isoformat()},
    )
    assert response.status_code == 200
    assert "on" in response.context["form"].errors
    risk.policy.refresh_from_db()
    assert risk.policy.status == PolicyStatus.ACTIVE
    assert CancellationRisk.objects.get().status == RiskStatus.OPEN


def test_deciding_twice_is_refused_with_a_message(client, agent, manager):
    risk = at_risk(agent)
    client.force_login(manager)
    url = reverse("billing:risk_detail", args=[risk.pk])
    client.post(url, {"decision": "cancel"})
    second = client.post(url, {"decision": "keep", "note": "Changed my mind"})
    risk.refresh_from_db()
    assert (risk.status, risk.note) == (RiskStatus.CANCELLED, "")
    assert "already decided" in second.content.decode()


def test_deciding_twice_changes_nothing(client, agent, manager):
    risk = at_risk(agent)
    client.force_login(manager)
    url = reverse("billing:risk_detail", args=[risk.pk])
    client.post(url, {"decision": "keep", "note": "Good client"})
    second = client.post(url, {"decision": "cancel"})
    assert second.status_code in (200, 302)
    risk.refresh_from_db()
    assert (risk.status, risk.note) == (RiskStatus.KEPT, "Good client")
    risk.policy.refresh_from_db()
    assert risk.policy.status == PolicyStatus.ACTIVE
    page = client.get(url).content.decode()
    assert 'data-testid="risk-decided"' in page and 'data-testid="risk-form"' not in page


def test_the_at_risk_list_takes_a_fixed_number_of_queries(
    client, agent, manager, django_assert_max_num_queries
):
    at_risk(agent)
    client.force_login(manager)
    with django_assert_max_num_queries(40) as one:
        first = client.get(reverse("billing:risks"))
    assert first.content.decode().count('data-testid="risk-row"') == 1
    for _ in range(19):
        at_risk(agent)
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(reverse("billing:risks"))
    assert page.content.decode().count('data-testid="risk-row"') == 20


# --- The ladder -------------------------------------------------------------------------------


def ladder_post(rungs: list[dict], *, initial: int = 5) -> dict:
    data = {
        "rungs-TOTAL_FORMS": str(len(rungs)), "rungs-INITIAL_FORMS": str(initial),
        "rungs-MIN_NUM_FORMS": "0", "rungs-MAX_NUM_FORMS": "20",
    }  # fmt: skip
    for i, rung in enumerate(rungs):
        for name, value in rung.items():
            if name in ("active", "DELETE"):
                if value:
                    data[f"rungs-{i}-{name}"] = "on"
            else:
                data[f"rungs-{i}-{name}"] = str(value)
    return data


DEFAULT = [
    {"days": -7, "action": "message", "priority": 40, "active": True},
    {"days": -1, "action": "message", "priority": 45, "active": True},
    {"days": 0, "action": "call", "priority": 60, "active": True},
    {"days": 3, "action": "call", "priority": 80, "active": True},
    {"days": 15, "action": "call", "priority": 90, "active": True},
]


def rungs() -> list[tuple]:
    return list(CollectionRung.objects.order_by("days").values_list("days", "action", "priority",
                                                                    "active"))  # fmt: skip


def test_the_ladder_page_shows_the_rungs(client, manager):
    client.force_login(manager)
    page = client.get(reverse("billing:ladder"))
    assert page.status_code == 200
    assert page.content.decode().count('data-testid="rung-row"') == 6  # five and a blank one
    assert [f.initial["days"] for f in page.context["formset"].forms[:5]] == [-7, -1, 0, 3, 15]


def test_a_manager_changes_the_ladder(client, manager):
    client.force_login(manager)
    wanted = [
        DEFAULT[0],
        {**DEFAULT[1], "DELETE": True},
        DEFAULT[2],
        {**DEFAULT[3], "days": 5, "priority": 85},
        {**DEFAULT[4], "active": False},
        {"days": 30, "action": "call", "priority": 99, "active": True},
    ]
    response = client.post(reverse("billing:ladder"), ladder_post(wanted))
    assert response.status_code == 302 and response.url == reverse("billing:ladder")
    assert rungs() == [
        (-7, "message", 40, True), (0, "call", 60, True), (5, "call", 85, True),
        (15, "call", 90, False), (30, "call", 99, True),
    ]  # fmt: skip
    assert "Payment-due ladder saved." in client.get(response.url).content.decode()


def test_two_rungs_on_the_same_day_are_an_error_shown_on_the_page(client, manager):
    client.force_login(manager)
    wanted = [*DEFAULT, {"days": 3, "action": "message", "priority": 10, "active": True}]
    response = client.post(reverse("billing:ladder"), ladder_post(wanted))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="rung-errors"' in body
    assert "Two rungs on the same day: 3." in body
    assert rungs() == [tuple(r.values()) for r in DEFAULT]


@pytest.mark.parametrize(
    "value, message",
    [
        (-91, "greater than or equal to -90"),
        (366, "less than or equal to 365"),
        ("²", "Enter a whole number."),
        ("99999999999999999999", "less than or equal to 365"),
        ("", "This field is required."),
    ],
)
def test_days_out_of_range_are_a_field_error(client, manager, value, message):
    client.force_login(manager)
    wanted = [*DEFAULT[:4], {**DEFAULT[4], "days": value}]
    response = client.post(reverse("billing:ladder"), ladder_post(wanted))
    assert response.status_code == 200
    formset = response.context["formset"]
    assert list(formset.forms[4].errors) == ["days"]
    assert message in response.content.decode()
    assert rungs() == [tuple(r.values()) for r in DEFAULT]


@pytest.mark.parametrize("role", ["agent", "maintainer"])
def test_agents_and_maintainers_may_not_open_the_ladder(client, role):
    client.force_login(UserFactory(roles=[role]))
    assert client.get(reverse("billing:ladder")).status_code == 403
    wanted = [{**DEFAULT[0], "days": -30}]
    assert client.post(reverse("billing:ladder"), ladder_post(wanted)).status_code == 403
    assert rungs() == [tuple(r.values()) for r in DEFAULT]


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("action", "sms", "Select a valid choice."),
        ("priority", "101", "less than or equal to 100"),
        ("priority", "-1", "greater than or equal to 0"),
        ("priority", "1\x00", "Enter a whole number."),
    ],
)
def test_a_bad_action_or_priority_is_a_field_error(client, manager, field, value, message):
    client.force_login(manager)
    wanted = [*DEFAULT[:4], {**DEFAULT[4], field: value}]
    response = client.post(reverse("billing:ladder"), ladder_post(wanted))
    assert response.status_code == 200
    assert list(response.context["formset"].forms[4].errors) == [field]
    assert message in response.content.decode()
    assert rungs() == [tuple(r.values()) for r in DEFAULT]


@pytest.mark.parametrize("total", ["abc", "", "²"])
def test_a_tampered_ladder_form_is_refused_with_a_message_never_a_500(client, manager, total):
    client.force_login(manager)
    data = ladder_post(DEFAULT[:2]) | {"rungs-TOTAL_FORMS": total}
    response = client.post(reverse("billing:ladder"), data)
    assert response.status_code == 200
    assert 'data-testid="rung-errors"' in response.content.decode()
    assert rungs() == [tuple(r.values()) for r in DEFAULT]


@pytest.mark.parametrize("page", ["²", "abc", "99999999999999999999", "-1", "1\x00"])
def test_a_bad_page_number_on_the_at_risk_list_is_never_a_500(client, agent, manager, page):
    risk = at_risk(agent)
    client.force_login(manager)
    for show in ("", "decided"):
        response = client.get(reverse("billing:risks"), {"page": page, "show": show})
        assert response.status_code == 200
    response = client.get(reverse("billing:risks"), {"page": page})
    assert [r.pk for r in response.context["page"].object_list] == [risk.pk]


def test_a_one_click_result_through_htmx_takes_the_item_off_the_list(signed_in, agent):
    item = payment_item(agent, due=-3)
    response = post_result(signed_in, item, "pays_at_insurer", htmx=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Will pay at the insurer or bank: done." in body
    assert 'data-testid="result-buttons"' not in body


def test_a_failed_attempt_through_htmx_keeps_the_card_with_its_attempt(signed_in, agent):
    item = payment_item(agent, due=-3)
    response = post_result(signed_in, item, "no_answer", htmx=True)
    body = response.content.decode()
    assert "No answer: logged (attempt 1)." in body
    assert PAYMENT_CARD in body and ">2 of 4<" in body
    item.refresh_from_db()
    assert (item.status, item.attempts) == (ItemStatus.OPEN, 1)


class _FormFields(HTMLParser):
    """What a browser posts for the form ``data-testid=testid`` of a page: every input's value
    (checkboxes and radios when checked), every select's selected option or else its first."""

    def __init__(self, testid: str):
        super().__init__()
        self.testid = testid
        self.data: list[tuple[str, str]] = []
        self.in_form = self.done = False
        self.select = None  # [name, first option, selected option]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.done:
            return
        if tag == "form" and attrs.get("data-testid") == self.testid:
            self.in_form = True
        elif not self.in_form or "name" not in attrs and tag != "option":
            return
        elif tag == "input":
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            if attrs.get("type") not in ("submit", "button"):
                default = "on" if attrs.get("type") == "checkbox" else ""
                self.data.append((attrs["name"], attrs.get("value", default)))
        elif tag == "select":
            self.select = [attrs["name"], None, None]
        if tag == "option" and self.select is not None:
            value = attrs.get("value", "")
            if self.select[1] is None:
                self.select[1] = value
            if "selected" in attrs:
                self.select[2] = value

    def handle_endtag(self, tag):
        if tag == "select" and self.select is not None:
            name, first, chosen = self.select
            self.data.append((name, chosen if chosen is not None else first or ""))
            self.select = None
        elif tag == "form" and self.in_form:
            self.in_form, self.done = False, True


def browser_post(body: str, testid: str) -> dict:
    parser = _FormFields(testid)
    parser.feed(body)
    data: dict = {}
    for name, value in parser.data:
        data.setdefault(name, []).append(value)
    return {k: v if len(v) > 1 else v[0] for k, v in data.items() if k != "csrfmiddlewaretoken"}


def test_the_ladder_page_saved_as_it_comes_keeps_the_ladder(client, manager):
    """A manager who changes nothing, or one rung, and saves: the blank row for a new rung is
    posted as the browser fills it (its select on the first action) and must be ignored."""
    client.force_login(manager)
    data = browser_post(client.get(reverse("billing:ladder")).content.decode(), "ladder-form")
    assert data["rungs-TOTAL_FORMS"] == "6" and data["rungs-5-days"] == ""
    response = client.post(reverse("billing:ladder"), data)
    assert response.status_code == 302, response.context["formset"].errors
    assert rungs() == [tuple(r.values()) for r in DEFAULT]


def link(body: str, result: str) -> str:
    """The address of a card's link that records ``result`` on its own page."""
    found = re.search(rf'href="([^"]+)" data-result="{result}"', body)
    assert found, f"no link for {result}"
    return html.unescape(found.group(1))


def test_paid_from_the_card_as_the_browser_does(signed_in, agent):
    """The agent follows the card's "Paid", leaves the form as it comes and saves."""
    item = payment_item(agent, due=-3, paid_amount=D("400.00"), status="partly_paid")
    url = link(card(signed_in.get(queue_url()).content.decode(), item), "paid")
    form = signed_in.get(url).content.decode()
    assert 'data-testid="from-item"' in form
    data = browser_post(form, "payment-form") | {"method": PaymentMethod.CASH}
    response = signed_in.post(url, data)
    assert response.status_code == 302 and response.url == queue_url()
    payment = Payment.objects.get()
    assert (payment.amount, payment.currency) == (D("1100.00"), "MXN")
    instalment = instalment_of(item)
    assert (instalment.status, instalment.paid_amount) == (InstalmentStatus.PAID, D("1500.00"))
    item.refresh_from_db()
    assert (item.status, item.result) == (ItemStatus.DONE, "paid")


@pytest.mark.parametrize("result", ["promised", "refuses"])
def test_promised_and_refuses_from_the_card_as_the_browser_does(signed_in, agent, result):
    item = payment_item(agent, due=-3)
    url = link(card(signed_in.get(queue_url()).content.decode(), item), result)
    testid = {"promised": "promise-form", "refuses": "refuse-form"}[result]
    data = browser_post(signed_in.get(url).content.decode(), testid)
    assert data["next"] == queue_url()
    data |= {"promised_on": days(10).isoformat()} if result == "promised" else {"note": "No"}
    response = signed_in.post(url, data)
    assert response.status_code == 302 and response.url == queue_url()
    item.refresh_from_db()
    assert (item.status, item.result) == (ItemStatus.DONE, result)
    assert PaymentPromise.objects.count() == (result == "promised")


def test_a_decision_on_the_risk_page_as_the_browser_does(client, agent, manager):
    risk = at_risk(agent)
    client.force_login(manager)
    url = reverse("billing:risk_detail", args=[risk.pk])
    data = browser_post(client.get(url).content.decode(), "risk-form")
    assert "decision" not in data  # nothing chosen yet
    response = client.post(url, data | {"decision": "keep", "note": "Pays next week"})
    assert response.status_code == 302
    risk.refresh_from_db()
    assert risk.status == RiskStatus.KEPT


# --- The same form posted at the same moment ----------------------------------------------------


def post_at_once(*, user, url, data: list[dict]) -> list[int]:
    """Post each of ``data`` to ``url`` from its own browser, all at the same moment."""
    barrier = threading.Barrier(len(data))
    statuses, errors = [], []

    def post(body):
        try:
            browser = Client()
            browser.force_login(user)
            barrier.wait(timeout=10)
            statuses.append(browser.post(url, body).status_code)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(body,)) for body in data]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return statuses


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_token", [True, False], ids=["double-click", "two-tabs"])
def test_a_promise_posted_twice_at_once_is_recorded_once(same_token):
    agent = UserFactory(roles=["agent"])
    item = payment_item(agent, due=-3)
    token = str(uuid.uuid4())
    data = [
        {"promised_on": days(7).isoformat(), "token": token if same_token else str(uuid.uuid4())}
        for _ in range(3)
    ]
    statuses = post_at_once(user=agent, url=promise_url(item), data=data)
    assert 302 in statuses and set(statuses) <= {200, 302}
    assert PaymentPromise.objects.count() == 1
    assert ItemResult.objects.filter(item=item).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_token", [True, False], ids=["double-click", "two-tabs"])
def test_a_payment_from_the_item_posted_twice_at_once_is_recorded_once(same_token):
    agent = UserFactory(roles=["agent"])
    item = payment_item(agent, due=-3)
    token = str(uuid.uuid4())
    data = [
        pay_data(
            amount="500.00",
            instalments=[item.subject_id],
            token=token if same_token else str(uuid.uuid4()),
        )  # fmt: skip
        for _ in range(3)
    ]
    statuses = post_at_once(user=agent, url=pay_url(item), data=data)
    assert 302 in statuses and set(statuses) <= {200, 302}
    assert Payment.objects.count() == 1
    assert instalment_of(item).paid_amount == D("500.00")
    assert ItemResult.objects.filter(item=item).count() == 1


# --- The calls of a policy changed elsewhere --------------------------------------------------


def test_a_policy_cancelled_on_its_own_page_takes_the_calls_of_its_cancelled_instalments_off_the_list(  # noqa: E501
    signed_in, agent
):
    item = payment_item(agent, due=0)
    instalment = instalment_of(item)
    response = signed_in.post(
        reverse("policies:cancel", args=[instalment.policy_id]),
        {"reason": "Sold the car", "on": days(-1).isoformat()},
    )
    assert response.status_code == 302
    assert Instalment.objects.get(pk=instalment.pk).status == InstalmentStatus.CANCELLED
    item.refresh_from_db()
    assert item.status != ItemStatus.OPEN
    assert f'id="item-{item.pk}"' not in signed_in.get(queue_url()).content.decode()


def test_a_policy_cancelled_on_its_own_page_leaves_the_at_risk_list(client, agent, manager):
    risk = at_risk(agent)
    client.force_login(agent)
    client.post(
        reverse("policies:cancel", args=[risk.policy_id]),
        {"reason": "Sold the car", "on": days(-1).isoformat()},
    )
    risk.policy.refresh_from_db()
    assert risk.policy.status == PolicyStatus.CANCELLED
    client.force_login(manager)
    to_decide = client.get(reverse("billing:risks"))
    assert list(to_decide.context["page"].object_list) == []


def test_a_re_plan_that_drops_an_instalment_takes_its_call_off_the_list(signed_in, agent, manager):
    """Monthly to annual: the plan keeps instalment 1 only; the call about instalment 3 must not
    stay on the list where every result is refused."""
    from billing.services import instalments_plan
    from policies.services import policy_update

    client = ClientFactory(owner=agent)
    policy = PolicyFactory(
        holder=client, payment_frequency="monthly", start_date=days(-75), end_date=days(290)
    )
    plan = instalments_plan(policy, agent)
    third = next(i for i in plan if i.number == 3)
    item = WorkItemFactory(kind=PAYMENT_KIND, subject_id=third.pk, key="due+0", agent=agent)
    policy_update(policy=policy, by=manager, data={"payment_frequency": "annual"})
    assert not Instalment.objects.filter(pk=third.pk).exists()
    item.refresh_from_db()
    assert item.status != ItemStatus.OPEN
    assert f'id="item-{item.pk}"' not in signed_in.get(queue_url()).content.decode()


# --- The call list's export, the maintainers' list and the call-backs ---------------------------


def export_row(client, agent, manager, *, number: str | None = None) -> dict:
    """The call list's one row, as exported, of a payment item on instalment 2 of 4 due three
    days ago, 500.00 of 1,500.00 paid; its policy numbered ``number`` when given."""
    from brokerage.accounts.services import user_set_export_grant

    item = payment_item(agent, due=-3, number=2, count=4, paid_amount=D("500.00"))
    instalment = instalment_of(item)
    Instalment.objects.filter(pk=instalment.pk).update(status=InstalmentStatus.PARTLY_PAID)
    if number is not None:
        PolicyFactory._meta.model.objects.filter(pk=instalment.policy_id).update(number=number)
    user_set_export_grant(user=agent, by=manager, granted=True)
    client.force_login(agent)
    response = client.get(reverse("workqueue:export"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, row = list(sheet.iter_rows(values_only=True))
    return dict(zip(header, row, strict=True)) | {"_instalment": instalment}


def test_the_call_list_export_has_the_payment_columns(client, agent, manager):
    got = export_row(client, agent, manager)
    instalment = got["_instalment"]
    assert got["Kind"] == "Payments due"
    assert got["Client"] == instalment.policy.holder.display_name
    assert got["Policy"] == instalment.policy.number
    assert got["Instalment"] == "2/4"
    assert got["Amount owed"] == 1000
    assert (got["Currency"], got["Days after due"]) == ("MXN", 3)
    assert got["Due on"].date() == days(-3)


def test_the_exported_instalment_is_n_of_n_whatever_the_policy_number(client, agent, manager):
    got = export_row(client, agent, manager, number="GNP 12 345")
    assert got["Policy"] == "GNP 12 345"
    assert got["Instalment"] == "2/4"


def test_the_maintainers_list_shows_payment_items_in_a_fixed_number_of_queries(
    client, agent, maintainer, django_assert_max_num_queries
):
    def add_item():
        item = payment_item(agent, due=-3)
        ItemResult.objects.create(item=item, result="wrong_number", by=agent)
        WorkItem.objects.filter(pk=item.pk).update(queue=Queue.MAINTAINERS, agent=None)
        return item

    add_item()
    client.force_login(maintainer)
    with django_assert_max_num_queries(60) as one:
        first = client.get(reverse("workqueue:maintainers"))
    assert first.content.decode().count("instalment 2 of 4, 1,500.00 MXN") == 1
    for _ in range(19):
        add_item()
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(reverse("workqueue:maintainers"))
    body = page.content.decode()
    assert body.count("instalment 2 of 4, 1,500.00 MXN") == 20
    assert body.count("Wrong number") >= 20


def test_a_broken_promise_comes_back_saying_so(signed_in, agent):
    item = payment_item(agent, due=-10)
    promise = PaymentPromise.objects.create(
        instalment_id=item.subject_id, promised_on=days(-2), made_by=agent, status="broken"
    )
    WorkItem.objects.filter(pk=item.pk).update(key=f"promise-{promise.pk}")
    mine = card(signed_in.get(queue_url()).content.decode(), item)
    assert "promise not kept" in mine
    assert 'data-testid="item-promise"' in mine and "Broken" in mine
    assert "10 days overdue" in mine


def test_a_call_back_on_a_payment_item_is_on_the_call_backs_page(signed_in, agent):
    item = payment_item(agent, due=-3)
    when = timezone.localtime() + datetime.timedelta(days=2)
    response = post_result(
        signed_in, item, "call_back", callback_at=when.strftime("%Y-%m-%dT%H:%M"), note="After 6"
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.due_on) == (ItemStatus.OPEN, when.date())
    body = signed_in.get(reverse("workqueue:callbacks")).content.decode()
    assert item.title in body and "After 6" in body


def test_a_reassigned_clients_payment_call_goes_with_the_client(client, agent, manager, team):
    item = payment_item(agent, due=-3)
    holder = instalment_of(item).policy.holder
    teammate = UserFactory(roles=["agent"], team=team)
    client.force_login(manager)
    response = client.post(reverse("clients:reassign", args=[holder.pk]), {"agent": teammate.pk})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.agent, item.status) == (teammate, ItemStatus.OPEN)
    client.force_login(agent)
    assert f'id="item-{item.pk}"' not in client.get(queue_url()).content.decode()
    assert client.get(promise_url(item)).status_code == 404
    assert client.get(pay_url(item)).status_code == 404
    client.force_login(teammate)
    assert ">2 of 4<" in card(client.get(queue_url()).content.decode(), item)
    assert client.get(pay_url(item)).status_code == 200


def test_the_decided_tab_takes_a_fixed_number_of_queries(
    client, agent, manager, django_assert_max_num_queries
):
    from billing.work import risk_decide

    def decided():
        risk_decide(risk=at_risk(agent), by=manager, decision="keep", note="Good client")

    decided()
    client.force_login(manager)
    url = reverse("billing:risks")
    with django_assert_max_num_queries(40) as one:
        first = client.get(url, {"show": "decided"})
    assert first.content.decode().count('data-testid="risk-row"') == 1
    for _ in range(19):
        decided()
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(url, {"show": "decided"})
    body = page.content.decode()
    assert body.count('data-testid="risk-row"') == 20 and body.count("Good client") == 20
    assert list(client.get(url).context["page"].object_list) == []


def test_a_maintainer_who_fixes_the_contact_returns_the_call_to_the_clients_agent(
    client, agent, maintainer
):
    item = payment_item(agent, due=-3)
    client.force_login(agent)
    for result in ("no_answer", "switched_off", "wrong_number"):
        post_result(client, item, result)
    holder = instalment_of(item).policy.holder
    holder.refresh_from_db()
    assert holder.contact_inaccurate is True
    client.force_login(maintainer)
    response = client.post(
        reverse("workqueue:maintainers_close", args=[item.pk]), {"action": "return"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.queue, item.agent, item.attempts) == (Queue.AGENT, agent, 0)
    holder.refresh_from_db()
    assert holder.contact_inaccurate is False
    client.force_login(agent)
    assert ">2 of 4<" in card(client.get(queue_url()).content.decode(), item)
