"""A manager reads the dashboard in the browser: the renewal rate of a small hand-built book
(figures written here), its chart.js chart, the filters through the form and kept in the URL,
a figure followed to the renewal list behind it, and the lost renewals by reason. The page
asks nothing of any host but the live server."""

import datetime
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from brokerage.accounts.tests.factories import PASSWORD, TeamFactory, UserFactory
from clients.tests.factories import ClientFactory
from policies.tests.factories import InsurerFactory, PolicyFactory
from renewals.models import CaseStatus, CompetitorWhy, LostReason
from renewals.tests.factories import RenewalCaseFactory

pytestmark = pytest.mark.django_db(transaction=True)

COLUMNS = 12  # the group, five counts, three rates, two premiums, last year's rate


def _sign_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="Dashboard")).to_be_visible()


def _watch_hosts(page, live_server):
    """Every URL the page requests that is not on the live server."""
    origin = live_server.url.rstrip("/") + "/"
    foreign = []

    def note(request):
        if not request.url.startswith((origin, "data:", "blob:")):
            foreign.append(request.url)

    page.on("request", note)
    return foreign


def _case(agent, holder, insurer, number, end, last, status, new_premium=None, **outcome):
    policy = PolicyFactory(
        holder=holder, agent=agent, insurer=insurer, number=number, premium=Decimal(last),
        start_date=end - datetime.timedelta(days=365), end_date=end,
    )  # fmt: skip
    new = None
    if new_premium:
        new = PolicyFactory(
            holder=holder, agent=agent, insurer=insurer, number=f"{number}-R",
            premium=Decimal(new_premium), start_date=end,
            end_date=end + datetime.timedelta(days=365),
        )  # fmt: skip
    return RenewalCaseFactory(policy=policy, status=status, new_policy=new, stage="", **outcome)


@pytest.fixture
def december():
    """The figures are read on 1 December, when every case of this year's March-June rows has
    ended (the renewal rate leaves out cases still open before their end date)."""
    year = timezone.localdate().year
    at = timezone.make_aware(datetime.datetime(year, 12, 1, 12, 0))
    with time_machine.travel(at, tick=True):
        yield


@pytest.fixture
def book(december):
    """Team Norte (the manager's): Ana and Beto, eight cases ending this year, two last year,
    two next year and a cancelled one; team Sur's case is not the manager's to see."""
    year = timezone.localdate().year
    d = lambda month, day, y=year: datetime.date(y, month, day)  # noqa: E731
    manager = UserFactory(username="marisol", roles=["manager"])
    north = TeamFactory(name="Norte", manager=manager)
    south = TeamFactory(name="Sur", manager=UserFactory(roles=["manager"]))
    ana = UserFactory(roles=["agent"], team=north, first_name="Ana", last_name="Ruiz")
    beto = UserFactory(roles=["agent"], team=north, first_name="Beto", last_name="Soto")
    carla = UserFactory(roles=["agent"], team=south, first_name="Carla", last_name="Vega")
    gnp = InsurerFactory(code="gnp", name="GNP Seguros")
    qualitas = InsurerFactory(code="qualitas", name="Qualitas")
    axa = InsurerFactory(code="axa", name="AXA Seguros")

    def client(agent, first, last):
        return ClientFactory(owner=agent, first_name=first, last_name=last)

    elena = client(ana, "Elena", "Campos")
    won, lost, elsewhere = CaseStatus.WON, CaseStatus.LOST, LostReason.RENEWED_ELSEWHERE
    # This year.
    _case(ana, elena, gnp, "GNP-101", d(3, 10), "1000", won, "1100")
    _case(ana, elena, qualitas, "QUA-102", d(3, 20), "3000", lost, outcome_reason=LostReason.PRICE)
    _case(ana, client(ana, "Fabián", "Mora"), gnp, "GNP-103", d(4, 5), "2000", CaseStatus.LAPSED)
    _case(ana, client(ana, "Karla", "Solís"), gnp, "GNP-104", d(6, 1), "1200", lost,
          outcome_reason=elsewhere, lost_to=axa, lost_why=CompetitorWhy.COVER)  # fmt: skip
    _case(beto, client(beto, "Gloria", "Núñez"), gnp, "GNP-201", d(4, 15), "4000", won, "4000")
    _case(beto, client(beto, "Hugo", "Ortiz"), qualitas, "QUA-202", d(4, 25), "1000",
          CaseStatus.OPEN)  # fmt: skip
    _case(beto, client(beto, "Irene", "Paz"), qualitas, "QUA-203", d(5, 2), "1500", won, "1500")
    _case(beto, client(beto, "Jorge", "Ríos"), qualitas, "QUA-204", d(5, 12), "2500", lost,
          outcome_reason=elsewhere, lost_to=axa, lost_why=CompetitorWhy.PRICE)  # fmt: skip
    # Not counted: cancelled, another team's, ending next year.
    _case(beto, client(beto, "Olga", "Luna"), gnp, "GNP-299", d(4, 20), "900",
          CaseStatus.CANCELLED)  # fmt: skip
    _case(carla, client(carla, "Pablo", "Reyes"), gnp, "GNP-301", d(3, 1), "9000", won, "9000")
    _case(ana, client(ana, "Luis", "Vidal"), gnp, "GNP-105", d(1, 15, year + 1), "800", won,
          "800")  # fmt: skip
    _case(beto, client(beto, "Marta", "Gil"), qualitas, "QUA-205", d(1, 20, year + 1), "700",
          lost, outcome_reason=elsewhere, lost_to=axa)  # fmt: skip
    # Last year, for the "Last year" column: one won of two.
    _case(ana, elena, gnp, "GNP-001", d(3, 5, year - 1), "500", won, "500")
    _case(ana, elena, gnp, "GNP-002", d(3, 6, year - 1), "500", lost,
          outcome_reason=LostReason.PRICE)  # fmt: skip
    return {"year": year, "manager": manager, "ana": ana, "beto": beto, "gnp": gnp}


