"""The navbar fits on one line at 1280 px for every role in every language (issue 13, item 11):
the longest Spanish labels ("Contactos por corregir", "Bandeja de salida") once wrapped it onto
three lines and pushed the search box out of sight. A screenshot of each goes to e2e/artifacts/."""

import pytest
from playwright.sync_api import expect

from brokerage.accounts.tests.factories import PASSWORD, UserFactory

from .conftest import ARTIFACTS

pytestmark = pytest.mark.django_db(transaction=True)

WIDTH = 1280
ROLES = ["agent", "manager", "maintainer", "admin"]


def _boxes(page, selector: str) -> list[dict]:
    return [box for box in (item.bounding_box() for item in page.locator(selector).all()) if box]


@pytest.mark.parametrize("language", ["en", "es", "zh-hans"])
@pytest.mark.parametrize("role", ROLES)
def test_the_navbar_is_one_line_at_1280_px(browser, live_server, role, language):
    # Long real names, as the user menu shows them.
    UserFactory(
        username=role, roles=[role], language=language,
        first_name="María Guadalupe", last_name="Hernández Villaseñor",
    )  # fmt: skip
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": WIDTH, "height": 800}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(role)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_test_id("user-menu")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("nav").first.screenshot(path=str(ARTIFACTS / f"navbar-{language}-{role}.png"))

    brand = page.locator(".navbar-brand").bounding_box()
    parts = _boxes(page, "#main-nav .nav-link, #main-nav [data-testid=nav-search] input")
    assert parts
    # One line: every link, menu and the search box sits level with the brand, none below it,
    # and all of them inside the window.
    for box in parts:
        assert brand["y"] - 8 <= box["y"], parts
        assert box["y"] + box["height"] <= brand["y"] + brand["height"] + 8, parts
        assert box["x"] + box["width"] <= WIDTH, parts
    nav = page.locator("nav").first.bounding_box()
    assert nav["height"] < 2 * brand["height"] + 16
    search = page.get_by_test_id("nav-search").locator("input")
    expect(search).to_be_visible()
    assert search.bounding_box()["width"] >= 150
    # The pages opened now and then are one click away, in the window too.
    more = page.get_by_test_id("nav-more")
    if role != "agent":
        more.click()
        entries = page.locator("#main-nav .dropdown-menu.show .dropdown-item").all()
        assert entries
        for entry in entries:
            expect(entry).to_be_visible()
            box = entry.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH
    else:
        expect(more).to_have_count(0)
    context.close()
