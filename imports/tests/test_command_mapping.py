"""Which columns the shell import reads: the insurer's saved mapping, else the suggestion
made with confidence for every required field, else it stops and says what it saw."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from brokerage.accounts.tests.factories import UserFactory
from imports.models import ColumnMapping
from imports.tests.conftest import workbook
from policies.models import Policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def maint(db):
    return UserFactory(roles=["maintainer"])


def _run(tmp_path, maint, header, rows):
    path = tmp_path / "report.xlsx"
    path.write_bytes(workbook(rows, header=header))
    out = io.StringIO()
    call_command("import_report", str(path), "--insurer", "hdi", "--user", maint.username,
                 stdout=out)  # fmt: skip
    return out.getvalue()


def test_it_uses_the_insurers_saved_mapping(hdi, maint, tmp_path):
    ColumnMapping.objects.create(insurer=hdi, kind="expiry", updated_by=maint, columns={
        "policy_number": "Ref", "holder_name": "Asegurado", "end_date": "Cuando",
        "premium": "Cuanto",
    })  # fmt: skip
    header = ["Ref", "Asegurado", "Cuando", "Cuanto", "Prima neta"]  # not the suggested premium
    out = _run(tmp_path, maint, header, [["R-1", "Ana López", "01/12/2026", "1500", "9"]])
    assert "saved mapping" in out
    assert out.strip().splitlines()[-1] == "created=1 updated=0 unchanged=0 errors=0"
    assert str(Policy.objects.get().premium) == "1500.00"


def test_it_imports_with_a_suggestion_found_with_confidence(hdi, maint, tmp_path):
    header = ["Núm. de póliza:", "Nombre del\u00a0contratante", "Fecha de\ntérmino",
              "Prima neta (MXN)", "Ejecutivo", "Tel. celular"]  # fmt: skip
    rows = [["R-1", "Ana López", "01/12/2026", "1500", "Laura", "55 1234 5678"]]
    out = _run(tmp_path, maint, header, rows)
    assert "suggested from the headers" in out
    assert out.strip().splitlines()[-1] == "created=1 updated=0 unchanged=0 errors=0"
    policy = Policy.objects.get()
    assert policy.number == "R-1" and policy.currency == "MXN"
    saved = ColumnMapping.objects.get(insurer=hdi).columns
    assert saved["end_date"] == "Fecha de\ntérmino" and "agent" not in saved


def test_it_stops_listing_the_missing_fields_and_the_headers_it_saw(hdi, maint, tmp_path):
    header = ["Póliza", "Asegurado", "Fin de vigencia", "Primaje", "Ejecutivo"]
    with pytest.raises(CommandError) as raised:
        _run(tmp_path, maint, header, [["R-1", "Ana López", "01/12/2026", "1500", "Laura"]])
    message = str(raised.value)
    assert "No column for:" in message
    assert "Premium (closest: “Primaje”, score 83)" in message
    assert "Headers in the file: “Póliza”, “Asegurado”, “Fin de vigencia”, “Primaje”, " \
           "“Ejecutivo”" in message  # fmt: skip
    assert "Policy number" not in message
    assert not Policy.objects.exists()
    assert not ColumnMapping.objects.exists()