def _expect_rows(section, rows, totals):
    """The table's rows and totals, cell by cell as the page writes them."""
    lines = section.get_by_test_id("report-row")
    expect(lines).to_have_count(len(rows))
    for line, cells in zip(lines.all(), rows, strict=True):
        expect(line.locator("td")).to_have_text(cells)
    expect(section.get_by_test_id("report-totals").locator("td")).to_have_text(totals)


def _chart(page, canvas_id):
    """Waits for chart.js to have drawn on the canvas; its labels and first series."""
    page.wait_for_function(
        "id => typeof Chart !== 'undefined' && Chart.getChart(document.getElementById(id))"
        " !== undefined",
        arg=canvas_id,
    )
    return page.evaluate(
        "id => { const c = Chart.getChart(document.getElementById(id));"
        " return {type: c.config.type, labels: c.data.labels,"
        " first: c.data.datasets[0].data}; }",
        canvas_id,
    )


def _query(url):
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _expect_cases(page, numbers_and_names):
    rows = page.get_by_test_id("renewal-row")
    expect(rows).to_have_count(len(numbers_and_names))
    for row, (number, name) in zip(rows.all(), numbers_and_names, strict=True):
        expect(row.locator("td").nth(0)).to_have_text(name)
        expect(row.locator("td").nth(1)).to_contain_text(number)


