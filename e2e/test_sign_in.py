import re

import pytest
from playwright.sync_api import expect

from brokerage.accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _sign_in(page, username, password):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_an_agent_signs_in_and_lands_on_their_queue(page):
    agent = UserFactory(username="lucia", first_name="Lucía", last_name="Ramírez", roles=["agent"])
    _sign_in(page, agent.username, PASSWORD)
    expect(page).to_have_url(re.compile(r"/queue/$"))
    expect(page.get_by_test_id("queue-heading")).to_have_text("My queue")
    expect(page.get_by_test_id("user-menu")).to_have_text("Lucía Ramírez")
    expect(page.get_by_test_id("nav-items").get_by_role("link", name="My queue")).to_be_visible()


def test_switching_to_chinese_shows_the_chinese_navbar(page):
    agent = UserFactory(username="wei", roles=["agent"])
    _sign_in(page, agent.username, PASSWORD)
    page.get_by_test_id("language-menu").click()
    page.get_by_role("button", name="简体中文").click()
    nav = page.get_by_test_id("nav-items")
    expect(nav.get_by_role("link", name="我的待办")).to_be_visible()
    expect(page.get_by_test_id("language-menu")).to_have_text("简体中文")
    agent.refresh_from_db()
    assert agent.language == "zh-hans"
    # It stays Chinese on the next page.
    page.goto("/accounts/profile/")
    expect(page.locator("h1")).to_have_text("个人资料")


def test_a_wrong_password_shows_an_error_and_the_fifth_is_throttled(page):
    agent = UserFactory(username="pablo", roles=["agent"])
    for attempt in range(1, 5):
        _sign_in(page, agent.username, f"wrong-{attempt}")
        expect(page.locator(".alert-danger, .invalid-feedback, .alert-block")).to_contain_text(
            "do not match"
        )
    _sign_in(page, agent.username, "wrong-5")
    expect(page.get_by_test_id("locked-out")).to_contain_text("Too many failed sign-in attempts")
    # Now even the right password is refused.
    _sign_in(page, agent.username, PASSWORD)
    expect(page.get_by_test_id("locked-out")).to_be_visible()
    expect(page).not_to_have_url(re.compile(r"/queue/$"))
