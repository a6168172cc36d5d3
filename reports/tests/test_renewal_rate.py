"""The renewal-rate report against a small hand-built book whose answers are written here."""

import datetime
from decimal import Decimal

import pytest

from brokerage.accounts.tests.factories import UserFactory
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory
from renewals.models import CaseStatus
from renewals.tests.factories import RenewalCaseFactory
from reports.renewal_rate import TOTAL

pytestmark = pytest.mark.django_db

URL = "/reports/renewals/"
D = datetime.date


def _case(agent, holder, end, last, status, new_premium=None):
    policy = PolicyFactory(
        holder=holder, agent=agent, premium=Decimal(last), end_date=end,
        start_date=end - datetime.timedelta(days=365),
    )  # fmt: skip
    new = PolicyFactory(holder=holder, agent=agent, premium=Decimal(new_premium)) if (
        new_premium
    ) else None  # fmt: skip
    return RenewalCaseFactory(policy=policy, status=status, new_policy=new)


@pytest.fixture
def book(teams):
    manager, ana, beto, carla = teams.manager, teams.ana, teams.beto, teams.carla
    h1, h2, h3, h4 = (ClientFactory(owner=ana), ClientFactory(owner=ana),
                      ClientFactory(owner=beto), ClientFactory(owner=beto))  # fmt: skip
    _case(ana, h1, D(2026, 3, 10), "1000", CaseStatus.WON, "1100")
    _case(ana, h1, D(2026, 3, 20), "3000", CaseStatus.LOST)
    _case(ana, h2, D(2026, 4, 5), "2000", CaseStatus.LAPSED)
    _case(beto, h3, D(2026, 4, 15), "4000", CaseStatus.WON, "4000")
    _case(beto, h4, D(2026, 4, 25), "1000", CaseStatus.OPEN)
    _case(carla, ClientFactory(owner=carla), D(2026, 3, 1), "9000", CaseStatus.WON, "9000")
    _case(ana, h2, D(2025, 3, 5), "500", CaseStatus.WON, "500")
    _case(ana, h2, D(2025, 3, 6), "500", CaseStatus.LOST)
    return {"manager": manager, "ana": ana, "beto": beto, "carla": carla}


def _get(client, **params):
    query = {"start": "2026-01-01", "end": "2026-12-31", **params}
    return client.get(URL, query)


def _rows(response):
    """The page's rows and totals, their client counts read from the fragment the page loads
    right after (the page itself is drawn without them)."""
    figures = response.context["figures"]
    deferred = response.context["tables"][0].deferred_url
    counts = response.client.get(deferred).context["counts"]
    for row in figures["rows"]:
        assert row.clients_due is None
        row.clients_due, row.clients_won = counts.get(row.key, (0, 0))
    totals = figures["totals"]
    totals.clients_due, totals.clients_won = counts[TOTAL]
    return [
        (r.label, r.due, r.won, r.lost, r.lapsed, r.open, r.policy_rate, r.client_rate,
         r.premium_rate, r.last_year_rate)
        for r in figures["rows"]
    ], figures["totals"]  # fmt: skip


def test_it_gives_the_rate_on_three_bases_by_month_with_last_year(client, book):
    client.force_login(book["manager"])
    rows, totals = _rows(_get(client))
    assert rows == [
        ("2026-03", 2, 1, 1, 0, 0, Decimal("50.0"), Decimal("100.0"), Decimal("27.5"),
         Decimal("50.0")),
        # April's open case ended long ago: it counts as not renewed, not as still open.
        ("2026-04", 3, 1, 0, 1, 0, Decimal("33.3"), Decimal("33.3"), Decimal("57.1"), None),
    ]  # fmt: skip
    assert (totals.due, totals.won, totals.clients_due, totals.clients_won) == (5, 2, 4, 2)
    assert totals.policy_rate == Decimal("40.0") and totals.client_rate == Decimal("50.0")
    assert totals.premium_due == Decimal("11000") and totals.premium_won == Decimal("5100")
    assert totals.premium_rate == Decimal("46.4") and totals.last_year_rate == Decimal("50.0")


def test_it_groups_by_agent_and_follows_the_filters(client, book):
    client.force_login(book["manager"])
    rows, _totals = _rows(_get(client, by="agent"))
    assert [(r[0], r[1], r[2], r[6]) for r in rows] == [
        ("Ana Ruiz", 3, 1, Decimal("33.3")),
        ("Beto Soto", 2, 1, Decimal("50.0")),
    ]
    rows, totals = _rows(_get(client, agent=book["beto"].pk))
    assert totals.due == 2 and [r[0] for r in rows] == ["2026-04"]


def test_a_manager_sees_their_teams_and_an_admin_everything(client, book):
    client.force_login(UserFactory(roles=["admin"]))
    _rows_, totals = _rows(_get(client))
    assert totals.due == 6 and totals.won == 3


def test_the_formulas_are_written_under_each_base(client, book):
    client.force_login(book["manager"])
    html = _get(client).content.decode()
    for formula in ("renewed ÷ (due − still open): decided or ended",
                    "clients who renewed ÷ clients due, still open left out",
                    "renewed premium ÷ premium due, still open left out",
                    "before their end date, not counted yet",
                    "the cases still open before their end date are not counted yet"):  # fmt: skip
        assert formula in html


@pytest.mark.parametrize(
    "params,message",
    [
        ({"start": "2026-05-01", "end": "2026-01-01"}, "ended before it started"),
        ({"start": "2016-01-01", "end": "2026-12-31"}, "at most 3 years"),
        ({"agent": "999999"}, "Unknown agent"),
        ({"insurer": "abc"}, "Unknown insurer"),
        ({"start": "yesterday"}, "is not a date"),
        ({"by": "horoscope"}, "Unknown grouping"),
    ],
)
def test_bad_filters_get_a_message_never_a_500(client, book, params, message):
    client.force_login(book["manager"])
    response = client.get(URL, params)
    assert response.status_code == 200
    assert message in response.content.decode()


def test_another_teams_agent_is_unknown_to_a_manager(client, book):
    client.force_login(book["manager"])
    response = _get(client, agent=book["carla"].pk)
    assert "Unknown agent" in response.content.decode()
    assert response.context["figures"]["totals"].due == 5


def test_agents_and_maintainers_cannot_open_it(client, book):
    for role in ("agent", "maintainer"):
        client.force_login(UserFactory(roles=[role]))
        assert client.get(URL).status_code == 403


def test_it_runs_a_fixed_number_of_queries(client, book, django_assert_max_num_queries):
    client.force_login(book["manager"])
    with django_assert_max_num_queries(23) as few:
        _get(client)
    for n in range(20):
        _case(book["ana"], ClientFactory(owner=book["ana"]), D(2026, 1 + n % 12, 3), "100",
              CaseStatus.WON, "100")  # fmt: skip
    with django_assert_max_num_queries(len(few)):
        _get(client)


def test_each_count_opens_exactly_the_cases_it_counts(client, book):
    _case(book["ana"], ClientFactory(owner=book["ana"]), D(2026, 4, 9), "700",
          CaseStatus.CANCELLED)  # not due: never counted, never listed  # fmt: skip
    client.force_login(book["manager"])
    table = _get(client).context["tables"][0]
    april = table.rows[1]
    for name in ("due", "won", "lost", "lapsed", "open"):
        if name not in april.links:  # no case of April can still be open (it has ended)
            assert april.values[name] == 0
            continue
        listed = client.get(april.links[name]).context["page"].paginator.count
        assert listed == april.values[name], name
    assert client.get(table.totals.links["due"]).context["page"].paginator.count == 5
