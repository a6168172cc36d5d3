"""The renewal rate page drawn without its distinct counts of clients, which a fragment of the
same view and filters fills right after: the same counts as before, the same access rules."""

import datetime
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from brokerage.accounts.tests.factories import UserFactory
from clients.tests.factories import ClientFactory
from renewals.models import CaseStatus
from reports.filters import ReportFilters
from reports.renewal_rate import TOTAL, client_cell_id, renewal_rates
from reports.tests.test_renewal_rate import _case

pytestmark = pytest.mark.django_db

URL = "/reports/renewals/"
FRAGMENT = "/reports/renewals/clients/"
D = datetime.date
YEAR = {"start": "2026-01-01", "end": "2026-12-31"}


@pytest.fixture
def book(teams):
    ana, beto, carla = teams.ana, teams.beto, teams.carla
    h1, h2, h3 = ClientFactory(owner=ana), ClientFactory(owner=ana), ClientFactory(owner=beto)
    _case(ana, h1, D(2026, 3, 10), "1000", CaseStatus.WON, "1100")
    _case(ana, h1, D(2026, 3, 20), "3000", CaseStatus.LOST)
    _case(ana, h2, D(2026, 4, 5), "2000", CaseStatus.LAPSED)
    _case(beto, h3, D(2026, 4, 15), "4000", CaseStatus.WON, "4000")
    _case(beto, h3, D(2026, 4, 25), "1000", CaseStatus.WON, "1000")
    south = [ClientFactory(owner=carla) for _ in range(3)]
    for n, holder in enumerate(south):
        _case(carla, holder, D(2026, 3, 1 + n), "9000", CaseStatus.WON, "9000")
    _case(carla, south[0], D(2026, 5, 1), "9000", CaseStatus.LOST)
    return teams


def _full(user, by, **params):
    """What renewal_rates counted before the page deferred its clients (clients=True)."""
    filters = ReportFilters.from_query({**YEAR, "by": by, **params}, user=user)
    figures = renewal_rates(user=user, filters=filters)
    counts = {row.key: (row.clients_due, row.clients_won) for row in figures["rows"]}
    counts[TOTAL] = (figures["totals"].clients_due, figures["totals"].clients_won)
    return counts


@pytest.mark.parametrize("by", ["month", "agent"])
@pytest.mark.parametrize("who", ["manager", "admin"])
def test_the_fragment_counts_the_clients_as_the_full_figures_do(client, book, who, by):
    user = book.manager if who == "manager" else UserFactory(roles=["admin"])
    client.force_login(user)
    page = client.get(URL, {**YEAR, "by": by})
    html = page.content.decode()
    rows = page.context["figures"]["rows"]
    assert rows and all(row.clients_due is None for row in rows)
    # Every client-rate cell waits, with a placeholder, for the fragment named on the page.
    ids = [client_cell_id(row.key) for row in rows] + [client_cell_id(TOTAL)]
    for dom_id in ids:
        assert f'<span id="{dom_id}" class="text-body-secondary" data-pending>counting…</span>' in (
            html
        )
    url = page.context["tables"][0].deferred_url
    assert f'hx-get="{url.replace("&", "&amp;")}" hx-trigger="load, report-retry"' in html

    fragment = client.get(url)
    assert fragment.status_code == 200
    assert fragment.context["counts"] == _full(user, by)
    body = fragment.content.decode()
    assert sorted(re.findall(r'<span id="([^"]+)" hx-swap-oob="true">', body)) == sorted(ids)


