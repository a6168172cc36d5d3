"""Renewed elsewhere names any competitor: the brokerage's insurers, the market-only ones, or
one typed by name (made a market-only insurer, reused when typed again in any case)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from policies.models import Insurer
from policies.selectors import active_insurers, market_insurers
from policies.tests.factories import InsurerFactory, PolicyFactory, VehicleFactory
from renewals.kind import RENEWAL_KIND
from renewals.models import CaseStatus, CompetitorWhy, LostReason, RenewalCase
from workqueue.models import ItemStatus, WorkItem

from .test_call_list import ending, morning

pytestmark = pytest.mark.django_db


@pytest.fixture
def one(ladders, agent):
    policy = ending(30, owner=agent, premium=Decimal("12500.00"))
    VehicleFactory(policy=policy)
    morning()
    return {
        "policy": policy,
        "case": RenewalCase.objects.get(policy=policy),
        "item": WorkItem.objects.get(kind=RENEWAL_KIND),
    }


@pytest.fixture
def market(db):
    return InsurerFactory(code="mapfre", name="Mapfre México", contracted=False)


def _url(one):
    return f"/renewals/{one['case'].pk}/elsewhere/?item={one['item'].pk}&next=/queue/"


def _open(one):
    case = RenewalCase.objects.get(pk=one["case"].pk)
    item = WorkItem.objects.get(pk=one["item"].pk)
    return case.status == CaseStatus.OPEN and item.status == ItemStatus.OPEN


def test_it_offers_market_insurers_only_when_renewed_elsewhere(client, agent, one, market):
    ours = InsurerFactory(code="gnp", name="GNP Seguros")
    assert market not in active_insurers() and ours in active_insurers()
    assert {market, ours} <= set(market_insurers())
    client.force_login(agent)
    response = client.get(_url(one))
    page = response.content.decode()
    assert 'label="Other insurers in the market"' in page and 'label="Our insurers"' in page
    assert page.index("Our insurers") < page.index("GNP Seguros") < page.index("in the market")
    assert page.index("in the market") < page.index("Mapfre México")
    # The policy's own insurer is not a competitor.
    offered = response.context["form"].fields["lost_to"].queryset
    assert one["policy"].insurer not in offered and {market, ours} <= set(offered)
    # Where a policy is written, the market-only insurer is not offered nor accepted.
    holder = one["policy"].holder
    form = client.get(f"/clients/{holder.pk}/policies/new/")
    assert form.status_code == 200
    page = form.content.decode()
    assert "GNP Seguros" in page and "Mapfre México" not in page


def test_it_records_a_market_insurer_from_the_list(client, agent, one, market):
    client.force_login(agent)
    response = client.post(
        _url(one), {"lost_to": market.pk, "lost_why": CompetitorWhy.PRICE, "other_insurer": ""}
    )
    assert response["Location"] == "/queue/"
    case = RenewalCase.objects.get(pk=one["case"].pk)
    assert case.status == CaseStatus.LOST and case.lost_to == market
    assert case.outcome_reason == LostReason.RENEWED_ELSEWHERE


def test_it_makes_a_typed_competitor_a_market_insurer_once(client, agent, ladders, one):
    client.force_login(agent)
    response = client.post(
        _url(one), {"other_insurer": "  Seguros  El Potosí ", "lost_why": CompetitorWhy.COVER}
    )
    assert response["Location"] == "/queue/"
    typed = Insurer.objects.get(name="Seguros El Potosí")
    assert not typed.contracted and typed.active and typed.code
    case = RenewalCase.objects.get(pk=one["case"].pk)
    assert case.status == CaseStatus.LOST and case.lost_to == typed
    assert case.lost_why == CompetitorWhy.COVER
    assert WorkItem.objects.get(pk=one["item"].pk).status == ItemStatus.DONE
    # Typed again, in another case, on another case: the same insurer.
    policy = ending(20, owner=agent)
    other = RenewalCase.objects.create(
        policy=policy, ladder=one["case"].ladder, end_date=policy.end_date,
        last_premium=policy.premium, opened_on=timezone.localdate(),
    )  # fmt: skip
    response = client.post(
        f"/renewals/{other.pk}/elsewhere/",
        {"other_insurer": "SEGUROS EL POTOSÍ", "lost_why": CompetitorWhy.PRICE},
    )
    assert response.status_code == 302
    assert Insurer.objects.filter(name__iexact="seguros el potosí").count() == 1
    assert RenewalCase.objects.get(pk=other.pk).lost_to == typed
    # A typed name that is an existing insurer's is that insurer.
    ours = InsurerFactory(code="gnp", name="GNP Seguros")
    third = ending(25, owner=agent)
    case3 = RenewalCase.objects.create(
        policy=third, ladder=one["case"].ladder, end_date=third.end_date,
        last_premium=third.premium, opened_on=timezone.localdate(),
    )  # fmt: skip
    client.post(f"/renewals/{case3.pk}/elsewhere/", {"other_insurer": "gnp seguros",
                                                     "lost_why": CompetitorWhy.PRICE})  # fmt: skip
    assert RenewalCase.objects.get(pk=case3.pk).lost_to == ours
    assert Insurer.objects.filter(name__iexact="gnp seguros").count() == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "lost_to", "Choose the insurer the client renewed with, or type its name."),
        ({"other_insurer": "   "}, "lost_to", "Choose the insurer the client renewed with"),
        ({"lost_to": "MARKET", "other_insurer": "Seguros Atlas"}, "other_insurer", "not both"),
        ({"other_insurer": "x" * 101}, "other_insurer", "at most 100 characters"),
        ({"other_insurer": "Atlas\x00"}, "other_insurer", "Null characters are not allowed"),
    ],
)
def test_it_needs_exactly_one_valid_competitor(client, agent, one, market, data, field, message):
    data = {k: (market.pk if v == "MARKET" else v) for k, v in data.items()}
    insurers = Insurer.objects.count()
    client.force_login(agent)
    response = client.post(_url(one), {**data, "lost_why": CompetitorWhy.PRICE})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert _open(one) and Insurer.objects.count() == insurers


def test_the_policys_own_insurer_typed_by_name_is_refused(client, agent, one):
    client.force_login(agent)
    own = one["policy"].insurer
    response = client.post(
        _url(one), {"other_insurer": own.name.upper(), "lost_why": CompetitorWhy.PRICE}
    )
    assert response.status_code == 200
    assert "own insurer" in " ".join(response.context["form"].errors["other_insurer"])
    assert _open(one)


def test_the_lost_report_counts_the_typed_competitor(client, agent, manager, one):
    from brokerage.accounts.tests.factories import TeamFactory

    agent.team = TeamFactory(name="Norte", manager=manager)
    agent.save()
    client.force_login(agent)
    client.post(_url(one), {"other_insurer": "Seguros Atlas", "lost_why": CompetitorWhy.PRICE})
    case = RenewalCase.objects.get(pk=one["case"].pk)
    assert case.lost_to.name == "Seguros Atlas"
    client.force_login(manager)
    end = case.end_date
    response = client.get(
        "/reports/lost/",
        {"start": (end - datetime.timedelta(days=5)).isoformat(),
         "end": (end + datetime.timedelta(days=5)).isoformat(),
         "currency": one["policy"].currency},
    )  # fmt: skip
    by_insurer = response.context["tables"][1]
    assert [(r.label, r.values["cases"]) for r in by_insurer.rows] == [("Seguros Atlas", 1)]


def test_another_agents_case_stays_out_of_reach(client, one, market):
    from brokerage.accounts.tests.factories import UserFactory

    stranger = UserFactory(roles=["agent"])
    client.force_login(stranger)
    url = f"/renewals/{one['case'].pk}/elsewhere/"
    assert client.get(url).status_code == 404
    response = client.post(url, {"other_insurer": "Seguros Atlas", "lost_why": "price"})
    assert response.status_code == 404
    assert _open(one) and not Insurer.objects.filter(name="Seguros Atlas").exists()


def test_the_demo_seeds_market_insurers_not_contracted(db):
    from policies.demo import MARKET_INSURERS, seed_insurers

    seed_insurers(None)
    seed_insurers(None)
    market = Insurer.objects.filter(contracted=False)
    assert set(market.values_list("code", flat=True)) == {c for c, _ in MARKET_INSURERS}
    assert not set(market) & set(active_insurers())
    assert PolicyFactory._meta.model.objects.filter(insurer__in=market).count() == 0
