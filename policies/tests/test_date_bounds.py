"""A policy's dates are bounded (1900-01-01..2200-12-31, end after start, at most ten years), so
no loop over its term (instalments, PDF) can be made to run away, and a row written before the
bounds prints a message instead of looping."""

import datetime
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from clients.tests.factories import ClientFactory
from policies import services
from policies.models import Line, PaymentFrequency, Policy
from policies.schedule import MAX_SCHEDULE_MONTHS, ScheduleTooLong, instalment_schedule
from policies.tests.factories import InsurerFactory, PolicyFactory, QuotationFactory, QuoteFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()

OUT_OF_BOUNDS = [
    pytest.param("0001-01-01", "9999-12-01", "start_date", id="year-1-to-9999"),
    pytest.param("2026-01-01", "9999-12-31", "end_date", id="last-day-of-the-calendar"),
    pytest.param("1899-12-31", "1900-06-30", "start_date", id="before-1900"),
    pytest.param("2200-06-01", "2201-01-01", "end_date", id="after-2200"),
    pytest.param("2026-01-01", "2036-01-02", "end_date", id="term-over-ten-years"),
    pytest.param("2026-01-01", "2026-01-01", "end_date", id="end-on-start"),
]


@pytest.fixture
def holder(agent):
    return ClientFactory(owner=agent, first_name="Ana", last_name="López")


@pytest.fixture
def insurer():
    return InsurerFactory(name="HDI Seguros", code="hdi")


def _policy_post(insurer, start, end):
    return {
        "insurer": insurer.pk, "number": "HDI-001", "line": "health", "coverage": "Amplia",
        "premium": "12000.00", "currency": "MXN", "payment_frequency": "monthly",
        "start_date": start, "end_date": end, "general_conditions": "",
    }  # fmt: skip


@pytest.mark.parametrize(("start", "end", "field"), OUT_OF_BOUNDS)
def test_it_refuses_out_of_bounds_dates_on_the_policy_form(
    client, agent, holder, insurer, start, end, field
):
    client.force_login(agent)
    response = client.post(
        reverse("policies:create", args=[holder.pk]), _policy_post(insurer, start, end)
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Policy.objects.exists()


@pytest.mark.parametrize(("start", "end", "field"), OUT_OF_BOUNDS)
def test_it_refuses_out_of_bounds_dates_when_a_quote_is_bought(
    client, agent, holder, insurer, start, end, field
):
    quotation = QuotationFactory(client=holder, created_by=agent, line=Line.HEALTH)
    quote = QuoteFactory(quotation=quotation, insurer=insurer, premium=Decimal("9100.00"))
    client.force_login(agent)
    response = client.post(
        reverse("policies:quote_accept", args=[quote.pk]),
        {"number": "HDI-9", "payment_frequency": "monthly", "start_date": start,
         "end_date": end, "general_conditions": ""},
    )  # fmt: skip
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Policy.objects.exists()


def test_it_accepts_a_ten_year_term_at_the_edges_of_the_bounds(client, agent, holder, insurer):
    client.force_login(agent)
    url = reverse("policies:create", args=[holder.pk])
    client.post(url, _policy_post(insurer, "2190-12-31", "2200-12-31"))
    assert Policy.objects.get().end_date == datetime.date(2200, 12, 31)


@pytest.mark.parametrize(("start", "end", "field"), OUT_OF_BOUNDS)
def test_the_service_refuses_out_of_bounds_dates(agent, holder, insurer, start, end, field):
    with pytest.raises(ValidationError) as caught:
        services.policy_create(
            by=agent, holder=holder, number="HDI-7", insurer=insurer, line=Line.HEALTH,
            coverage="Amplia", premium=Decimal("100"), payment_frequency="monthly",
            start_date=datetime.date.fromisoformat(start),
            end_date=datetime.date.fromisoformat(end),
        )  # fmt: skip
    assert field in caught.value.message_dict
    assert not Policy.objects.exists()


def test_the_service_refuses_to_move_a_policy_out_of_bounds(agent, holder):
    policy = PolicyFactory(holder=holder)
    with pytest.raises(ValidationError) as caught:
        services.policy_update(
            policy=policy, by=agent, data={"end_date": datetime.date(9999, 12, 31)}
        )
    assert "end_date" in caught.value.message_dict
    policy.refresh_from_db()
    assert policy.end_date.year < 9999


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime.date(1, 1, 1), datetime.date(9999, 12, 1)),
        (datetime.date(1, 1, 1), datetime.date(9999, 12, 31)),
        (datetime.date(2026, 1, 1), datetime.date(2036, 2, 1)),
    ],
)
def test_the_schedule_refuses_a_term_longer_than_any_policy(start, end):
    began = time.monotonic()
    with pytest.raises(ScheduleTooLong):
        instalment_schedule(
            premium=Decimal("1200"), frequency=PaymentFrequency.MONTHLY, start=start, end=end
        )
    assert time.monotonic() - began < 1


def test_the_schedule_draws_a_term_ending_on_the_calendars_last_day():
    instalments = instalment_schedule(
        premium=Decimal("1200"),
        frequency=PaymentFrequency.MONTHLY,
        start=datetime.date(9999, 1, 31),
        end=datetime.date(9999, 12, 31),
    )
    assert len(instalments) == 11  # Jan 31 … Nov 30: the end's day is not due
    assert instalments[1].due_on == datetime.date(9999, 2, 28)
    assert sum(i.amount for i in instalments) == Decimal("1200")


def test_the_longest_term_fits_the_schedule():
    instalments = instalment_schedule(
        premium=Decimal("1200"),
        frequency=PaymentFrequency.MONTHLY,
        start=datetime.date(2026, 1, 1),
        end=datetime.date(2036, 1, 1),
    )
    assert len(instalments) == MAX_SCHEDULE_MONTHS


@pytest.mark.parametrize(
    ("start", "end"),
    [("0001-01-01", "9999-12-01"), ("2026-01-01", "9999-12-31"), ("1000-01-01", "1000-06-01")],
)
def test_the_pdf_of_an_out_of_bounds_row_answers_at_once_with_a_message(
    client, agent, holder, start, end
):
    policy = PolicyFactory(holder=holder, payment_frequency=PaymentFrequency.MONTHLY)
    with connection.cursor() as cursor:  # a row written before the bounds, or by hand
        cursor.execute(
            f"UPDATE {Policy._meta.db_table} SET start_date = %s, end_date = %s WHERE id = %s",
            [start, end, policy.pk],
        )
    client.force_login(agent)
    began = time.monotonic()
    response = client.get(reverse("policies:pdf", args=[policy.pk]), follow=True)
    assert time.monotonic() - began < 5
    assert response.redirect_chain == [(reverse("policies:detail", args=[policy.pk]), 302)]
    assert "out of bounds" in response.content.decode()