def test_a_manager_reads_the_renewal_rate_filters_it_and_follows_figures_to_the_cases(
    page, live_server, book
):
    year, gnp = book["year"], book["gnp"]
    foreign = _watch_hosts(page, live_server)
    _sign_in(page, book["manager"].username)

    # The dashboard opens on the renewal rate of this year, by month of expiry.
    page.get_by_role("link", name="Dashboard").click()
    expect(page).to_have_url(re.compile(r"/reports/renewals/$"))
    tabs = page.get_by_test_id("report-tabs")
    expect(tabs.get_by_role("link", name="Renewal rate")).to_have_attribute("aria-current", "page")
    expect(page.locator("#start")).to_have_value(f"{year}-01-01")
    expect(page.locator("#end")).to_have_value(f"{year}-12-31")
    section = page.get_by_test_id("report-renewals")
    expect(section.get_by_test_id("report-table").locator("thead tr").first).to_contain_text(
        "Month of expiry"
    )
    _expect_rows(
        section,
        [
            [f"{year}-03", "2", "1", "1", "0", "0", "50.0 %", "100.0 %", "27.5 %", "4,000.00",
             "1,100.00", "50.0 %"],
            [f"{year}-04", "3", "1", "0", "1", "0", "33.3 %", "33.3 %", "57.1 %", "7,000.00",
             "4,000.00", "—"],
            [f"{year}-05", "2", "1", "1", "0", "0", "50.0 %", "50.0 %", "37.5 %", "4,000.00",
             "1,500.00", "—"],
            [f"{year}-06", "1", "0", "1", "0", "0", "0.0 %", "0.0 %", "0.0 %", "1,200.00",
             "0.00", "—"],
        ],
        ["Total", "8", "3", "3", "1", "0", "37.5 %", "42.9 %", "40.7 %", "16,200.00",
         "6,600.00", "50.0 %"],
    )  # fmt: skip
    chart = _chart(page, "chart-renewals")
    assert chart == {
        "type": "line",
        "labels": [f"{year}-03", f"{year}-04", f"{year}-05", f"{year}-06"],
        "first": [50.0, 33.3, 50.0, 0.0],
    }

    # By agent, through the form: the URL keeps the filter, the table and chart follow.
    form = page.get_by_test_id("report-filters")
    form.locator("#by").select_option(label="Agent")
    form.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"[?&]by=agent(&|$)"))
    expect(form.locator("#by")).to_have_value("agent")
    expect(section.get_by_test_id("report-table").locator("thead tr").first).to_contain_text(
        "Agent"
    )
    _expect_rows(
        section,
        [
            ["Ana Ruiz", "4", "1", "2", "1", "0", "25.0 %", "33.3 %", "15.3 %", "7,200.00",
             "1,100.00", "50.0 %"],
            ["Beto Soto", "4", "2", "1", "0", "0", "50.0 %", "50.0 %", "61.1 %", "9,000.00",
             "5,500.00", "—"],
        ],
        ["Total", "8", "3", "3", "1", "0", "37.5 %", "42.9 %", "40.7 %", "16,200.00",
         "6,600.00", "50.0 %"],
    )  # fmt: skip
    assert _chart(page, "chart-renewals") == {
        "type": "bar", "labels": ["Ana Ruiz", "Beto Soto"], "first": [25.0, 50.0],
    }  # fmt: skip

    # Then one insurer: both filters stay in the URL and in the form.
    form.locator("#insurer").select_option(label="GNP Seguros")
    form.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(rf"[?&]insurer={gnp.pk}(&|$)"))
    query = _query(page.url)
    assert query["by"] == "agent" and query["insurer"] == str(gnp.pk)
    assert (query["start"], query["end"]) == (f"{year}-01-01", f"{year}-12-31")
    expect(form.locator("#by")).to_have_value("agent")
    expect(form.locator("#insurer")).to_have_value(str(gnp.pk))
    _expect_rows(
        section,
        [
            ["Ana Ruiz", "3", "1", "1", "1", "0", "33.3 %", "33.3 %", "26.2 %", "4,200.00",
             "1,100.00", "50.0 %"],
            ["Beto Soto", "1", "1", "0", "0", "0", "100.0 %", "100.0 %", "100.0 %", "4,000.00",
             "4,000.00", "—"],
        ],
        ["Total", "4", "2", "1", "1", "0", "50.0 %", "50.0 %", "62.2 %", "8,200.00",
         "5,100.00", "50.0 %"],
    )  # fmt: skip
    assert _chart(page, "chart-renewals")["first"] == [33.3, 100.0]
    dashboard_url = page.url

    # Beto's "won" figure opens exactly his GNP renewal won this year, with the report's
    # filters said on the list.
    beto_row = section.get_by_test_id("report-row").filter(has_text="Beto Soto")
    beto_row.locator("td").nth(2).get_by_role("link", name="1", exact=True).click()
    expect(page).to_have_url(re.compile(r"/renewals/\?"))
    expect(page.get_by_test_id("renewals-heading")).to_be_visible()
    _expect_cases(page, [("GNP-201", "Gloria Núñez")])
    expect(page.get_by_test_id("renewal-count")).to_have_text("1 renewal")
    applied = page.get_by_test_id("report-filters-applied")
    expect(applied).to_contain_text(f"ending {year}-01-01 – {year}-12-31")
    filters = page.get_by_test_id("renewal-filters")
    expect(filters.locator("select[name=status]")).to_have_value("won")
    expect(filters.locator("select[name=agent]")).to_have_value(str(book["beto"].pk))
    expect(filters.locator("select[name=insurer]")).to_have_value(str(gnp.pk))

    # Back on the dashboard, the total "won" opens both GNP renewals won this year (not
    # next year's, not another team's).
    page.go_back()
    expect(page).to_have_url(dashboard_url)
    totals = section.get_by_test_id("report-totals")
    totals.locator("td").nth(2).get_by_role("link", name="2", exact=True).click()
    expect(page).to_have_url(re.compile(r"/renewals/\?"))
    _expect_cases(page, [("GNP-101", "Elena Campos"), ("GNP-201", "Gloria Núñez")])
    expect(page.get_by_test_id("report-filters-applied")).to_contain_text(
        f"ending {year}-01-01 – {year}-12-31"
    )
    expect(page.get_by_test_id("renewal-filters").locator("select[name=agent]")).to_have_value("")

    # The lost renewals tab, by reason and by the insurer that won them.
    page.go_back()
    expect(page).to_have_url(dashboard_url)
    tabs.get_by_role("link", name="Lost renewals").click()
    # The tab keeps the filters (the insurer), not the grouping; then the insurer is cleared.
    expect(page).to_have_url(re.compile(rf"/reports/lost/\?.*insurer={gnp.pk}"))
    expect(tabs.get_by_role("link", name="Lost renewals")).to_have_attribute("aria-current", "page")
    form = page.get_by_test_id("report-filters")
    expect(form.locator("select[name=insurer]")).to_have_value(str(gnp.pk))
    form.locator("select[name=insurer]").select_option("")
    form.get_by_role("button", name="Show").click()
    expect(page).not_to_have_url(re.compile(r"insurer=\d"))
    by_reason = page.get_by_test_id("report-lost-reason")
    _expect_rows(
        by_reason,
        [
            ["Renewed with another insurer", "2", "66.7 %", "3,700.00", "0"],
            ["Price", "1", "33.3 %", "3,000.00", "1"],
        ],
        ["Total", "3", "100.0 %", "6,700.00", "1"],
    )
    _expect_rows(
        page.get_by_test_id("report-lost-insurer"),
        [["AXA Seguros", "2", "100.0 %", "3,700.00", "Cheaper premium (1 of 2)"]],
        ["Total", "2", "100.0 %", "3,700.00", "Cheaper premium (1 of 2)"],
    )
    assert _chart(page, "chart-lost-reason") == {
        "type": "bar", "labels": ["Renewed with another insurer", "Price"], "first": [2, 1],
    }  # fmt: skip

    # The reason's count opens the two cases renewed elsewhere this year.
    elsewhere = by_reason.get_by_test_id("report-row").filter(
        has_text="Renewed with another insurer"
    )
    elsewhere.locator("td").nth(1).get_by_role("link", name="2", exact=True).click()
    expect(page).to_have_url(re.compile(r"/renewals/\?"))
    _expect_cases(page, [("QUA-204", "Jorge Ríos"), ("GNP-104", "Karla Solís")])
    applied = page.get_by_test_id("report-filters-applied")
    expect(applied).to_contain_text(f"ending {year}-01-01 – {year}-12-31")
    expect(applied).to_contain_text("Renewed with another insurer")
    expect(page.get_by_test_id("renewal-filters").locator("select[name=status]")).to_have_value(
        "lost"
    )

    assert foreign == []


def test_a_range_that_ends_before_it_starts_is_said_and_the_default_year_shown(
    page, live_server, book
):
    year = book["year"]
    foreign = _watch_hosts(page, live_server)
    _sign_in(page, book["manager"].username)

    response = page.goto(f"/reports/renewals/?start={year}-05-01&end={year}-01-01&by=agent")
    assert response.status == 200
    expect(page.get_by_role("alert")).to_contain_text(
        "The range ended before it started; the default range is used."
    )
    expect(page.locator("#start")).to_have_value(f"{year}-01-01")
    expect(page.locator("#end")).to_have_value(f"{year}-12-31")
    expect(page.locator("#by")).to_have_value("agent")
    section = page.get_by_test_id("report-renewals")
    expect(section.get_by_test_id("report-row")).to_have_count(2)
    expect(section.get_by_test_id("report-totals").locator("td").nth(1)).to_have_text("8")
    assert _chart(page, "chart-renewals")["labels"] == ["Ana Ruiz", "Beto Soto"]

    assert foreign == []
