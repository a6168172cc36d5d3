"""The lost-renewals report against a small hand-built book whose answers are written here."""

import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from clients.tests.factories import ClientFactory
from policies.tests.factories import InsurerFactory, PolicyFactory
from renewals.models import CaseStatus, CompetitorWhy, LostReason
from renewals.tests.factories import RenewalCaseFactory

pytestmark = pytest.mark.django_db

URL = "/reports/lost/"
D = datetime.date
RANGE = {"start": "2026-01-01", "end": "2026-06-30"}


def _case(agent, end, last, status=CaseStatus.LOST, reason="", lost_to=None, why="",
          currency="MXN"):  # fmt: skip
    policy = PolicyFactory(
        holder=ClientFactory(owner=agent), agent=agent, premium=Decimal(last), end_date=end,
        start_date=end - datetime.timedelta(days=365), currency=currency,
    )  # fmt: skip
    return RenewalCaseFactory(
        policy=policy, status=status, outcome_reason=reason, lost_to=lost_to, lost_why=why,
        stage="",
    )  # fmt: skip


@pytest.fixture
def book(teams):
    manager, ana, beto, carla = teams.manager, teams.ana, teams.beto, teams.carla
    qualitas = InsurerFactory(code="qualitas", name="Qualitas")
    ana_ins = InsurerFactory(code="ana", name="ANA Seguros")
    elsewhere, price = LostReason.RENEWED_ELSEWHERE, LostReason.PRICE
    cases = {
        "l1": _case(ana, D(2026, 2, 10), "1000", reason=elsewhere, lost_to=qualitas,
                    why=CompetitorWhy.PRICE),
        "l2": _case(ana, D(2026, 3, 15), "2000", reason=elsewhere, lost_to=qualitas,
                    why=CompetitorWhy.PRICE),
        "l3": _case(beto, D(2026, 4, 1), "1500", reason=elsewhere, lost_to=qualitas,
                    why=CompetitorWhy.COVER),
        "l4": _case(beto, D(2026, 5, 20), "3000", reason=elsewhere, lost_to=ana_ins,
                    why=CompetitorWhy.SERVICE),
        "l5": _case(ana, D(2026, 3, 1), "500", reason=price),
        "l6": _case(ana, D(2026, 6, 30), "800", reason=LostReason.VEHICLE_SOLD),
        # Last year, 2025-01-01 to 2025-06-30.
        "p1": _case(ana, D(2025, 2, 1), "100", reason=elsewhere, lost_to=qualitas),
        "p2": _case(ana, D(2025, 3, 1), "100", reason=LostReason.UNREACHABLE),
        "p3": _case(beto, D(2025, 5, 1), "100", reason=price),
        "p4": _case(beto, D(2025, 5, 2), "100", reason=price),
    }  # fmt: skip
    # Not counted: won, outside the range, another team's, another currency.
    _case(beto, D(2026, 4, 10), "100", status=CaseStatus.WON)
    _case(ana, D(2026, 7, 1), "100", reason=price)
    _case(ana, D(2025, 12, 1), "100", reason=price)
    _case(carla, D(2026, 3, 1), "9000", reason=elsewhere, lost_to=ana_ins,
          why=CompetitorWhy.PRICE)  # fmt: skip
    _case(ana, D(2026, 2, 1), "100", reason=price, currency="USD")
    return {"manager": manager, "ana": ana, "beto": beto, "carla": carla,
            "qualitas": qualitas, "ana_ins": ana_ins, **cases}  # fmt: skip


def _tables(client, **params):
    response = client.get(URL, {**RANGE, **params})
    assert response.status_code == 200
    return response.context["tables"]


def _values(row, keys):
    return (row.label, *(row.values[k] for k in keys))


def _listed(client, link) -> set:
    response = client.get(link)
    assert response.status_code == 200
    assert not response.context["filters"].ignored
    return {case.pk for case in response.context["page"].object_list}


def _pks(book, *names) -> set:
    return {book[n].pk for n in names}


REASON_KEYS = ("cases", "share", "premium", "last_year")
INSURER_KEYS = ("cases", "share", "premium", "why")


