"""The .xlsx exports: the call list, the client list and the renewal list follow the access
rules, are recorded, and never write a formula."""

import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from brokerage.accounts.services import user_set_export_grant
from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from brokerage.core.models import ExportRecord
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory
from renewals.jobs import renewals_morning_job
from renewals.ladders import DEFAULT_RUNGS, validate_rungs
from renewals.models import Ladder

pytestmark = pytest.mark.django_db


def _rows(response):
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    return sheet, list(sheet.iter_rows(values_only=True))


@pytest.fixture
def book():
    Ladder.objects.update_or_create(
        code="design-card",
        defaults={"name": "30/25/15", "rungs": validate_rungs(DEFAULT_RUNGS), "is_default": True},
    )
    manager = UserFactory(roles=["manager"])
    team = TeamFactory(manager=manager)
    mine = UserFactory(roles=["agent"], team=team)
    other = UserFactory(roles=["agent"])
    end = timezone.localdate() + datetime.timedelta(days=30)
    start = end - datetime.timedelta(days=365)
    evil = ClientFactory(owner=mine, first_name='=HYPERLINK("http://x")', last_name="Ruiz")
    PolicyFactory(holder=evil, number="MINE-1", start_date=start, end_date=end)
    PolicyFactory(holder=ClientFactory(owner=other), number="THEIRS-1", start_date=start,
                  end_date=end)  # fmt: skip
    renewals_morning_job(day=timezone.localdate())
    return {"manager": manager, "mine": mine, "other": other, "evil": evil}


def test_the_agent_exports_their_own_call_list_once_their_manager_grants_it(client, book):
    client.force_login(book["mine"])
    assert client.get("/queue/export.xlsx").status_code == 403
    user_set_export_grant(user=book["mine"], by=book["manager"], granted=True)
    sheet, rows = _rows(client.get("/queue/export.xlsx"))
    assert rows[0][:3] == ("Kind", "Item", "Client")
    assert len(rows) == 2 and rows[1][4] == "MINE-1"
    assert sheet["C2"].data_type == "s" and sheet["C2"].value.startswith("=HYPERLINK")
    assert ExportRecord.objects.get().what == "call list"


def test_the_manager_exports_their_teams_renewals_and_clients_only(client, book):
    client.force_login(book["manager"])
    _sheet, rows = _rows(client.get("/renewals/export.xlsx"))
    assert [r[1] for r in rows[1:]] == ["MINE-1"]
    sheet, rows = _rows(client.get("/clients/export.xlsx"))
    assert len(rows) == 2 and sheet["A2"].data_type == "s"
    assert sheet["A2"].value.startswith("=HYPERLINK")
    assert sorted(ExportRecord.objects.values_list("what", flat=True)) == ["clients", "renewals"]


def test_agents_cannot_export_the_renewal_or_client_lists(client, book):
    client.force_login(book["mine"])
    assert client.get("/renewals/export.xlsx").status_code == 403
    assert client.get("/clients/export.xlsx").status_code == 403
    assert not ExportRecord.objects.exists()
