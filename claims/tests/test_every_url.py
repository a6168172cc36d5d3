"""Every URL of the claims app, found by reading ``claims.urls.urlpatterns`` (so a URL added
later is tried too), opened with GET and POST by an agent who does not own the claim: each
answers 404 (the claim, the policy) or 403 (the directory's edit pages, the managers' lists)
and changes nothing. Only the pages of one's own scope (the list, the report search, the
directory) open, and they do not show the claim. The managers' lists and exports behind the
claims view answer an agent 403."""

import pytest
from django.urls import URLPattern, reverse

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from claims import urls
from claims.models import Claim, ClaimFollowUp, RepairShop
from claims.tests.factories import RepairShopFactory, report
from clients.models import Interaction
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory
from workqueue.models import WorkItem

pytestmark = pytest.mark.django_db

# Pages of the agent's own scope: they open (200) for any agent and list only their own claims.
OWN_SCOPE = {"list", "report", "repair_shops"}


@pytest.fixture
def world():
    team, other_team = TeamFactory(), TeamFactory()
    owner = UserFactory(roles=["agent"], team=team)
    outsider = UserFactory(roles=["agent"], team=other_team)
    policy = PolicyFactory(holder=ClientFactory(owner=owner), agent=owner, number="OWN-0001")
    claim = report(policy=policy, by=owner)
    shop = RepairShopFactory(name="Taller Norte", partner=True)
    return {"owner": owner, "outsider": outsider, "policy": policy, "claim": claim, "shop": shop}


def _patterns():
    return [p for p in urls.urlpatterns if isinstance(p, URLPattern)]


def _kwargs(pattern, world) -> dict:
    """The arguments of a URL: the claim's id, its policy's, the shop's. A URL taking anything
    else fails here until this test learns what to put in it."""
    names = set(pattern.pattern.converters)
    if not names:
        return {}
    if names == {"pk"} and pattern.name.startswith("repair_shop"):
        return {"pk": world["shop"].pk}
    if names == {"pk"}:
        return {"pk": world["claim"].pk}
    if names == {"policy_pk"}:
        return {"policy_pk": world["policy"].pk}
    raise AssertionError(f"claims:{pattern.name} takes {names}: say here what to try it with")


def _state(world):
    claim = Claim.objects.get(pk=world["claim"].pk)
    return (
        claim.status, claim.first_contact_at, claim.history.count(),
        ClaimFollowUp.objects.filter(claim=claim).count(),
        Claim.objects.count(), WorkItem.objects.count(),
        Interaction.objects.filter(client=claim.policy.holder).count(),
        RepairShop.objects.get(pk=world["shop"].pk).history.count(),
    )  # fmt: skip


def test_the_patterns_walked_are_every_one_the_app_has(world):
    names = {p.name for p in _patterns()}
    assert {"detail", "status", "contact", "document_upload", "documents_request", "follow_up",
            "callback", "repair", "repair_shop_edit", "report_for"} <= names  # fmt: skip
    assert OWN_SCOPE <= names


@pytest.mark.parametrize("pattern", _patterns(), ids=lambda p: p.name)
def test_an_agent_who_does_not_own_the_claim_gets_nothing_from_any_url(client, world, pattern):
    client.force_login(world["outsider"])
    url = reverse(f"claims:{pattern.name}", kwargs=_kwargs(pattern, world))
    before = _state(world)
    data = {
        "status": "withdrawn", "item": "claim_form", "state": "not_needed", "note": "x",
        "satisfaction": "5", "damage": "x", "repair_place": "outside", "name": "Taller Norte",
        "cause_and_liability": "x", "repair_wish": "x", "to": world["outsider"].pk,
    }  # fmt: skip
    get, post = client.get(url), client.post(url, data)
    if pattern.name in OWN_SCOPE:
        assert get.status_code == 200, url
        html = get.content.decode()
        assert f'data-claim="{world["claim"].pk}"' not in html
        assert reverse("claims:detail", args=[world["claim"].pk]) not in html
        searched = client.get(url, {"q": "OWN-0001"}).content.decode()
        assert reverse("claims:report_for", args=[world["policy"].pk]) not in searched
        assert reverse("claims:detail", args=[world["claim"].pk]) not in searched
    else:
        # GET on a POST-only URL answers 405 whoever asks (the owner too): it says nothing.
        assert get.status_code in (403, 404, 405), (url, get.status_code)
        if get.status_code == 405:
            client.force_login(world["owner"])
            assert client.get(url).status_code == 405
            client.force_login(world["outsider"])
        assert post.status_code in (403, 404), (url, post.status_code)
    assert _state(world) == before, url


@pytest.mark.parametrize(
    "address",
    [
        ("reports:claims_list", {}),
        ("reports:claims_list", {"show": "late"}),
        ("reports:report", {"export": "xlsx"}),
    ],
    ids=["drill-down", "drill-down-late", "xlsx"],
)
def test_the_managers_lists_and_exports_answer_an_agent_403(client, world, address):
    name, query = address
    client.force_login(world["outsider"])
    url = reverse(name, args=["claims"]) if name == "reports:report" else reverse(name)
    response = client.get(url, query)
    assert response.status_code == 403
    assert world["policy"].number not in response.content.decode()
