"""An agent works the morning call list in the browser: a no-answer, a call-back at a proposed
window and a renewal, each with the one-click buttons."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from brokerage.accounts.tests.factories import PASSWORD, UserFactory
from clients.tests.factories import ClientFactory
from policies.models import Policy
from policies.tests.factories import InsurerFactory, PolicyFactory
from renewals.jobs import renewals_morning_job
from renewals.ladders import DEFAULT_RUNGS, validate_rungs
from renewals.models import CaseStatus, Ladder, RenewalCase
from workqueue.models import ItemResult, ItemStatus, PointsAward, WorkItem

pytestmark = pytest.mark.django_db(transaction=True)


def _sign_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_an_agent_works_three_items_with_the_buttons_and_renews_one(page):
    Ladder.objects.update_or_create(
        code="design-card",
        defaults={"name": "30/25/15", "rungs": validate_rungs(DEFAULT_RUNGS), "is_default": True},
    )
    agent = UserFactory(username="lucia", first_name="Lucía", last_name="Pérez", roles=["agent"])
    insurer = InsurerFactory(name="GNP Seguros", code="gnp")
    end = timezone.localdate() + datetime.timedelta(days=30)
    names = [("Ana", "Ruiz"), ("Bruno", "Soto"), ("Carla", "Vega")]
    policies = [
        PolicyFactory(
            holder=ClientFactory(owner=agent, first_name=first, last_name=last),
            insurer=insurer, number=f"GNP-{i}", premium=Decimal("9000.00"),
            start_date=end - datetime.timedelta(days=365), end_date=end,
        )
        for i, (first, last) in enumerate(names, start=1)
    ]  # fmt: skip
    renewals_morning_job(day=timezone.localdate())
    items = {p.number: WorkItem.objects.get(subject_id=p.renewal_case.pk) for p in policies}

    _sign_in(page, agent.username)
    expect(page).to_have_url(re.compile(r"/queue/$"))
    expect(page.get_by_test_id("queue-count")).to_contain_text("3 items to work")
    expect(page.get_by_test_id("call-item")).to_have_count(3)

    # 1. No answer: the item is swapped in place and says which attempt it was.
    first = page.locator(f"#item-{items['GNP-1'].pk}")
    expect(first.get_by_test_id("tel-link")).to_have_attribute("href", re.compile(r"^tel:\+52"))
    first.get_by_role("button", name="No answer").click()
    expect(page.locator(f"#item-{items['GNP-1'].pk}").get_by_test_id("item-feedback")).to_have_text(
        "No answer: logged (attempt 1)."
    )
    assert ItemResult.objects.get(item=items["GNP-1"]).result == "no_answer"

    # 2. Call back at the first proposed window (9:30–11:00 or 15:30–17:00).
    second = page.locator(f"#item-{items['GNP-2'].pk}")
    second.get_by_text("Call back…").click()
    second.get_by_test_id("callback-choice").first.click()
    expect(page.locator(f"#item-{items['GNP-2'].pk} [role=status]")).to_contain_text("Call back at")
    item = WorkItem.objects.get(pk=items["GNP-2"].pk)
    assert item.result == "call_back" and item.callback_at > timezone.now()

    # 3. Renewed: the prefilled form creates the new policy and closes the case as won.
    third = page.locator(f"#item-{items['GNP-3'].pk}")
    third.get_by_role("link", name="Renewed", exact=True).click()
    expect(page.get_by_test_id("renew-heading")).to_contain_text("GNP-3")
    expect(page.locator("#id_premium")).to_have_value("9000.00")
    expect(page.locator("#id_start_date")).to_have_value(end.isoformat())
    page.locator("#id_number").fill("GNP-3-2027")
    page.locator("#id_premium").fill("9450.00")
    page.get_by_test_id("renew-submit").click()
    expect(page).to_have_url(re.compile(r"/queue/$"))
    expect(page.locator(".alert-success").first).to_contain_text("GNP-3-2027")
    expect(page.locator(f"#item-{items['GNP-3'].pk}")).to_have_count(0)
    expect(page.locator(f"#item-{items['GNP-1'].pk}")).to_have_count(1)
    expect(page.get_by_test_id("points-today")).to_have_text("19.45")

    new = Policy.objects.get(number="GNP-3-2027")
    case = RenewalCase.objects.get(policy=policies[2])
    assert case.status == CaseStatus.WON and case.new_policy == new
    assert new.previous_policy == policies[2] and new.premium == Decimal("9450.00")
    assert WorkItem.objects.get(pk=items["GNP-3"].pk).status == ItemStatus.DONE
    assert PointsAward.objects.get().agent == agent