def test_it_counts_the_lost_cases_by_reason_with_last_year(client, book):
    client.force_login(book["manager"])
    by_reason, _by_insurer = _tables(client)
    assert (by_reason.slug, by_reason.subtitle) == ("lost-reason", "By reason")
    assert [_values(r, REASON_KEYS) for r in by_reason.rows] == [
        ("Renewed with another insurer", 4, Decimal("66.7"), Decimal("7500"), 1),
        ("Price", 1, Decimal("16.7"), Decimal("500"), 2),
        ("Vehicle sold", 1, Decimal("16.7"), Decimal("800"), 0),
        ("Unreachable", 0, Decimal("0.0"), Decimal("0"), 1),
    ]
    assert _values(by_reason.totals, REASON_KEYS) == (
        "Total",
        6,
        Decimal("100.0"),
        Decimal("8800"),
        4,
    )


def test_it_counts_the_cases_renewed_elsewhere_by_the_winning_insurer(client, book):
    client.force_login(book["manager"])
    _by_reason, by_insurer = _tables(client)
    assert (by_insurer.slug, by_insurer.subtitle) == (
        "lost-insurer",
        "By the insurer that won them",
    )
    assert [_values(r, INSURER_KEYS) for r in by_insurer.rows] == [
        ("Qualitas", 3, Decimal("75.0"), Decimal("4500"), "Cheaper premium (2 of 3)"),
        ("ANA Seguros", 1, Decimal("25.0"), Decimal("3000"),
         "Unhappy with our service (1 of 1)"),
    ]  # fmt: skip
    assert _values(by_insurer.totals, INSURER_KEYS) == (
        "Total",
        4,
        Decimal("100.0"),
        Decimal("7500"),
        "Cheaper premium (2 of 4)",
    )


def test_each_count_links_to_exactly_its_cases(client, book):
    client.force_login(book["manager"])
    by_reason, by_insurer = _tables(client)
    elsewhere, price, sold, unreachable = by_reason.rows
    assert _listed(client, elsewhere.links["cases"]) == _pks(book, "l1", "l2", "l3", "l4")
    assert _listed(client, elsewhere.links["last_year"]) == _pks(book, "p1")
    assert _listed(client, price.links["cases"]) == _pks(book, "l5")
    assert _listed(client, price.links["last_year"]) == _pks(book, "p3", "p4")
    assert _listed(client, sold.links["cases"]) == _pks(book, "l6")
    assert _listed(client, unreachable.links["cases"]) == set()
    assert _listed(client, unreachable.links["last_year"]) == _pks(book, "p2")
    assert _listed(client, by_reason.totals.links["cases"]) == _pks(
        book, "l1", "l2", "l3", "l4", "l5", "l6"
    )
    assert _listed(client, by_reason.totals.links["last_year"]) == _pks(
        book, "p1", "p2", "p3", "p4"
    )
    qualitas, ana_ins = by_insurer.rows
    assert f"lost_to={book['qualitas'].pk}" in qualitas.links["cases"]
    assert "reason=renewed_elsewhere" in qualitas.links["cases"]
    assert "ends_from=2026-01-01" in qualitas.links["cases"]
    assert "ends_to=2026-06-30" in qualitas.links["cases"]
    assert _listed(client, qualitas.links["cases"]) == _pks(book, "l1", "l2", "l3")
    assert _listed(client, ana_ins.links["cases"]) == _pks(book, "l4")
    assert _listed(client, by_insurer.totals.links["cases"]) == _pks(book, "l1", "l2", "l3", "l4")


def test_the_filters_narrow_the_figures_and_travel_with_the_links(client, book):
    client.force_login(book["manager"])
    by_reason, by_insurer = _tables(client, agent=book["beto"].pk)
    assert [_values(r, REASON_KEYS) for r in by_reason.rows] == [
        ("Renewed with another insurer", 2, Decimal("100.0"), Decimal("4500"), 0),
        ("Price", 0, Decimal("0.0"), Decimal("0"), 2),
    ]
    assert [(r.label, r.values["cases"]) for r in by_insurer.rows] == [
        ("ANA Seguros", 1), ("Qualitas", 1)
    ]  # fmt: skip
    assert f"agent={book['beto'].pk}" in by_reason.rows[0].links["cases"]
    assert _listed(client, by_reason.rows[0].links["cases"]) == _pks(book, "l3", "l4")
    assert _listed(client, by_reason.rows[1].links["last_year"]) == _pks(book, "p3", "p4")


def test_a_manager_sees_only_their_teams_cases_and_an_admin_everything(client, book):
    client.force_login(book["manager"])
    by_reason, by_insurer = _tables(client)
    assert by_reason.totals.values["cases"] == 6
    assert [(r.label, r.values["cases"]) for r in by_insurer.rows][-1] == ("ANA Seguros", 1)
    client.force_login(UserFactory(roles=["admin"]))
    by_reason, by_insurer = _tables(client)
    assert by_reason.totals.values["cases"] == 7  # and Carla's, of the other team
    assert by_reason.totals.values["premium"] == Decimal("17800")
    assert [(r.label, r.values["cases"], r.values["why"]) for r in by_insurer.rows] == [
        ("Qualitas", 3, "Cheaper premium (2 of 3)"),
        ("ANA Seguros", 2, "Cheaper premium (1 of 2)"),
    ]


