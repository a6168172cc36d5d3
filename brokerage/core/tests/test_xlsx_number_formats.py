"""Numbers in the .xlsx exports are numbers with number formats: a percentage is the fraction
Excel expects (0.5 shown as 50.0 %), an amount a number shown as an amount, a date a date;
text stays text (IDs and phones are never turned into numbers)."""

import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from brokerage.core.exports import (
    DATE_FORMAT,
    MONEY_FORMAT,
    PERCENT_FORMAT,
    money,
    percent,
    xlsx_response,
)
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory
from renewals.jobs import renewals_morning_job
from renewals.ladders import DEFAULT_RUNGS, validate_rungs
from renewals.models import CaseStatus, Ladder
from renewals.tests.factories import RenewalCaseFactory

pytestmark = pytest.mark.django_db

D = datetime.date


def _sheet(response, title=None):
    book = load_workbook(io.BytesIO(response.content))
    return book[title] if title else book.active


def _column(sheet, header: str):
    """The cells under a header, by the header's text."""
    heads = [c.value for c in sheet[1]]
    index = heads.index(header)
    return [row[index] for row in sheet.iter_rows(min_row=2)]


def test_the_writer_keeps_numbers_numbers_with_their_formats():
    response = xlsx_response(
        filename="t.xlsx",
        sheet="T",
        header=["a", "b", "c", "d", "e", "f", "g"],
        rows=[[percent(50), money(Decimal("1234.5")), Decimal("9.99"), D(2026, 12, 1), 7,
               "0123", "=1+1"]],
    )  # fmt: skip
    a, b, c, d, e, f, g = _sheet(response)[2]
    assert (a.data_type, a.value, a.number_format) == ("n", 0.5, PERCENT_FORMAT)
    assert (b.data_type, b.value, b.number_format) == ("n", 1234.5, MONEY_FORMAT)
    assert (c.data_type, c.value, c.number_format) == ("n", 9.99, MONEY_FORMAT)
    assert (d.is_date, d.value.date(), d.number_format) == (True, D(2026, 12, 1), DATE_FORMAT)
    assert (e.data_type, e.value) == ("n", 7)
    assert (f.data_type, f.value) == ("s", "0123")
    assert (g.data_type, g.value) == ("s", "=1+1")


def test_an_empty_percentage_is_an_empty_cell():
    response = xlsx_response(filename="t.xlsx", sheet="T", header=["a"], rows=[[percent(None)]])
    assert _sheet(response)["A2"].value is None


@pytest.fixture
def world():
    manager = UserFactory(roles=["manager"])
    team = TeamFactory(name="Norte", manager=manager)
    for first, won in (("Ana", True), ("Beto", False)):
        agent = UserFactory(roles=["agent"], team=team, first_name=first, last_name="Ruiz")
        holder = ClientFactory(owner=agent)
        policy = PolicyFactory(holder=holder, agent=agent, premium=Decimal("800.00"),
                               end_date=D(2026, 3, 10), start_date=D(2025, 3, 10))  # fmt: skip
        if won:
            new = PolicyFactory(holder=holder, agent=agent, written_on=D(2026, 3, 1),
                                premium=Decimal("1000.00"), previous_policy=policy)  # fmt: skip
            RenewalCaseFactory(policy=policy, status=CaseStatus.WON, new_policy=new)
        else:
            RenewalCaseFactory(policy=policy, status=CaseStatus.LOST)
    return {"manager": manager}


@pytest.mark.parametrize("view", ["renewals", "premium", "pipeline", "lost", "agents"])
def test_every_report_export_writes_numbers_with_number_formats(client, world, view):
    client.force_login(world["manager"])
    response = client.get(
        f"/reports/{view}/", {"start": "2026-01-01", "end": "2026-12-31", "export": "xlsx"}
    )
    book = load_workbook(io.BytesIO(response.content))
    for sheet in book.worksheets:
        for row in sheet.iter_rows(min_row=2, min_col=2):
            for cell in row:
                assert (
                    cell.value is None
                    or cell.data_type == "n"
                    or not any(ch.isdigit() for ch in str(cell.value))
                ), (view, sheet.title, cell.coordinate, cell.value)
                if cell.value is not None and cell.data_type == "n":  # each figure, its format
                    assert cell.number_format != "General", (view, sheet.title, cell.coordinate)
                if cell.number_format == PERCENT_FORMAT:
                    assert 0 <= cell.value <= 1, (view, sheet.title, cell.coordinate)


def test_the_renewal_rate_export_writes_rates_as_fractions_and_amounts_as_amounts(client, world):
    client.force_login(world["manager"])
    response = client.get(
        "/reports/renewals/",
        {"start": "2026-01-01", "end": "2026-12-31", "by": "agent", "export": "xlsx"},
    )
    sheet = _sheet(response)
    rates = [c for c in _column(sheet, "Policies") if c.value is not None]
    assert rates and all(c.data_type == "n" and c.number_format == PERCENT_FORMAT for c in rates)
    assert {c.value for c in rates} <= {0, 0.5, 1}
    heads = [c.value for c in sheet[1]]
    money_heads = [h for h in heads if h and "(MXN)" in h]
    assert money_heads
    for head in money_heads:
        for cell in _column(sheet, head):
            assert cell.data_type == "n" and cell.number_format == MONEY_FORMAT


def test_the_renewal_list_export_writes_amounts_and_dates(client):
    Ladder.objects.update_or_create(
        code="design-card",
        defaults={"name": "30/25/15", "rungs": validate_rungs(DEFAULT_RUNGS), "is_default": True},
    )
    manager = UserFactory(roles=["manager", "maintainer"])
    agent = UserFactory(roles=["agent"], team=TeamFactory(manager=manager))
    end = timezone.localdate() + datetime.timedelta(days=30)
    PolicyFactory(holder=ClientFactory(owner=agent), number="MINE-1", premium=Decimal("12500.00"),
                  start_date=end - datetime.timedelta(days=365), end_date=end)  # fmt: skip
    renewals_morning_job(day=timezone.localdate())
    client.force_login(manager)
    sheet = _sheet(client.get("/renewals/export.xlsx"))
    (premium,) = _column(sheet, "Last year's premium")
    assert (premium.data_type, premium.value, premium.number_format) == (
        "n", 12500, MONEY_FORMAT,
    )  # fmt: skip
    (ends,) = _column(sheet, "End date")
    assert (ends.is_date, ends.number_format) == (True, DATE_FORMAT)
