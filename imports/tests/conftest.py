import io

import pytest
from openpyxl import Workbook

from brokerage.accounts.tests.factories import UserFactory
from policies.tests.factories import InsurerFactory
from renewals.ladders import DEFAULT_RUNGS, validate_rungs
from renewals.models import Ladder

HEADER = ["No. de Póliza", "Asegurado", "RFC", "Teléfono", "Inicio de vigencia",
          "Fin de vigencia", "Prima Total", "Ramo", "Número de serie", "Placas", "Marca",
          "Modelo", "Año"]  # fmt: skip


def row(n, **over):
    values = {
        "No. de Póliza": f"HDI-{n:05d}", "Asegurado": f"Cliente {n} Pérez",
        "RFC": f"PEPC{n:06d}AB1",
        "Teléfono": f"55 {1000 + n % 9000:04d} {n % 10000:04d}", "Inicio de vigencia": "01/12/2025",
        "Fin de vigencia": "01/12/2026", "Prima Total": "$12,500.00", "Ramo": "Autos",
        "Número de serie": "", "Placas": f"ABC{n:04d}", "Marca": "Nissan", "Modelo": "Versa",
        "Año": 2022,
    }  # fmt: skip
    values.update(over)
    return [values[h] for h in HEADER]


def workbook(rows, *, title_rows=("Reporte de vencimientos",), header=HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    for title in title_rows:
        sheet.append([title])
    sheet.append(list(header))
    for r in rows:
        sheet.append(list(r))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def hdi(db):
    return InsurerFactory(name="HDI Seguros", code="hdi")


@pytest.fixture
def maint(db):
    return UserFactory(roles=["maintainer"])


@pytest.fixture
def ladder(db):
    """The default 30/25/15 ladder (flushed away in transactional tests, so made here): the
    imported policies entering it get their renewal cases."""
    Ladder.objects.update_or_create(
        code="design-card",
        defaults={"name": "30/25/15", "rungs": validate_rungs(DEFAULT_RUNGS), "is_default": True},
    )
