"""An agent's one-click result that does not go through says so in its card: a server error,
the item handed to someone else since the page was drawn (a refusal), or no network. Before,
the page stayed as it was and the click looked logged. Clicking again once it works logs it
once and the message goes."""

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
from workqueue import views as queue_views
from workqueue.models import ItemResult, WorkItem

pytestmark = pytest.mark.django_db(transaction=True)

RESULT = re.compile(r"/queue/items/\d+/result/")


@pytest.fixture
def lucia():
    """Lucía's call list: two renewals due in thirty days."""
    Ladder.objects.update_or_create(
        code="errors-card",
        defaults={"name": "30/25/15", "rungs": validate_rungs(DEFAULT_RUNGS), "is_default": True},
    )
    agent = UserFactory(username="lucia", roles=["agent"])
    insurer = InsurerFactory(name="GNP Seguros", code="gnp")
    end = timezone.localdate() + datetime.timedelta(days=30)
    for n in (1, 2):
        PolicyFactory(
            holder=ClientFactory(owner=agent), insurer=insurer, number=f"GNP-{n}",
            premium=Decimal("9000.00"), start_date=end - datetime.timedelta(days=365),
            end_date=end,
        )  # fmt: skip
    renewals_morning_job(day=timezone.localdate())
    return agent


def _open_queue(page, agent):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(agent.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/queue/$"))
    expect(page.get_by_test_id("call-item")).to_have_count(2)
    return page.get_by_test_id("call-item").first


def test_a_server_error_says_so_in_the_card_and_a_second_click_logs_once(
    page, lucia, monkeypatch
):
    record = queue_views.services.item_record_result
    calls = []

    def fails_once(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        return record(**kwargs)

    monkeypatch.setattr(queue_views.services, "item_record_result", fails_once)
    card = _open_queue(page, lucia)
    pk = int(card.get_attribute("data-item"))
    card.get_by_role("button", name="No answer").click()

    error = page.locator(f"#item-{pk}").get_by_test_id("htmx-error")
    expect(error).to_have_text(
        "This did not go through: the server met an error. Try again in a moment."
    )
    assert not ItemResult.objects.filter(item_id=pk).exists()

    page.locator(f"#item-{pk}").get_by_role("button", name="No answer").click()
    expect(page.locator(f"#item-{pk}").get_by_test_id("item-feedback")).to_have_text(
        "No answer: logged (attempt 1)."
    )
    expect(page.get_by_test_id("htmx-error")).to_have_count(0)
    assert ItemResult.objects.filter(item_id=pk).count() == 1


def test_an_item_handed_to_someone_else_meanwhile_says_to_reload(page, lucia):
    card = _open_queue(page, lucia)
    pk = int(card.get_attribute("data-item"))
    WorkItem.objects.filter(pk=pk).update(agent=UserFactory(roles=["agent"]))

    card.get_by_role("button", name="No answer").click()
    expect(page.locator(f"#item-{pk}").get_by_test_id("htmx-error")).to_have_text(
        "This did not go through: it may have changed or no longer be yours. Reload the page."
    )
    assert not ItemResult.objects.exists()


def test_no_network_says_so_and_the_next_click_goes_through(page, lucia):
    card = _open_queue(page, lucia)
    pk = int(card.get_attribute("data-item"))
    page.route(RESULT, lambda route: route.abort("internetdisconnected"))
    card.get_by_role("button", name="No answer").click()
    expect(page.locator(f"#item-{pk}").get_by_test_id("htmx-error")).to_have_text(
        "This did not go through: the server did not answer. Check the connection and try again."
    )

    page.unroute(RESULT)
    page.locator(f"#item-{pk}").get_by_role("button", name="No answer").click()
    expect(page.locator(f"#item-{pk}").get_by_test_id("item-feedback")).to_have_text(
        "No answer: logged (attempt 1)."
    )
    expect(page.get_by_test_id("htmx-error")).to_have_count(0)
    assert ItemResult.objects.filter(item_id=pk).count() == 1
