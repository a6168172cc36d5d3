"""The claims view's monthly repair-referral report (seed 004's 送修/外修 月报) and the
satisfaction after settlement, against a hand-built October 2026 whose answers are written
here: per shop and per agent, the vehicles referred to partner shops against those repaired
elsewhere, count and amount (the repair amount, else the settled, else the assessed; in the
report's currency only), the referral share and the reasons; repairs of September and
November and another team's left out; each figure opens the claims it counts. Also: the
whole-dashboard PDF keeps the claim type, and the claims-list's "late" has its own context."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from brokerage.accounts.tests.factories import UserFactory
from claims.models import ClaimKind, OutsideReason, RepairPlace
from claims.tests.factories import ClaimFactory, RepairShopFactory
from policies.models import Currency
from policies.tests.factories import InsurerFactory
from reports import printing
from reports.claims import last_month
from reports.models import DashboardPrint

from .collection_factories import policy_of

pytestmark = pytest.mark.django_db

URL = "/reports/claims/"
LIST = "/reports/claims/list/"
NOW = timezone.now().replace(microsecond=0)
D = datetime.timedelta(days=1)
P, E = RepairPlace.PARTNER, RepairPlace.ELSEWHERE


def october(day, hour=12, minute=0):
    return timezone.make_aware(datetime.datetime(2026, 10, day, hour, minute))


def repaired(policy, at, place, *, shop=None, name="", reason="", note="", repair=None,
             settled=None, assessed=None):  # fmt: skip
    return ClaimFactory(
        policy=policy, reported_at=at - 5 * D, currency=policy.currency, status="in_repair",
        first_contact_at=at - 5 * D, repair_place=place, repair_shop=shop,
        repair_shop_name=name, outside_reason=reason, outside_reason_note=note,
        repair_amount=Decimal(repair) if repair else None,
        amount_settled=Decimal(settled) if settled else None,
        amount_assessed=Decimal(assessed) if assessed else None,
        repair_recorded_at=at, repair_recorded_by=policy.agent,
    )  # fmt: skip


@pytest.fixture
def month(teams):
    gnp, axa = InsurerFactory(name="GNP"), InsurerFactory(name="AXA")
    valle = RepairShopFactory(name="Carrocerías del Valle", insurers=[gnp])
    coyoacan = RepairShopFactory(name="Autopintura Coyoacán")
    nissan = RepairShopFactory(name="Agencia Nissan Sur", partner=False)
    ana = policy_of(teams.ana, insurer=gnp)
    beto = policy_of(teams.beto, insurer=axa)
    dollars = policy_of(teams.beto, insurer=axa, currency=Currency.USD)
    c = {
        # Ana, GNP, pesos
        "r1": repaired(ana, october(3), P, shop=valle, repair="12000.00", assessed="99.00"),
        "r2": repaired(ana, october(8), P, shop=valle, settled="8000.00", assessed="9000.00"),
        "r3": repaired(ana, october(12), P, shop=coyoacan, assessed="5000.00"),
        "r4": repaired(ana, october(15), E, shop=nissan, reason=OutsideReason.DEALER,
                       repair="20000.00"),
        "r5": repaired(ana, october(31, 23, 50), E, name="Taller del cuñado",
                       reason=OutsideReason.OTHER, note="Taller del cuñado"),
        # Beto, AXA, pesos and dollars
        "r6": repaired(beto, october(1, 0, 5), P, shop=coyoacan, repair="7000.00"),
        "r7": repaired(beto, october(20), E, reason=OutsideReason.CLIENT_CHOICE,
                       repair="3000.00"),
        "r8": repaired(dollars, october(21), P, shop=valle, repair="900.00"),
        "r9": repaired(dollars, october(22), E, shop=nissan, reason=OutsideReason.DEALER,
                       assessed="400.00"),
        # Not in October, or another team's
        "x1": repaired(ana, october(1, 0, 0) - datetime.timedelta(minutes=30), P, shop=valle,
                       repair="1.00"),
        "x2": repaired(beto, october(31, 23, 59) + datetime.timedelta(minutes=11), E,
                       reason=OutsideReason.TOO_FAR, repair="1.00"),
        "x3": repaired(policy_of(teams.carla, insurer=gnp), october(9), P, shop=valle,
                       repair="1.00"),
        "x4": ClaimFactory(policy=ana, reported_at=october(9)),  # no repair recorded
    }  # fmt: skip
    return {"teams": teams, "gnp": gnp, "axa": axa, "valle": valle, "nissan": nissan, **c,
            "admin": UserFactory(roles=["admin"])}  # fmt: skip


def _tables(client, **params):
    response = client.get(URL, {"month": "2026-10", **params})
    assert response.status_code == 200
    return {t.slug: t for t in response.context["tables"]}


COLUMNS = ("referred", "referred_amount", "elsewhere", "elsewhere_amount", "share")


def _rows(table, names=COLUMNS):
    return ([(r.label, *(r.values[n] for n in names)) for r in table.rows],
            tuple(table.totals.values[n] for n in names))  # fmt: skip


def _listed(client, url) -> set:
    response = client.get(url)
    assert response.status_code == 200
    return {claim.pk for claim in response.context["page"].object_list}


def test_the_referral_report_per_shop(client, month):
    client.force_login(month["teams"].manager)
    rows, totals = _rows(_tables(client)["claims-repair-shops"])
    assert rows == [
        ("Autopintura Coyoacán (partner)", 2, Decimal("12000.00"), 0, Decimal("0"),
         Decimal("100.0")),
        ("Carrocerías del Valle (partner)", 3, Decimal("20000.00"), 0, Decimal("0"),
         Decimal("100.0")),
        ("Agencia Nissan Sur", 0, Decimal("0"), 2, Decimal("20000.00"), Decimal("0.0")),
        ("Elsewhere: a shop not in the directory", 0, Decimal("0"), 2, Decimal("3000.00"),
         Decimal("0.0")),
    ]  # fmt: skip
    assert totals == (5, Decimal("32000.00"), 4, Decimal("23000.00"), Decimal("55.6"))


def test_the_referral_report_per_agent(client, month):
    client.force_login(month["teams"].manager)
    rows, totals = _rows(_tables(client)["claims-repair-agents"])
    assert rows == [
        ("Ana Ruiz", 3, Decimal("25000.00"), 2, Decimal("20000.00"), Decimal("60.0")),
        ("Beto Soto", 2, Decimal("7000.00"), 2, Decimal("3000.00"), Decimal("50.0")),
    ]
    assert totals == (5, Decimal("32000.00"), 4, Decimal("23000.00"), Decimal("55.6"))


def test_the_reasons_for_repairs_elsewhere(client, month):
    client.force_login(month["teams"].manager)
    rows, totals = _rows(_tables(client)["claims-repair-reasons"], ("count", "amount", "share"))
    assert rows == [
        ("The client's own choice", 1, Decimal("3000.00"), Decimal("25.0")),
        ("Dealer or warranty", 2, Decimal("20000.00"), Decimal("50.0")),
        ("Other", 1, Decimal("0"), Decimal("25.0")),
    ]
    assert totals == (4, Decimal("23000.00"), Decimal("100.0"))


def test_the_amounts_keep_currencies_apart(client, month):
    client.force_login(month["teams"].manager)
    tables = _tables(client, currency="USD")
    rows, totals = _rows(tables["claims-repair-shops"])
    assert rows[1] == ("Carrocerías del Valle (partner)", 3, Decimal("900.00"), 0, Decimal("0"),
                       Decimal("100.0"))  # fmt: skip
    assert rows[2] == ("Agencia Nissan Sur", 0, Decimal("0"), 2, Decimal("400.00"),
                       Decimal("0.0"))  # fmt: skip
    assert totals == (5, Decimal("900.00"), 4, Decimal("400.00"), Decimal("55.6"))
    beto = tables["claims-repair-agents"].rows[1]
    assert (beto.label, beto.values["referred_amount"], beto.values["elsewhere_amount"]) == (
        "Beto Soto", Decimal("900.00"), Decimal("400.00"))  # fmt: skip
    assert tables["claims-repair-shops"].columns[1].label == "Referred (USD)"


def test_it_filters_by_insurer_and_team_and_other_months_count_apart(client, month):
    client.force_login(month["teams"].manager)
    gnp = _tables(client, insurer=month["gnp"].pk)["claims-repair-agents"]
    assert _rows(gnp)[0] == [
        ("Ana Ruiz", 3, Decimal("25000.00"), 2, Decimal("20000.00"), Decimal("60.0"))
    ]
    september = _tables(client, month="2026-09")["claims-repair-shops"]
    assert _rows(september)[1] == (1, Decimal("1.00"), 0, Decimal("0"), Decimal("100.0"))
    november = _tables(client, month="2026-11")["claims-repair-reasons"]
    assert _rows(november, ("count", "amount"))[0] == [("No partner shop near enough", 1,
                                                        Decimal("1.00"))]  # fmt: skip
    client.force_login(month["admin"])
    south = _tables(client, team=month["teams"].south.pk)["claims-repair-shops"]
    assert _rows(south)[1] == (1, Decimal("1.00"), 0, Decimal("0"), Decimal("100.0"))
    assert _tables(client)["claims-repair-shops"].totals.values["referred"] == 6


def test_each_repair_figure_opens_the_claims_it_counts(client, month):
    client.force_login(month["teams"].manager)
    tables = _tables(client)
    c = {k: v.pk for k, v in month.items() if k[0] in "rx" and hasattr(v, "pk")}
    shops = {r.label: r for r in tables["claims-repair-shops"].rows}
    assert _listed(client, shops["Carrocerías del Valle (partner)"].links["referred"]) == {
        c["r1"], c["r2"], c["r8"]}  # fmt: skip
    assert _listed(client, shops["Elsewhere: a shop not in the directory"].links["elsewhere"]) == {
        c["r5"], c["r7"]}  # fmt: skip
    totals = tables["claims-repair-shops"].totals.links
    assert _listed(client, totals["referred"]) == {c[k] for k in ("r1", "r2", "r3", "r6", "r8")}
    assert _listed(client, totals["share"]) == {c[f"r{n}"] for n in range(1, 10)}
    ana = tables["claims-repair-agents"].rows[0]
    assert _listed(client, ana.links["elsewhere"]) == {c["r4"], c["r5"]}
    dealer = tables["claims-repair-reasons"].rows[1]
    response = client.get(dealer.links["count"])
    assert {claim.pk for claim in response.context["page"].object_list} == {c["r4"], c["r9"]}
    html = response.content.decode()
    assert "Vehicles repaired elsewhere: Dealer or warranty" in html
    assert "Repairs first recorded in 2026-10." in html and "Agencia Nissan Sur" in html


def test_the_month_defaults_to_last_month_and_a_bad_one_is_said(client, month):
    client.force_login(month["teams"].manager)
    response = client.get(URL)
    table = next(t for t in response.context["tables"] if t.slug == "claims-repair-shops")
    assert last_month().strftime("%Y-%m") in table.note
    assert last_month() == (timezone.localdate().replace(day=1) - D).replace(day=1)
    response = client.get(URL, {"month": "2026-13"})
    assert response.status_code == 200
    assert "2026-13 is not a month; last month is used." in response.content.decode()
    listed = client.get(LIST, {"show": "repair", "shop": "taller", "reason": "meteor"})
    assert listed.status_code == 200 and "not understood" in listed.content.decode()


# --- satisfaction after settlement ----------------------------------------------------------


@pytest.fixture
def callbacks(month):
    gnp, axa, teams = month["gnp"], month["axa"], month["teams"]
    c = {}
    for name, insurer, agent, score, days in [
        ("s1", gnp, teams.ana, 5, 2), ("s2", gnp, teams.ana, 1, 3),
        ("s3", axa, teams.beto, 4, 4), ("s4", axa, teams.beto, 5, 5),
        ("s5", axa, teams.beto, 2, 6), ("s6", axa, teams.beto, 1, 400),  # a year ago: out
    ]:  # fmt: skip
        c[name] = ClaimFactory(
            policy=policy_of(agent, insurer=insurer), status="settled", satisfaction=score,
            called_back_at=NOW - days * D, called_back_by=agent,
        )  # fmt: skip
    return {**month, **c}


def test_satisfaction_after_settlement(client, callbacks):
    client.force_login(callbacks["teams"].manager)
    today = timezone.localdate()
    period = {"start": (today - 60 * D).isoformat(), "end": today.isoformat()}
    table = _tables(client, **period)["claims-satisfaction"]
    names = ("callbacks", "average", "low", "low_rate")
    rows, totals = _rows(table, names)
    assert rows == [
        ("AXA", 3, Decimal("3.67"), 1, Decimal("33.3")),
        ("GNP", 2, Decimal("3.00"), 1, Decimal("50.0")),
    ]
    assert totals == (5, Decimal("3.40"), 2, Decimal("40.0"))
    low = _listed(client, table.totals.links["low"])
    assert low == {callbacks["s2"].pk, callbacks["s5"].pk}
    by_agent = _tables(client, by="agent", **period)["claims-satisfaction"]
    assert _rows(by_agent, ("callbacks",))[0] == [("Ana Ruiz", 2), ("Beto Soto", 3)]


# --- queries, exports, the PDF --------------------------------------------------------------


def test_the_view_and_its_repair_lists_read_a_fixed_number_of_queries(
    client, month, django_assert_max_num_queries
):
    client.force_login(month["teams"].manager)
    with django_assert_max_num_queries(30) as few:
        client.get(URL, {"month": "2026-10"})
    for n in range(8):
        shop = RepairShopFactory(partner=n % 2 == 0)
        agent = month["teams"].ana if n % 2 else month["teams"].beto
        place = P if shop.partner else E
        repaired(
            policy_of(agent, insurer=InsurerFactory()),
            october(n + 2),
            place,
            shop=shop,
            reason="" if shop.partner else OutsideReason.TOO_FAR,
            repair="10.00",
        )
    with django_assert_max_num_queries(len(few)):
        response = client.get(URL, {"month": "2026-10"})
    shops = next(t for t in response.context["tables"] if t.slug == "claims-repair-shops")
    assert len(shops.rows) == 12
    # 12, and the reports' read transaction's three (savepoint, planner settings, release).
    with django_assert_max_num_queries(15) as listed:
        client.get(LIST, {"month": "2026-10", "show": "repair"})
    for show in ("repair_partner", "repair_elsewhere", "callbacks", "low_score"):
        with django_assert_max_num_queries(len(listed)):
            client.get(LIST, {"month": "2026-10", "show": show})


def test_the_whole_dashboard_pdf_keeps_the_claim_type_and_the_month(month, monkeypatch):
    manager = month["teams"].manager
    theft = ClaimFactory(policy=policy_of(month["teams"].ana), kind=ClaimKind.THEFT)
    ClaimFactory(policy=theft.policy, kind=ClaimKind.GLASS)
    today = timezone.localdate()
    printed = printing.print_request(
        user=manager, language="en",
        params={"start": (today - 5 * D).isoformat(), "end": today.isoformat(),
                "kind": "theft", "month": "2026-10"},
    )  # fmt: skip
    printed = DashboardPrint.objects.get(pk=printed.pk)
    assert printed.filters["kind"] == "theft" and printed.filters["month"] == "2026-10"
    seen = {}

    def capture(template, context):
        seen.update(context)
        return "<html></html>"

    monkeypatch.setattr(printing, "render_to_string", capture)
    monkeypatch.setattr(printing, "pdf_from_html", lambda html, **kwargs: b"%PDF-1.7")
    printing.print_render(printed)
    claims = next(tables for report, tables in seen["sections"] if report.slug == "claims")
    contact = next(t for t in claims if t.slug == "claims-contact")
    assert contact.totals.values["reported"] == 1  # the theft, not the glass
    repairs = next(t for t in claims if t.slug == "claims-repair-shops")
    assert repairs.totals.values["referred"] == 0  # the October repairs are collisions


def test_the_claims_lists_late_has_its_own_context():
    source = open("templates/reports/claims_list.html", encoding="utf-8").read()
    assert '{% translate "late" context "claim first contact" %}' in source
    assert '{% translate "late" %}' not in source