def test_agents_cannot_open_it(client, book):
    client.force_login(book["ana"])
    assert client.get(URL).status_code == 403


def test_it_exports_one_sheet_per_table(client, book):
    client.force_login(book["manager"])
    response = client.get(URL, {**RANGE, "export": "xlsx"})
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["By reason", "By the insurer that won them"]
    rows = [list(r) for r in workbook["By reason"].iter_rows(values_only=True)]
    assert rows == [
        ["Reason", "Lost", "Share of lost", "Premium lost (MXN)", "Last year"],
        ["Renewed with another insurer", 4, 0.667, 7500, 1],
        ["Price", 1, 0.167, 500, 2],
        ["Vehicle sold", 1, 0.167, 800, 0],
        ["Unreachable", 0, 0, 0, 1],
        ["Total", 6, 1, 8800, 4],
    ]
    rows = [list(r) for r in workbook["By the insurer that won them"].iter_rows(values_only=True)]
    assert rows == [
        ["Renewed with", "Cases", "Share", "Premium lost (MXN)", "Main reason"],
        ["Qualitas", 3, 0.75, 4500, "Cheaper premium (2 of 3)"],
        ["ANA Seguros", 1, 0.25, 3000, "Unhappy with our service (1 of 1)"],
        ["Total", 4, 1, 7500, "Cheaper premium (2 of 4)"],
    ]
    # Shares are fractions shown as percentages; amounts are numbers shown as amounts.
    share, premium = workbook["By reason"]["C2"], workbook["By reason"]["D2"]
    assert (share.data_type, share.number_format) == ("n", "0.0%")
    assert (premium.data_type, premium.number_format) == ("n", "#,##0.00")


def test_an_empty_period_says_so(client, book):
    client.force_login(book["manager"])
    response = client.get(URL, {"start": "2020-01-01", "end": "2020-12-31"})
    by_reason, by_insurer = response.context["tables"]
    assert by_reason.rows == [] and by_insurer.rows == []
    html = response.content.decode()
    assert "No renewal was lost in this period." in html
    assert "No client renewed with another insurer in this period." in html


def test_it_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    manager = UserFactory(roles=["manager"])
    agent = UserFactory(roles=["agent"], team=TeamFactory(name="Norte", manager=manager))
    insurers = [InsurerFactory(code=f"rival{n}", name=f"Rival {n}") for n in range(4)]
    reasons = [LostReason.RENEWED_ELSEWHERE, LostReason.PRICE, LostReason.DECLINED]
    whys = CompetitorWhy.values

    def lose(n):
        reason = reasons[n % 3]
        elsewhere = reason == LostReason.RENEWED_ELSEWHERE
        year = 2026 if n % 2 else 2025
        _case(agent, D(year, 1 + n % 6, 1 + n % 28), "100", reason=reason,
              lost_to=insurers[n % 4] if elsewhere else None,
              why=whys[n % len(whys)] if elsewhere else "")  # fmt: skip

    for n in range(3):
        lose(n)
    client.force_login(manager)
    with django_assert_max_num_queries(20):
        _tables(client)
    for n in range(3, 30):
        lose(n)
    with django_assert_max_num_queries(20):
        by_reason, _by_insurer = _tables(client)
    assert by_reason.totals.values["cases"] == 15 and by_reason.totals.values["last_year"] == 15


def test_cases_without_a_reason_or_an_insurer_open_exactly_those_cases(client, book):
    bare = _case(book["ana"], D(2026, 2, 2), "400")  # lost, no reason recorded
    unknown = _case(book["beto"], D(2026, 2, 3), "600", reason=LostReason.RENEWED_ELSEWHERE)
    client.force_login(book["manager"])
    by_reason, by_insurer = _tables(client)
    no_reason = next(r for r in by_reason.rows if r.label == "No reason recorded")
    page = client.get(no_reason.links["cases"]).context["page"]
    assert [c.pk for c in page.object_list] == [bare.pk]
    not_recorded = next(r for r in by_insurer.rows if r.label == "Insurer not recorded")
    page = client.get(not_recorded.links["cases"]).context["page"]
    assert [c.pk for c in page.object_list] == [unknown.pk]
