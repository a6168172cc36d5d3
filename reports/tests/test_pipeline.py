"""The pipeline report against a small hand-built book whose answers are written here."""

import datetime
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from clients.tests.factories import ClientFactory
from policies.models import Line
from policies.tests.factories import PolicyFactory
from renewals.models import CaseStatus
from renewals.tests.factories import RenewalCaseFactory

pytestmark = pytest.mark.django_db

URL = "/reports/pipeline/"
KEYS = ("cases_30", "premium_30", "cases_60", "premium_60", "cases_90", "premium_90",
        "cases_overdue", "premium_overdue")  # fmt: skip
COUNTS = ("cases_30", "cases_60", "cases_90", "cases_overdue")


def _case(agent, days, last, *, stage="reminder", grade="", quoted=None,
          status=CaseStatus.OPEN, currency="MXN"):  # fmt: skip
    end = timezone.localdate() + datetime.timedelta(days=days)
    policy = PolicyFactory(
        holder=ClientFactory(owner=agent), agent=agent, premium=Decimal(last), end_date=end,
        start_date=end - datetime.timedelta(days=365), currency=currency,
    )  # fmt: skip
    return RenewalCaseFactory(
        policy=policy, stage=stage, grade=grade, status=status,
        quoted_premium=Decimal(quoted) if quoted else None,
    )  # fmt: skip


@pytest.fixture
def book(teams):
    manager, ana, beto, carla = teams.manager, teams.ana, teams.beto, teams.carla
    cases = {
        # ends in 10 days, not quoted: at stake 1000
        "c1": _case(ana, 10, "1000", stage="reminder", grade="A"),
        # ends in exactly 30 days, quoted 2500: at stake 2500
        "c2": _case(ana, 30, "2000", stage="quote", grade="A", quoted="2500"),
        "c3": _case(beto, 45, "3000", stage="reminder"),
        # ends in exactly 90 days, quoted 3500
        "c4": _case(beto, 90, "4000", stage="quote", grade="B", quoted="3500"),
        # ends today, quoted 800
        "c8": _case(beto, 0, "700", stage="reminder", grade="C", quoted="800"),
        # ended 5 days ago and still open: overdue
        "c6": _case(ana, -5, "500", stage="quote"),
        # no stage yet
        "c11": _case(ana, 5, "600", stage="", grade="D"),
    }
    # Not counted: beyond 90 days, already won, another team's, another currency.
    _case(ana, 91, "100", grade="A")
    _case(ana, 20, "100", status=CaseStatus.WON)
    _case(carla, 10, "9000", grade="A")
    _case(ana, 15, "100", grade="A", currency="USD")
    return {"manager": manager, "ana": ana, "beto": beto, "carla": carla, **cases}


