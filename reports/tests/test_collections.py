"""The collections view against a small hand-built book whose answers are written here. Dates
are counted from today (the rates count what fell due by today; aging is as of today)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import InstalmentStatus as S
from billing.models import PromiseStatus, RiskSource, RiskStatus
from brokerage.accounts.tests.factories import UserFactory
from policies.models import Currency, Line
from policies.tests.factories import InsurerFactory

from .collection_factories import PromiseFactory, RiskFactory, instalment, policy_of

pytestmark = pytest.mark.django_db

URL = "/reports/collections/"
LIST = "/reports/collections/list/"


def day(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def period(**params) -> dict:
    return {"start": day(-60).isoformat(), "end": day(30).isoformat(), **params}


@pytest.fixture
def book(teams):
    ana, beto, carla = teams.ana, teams.beto, teams.carla
    gnp, axa = InsurerFactory(name="GNP"), InsurerFactory(name="AXA")
    a1 = policy_of(ana, insurer=gnp)
    i2 = instalment(a1, 2, -20, "1000.00", S.PARTLY_PAID, "400.00")
    i3 = instalment(a1, 3, -5, "1000.00", S.OVERDUE)
    instalment(a1, 1, -50, "1000.00", S.PAID, "1000.00")
    instalment(a1, 4, 10, "1000.00")  # due later in the period
    instalment(a1, 5, -10, "500.00", S.CANCELLED)  # not owed: never counted
    instalment(a1, 6, -100, "800.00", S.OVERDUE)  # before the period: aging only
    instalment(a1, 7, 40, "900.00")  # after the period: nowhere
    b1 = policy_of(beto, insurer=axa, line=Line.HEALTH)
    instalment(b1, 1, -40, "2000.00", S.PAID, "2000.00")
    b2 = instalment(b1, 2, 0, "2000.00")  # due today: due, not overdue
    instalment(b1, 3, -30, "300.00", S.WAIVED)  # not owed
    dollars = policy_of(beto, insurer=axa, currency=Currency.USD)
    usd = instalment(dollars, 1, -10, "700.00", S.OVERDUE)
    c1 = policy_of(carla, insurer=gnp)
    carla_due = instalment(c1, 1, -10, "5000.00", S.OVERDUE)  # another manager's team

    PromiseFactory(instalment=i3, promised_on=day(-3), status=PromiseStatus.KEPT)
    PromiseFactory(instalment=i3, promised_on=day(-10), status=PromiseStatus.BROKEN)
    PromiseFactory(instalment=i2, promised_on=day(2), status=PromiseStatus.OPEN)
    PromiseFactory(instalment=i2, promised_on=day(-90), status=PromiseStatus.KEPT)  # before
    PromiseFactory(instalment=b2, promised_on=day(-1), status=PromiseStatus.BROKEN)
    PromiseFactory(instalment=usd, promised_on=day(-1), status=PromiseStatus.KEPT)  # USD
    PromiseFactory(instalment=carla_due, promised_on=day(-1), status=PromiseStatus.KEPT)

    RiskFactory(instalment=i3, source=RiskSource.GRACE)
    RiskFactory(instalment=b2, source=RiskSource.AGENT)
    RiskFactory(instalment=usd)  # USD
    RiskFactory(instalment=carla_due)  # another team
    decided = instalment(policy_of(ana), 1, -80, "100.00", S.OVERDUE)  # aging: 61-90
    RiskFactory(instalment=decided, status=RiskStatus.KEPT)  # decided: no longer at risk
    return {"teams": teams, "ana": ana, "beto": beto, "carla": carla, "gnp": gnp, "axa": axa,
            "a1": a1, "b1": b1, "admin": UserFactory(roles=["admin"])}  # fmt: skip


def _tables(client, **params):
    response = client.get(URL, period(**params))
    assert response.status_code == 200
    return {t.slug: t for t in response.context["tables"]}


def _figures(table, *names):
    rows = [(r.label, *(r.values[n] for n in names)) for r in table.rows]
    return rows, tuple(table.totals.values[n] for n in names)


RATE = ("due", "paid", "count_rate", "due_amount", "collected", "amount_rate", "outstanding",
        "later", "later_amount")  # fmt: skip


def test_it_gives_due_against_collected_and_the_rate_on_both_bases(client, book):
    client.force_login(book["teams"].manager)
    rows, totals = _figures(_tables(client)["collections-rate"], *RATE)
    assert rows == [
        ("Ana Ruiz", 3, 1, Decimal("33.3"), Decimal("3000.00"), Decimal("1400.00"),
         Decimal("46.7"), Decimal("1600.00"), 1, Decimal("1000.00")),
        ("Beto Soto", 2, 1, Decimal("50.0"), Decimal("4000.00"), Decimal("2000.00"),
         Decimal("50.0"), Decimal("2000.00"), 0, Decimal("0")),
    ]  # fmt: skip
    assert totals == (5, 2, Decimal("40.0"), Decimal("7000.00"), Decimal("3400.00"),
                      Decimal("48.6"), Decimal("3600.00"), 1, Decimal("1000.00"))  # fmt: skip


def test_the_formulas_are_written_on_the_page(client, book):
    client.force_login(book["teams"].manager)
    html = client.get(URL, period()).content.decode()
    for formula in ("paid in full ÷ due", "collected ÷ amount due", "amount due − collected",
                    "kept ÷ (kept + broken)", "due today or later, by the period&#x27;s end",
                    "1 to 30 days overdue", "more than 90 days overdue",
                    "count basis, instalments paid in full ÷ instalments due"):  # fmt: skip
        assert formula in html


def test_it_groups_by_team_insurer_and_line(client, book):
    client.force_login(book["teams"].manager)
    by_team = _figures(_tables(client, by="team")["collections-rate"], "due", "due_amount")
    assert by_team == ([("Norte", 5, Decimal("7000.00"))], (5, Decimal("7000.00")))
    by_insurer = _figures(_tables(client, by="insurer")["collections-rate"], "due", "collected")
    assert by_insurer[0] == [("AXA", 2, Decimal("2000.00")), ("GNP", 3, Decimal("1400.00"))]
    by_line = _figures(_tables(client, by="line")["collections-aging"], "owed")
    assert by_line[0] == [("Auto", Decimal("3500.00")), ("Health", Decimal("2000.00"))]


AGING = ("current", "d1_30", "d31_60", "d61_90", "d91", "overdue", "overdue_n", "owed")


def test_aging_buckets_what_is_still_owed_by_days_overdue(client, book):
    client.force_login(book["teams"].manager)
    rows, totals = _figures(_tables(client)["collections-aging"], *AGING)
    assert rows == [
        # 1000 due later; 600 (of 1000, 400 paid) and 1000 overdue 20 and 5 days; 100 at 80
        # days; 800 at 100 days, due before the period started and still owed.
        ("Ana Ruiz", Decimal("1000.00"), Decimal("1600.00"), Decimal("0"), Decimal("100.00"),
         Decimal("800.00"), Decimal("2500.00"), 4, Decimal("3500.00")),
        ("Beto Soto", Decimal("2000.00"), Decimal("0"), Decimal("0"), Decimal("0"),
         Decimal("0"), Decimal("0"), 0, Decimal("2000.00")),
    ]  # fmt: skip
    assert totals[-1] == Decimal("5500.00") and totals[-2] == 4


@pytest.mark.parametrize(
    "overdue,bucket",
    [(-1, "current"), (0, "current"), (1, "d1_30"), (30, "d1_30"), (31, "d31_60"),
     (60, "d31_60"), (61, "d61_90"), (90, "d61_90"), (91, "d91"), (400, "d91")],
)  # fmt: skip
def test_each_aging_boundary_falls_in_its_bucket(client, teams, overdue, bucket):
    policy = policy_of(teams.ana)
    instalment(policy, 1, -overdue, "123.45", S.OVERDUE if overdue > 0 else S.PENDING)
    client.force_login(teams.manager)
    table = _tables(client)["collections-aging"]
    values = table.totals.values
    assert {b: values[b] for b in AGING[:5] if values[b]} == {bucket: Decimal("123.45")}
    # The bucket's link lists exactly that instalment.
    response = client.get(table.rows[0].links[bucket])
    assert [i.amount for i in response.context["page"].object_list] == [Decimal("123.45")]
    title = {"current": "Instalments still owed: Not yet due",
             "d1_30": "Instalments still owed: 1–30 days overdue",
             "d91": "Instalments still owed: Over 90 days overdue"}.get(bucket)  # fmt: skip
    if title:
        assert f'data-testid="drill-title">{title}<' in response.content.decode()


def test_promises_kept_against_broken(client, book):
    client.force_login(book["teams"].manager)
    names = ("made", "kept", "broken", "open", "kept_rate")
    rows, totals = _figures(_tables(client)["collections-promises"], *names)
    assert rows == [("Ana Ruiz", 3, 1, 1, 1, Decimal("50.0")),
                    ("Beto Soto", 1, 0, 1, 0, Decimal("0.0"))]  # fmt: skip
    assert totals == (4, 1, 2, 1, Decimal("33.3"))


def test_policies_at_risk_of_cancellation_with_the_list_of_policies(client, book):
    client.force_login(book["teams"].manager)
    table = _tables(client)["collections-risk"]
    rows, totals = _figures(table, "at_risk", "grace", "agent_said", "risk_owed")
    assert rows == [("Ana Ruiz", 1, 1, 0, Decimal("1000.00")),
                    ("Beto Soto", 1, 0, 1, Decimal("2000.00"))]  # fmt: skip
    assert totals == (2, 1, 1, Decimal("3000.00"))
    response = client.get(table.totals.links["at_risk"])
    listed = response.context["page"].object_list
    assert sorted(r.policy_id for r in listed) == sorted([book["a1"].pk, book["b1"].pk])
    body = response.content.decode()
    assert f'href="/policies/{book["a1"].pk}/"' in body
    assert f'href="/policies/{book["b1"].pk}/"' in body
    beto_agent_said = client.get(table.rows[1].links["agent_said"]).context["page"]
    assert [r.policy_id for r in beto_agent_said] == [book["b1"].pk]


def test_currencies_are_never_added_together(client, book):
    client.force_login(book["teams"].manager)
    usd = _tables(client, currency="USD")
    rows, totals = _figures(usd["collections-rate"], "due", "due_amount", "collected")
    assert rows == [("Beto Soto", 1, Decimal("700.00"), Decimal("0"))]
    assert _figures(usd["collections-aging"], "d1_30")[1] == (Decimal("700.00"),)
    assert _figures(usd["collections-promises"], "kept")[1] == (1,)
    assert _figures(usd["collections-risk"], "at_risk", "risk_owed")[1] == (1, Decimal("700"))
    assert "(USD)" in usd["collections-rate"].columns[3].label
    # The pesos' figures hold no dollar (above: 7000.00 due, 2500.00 overdue).
    mxn = _tables(client)
    assert mxn["collections-rate"].totals.values["due_amount"] == Decimal("7000.00")
    assert "(MXN)" in mxn["collections-rate"].columns[3].label


def test_a_manager_sees_their_team_only_and_an_admin_everything(client, book):
    teams = book["teams"]
    client.force_login(teams.other_manager)
    rows, totals = _figures(_tables(client)["collections-rate"], "due", "due_amount")
    assert rows == [("Carla Mora", 1, Decimal("5000.00"))]
    # Naming another team's agent is refused, and their instalments stay out of every list.
    response = client.get(URL, period(agent=book["ana"].pk))
    assert "Unknown agent" in response.content.decode()
    listed = client.get(LIST, period(show="due", agent=book["ana"].pk)).context["page"]
    assert [i.policy.agent for i in listed] == [book["carla"]]
    client.force_login(book["admin"])
    totals = _tables(client)["collections-rate"].totals.values
    assert (totals["due"], totals["due_amount"]) == (6, Decimal("12000.00"))


def test_agents_and_maintainers_cannot_open_the_view(client, book):
    for who in (book["ana"], UserFactory(roles=["maintainer"])):
        client.force_login(who)
        assert client.get(URL).status_code == 403
        assert client.get(URL, {"export": "xlsx"}).status_code == 403
    client.logout()
    assert client.get(LIST).status_code == 302


def test_an_agent_reaches_only_their_own_instalments_in_a_list(client, book):
    client.force_login(book["ana"])
    page = client.get(LIST, period(show="due", agent=book["beto"].pk)).context["page"]
    assert page.paginator.count == 3
    assert {i.policy.agent for i in page} == {book["ana"]}
    risks = client.get(LIST, {"show": "at_risk", "team": book["teams"].north.pk}).context["page"]
    assert [r.policy_id for r in risks] == [book["a1"].pk]


def test_each_figure_opens_the_rows_it_counts(client, book):
    client.force_login(book["teams"].manager)
    tables = _tables(client)
    checks = [
        ("collections-rate", ("due", "paid", "later")),
        ("collections-aging", ("current", "d1_30", "d61_90", "d91", "overdue_n")),
        ("collections-promises", ("made", "kept", "broken", "open")),
        ("collections-risk", ("at_risk", "grace", "agent_said")),
    ]
    for slug, names in checks:
        table = tables[slug]
        for row in [*table.rows, table.totals]:
            for name in names:
                if name in ("current", "d1_30", "d61_90", "d91"):  # amounts: count the rows
                    listed = client.get(row.links[name]).context["page"].object_list
                    owed = sum((i.outstanding for i in listed), Decimal("0"))
                    assert owed == row.values[name], (slug, row.label, name)
                    continue
                count = client.get(row.links[name]).context["page"].paginator.count
                assert count == row.values[name], (slug, row.label, name)
    unpaid = client.get(tables["collections-rate"].totals.links["outstanding"]).context["page"]
    assert sum((i.outstanding for i in unpaid), Decimal("0")) == Decimal("3600.00")


def test_a_list_says_what_it_did_not_understand_never_a_500(client, book):
    client.force_login(book["teams"].manager)
    response = client.get(LIST, {"show": "horoscope", "bucket": "d7", "start": "soon"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "is not a date" in body and "were not understood" in body
    assert response.context["drill"].show == "due"


@pytest.mark.parametrize(
    "params,message",
    [({"by": "horoscope"}, "Unknown grouping"), ({"currency": "XYZ"}, "Unknown currency"),
     ({"start": "2026-05-01", "end": "2026-01-01"}, "ended before it started")],
)  # fmt: skip
def test_bad_filters_get_a_message_never_a_500(client, book, params, message):
    client.force_login(book["teams"].manager)
    response = client.get(URL, params)
    assert response.status_code == 200 and message in response.content.decode()


def test_it_runs_a_fixed_number_of_queries(client, book, django_assert_max_num_queries):
    client.force_login(book["teams"].manager)
    with django_assert_max_num_queries(25) as few:
        client.get(URL, period())
    for n in range(15):
        agent = book["ana"] if n % 2 else book["beto"]
        policy = policy_of(agent, insurer=InsurerFactory(), line=Line.HEALTH)
        i = instalment(policy, 1, -n * 9, "100.00", S.OVERDUE)
        PromiseFactory(instalment=i, promised_on=day(-n), status=PromiseStatus.BROKEN)
        RiskFactory(instalment=i)
    for by in ("agent", "team", "insurer", "line"):
        with django_assert_max_num_queries(len(few)):
            client.get(URL, period(by=by))
    # 12, and the reports' read transaction's three (savepoint, planner settings, release).
    with django_assert_max_num_queries(15) as listed:
        client.get(LIST, period(show="owed"))
    for show in ("due", "promises", "at_risk"):
        with django_assert_max_num_queries(len(listed)):
            client.get(LIST, period(show=show))
