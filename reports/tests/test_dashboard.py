"""The dashboard as a whole: who opens which view, the .xlsx exports, the PDF of the whole
dashboard, the agent's own page and the navigation."""

import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from brokerage.core.models import ExportRecord
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory
from renewals.models import CaseStatus
from renewals.tests.factories import RenewalCaseFactory
from reports.models import DashboardPrint, PrintStatus

pytestmark = pytest.mark.django_db

D = datetime.date
VIEWS = ("renewals", "premium", "pipeline", "lost", "agents", "collections", "claims")


@pytest.fixture
def world():
    manager = UserFactory(roles=["manager"])
    team = TeamFactory(name="Norte", manager=manager)
    ana = UserFactory(roles=["agent"], team=team, first_name="Ana", last_name="Ruiz")
    beto = UserFactory(roles=["agent"], team=team, first_name="Beto", last_name="Soto")
    for agent in (ana, beto):
        holder = ClientFactory(owner=agent)
        policy = PolicyFactory(holder=holder, agent=agent, premium=Decimal("800.00"),
                               end_date=D(2026, 3, 10), start_date=D(2025, 3, 10))  # fmt: skip
        new = PolicyFactory(holder=holder, agent=agent, written_on=D(2026, 3, 1),
                            premium=Decimal("1000.00"), previous_policy=policy)  # fmt: skip
        RenewalCaseFactory(policy=policy, status=CaseStatus.WON, new_policy=new)
    return {"manager": manager, "ana": ana, "beto": beto,
            "maintainer": UserFactory(roles=["maintainer"]),
            "admin": UserFactory(roles=["admin"])}  # fmt: skip


@pytest.mark.parametrize("view", VIEWS)
def test_agents_and_maintainers_cannot_open_a_managers_view(client, world, view):
    for who in ("ana", "maintainer"):
        client.force_login(world[who])
        assert client.get(f"/reports/{view}/").status_code == 403
        assert client.get(f"/reports/{view}/", {"export": "xlsx"}).status_code == 403
    assert client.post("/reports/prints/").status_code == 403


def test_an_unknown_view_is_not_found(client, world):
    client.force_login(world["manager"])
    assert client.get("/reports/horoscope/").status_code == 404


@pytest.mark.parametrize("view", VIEWS)
def test_every_view_opens_for_a_manager_with_its_tabs(client, world, view):
    client.force_login(world["manager"])
    response = client.get(f"/reports/{view}/", {"start": "2026-01-01", "end": "2026-12-31"})
    assert response.context["report"].slug == view
    body = response.content.decode()
    for other in VIEWS:  # the tabs keep the range (and every filter but the grouping)
        assert f'href="/reports/{other}/?start=2026-01-01&amp;end=2026-12-31' in body
    assert 'data-testid="report-table"' in body
    assert "vendor/chartjs/chart.umd.min.js" in body and "cdn" not in body.lower()


def test_the_renewal_rate_exports_to_xlsx_and_is_recorded(client, world):
    client.force_login(world["manager"])
    response = client.get("/reports/renewals/", {"start": "2026-01-01", "end": "2026-12-31",
                                                 "by": "agent", "export": "xlsx"})  # fmt: skip
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == ["Agent", "Due", "Won"]
    assert [r[:3] for r in rows[1:]] == [["Ana Ruiz", 1, 1], ["Beto Soto", 1, 1],
                                         ["Total", 2, 2]]  # fmt: skip
    record = ExportRecord.objects.get(user=world["manager"])
    assert record.what == "report:renewals" and record.rows == 2
    assert record.filters["by"] == "agent"


