"""Collections in the browser: the morning run puts a payment-due call on the agent's list, the
agent records the client's payment from it (the call closes), and the manager's collections
view shows the collection rate move; the agent also records a promise to pay."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from billing.jobs import collections_morning_job
from billing.ladder import collection_ladder_default
from billing.models import InstalmentStatus, Payment, PaymentPromise
from billing.services import instalments_plan
from brokerage.accounts.tests.factories import PASSWORD, TeamFactory, UserFactory
from clients.tests.factories import ClientFactory
from policies.models import PaymentFrequency
from policies.tests.factories import InsurerFactory, PolicyFactory
from workqueue.models import ItemStatus, WorkItem

pytestmark = pytest.mark.django_db(transaction=True)


def _sign_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _book():
    collection_ladder_default()  # a transactional test before may have flushed the table
    team = TeamFactory(name="Norte")
    manager = UserFactory(username="marta", first_name="Marta", last_name="Ríos",
                          roles=["manager"])  # fmt: skip
    team.manager = manager
    team.save()
    agent = UserFactory(username="lucia", first_name="Lucía", last_name="Pérez",
                        roles=["agent"], team=team)  # fmt: skip
    today = timezone.localdate()
    policies = []
    for n, (first, last) in enumerate([("Ana", "Ruiz"), ("Bruno", "Soto")], start=1):
        policy = PolicyFactory(
            holder=ClientFactory(owner=agent, first_name=first, last_name=last),
            insurer=InsurerFactory(name="GNP Seguros", code="gnp"), number=f"GNP-{n}",
            premium=Decimal("12000.00"), payment_frequency=PaymentFrequency.QUARTERLY,
            start_date=today, end_date=today + datetime.timedelta(days=365),
        )  # fmt: skip
        instalments_plan(policy)
        policies.append(policy)
    collections_morning_job(day=today)
    return manager, agent, policies


def test_an_agent_records_a_payment_from_the_call_list_and_the_manager_sees_the_rate_move(
    browser, live_server
):
    manager, agent, (paid_policy, promised_policy) = _book()
    items = {i.title.split(" · ")[1]: i for i in WorkItem.objects.filter(kind="payment_due")}
    assert set(items) == {"GNP-1", "GNP-2"}

    boss = browser.new_context(base_url=live_server.url, locale="en-US").new_page()
    _sign_in(boss, manager.username)
    boss.goto("/reports/collections/")
    # The first table is the collection rate: its total row, count basis first.
    total = boss.locator("table").first.locator("tr", has_text="Total")
    expect(total).to_contain_text("0.0 %")

    page = browser.new_context(base_url=live_server.url, locale="en-US").new_page()
    _sign_in(page, agent.username)
    expect(page).to_have_url(re.compile(r"/queue/$"))
    card = page.locator(f"#item-{items['GNP-1'].pk}")
    expect(card.get_by_test_id("item-instalment")).to_have_text("1 of 4")
    expect(card.get_by_test_id("item-owed")).to_contain_text("3,000.00 MXN")
    expect(card.get_by_test_id("days-overdue")).to_have_text("due today")

    # Paid: the payment form, prefilled with the instalment and what it owes.
    card.get_by_role("link", name="Paid").click()
    expect(page.get_by_test_id("from-item")).to_be_visible()
    expect(page.get_by_label("Amount")).to_have_value("3000.00")
    page.get_by_label("Method").select_option("transfer")
    page.get_by_label("Reference").fill("SPEI 4471")
    page.get_by_role("button", name="Record the payment").click()
    expect(page).to_have_url(re.compile(r"/queue/$"))
    expect(page.get_by_role("alert").or_(page.get_by_role("status")).first).to_contain_text(
        "Payment of 3,000.00 MXN recorded."
    )
    expect(page.locator(f"#item-{items['GNP-1'].pk}")).to_have_count(0)
    payment = Payment.objects.get()
    assert (payment.amount, payment.reference) == (Decimal("3000.00"), "SPEI 4471")
    first = paid_policy.instalments.get(number=1)
    assert first.status == InstalmentStatus.PAID
    assert WorkItem.objects.get(pk=items["GNP-1"].pk).status == ItemStatus.DONE

    # Promised to pay: the date on its own page; the call leaves the list until then.
    card = page.locator(f"#item-{items['GNP-2'].pk}")
    card.get_by_role("link", name="Promised to pay").click()
    promised = timezone.localdate() + datetime.timedelta(days=5)
    page.get_by_label("Promised to pay by").fill(promised.isoformat())
    page.get_by_role("button", name="Record the promise").click()
    expect(page).to_have_url(re.compile(r"/queue/$"))
    expect(page.locator(f"#item-{items['GNP-2'].pk}")).to_have_count(0)
    assert PaymentPromise.objects.get().promised_on == promised

    # The manager's collection rate moved: one of the two instalments due is collected.
    boss.reload()
    total = boss.locator("table").first.locator("tr", has_text="Total")
    expect(total).to_contain_text("50.0 %")
    expect(total).to_contain_text("3,000.00")
