"""The "Record a payment" page, the payment page, its receipt PDF and the policy page's
instalments section."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import OPEN_STATUSES, Instalment, InstalmentStatus, Payment, PaymentMethod
from billing.payments import payment_record
from billing.receipt import receipt_pdf
from billing.tests.factories import InstalmentFactory, instalment_plan
from brokerage.accounts.tests.factories import UserFactory
from brokerage.core.models import ExportRecord
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def agent():
    return UserFactory(roles=["agent"])


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def holder(agent):
    return ClientFactory(owner=agent, language="es")


@pytest.fixture
def plan(holder):
    return instalment_plan(PolicyFactory(holder=holder, number="HDI-0042"), count=3)


def post_data(**overrides):
    data = {
        "amount": "1000.00",
        "currency": "MXN",
        "method": PaymentMethod.TRANSFER,
        "paid_on": timezone.localdate().isoformat(),
        "reference": "SPEI 7788",
        "token": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


def create_url(holder):
    return reverse("billing:payment_create", args=[holder.pk])


def test_the_form_lists_open_instalments_with_what_they_owe(signed_in, holder, plan):
    first, second, third = plan
    Instalment.objects.filter(pk=third.pk).update(status=InstalmentStatus.PAID)
    Instalment.objects.filter(pk=second.pk).update(
        paid_amount=D("250.00"), status=InstalmentStatus.PARTLY_PAID
    )
    page = signed_in.get(create_url(holder), {"policy": first.policy_id})
    assert page.status_code == 200
    body = page.content.decode()
    assert f'value="{first.pk}"' in body and f'value="{second.pk}"' in body
    assert f'value="{third.pk}"' not in body
    assert "750.00" in body  # what the second still owes
    assert page.context["form"].initial["instalments"] == [first]


def test_recording_a_payment_redirects_to_it(signed_in, holder, plan, agent):
    first, second, _third = plan
    response = signed_in.post(
        create_url(holder), post_data(amount="1200.00", instalments=[first.pk, second.pk])
    )
    payment = Payment.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("billing:payment_detail", args=[payment.pk])
    assert (payment.amount, payment.recorded_by, payment.reference) == (
        D("1200.00"), agent, "SPEI 7788",
    )  # fmt: skip
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == InstalmentStatus.PAID
    assert second.paid_amount == D("200.00")
    page = signed_in.get(response.url)
    assert "HDI-0042" in page.content.decode()


def test_the_same_post_twice_records_once(signed_in, holder, plan):
    data = post_data(amount="100.00")
    first = signed_in.post(create_url(holder), data)
    second = signed_in.post(create_url(holder), data)
    assert first.status_code == second.status_code == 302
    assert first.url == second.url
    assert Payment.objects.count() == 1
    assert Instalment.objects.get(pk=plan[0].pk).paid_amount == D("100.00")


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"amount": "²"}, "amount"),
        ({"amount": "1\x00"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "1e400"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": "Infinity"}, "amount"),
        ({"amount": "3000.01"}, "amount"),  # more than the three instalments owe
        ({"paid_on": "9999-12-31"}, "paid_on"),
        ({"paid_on": "1899-12-31"}, "paid_on"),
        ({"paid_on": "2024-02-30"}, "paid_on"),
        ({"paid_on": "2024-01-01\x00"}, "paid_on"),
        ({"method": "cheque"}, "method"),
        ({"currency": "XXX"}, "currency"),
        ({"currency": "USD"}, "amount"),  # nothing owed in dollars
        ({"reference": "ref\x00"}, "reference"),
        ({"reference": "x" * 101}, "reference"),
        ({"instalments": ["abc"]}, "instalments"),
        ({"instalments": ["1\x00"]}, "instalments"),
        ({"instalments": ["99999999999999999999"]}, "instalments"),
        ({"token": "not-a-uuid"}, "token"),
    ],
)
def test_bad_input_is_a_field_error_never_a_500(signed_in, holder, plan, overrides, field):
    response = signed_in.post(create_url(holder), post_data(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Payment.objects.exists()


def test_another_clients_instalment_is_a_field_error(signed_in, holder, plan):
    theirs = InstalmentFactory(policy=PolicyFactory(holder=ClientFactory()))
    response = signed_in.post(create_url(holder), post_data(instalments=[theirs.pk]))
    assert response.status_code == 200
    assert "instalments" in response.context["form"].errors
    assert not Payment.objects.exists()


def test_instalment_in_another_currency_is_a_field_error(signed_in, holder, plan):
    dollars = InstalmentFactory(policy=PolicyFactory(holder=holder, currency="USD"))
    response = signed_in.post(
        create_url(holder), post_data(amount="5.00", instalments=[dollars.pk])
    )
    assert "currency" in response.context["form"].errors


def test_policy_page_shows_its_instalments_in_a_fixed_number_of_queries(
    signed_in, holder, django_assert_max_num_queries, agent
):
    few = PolicyFactory(holder=holder)
    instalment_plan(few, count=1)
    many = PolicyFactory(holder=holder)
    instalment_plan(many, count=12)
    for _ in range(3):
        payment_record(
            client=holder, by=agent, amount=D("700.00"), currency="MXN",
            method=PaymentMethod.CASH, paid_on=timezone.localdate(),
            instalments=Instalment.objects.filter(policy=many, status__in=OPEN_STATUSES),
        )  # fmt: skip
    with django_assert_max_num_queries(40) as few_queries:
        signed_in.get(reverse("policies:detail", args=[few.pk]))
    with django_assert_max_num_queries(len(few_queries.captured_queries)) as _many:
        page = signed_in.get(reverse("policies:detail", args=[many.pk]))
    body = page.content.decode()
    assert body.count("data-instalment=") == 12
    assert "12/12" in body
    assert body.count("data-payment=") == 3
    assert 'data-status="paid"' in body and 'data-status="partly_paid"' in body
    assert reverse("billing:payment_create", args=[holder.pk]) in body


def test_receipt_is_in_the_clients_language_and_recorded_as_an_export(
    signed_in, holder, plan, agent
):
    payment = payment_record(
        client=holder, by=agent, amount=D("1500.00"), currency="MXN",
        method=PaymentMethod.CARD, paid_on=timezone.localdate(), reference="VISA 4242",
    )  # fmt: skip
    response = signed_in.get(reverse("billing:payment_receipt", args=[payment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert ExportRecord.objects.filter(user=agent, what="payment receipt").count() == 1


def test_receipt_html_names_what_it_settled(holder, plan, agent, monkeypatch):
    payment = payment_record(
        client=holder, by=agent, amount=D("1500.00"), currency="MXN",
        method=PaymentMethod.CARD, paid_on=datetime.date(2026, 3, 5), reference="VISA 4242",
    )  # fmt: skip
    seen = {}

    def fake_pdf(html, base_url=None):
        seen["html"] = html
        return b"%PDF-fake"

    monkeypatch.setattr("billing.receipt.pdf_from_html", fake_pdf)
    assert receipt_pdf(payment=payment, base_url="http://testserver/") == b"%PDF-fake"
    html = seen["html"]
    assert 'lang="es"' in html
    assert "HDI-0042" in html and "VISA 4242" in html
    assert "1,500.00" in html or "1.500,00" in html or "1500.00" in html
    assert holder.display_name in html
    assert str(agent.get_full_name()) in html or agent.username in html
    assert "1 of 3" in html or "1 de 3" in html
    assert "2 of 3" in html or "2 de 3" in html


def test_the_client_page_links_to_record_a_payment(signed_in, holder):
    page = signed_in.get(reverse("clients:detail", args=[holder.pk]))
    assert reverse("billing:payment_create", args=[holder.pk]) in page.content.decode()


def test_void_without_a_reason_is_a_field_error(client, holder, plan, agent):
    payment = payment_record(
        client=holder, by=agent, amount=D("10.00"), currency="MXN",
        method=PaymentMethod.CASH, paid_on=timezone.localdate(),
    )  # fmt: skip
    signed_in = client
    client.force_login(UserFactory(roles=["maintainer"]))
    response = signed_in.post(reverse("billing:payment_void", args=[payment.pk]), {"reason": ""})
    assert response.status_code == 200
    assert "reason" in response.context["void_form"].errors
    assert Payment.objects.filter(pk=payment.pk).exists()
    assert signed_in.get(reverse("billing:payment_void", args=[payment.pk])).status_code == 405