def test_the_whole_dashboard_prints_as_one_pdf(client, world, django_capture_on_commit_callbacks):
    client.force_login(world["manager"])
    page = client.get("/reports/premium/", {"start": "2026-01-01", "end": "2026-12-31"})
    # The print button posts the page's filters (the default currency is left out).
    assert dict(page.context["print_filters"]) == {"start": "2026-01-01", "end": "2026-12-31"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/reports/prints/", {"start": "2026-01-01", "end": "2026-12-31"})
    printed = DashboardPrint.objects.get()
    assert response["Location"] == f"/reports/prints/{printed.pk}/"
    assert printed.status == PrintStatus.DONE and printed.views_done == printed.views_total == 7
    assert 'data-testid="print-done"' in client.get(response["Location"]).content.decode()
    download = client.get(f"/reports/prints/{printed.pk}/download/")
    assert download["Content-Type"] == "application/pdf"
    pdf = b"".join(download.streaming_content)
    assert pdf.startswith(b"%PDF")
    assert 'filename="cartera-dashboard-2026-01-01-2026-12-31' in download["Content-Disposition"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for title in ("Renewal rate", "Written premium", "Pipeline", "Lost renewals",
                  "Agent performance"):  # fmt: skip
        assert title in text
    assert "Ana Ruiz" in text
    assert ExportRecord.objects.filter(what="report:dashboard.pdf").count() == 1


def test_a_print_in_progress_shows_its_progress_and_belongs_to_who_asked(client, world):
    printed = DashboardPrint.objects.create(user=world["manager"], language="en",
                                            views_total=5, views_done=2)  # fmt: skip
    client.force_login(world["manager"])
    page = client.get(f"/reports/prints/{printed.pk}/").content.decode()
    assert 'data-testid="print-progress"' in page and "2 of 5 views computed." in page
    assert client.get(f"/reports/prints/{printed.pk}/download/").status_code == 404
    other = UserFactory(roles=["manager"])
    client.force_login(other)
    for url in ("", "progress/", "download/"):
        assert client.get(f"/reports/prints/{printed.pk}/{url}").status_code == 404
    printed.status = PrintStatus.FAILED
    printed.save()
    client.force_login(world["manager"])
    assert client.get(f"/reports/prints/{printed.pk}/progress/")["HX-Refresh"] == "true"
    assert (
        'data-testid="print-failed"'
        in client.get(f"/reports/prints/{printed.pk}/").content.decode()
    )


def test_an_agent_sees_only_their_own_figures_on_their_own_page(client, world):
    client.force_login(world["ana"])
    response = client.get("/reports/mine/", {"view": "premium", "by": "month",
                                            "start": "2026-01-01", "end": "2026-12-31",
                                            "agent": world["beto"].pk})  # fmt: skip
    table = response.context["tables"][0]
    assert table.totals.values["policies"] == 1
    assert table.totals.values["premium"] == Decimal("1000.00")
    response = client.get("/reports/mine/", {"view": "renewals", "start": "2026-01-01",
                                            "end": "2026-12-31"})  # fmt: skip
    assert response.context["tables"][0].totals.values["due"] == 1
    assert 'href="/reports/agents/' not in response.content.decode()


def test_the_navigation_leads_managers_to_the_dashboard_and_agents_to_their_figures(client, world):
    client.force_login(world["manager"])
    body = client.get("/reports/premium/").content.decode()
    assert 'href="/reports/renewals/"' in body and 'href="/reports/mine/"' not in body
    assert 'href="/reports/lost/?' in body
    client.force_login(world["ana"])
    body = client.get("/reports/mine/").content.decode()
    assert 'href="/reports/mine/"' in body


def test_a_cell_that_looks_like_a_formula_is_exported_as_text(client, world):
    world["beto"].first_name = "=HYPERLINK(1)"
    world["beto"].save()
    client.force_login(world["manager"])
    response = client.get("/reports/premium/", {"start": "2026-01-01", "end": "2026-12-31",
                                                "by": "agent", "export": "xlsx"})  # fmt: skip
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [c for row in sheet.iter_rows() for c in row if str(c.value).startswith("=")]
    assert cells and all(c.data_type == "s" for c in cells)
