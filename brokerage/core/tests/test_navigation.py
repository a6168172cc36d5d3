"""The navbar's pages per role: each role's daily pages in the bar, the pages it opens now and
then in the "More" menu, so that the bar keeps to one line in every language (issue 13)."""

import pytest

from brokerage.accounts.tests.factories import UserFactory
from brokerage.core.navigation import nav_for

pytestmark = pytest.mark.django_db


def _split(user, path="/") -> tuple[list[str], list[str]]:
    items = nav_for(user, path)
    return (
        [item["url"] for item in items if not item["more"]],
        [item["url"] for item in items if item["more"]],
    )


def test_a_maintainer_works_imports_and_contacts_from_the_bar():
    bar, more = _split(UserFactory(roles=["maintainer"]))
    assert {"/imports/", "/queue/maintainers/"} <= set(bar)
    assert {
        "/queue/distribution/", "/insurers/", "/outbox/", "/accounts/team/", "/claims/",
        "/claims/repair-shops/", "/service/cases/", "/touches/settings/",
    } == set(more)  # fmt: skip


def test_a_manager_keeps_the_team_in_the_bar_and_sets_ladders_from_more():
    bar, more = _split(UserFactory(roles=["manager"]))
    assert "/accounts/team/" in bar and "/reports/renewals/" in bar
    assert {
        "/renewals/ladders/", "/clients/reassign/", "/billing/collections/ladder/",
        "/billing/collections/at-risk/", "/service/cases/", "/claims/repair-shops/",
    } == set(more)  # fmt: skip


def test_an_administrator_reaches_every_page_the_maintainers_work_from_more():
    bar, more = _split(UserFactory(roles=["admin"]))
    assert {"/imports/", "/queue/maintainers/", "/outbox/"} <= set(more)
    assert "/accounts/team/" in bar


def test_a_page_stays_in_the_bar_for_someone_who_also_works_it_daily():
    bar, _more = _split(UserFactory(roles=["maintainer", "admin"]))
    assert "/imports/" in bar and "/accounts/team/" in bar


def test_a_page_in_more_is_still_the_current_page(client):
    user = UserFactory(roles=["manager"])
    current = [item for item in nav_for(user, "/renewals/ladders/") if item["active"]]
    assert [(item["url"], item["more"]) for item in current] == [("/renewals/ladders/", True)]
    client.force_login(user)
    html = client.get("/renewals/ladders/").content.decode()
    toggle = html.split('data-testid="nav-more"')[0].rsplit("<button", 1)[1]
    assert " active" in toggle
    assert 'class="dropdown-item active" href="/renewals/ladders/"' in " ".join(html.split())


def test_the_entries_urls_are_reversed_under_the_script_prefix_of_the_request():
    """The entries' URLs are reversed once per script prefix, URL conf and language: a site
    mounted under a prefix gets them under it, and back."""
    from django.urls import get_script_prefix, reverse, set_script_prefix

    agent = UserFactory(roles=["agent"])
    plain = _split(agent)
    assert "/queue/" in plain[0] and reverse("workqueue:queue") == "/queue/"
    before = get_script_prefix()
    try:
        set_script_prefix("/cartera/")
        assert _split(agent) == tuple([f"/cartera{url}" for url in urls] for urls in plain)
    finally:
        set_script_prefix(before)
    assert _split(agent) == plain
