"""The renewal rate's client rates load after the page (an htmx fragment, out-of-band cells).
When that request fails, by a server error or the network, the cells stop saying "counting…":
they say the figure was not counted, a message says why, and a button asks again."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from clients.tests.factories import ClientFactory
from e2e.test_dashboard import _sign_in
from policies.tests.factories import PolicyFactory
from renewals.models import CaseStatus
from renewals.tests.factories import RenewalCaseFactory
from reports import views as report_views

pytestmark = pytest.mark.django_db(transaction=True)

FRAGMENT = re.compile(r"/reports/renewals/clients/")


@pytest.fixture
def manager():
    """Two of Ana's clients, each with a case that ended last month: one renewed, one lost."""
    manager = UserFactory(username="marisol", roles=["manager"])
    ana = UserFactory(roles=["agent"], team=TeamFactory(manager=manager))
    end = timezone.localdate().replace(day=1) - datetime.timedelta(days=10)
    for number, status in (("P-1", CaseStatus.WON), ("P-2", CaseStatus.LOST)):
        policy = PolicyFactory(
            holder=ClientFactory(owner=ana), agent=ana, number=number, premium=Decimal("1000"),
            start_date=end - datetime.timedelta(days=365), end_date=end,
        )  # fmt: skip
        RenewalCaseFactory(policy=policy, status=status, stage="")
    return manager


def _client_rates(page):
    """The client-rate cells of the renewal rate table (a row's and the totals')."""
    return page.get_by_test_id("report-renewals").locator("[id^='client-rate-']")


def _open_dashboard(page):
    page.goto(f"/reports/renewals/?by=month&start={timezone.localdate().year - 1}-01-01")


def test_it_says_when_the_server_fails_to_count_the_client_rates_and_asks_again(
    page, manager, monkeypatch
):
    counts = report_views.renewal_client_counts
    calls = []

    def fails_once(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise RuntimeError("the replica went away")
        return counts(**kwargs)

    monkeypatch.setattr(report_views, "renewal_client_counts", fails_once)
    _sign_in(page, manager.username)
    _open_dashboard(page)

    error = page.get_by_test_id("report-deferred-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("could not be counted")
    cells = _client_rates(page)
    expect(cells).to_have_count(2)
    expect(cells).to_have_text(["not counted", "not counted"])
    expect(page.get_by_test_id("report-renewals")).not_to_contain_text("counting…")

    with page.expect_response(FRAGMENT) as answer:
        error.get_by_role("button", name="Try again").click()
    assert answer.value.status == 200
    expect(error).to_be_hidden()
    expect(cells).to_have_text(["50.0 %", "50.0 %"])
    assert len(calls) == 2


def test_it_says_when_the_network_fails_and_counts_them_when_it_is_back(page, manager):
    _sign_in(page, manager.username)
    page.route(FRAGMENT, lambda route: route.abort("internetdisconnected"))
    _open_dashboard(page)

    error = page.get_by_test_id("report-deferred-error")
    expect(error).to_be_visible()
    expect(_client_rates(page)).to_have_text(["not counted", "not counted"])

    page.unroute(FRAGMENT)
    error.get_by_role("button", name="Try again").click()
    expect(error).to_be_hidden()
    expect(_client_rates(page)).to_have_text(["50.0 %", "50.0 %"])


def test_an_answer_that_fills_no_cell_is_a_failure_too(page, manager):
    """The sign-in page after the session has ended, say: a 200 that fills no cell."""
    _sign_in(page, manager.username)
    page.route(FRAGMENT, lambda route: route.fulfill(status=200, body="<form>Sign in</form>"))
    _open_dashboard(page)

    expect(page.get_by_test_id("report-deferred-error")).to_be_visible()
    expect(_client_rates(page)).to_have_text(["not counted", "not counted"])


def test_the_message_stays_hidden_when_the_rates_arrive(page, manager):
    _sign_in(page, manager.username)
    with page.expect_response(FRAGMENT):
        _open_dashboard(page)
    expect(_client_rates(page)).to_have_text(["50.0 %", "50.0 %"])
    expect(page.get_by_test_id("report-deferred-error")).to_be_hidden()
