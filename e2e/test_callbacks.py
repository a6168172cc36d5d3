"""An agent's call-backs stay in view (issue 13, item 7), and one double-clicked result logs
one attempt (item 20): in the browser, in English, with screenshots in es and zh-hans."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from brokerage.accounts.tests.factories import PASSWORD, UserFactory
from clients.tests.factories import ClientFactory
from policies.tests.factories import InsurerFactory, PolicyFactory
from renewals.jobs import renewals_morning_job
from renewals.ladders import DEFAULT_RUNGS, validate_rungs
from renewals.models import Ladder
from workqueue.models import WorkItem
from workqueue.services import item_record_result

from .conftest import ARTIFACTS

pytestmark = pytest.mark.django_db(transaction=True)


def _sign_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def book():
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
    items = [WorkItem.objects.get(subject_id=p.renewal_case.pk) for p in policies]
    return agent, items


def test_an_agent_sees_their_call_backs_and_a_double_click_logs_one_attempt(page, book):
    agent, (first, second, third) = book
    item_record_result(
        item=second, by=agent, result="call_back",
        callback_at=timezone.now() + datetime.timedelta(days=2), note="after lunch",
    )  # fmt: skip
    soon = timezone.now() + datetime.timedelta(minutes=30)
    later_today = timezone.localdate(soon) == timezone.localdate()
    if later_today:
        item_record_result(item=third, by=agent, result="call_back", callback_at=soon)

    _sign_in(page, agent.username)
    if later_today:
        badge = page.locator(f"#item-{third.pk}").get_by_test_id("callback-time")
        expect(badge).to_contain_text("Call back at")
        # It sorts at its time: after the items that can be called now.
        assert page.get_by_test_id("call-item").last.get_attribute("id") == f"item-{third.pk}"
    expect(page).to_have_url(re.compile(r"/queue/$"))
    card = page.locator(f"#item-{first.pk}")
    card.get_by_role("button", name="No answer").dblclick()
    expect(page.locator(f"#item-{first.pk}").get_by_test_id("item-feedback")).to_have_text(
        "No answer: logged (attempt 1)."
    )
    first.refresh_from_db()
    assert (first.attempts, first.results.count()) == (1, 1)

    page.get_by_role("link", name="My call-backs").first.click()
    expect(page.get_by_test_id("callbacks-heading")).to_have_text("My call-backs")
    rows = page.get_by_test_id("callback-row")
    expect(rows).to_have_count(2 if later_today else 1)
    expect(rows.last).to_contain_text("after lunch")
    expect(page.locator("nav [aria-current=page]")).to_have_text("My call-backs")
    ARTIFACTS.mkdir(exist_ok=True)
    for language in ("en", "es", "zh-hans"):
        type(agent).objects.filter(pk=agent.pk).update(language=language)
        for name, url in (("queue", "/queue/"), ("callbacks", "/queue/callbacks/")):
            page.goto(url)
            page.screenshot(path=str(ARTIFACTS / f"{name}-{language}.png"), full_page=True)