def test_the_fragment_gives_the_rates_the_export_gives(client, book):
    client.force_login(book.manager)
    body = client.get(FRAGMENT, {**YEAR, "by": "agent"}).content.decode()
    # Ana: h1 and h2 counted, h1 won; Beto: h3 counted and won; the total: 3 counted, 2 won.
    cells = dict(re.findall(r'<span id="([^"]+)" hx-swap-oob="true">\s*(.*?)\s*</span>', body))
    assert cells == {
        client_cell_id(book.ana.pk): "50.0 %", client_cell_id(book.beto.pk): "100.0 %",
        "client-rate-total": "66.7 %",
    }  # fmt: skip
    # The export counts them in full, in the page's own column.
    response = client.get(URL, {**YEAR, "by": "agent", "export": "xlsx"})
    rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(response.content)).active
            .iter_rows()]  # fmt: skip
    column = rows[0].index("Clients")
    assert [(r[0], r[column]) for r in rows[1:]] == [
        ("Ana Ruiz", 0.5),
        ("Beto Soto", 1),
        ("Total", pytest.approx(0.667)),
    ]


def test_another_teams_figures_cannot_be_read_through_the_fragment(client, book):
    client.force_login(book.manager)
    own = client.get(FRAGMENT, {**YEAR, "by": "agent"}).context["counts"]
    assert book.carla.pk not in own and own[TOTAL] == (3, 2)
    for params in ({"team": book.south.pk}, {"agent": book.carla.pk}):
        counts = client.get(FRAGMENT, {**YEAR, "by": "agent", **params}).context["counts"]
        # The filter naming another team is set aside: the manager's own book, never Carla's.
        assert counts == own
    client.force_login(book.other_manager)
    south = client.get(FRAGMENT, {**YEAR, "by": "agent"}).context["counts"]
    assert south == {book.carla.pk: (3, 3), TOTAL: (3, 3)}


def test_agents_cannot_open_the_fragment(client, book):
    for role in ("agent", "maintainer"):
        client.force_login(UserFactory(roles=[role]))
        assert client.get(FRAGMENT, YEAR).status_code == 403
    client.logout()
    assert client.get(FRAGMENT, YEAR).status_code == 302


@pytest.mark.parametrize("who", ["manager", "admin"])
def test_the_page_counts_no_client_and_both_run_a_fixed_number_of_queries(
    client, book, who, django_assert_max_num_queries
):
    client.force_login(book.manager if who == "manager" else UserFactory(roles=["admin"]))
    with CaptureQueriesContext(connection) as page:
        client.get(URL, {**YEAR, "by": "agent"})
    assert not any("COUNT(DISTINCT" in q["sql"].upper() for q in page.captured_queries)
    with CaptureQueriesContext(connection) as fragment:
        client.get(FRAGMENT, {**YEAR, "by": "agent"})
    assert sum("COUNT(DISTINCT" in q["sql"].upper() for q in fragment.captured_queries) == 1
    for n in range(12):
        agent = (book.ana, book.beto, book.carla)[n % 3]
        _case(agent, ClientFactory(owner=agent), D(2026, 1 + n, 3), "100", CaseStatus.WON, "100")
    with django_assert_max_num_queries(len(page)):
        client.get(URL, {**YEAR, "by": "agent"})
    with django_assert_max_num_queries(len(fragment)):
        client.get(FRAGMENT, {**YEAR, "by": "agent"})


def test_the_whole_books_clients_by_agent_come_from_the_index_alone_in_agent_order(client, book):
    """The fragment's distinct count by agent for those who see the whole book reads the cases
    from renewal_client_agent_cover (reports' migration 0010) alone, already in agent and
    holder order: no heap read and no sort of the period's cases before the count. (The
    planner picks a plan by the table's size; sequential, bitmap and plain index scans are
    turned off so that the test's few cases are read as a large book's are.)"""
    client.force_login(UserFactory(roles=["admin"]))
    with CaptureQueriesContext(connection) as fragment:
        counts = client.get(FRAGMENT, {**YEAR, "by": "agent"}).context["counts"]
    assert counts[TOTAL] == (6, 5)
    (sql,) = [q["sql"] for q in fragment.captured_queries if "COUNT(DISTINCT" in q["sql"]]
    with connection.cursor() as cursor:
        for scan in ("seqscan", "bitmapscan", "indexscan"):  # index-only scans stay on
            cursor.execute(f"SET LOCAL enable_{scan} = off")
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using renewal_client_agent_cover" in plan, plan
    assert "Sort" not in plan, plan
