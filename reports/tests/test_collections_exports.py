"""The collections view in the .xlsx export and the dashboard's PDF, and on the agent's own
page ("My figures": their collections this month)."""

import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from billing.models import InstalmentStatus as S
from billing.models import PromiseStatus
from brokerage.core.models import ExportRecord
from reports.models import DashboardPrint, PrintStatus

from .collection_factories import PromiseFactory, RiskFactory, instalment, policy_of

pytestmark = pytest.mark.django_db

URL = "/reports/collections/"


def day(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


@pytest.fixture
def book(teams):
    a1 = policy_of(teams.ana)
    instalment(a1, 1, -40, "1000.00", S.PAID, "1000.00")
    late = instalment(a1, 2, -10, "1234.50", S.PARTLY_PAID, "234.50")
    PromiseFactory(instalment=late, promised_on=day(-2), status=PromiseStatus.BROKEN)
    RiskFactory(instalment=late)
    b1 = policy_of(teams.beto)
    instalment(b1, 1, -70, "2000.00", S.OVERDUE)
    return teams


def _period(**more):
    return {"start": day(-90).isoformat(), "end": day(0).isoformat(), **more}


def test_the_xlsx_export_holds_every_table_with_its_figures_and_is_recorded(client, book):
    client.force_login(book.manager)
    response = client.get(URL, _period(export="xlsx"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    sheets = {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in workbook}
    rate = next(rows for title, rows in sheets.items() if title.startswith("Collection rate"))
    assert rate[0][:7] == ["Agent", "Due", "Paid in full", "Rate (count)", "Amount due (MXN)",
                           "Collected (MXN)", "Rate (amount)"]  # fmt: skip
    # Percentages are stored as fractions (shown with %), money as numbers.
    assert rate[1][:7] == ["Ana Ruiz", 2, 1, 0.5, 2234.5, 1234.5, 0.552]
    assert rate[2][:7] == ["Beto Soto", 1, 0, 0, 2000, 0, 0]
    assert rate[3][:3] == ["Total", 3, 1]
    aging = next(rows for title, rows in sheets.items() if title.startswith("Aging"))
    assert aging[0][2] == "1–30 days" and aging[1][2] == 1000 and aging[2][4] == 2000
    assert len(sheets) == 4
    record = ExportRecord.objects.get(user=book.manager)
    assert record.what == "report:collections" and record.rows == 2 + 2 + 1 + 1


def test_the_dashboard_pdf_holds_the_collections_figures(
    client, book, django_capture_on_commit_callbacks
):
    client.force_login(book.manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/reports/prints/", _period())
    printed = DashboardPrint.objects.get()
    assert printed.status == PrintStatus.DONE
    pdf = b"".join(client.get(f"{response['Location']}download/").streaming_content)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for words in ("Collections", "Collection rate: due against collected",
                  "Aging of what is still owed", "Promises to pay: kept against broken",
                  "Policies at risk of cancellation", "paid in full ÷ due",
                  "collected ÷ amount due", "2,234.50", "55.2 %", "33.3 %"):  # fmt: skip
        assert words in text, words


def test_an_agent_sees_their_collections_this_month_on_their_own_page(client, teams):
    first = timezone.localdate().replace(day=1)
    since = (timezone.localdate() - first).days  # days from the 1st to today
    mine = policy_of(teams.ana)
    instalment(mine, 1, -since, "1000.00", S.PAID, "1000.00")
    on_first = instalment(mine, 2, -since, "500.00", S.OVERDUE if since else S.PENDING)
    instalment(mine, 3, -since - 5, "300.00", S.OVERDUE)  # last month: overdue, not this month
    PromiseFactory(instalment=on_first, promised_on=first, status=PromiseStatus.KEPT)
    PromiseFactory(instalment=on_first, promised_on=first, status=PromiseStatus.BROKEN)
    PromiseFactory(instalment=on_first, promised_on=first, status=PromiseStatus.BROKEN)
    instalment(policy_of(teams.beto), 1, -since, "7000.00", S.OVERDUE)  # a teammate's
    client.force_login(teams.ana)
    response = client.get("/reports/mine/", {"view": "collections", "agent": teams.beto.pk})
    assert response.status_code == 200
    tables = {t.slug: t for t in response.context["tables"]}
    rate = tables["collections-rate"].totals.values
    assert (rate["due"], rate["paid"], rate["count_rate"]) == (2, 1, Decimal("50.0"))
    assert (rate["due_amount"], rate["collected"]) == (Decimal("1500.00"), Decimal("1000.00"))
    assert rate["amount_rate"] == Decimal("66.7")
    overdue = tables["collections-aging"].totals.values["overdue"]
    assert overdue == Decimal("300.00") + (Decimal("500.00") if since else 0)
    promises = tables["collections-promises"].totals.values
    assert (promises["kept"], promises["broken"]) == (1, 2)
    assert [r.label for r in tables["collections-rate"].rows] == ["Ana Ruiz"]
    body = response.content.decode()
    # The tab opens on this month; the other tabs keep the page's range.
    assert 'href="/reports/mine/?view=collections"' in body
    assert f"start={first.isoformat()}" in body and 'href="/reports/collections/?' not in body
    # Each figure opens the agent's own instalments only.
    listed = client.get(tables["collections-rate"].totals.links["due"]).context["page"]
    assert listed.paginator.count == 2 and {i.policy.agent for i in listed} == {teams.ana}


def test_an_agent_may_export_their_own_collections(client, teams):
    instalment(policy_of(teams.ana), 1, 0, "800.00")
    instalment(policy_of(teams.beto), 1, 0, "900.00")
    client.force_login(teams.ana)
    response = client.get("/reports/mine/", {"view": "collections", "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[1][:2] == ["Ana Ruiz", 1] and rows[1][4] == 800
