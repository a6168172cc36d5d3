"""The policy PDF's instalment table reads the written instalments with their status, and
falls back to the computed plan for a policy not planned yet."""

from datetime import date
from decimal import Decimal

import pytest

from billing.models import Instalment, InstalmentStatus
from billing.services import instalments_plan
from policies import pdf
from policies.schedule import policy_schedule
from policies.tests.factories import PolicyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rendered(monkeypatch):
    pages = []
    monkeypatch.setattr(pdf, "pdf_from_html", lambda html, base_url: pages.append(html) or b"")
    return pages


def _policy():
    return PolicyFactory(
        premium=Decimal("1000.00"), payment_frequency="semiannual", currency="USD",
        start_date=date(2026, 8, 31), end_date=date(2027, 8, 31),
    )  # fmt: skip


def test_the_table_shows_the_written_instalments_and_their_status(rendered, agent):
    policy = _policy()
    instalments_plan(policy, agent)
    first = Instalment.objects.get(policy=policy, number=1)
    first.status, first.paid_amount = InstalmentStatus.PAID, Decimal("500.00")
    first.save()

    pdf.policy_pdf(policy=policy, language="en", base_url="/")

    html = rendered[0]
    assert "1/2" in html and "2/2" in html
    assert "Paid" in html and "Pending" in html
    assert "500.00 USD" in html
    lines = policy_schedule(policy)
    assert [(line.due_on, line.status) for line in lines] == [
        (date(2026, 8, 31), "Paid"),
        (date(2027, 2, 28), "Pending"),
    ]


def test_a_policy_without_instalments_prints_its_computed_plan(rendered):
    policy = _policy()
    assert not policy.instalments.exists()
    lines = policy_schedule(policy)
    assert [(line.number, line.due_on, line.amount, line.status) for line in lines] == [
        (1, date(2026, 8, 31), Decimal("500.00"), ""),
        (2, date(2027, 2, 28), Decimal("500.00"), ""),
    ]
    pdf.policy_pdf(policy=policy, language="en", base_url="/")
    assert "2/2" in rendered[0] and "Pending" not in rendered[0]
