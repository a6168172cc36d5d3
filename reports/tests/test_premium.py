"""The written-premium report against a small hand-built book whose answers are written here."""

import datetime
from decimal import Decimal

import pytest

from brokerage.accounts.tests.factories import UserFactory
from clients.tests.factories import ClientFactory
from policies.models import Currency, Line
from policies.tests.factories import InsurerFactory, PolicyFactory

pytestmark = pytest.mark.django_db

URL = "/reports/premium/"
D = datetime.date


def _written(agent, day, premium, *, renews=None, insurer=None, line=Line.AUTO,
             currency=Currency.MXN):  # fmt: skip
    return PolicyFactory(
        holder=ClientFactory(owner=agent), agent=agent, premium=Decimal(premium),
        written_on=day, previous_policy=renews, currency=currency, line=line,
        **({"insurer": insurer} if insurer else {}),
    )  # fmt: skip


@pytest.fixture
def book(teams):
    manager, ana, beto, carla = teams.manager, teams.ana, teams.beto, teams.carla
    gnp, axa = InsurerFactory(name="GNP"), InsurerFactory(name="AXA")
    old = PolicyFactory(holder=ClientFactory(owner=ana), agent=ana)  # imported: not written
    _written(ana, D(2026, 5, 4), "1000.00", insurer=gnp)
    _written(ana, D(2026, 5, 4), "2500.50", renews=old, insurer=gnp)
    _written(beto, D(2026, 5, 5), "4000.00", insurer=axa, line=Line.HEALTH)
    _written(beto, D(2026, 6, 1), "1500.00", renews=old, insurer=axa)
    _written(beto, D(2026, 6, 2), "9999.00", currency=Currency.CNY)  # another currency
    _written(beto, D(2026, 7, 1), "7000.00")  # after the range
    _written(carla, D(2026, 5, 4), "8000.00")  # another manager's team
    return {"manager": manager, "ana": ana, "beto": beto, "carla": carla, "gnp": gnp, "axa": axa,
            "admin": UserFactory(roles=["admin"])}  # fmt: skip


def _table(client, **params):
    response = client.get(URL, {"start": "2026-05-01", "end": "2026-06-30", **params})
    assert response.status_code == 200
    return response, response.context["tables"][0]


def _figures(table):
    keys = ("policies", "premium", "new", "new_premium", "renewals", "renewal_premium",
            "renewal_share")  # fmt: skip
    return [(r.label, *(r.values[k] for k in keys)) for r in table.rows], tuple(
        table.totals.values[k] for k in keys
    )


def test_it_gives_the_premium_written_each_day_new_business_against_renewals(client, book):
    client.force_login(book["manager"])
    _response, table = _table(client)
    rows, totals = _figures(table)
    assert rows == [
        ("2026-05-04", 2, Decimal("3500.50"), 1, Decimal("1000.00"), 1, Decimal("2500.50"),
         Decimal("71.4")),
        ("2026-05-05", 1, Decimal("4000.00"), 1, Decimal("4000.00"), 0, Decimal("0"),
         Decimal("0.0")),
        ("2026-06-01", 1, Decimal("1500.00"), 0, Decimal("0"), 1, Decimal("1500.00"),
         Decimal("100.0")),
    ]  # fmt: skip
    assert totals == (4, Decimal("9000.50"), 2, Decimal("5000.00"), 2, Decimal("4000.50"),
                      Decimal("44.4"))  # fmt: skip
    assert table.totals.values["average"] == Decimal("2250.13")


def test_it_groups_by_month_agent_insurer_and_line(client, book):
    client.force_login(book["manager"])
    by_month = _figures(_table(client, by="month")[1])[0]
    assert [(r[0], r[1], r[2]) for r in by_month] == [
        ("2026-05", 3, Decimal("7500.50")), ("2026-06", 1, Decimal("1500.00"))]  # fmt: skip
    by_agent = _figures(_table(client, by="agent")[1])[0]
    assert [(r[0], r[2]) for r in by_agent] == [
        ("Ana Ruiz", Decimal("3500.50")), ("Beto Soto", Decimal("5500.00"))]  # fmt: skip
    by_insurer = sorted((r[0], r[2]) for r in _figures(_table(client, by="insurer")[1])[0])
    assert by_insurer == [("AXA", Decimal("5500.00")), ("GNP", Decimal("3500.50"))]
    by_line = sorted((r[0], r[1]) for r in _figures(_table(client, by="line")[1])[0])
    assert by_line == [("Auto", 3), ("Health", 1)]


def test_the_other_currency_is_its_own_report(client, book):
    client.force_login(book["manager"])
    rows, totals = _figures(_table(client, currency="CNY")[1])
    assert rows == [("2026-06-02", 1, Decimal("9999.00"), 1, Decimal("9999.00"), 0,
                     Decimal("0"), Decimal("0.0"))]  # fmt: skip


def test_an_admin_sees_every_team_and_a_filter_narrows(client, book):
    client.force_login(book["admin"])
    assert _figures(_table(client)[1])[1][:2] == (5, Decimal("17000.50"))
    client.force_login(book["manager"])
    only_beto = _figures(_table(client, agent=book["beto"].pk)[1])[1]
    assert only_beto[:2] == (2, Decimal("5500.00"))


def test_each_count_opens_the_policies_behind_it(client, book):
    client.force_login(book["manager"])
    _response, table = _table(client)
    first = table.rows[0]
    listed = client.get(first.links["policies"]).context["page"].object_list
    assert sorted(p.premium for p in listed) == [Decimal("1000.00"), Decimal("2500.50")]
    renewals = client.get(first.links["renewals"]).context["page"].object_list
    assert [p.premium for p in renewals] == [Decimal("2500.50")]
    everything = client.get(table.totals.links["new"]).context["page"].object_list
    assert sorted(p.premium for p in everything) == [Decimal("1000.00"), Decimal("4000.00")]


def test_it_runs_a_fixed_number_of_queries(client, book, django_assert_max_num_queries):
    client.force_login(book["manager"])
    for day in range(1, 25):
        _written(book["ana"], D(2026, 6, day), "100.00")
    with django_assert_max_num_queries(20):
        client.get(URL, {"start": "2026-05-01", "end": "2026-06-30"})