def _table(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.context["tables"][0]


def _figures(row):
    return (row.label, *(row.values[k] for k in KEYS))


def _listed(client, link) -> set:
    response = client.get(link)
    assert response.status_code == 200
    assert not response.context["filters"].ignored
    return {case.pk for case in response.context["page"].object_list}


def test_it_counts_the_open_cases_and_premium_per_window_by_stage(client, book):
    client.force_login(book["manager"])
    table = _table(client)
    D = Decimal
    assert [_figures(r) for r in table.rows] == [
        ("Reminder", 2, D("1800"), 3, D("4800"), 3, D("4800"), 0, D("0")),
        ("Quote and renew", 1, D("2500"), 1, D("2500"), 2, D("6000"), 1, D("500")),
        ("No stage", 1, D("600"), 1, D("600"), 1, D("600"), 0, D("0")),
    ]
    assert _figures(table.totals) == (
        "Total",
        4,
        D("4900"),
        5,
        D("7900"),
        6,
        D("11400"),
        1,
        D("500"),
    )
    assert [c.key for c in table.columns if c.chart] == list(COUNTS)


def test_it_groups_by_grade_with_the_ungraded_as_their_own_row(client, book):
    client.force_login(book["manager"])
    table = _table(client, by="grade")
    D = Decimal
    assert [_figures(r) for r in table.rows] == [
        ("A — sure", 2, D("3500"), 2, D("3500"), 2, D("3500"), 0, D("0")),
        ("B — likely", 0, D("0"), 0, D("0"), 1, D("3500"), 0, D("0")),
        ("C — possible", 1, D("800"), 1, D("800"), 1, D("800"), 0, D("0")),
        ("D — likely lost", 1, D("600"), 1, D("600"), 1, D("600"), 0, D("0")),
        ("Not graded", 0, D("0"), 1, D("3000"), 1, D("3000"), 1, D("500")),
    ]
    assert _figures(table.totals) == (
        "Total",
        4,
        D("4900"),
        5,
        D("7900"),
        6,
        D("11400"),
        1,
        D("500"),
    )


def test_each_count_links_to_exactly_its_cases(client, book):
    client.force_login(book["manager"])
    table = _table(client)
    reminder, quote, no_stage = table.rows
    assert _listed(client, reminder.links["cases_30"]) == {book["c1"].pk, book["c8"].pk}
    assert _listed(client, reminder.links["cases_60"]) == {
        book["c1"].pk, book["c8"].pk, book["c3"].pk
    }  # fmt: skip
    assert _listed(client, quote.links["cases_90"]) == {book["c2"].pk, book["c4"].pk}
    assert _listed(client, quote.links["cases_overdue"]) == {book["c6"].pk}
    assert _listed(client, table.totals.links["cases_30"]) == {
        book["c1"].pk, book["c2"].pk, book["c8"].pk, book["c11"].pk
    }  # fmt: skip
    assert "stage=none" in no_stage.links["cases_30"]  # the cases nobody staged yet
    for row in [reminder, quote, no_stage, table.totals]:
        for key in COUNTS:
            assert len(_listed(client, row.links[key])) == row.values[key], (row.label, key)
    assert "status=open" in reminder.links["cases_30"] and "due=30" in reminder.links["cases_30"]
    assert "stage=reminder" in reminder.links["cases_30"]


def test_the_grade_links_show_the_same_cases(client, book):
    client.force_login(book["manager"])
    table = _table(client, by="grade")
    ungraded = table.rows[-1]
    assert "grade=none" in ungraded.links["cases_60"]
    assert _listed(client, ungraded.links["cases_60"]) == {book["c3"].pk}
    assert _listed(client, ungraded.links["cases_overdue"]) == {book["c6"].pk}
    for row in [*table.rows, table.totals]:
        for key in COUNTS:
            assert len(_listed(client, row.links[key])) == row.values[key], (row.label, key)


def test_the_filters_narrow_the_figures_and_travel_with_the_links(client, book):
    client.force_login(book["manager"])
    table = _table(client, agent=book["beto"].pk)
    windows = [
        (r.label, r.values["cases_30"], r.values["cases_60"], r.values["cases_90"])
        for r in table.rows
    ]
    assert windows == [("Reminder", 1, 2, 2), ("Quote and renew", 0, 0, 1)]
    link = table.rows[0].links["cases_60"]
    assert f"agent={book['beto'].pk}" in link
    assert _listed(client, link) == {book["c8"].pk, book["c3"].pk}


def test_a_manager_sees_only_their_teams_cases_and_an_admin_everything(client, book):
    client.force_login(book["manager"])
    assert _table(client).totals.values["cases_30"] == 4
    client.force_login(UserFactory(roles=["admin"]))
    table = _table(client)
    assert table.totals.values["cases_30"] == 5  # and Carla's case, of the other team
    assert table.totals.values["premium_30"] == Decimal("13900")


def test_the_definitions_are_written_under_the_headers(client, book):
    client.force_login(book["manager"])
    html = client.get(URL).content.decode()
    assert "open cases, policy ends today to today + 30 days" in html
    assert "quoted premium, or last year&#x27;s premium when not yet quoted" in html
    assert "still open, policy already ended" in html


def test_agents_cannot_open_it(client, book):
    client.force_login(book["ana"])
    assert client.get(URL).status_code == 403


def test_it_exports_the_table_to_xlsx(client, book):
    client.force_login(book["manager"])
    response = client.get(URL, {"export": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content))["Pipeline"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == [
        "Stage", "Ending ≤ 30 days", "At stake ≤ 30 days (MXN)", "Ending ≤ 60 days",
        "At stake ≤ 60 days (MXN)", "Ending ≤ 90 days", "At stake ≤ 90 days (MXN)", "Overdue",
        "At stake, overdue (MXN)",
    ]  # fmt: skip
    assert rows[1] == ["Reminder", 2, 1800, 3, 4800, 3, 4800, 0, 0]
    assert rows[2] == ["Quote and renew", 1, 2500, 1, 2500, 2, 6000, 1, 500]
    assert rows[3] == ["No stage", 1, 600, 1, 600, 1, 600, 0, 0]
    assert rows[4] == ["Total", 4, 4900, 5, 7900, 6, 11400, 1, 500]
    assert len(rows) == 5


def test_the_empty_pipeline_says_so(client):
    client.force_login(UserFactory(roles=["manager"]))
    table = _table(client)
    assert table.rows == [] and table.totals.values["cases_30"] == 0
    assert "No open renewal ends in the next 90 days" in client.get(URL).content.decode()


@pytest.mark.parametrize("by", ["stage", "grade"])
def test_it_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries, by):
    manager = UserFactory(roles=["manager"])
    agent = UserFactory(roles=["agent"], team=TeamFactory(name="Norte", manager=manager))
    stages, grades = ("reminder", "quote", "negotiation", ""), ("A", "B", "C", "")
    for n in range(3):
        _case(agent, n * 20 - 5, "100", stage=stages[n % 4], grade=grades[n % 4])
    client.force_login(manager)
    with django_assert_max_num_queries(21):
        assert _table(client, by=by).totals.values["cases_90"] == 2
    for n in range(3, 30):
        _case(agent, n * 3 - 5, "100", stage=stages[n % 4], grade=grades[n % 4])
    with django_assert_max_num_queries(21):
        assert _table(client, by=by).totals.values["cases_90"] == 29


def test_policies_ending_without_a_case_yet_are_the_pipeline_to_come(client, book):
    today = timezone.localdate()
    ana, carla = book["ana"], book["carla"]

    def running(agent, days, premium, line=Line.AUTO):
        return PolicyFactory(holder=ClientFactory(owner=agent), agent=agent, line=line,
                             premium=Decimal(premium), end_date=today + timedelta(days=days),
                             start_date=today - timedelta(days=300))  # fmt: skip

    soon = running(ana, 20, "700.00")
    later = running(ana, 75, "300.00", Line.HEALTH)
    running(ana, 120, "999.00")  # beyond 90 days
    running(carla, 20, "999.00")  # another manager's team
    client.force_login(book["manager"])
    table = client.get(URL).context["tables"][1]
    assert table.slug == "pipeline-not-opened"
    figures = [(r.label, r.values["cases_30"], r.values["premium_30"], r.values["cases_90"],
                r.values["premium_90"]) for r in table.rows]  # fmt: skip
    assert figures == [("Auto", 1, Decimal("700.00"), 1, Decimal("700.00")),
                       ("Health", 0, Decimal("0"), 1, Decimal("300.00"))]  # fmt: skip
    assert table.totals.values["cases_90"] == 2
    listed = client.get(table.totals.links["cases_90"]).context["page"].object_list
    assert {p.pk for p in listed} == {soon.pk, later.pk}
