"""Workbooks as insurers really send them (issue 14, part 1, "Excel quirks"): merged title
cells above the header, several sheets (the maintainer chooses one, remembered for the
insurer), formulas read as their cached values, dates and numbers stored as text, trailing
empty rows and columns."""

import datetime
import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from brokerage.accounts.tests.factories import UserFactory
from imports.models import ColumnMapping, ImportJob, JobStatus, RowError
from imports.services import commit, job_create
from imports.tests.conftest import HEADER, row
from policies.models import Policy

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _saved(book, cached: dict[str, str] | None = None) -> bytes:
    """The workbook's bytes; ``cached`` gives formulas the value Excel would have stored with
    them (openpyxl writes formulas without one)."""
    buffer = io.BytesIO()
    book.save(buffer)
    if not cached:
        return buffer.getvalue()
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as patched:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                text = content.decode()
                for formula, value in cached.items():
                    kind = "" if re.fullmatch(r"[\d.]+", value) else ' t="str"'
                    text = re.sub(
                        rf'<c r="(\w+)"><f>{re.escape(formula)}</f><v ?/>',
                        lambda m, k=kind, v=value, f=formula: (
                            f'<c r="{m.group(1)}"{k}><f>{f}</f><v>{v}</v>'
                        ),
                        text,
                    )
                content = text.encode()
            patched.writestr(item, content)
    return out.getvalue()


def test_a_real_looking_workbook_imports_every_row_and_nothing_else(hdi, maintainer):
    book = Workbook()
    sheet = book.active
    sheet.title = "Vencimientos"
    # A title merged across the header's width, on two rows, and a blank row.
    sheet.append(["HDI Seguros — Reporte de vencimientos"])
    sheet.append([""])
    sheet.merge_cells(start_row=1, start_column=1, end_row=2, end_column=len(HEADER))
    sheet.append([])
    sheet.append([*HEADER, " ", None, " "])  # trailing empty columns in the header
    sheet.append(row(1, **{"Prima Total": "=12000+500", "Modelo": '=CONCAT("Ver","sa")'}))
    sheet.append(row(2, **{"Fin de vigencia": "2026-12-01", "Prima Total": "12500.50",
                           "Año": "2021"}))  # fmt: skip
    sheet.append(row(3, **{"Fin de vigencia": "2026年12月1日", "No. de Póliza": 30045}))
    sheet.append(row(4, **{"Inicio de vigencia": datetime.date(2025, 12, 1),
                           "Fin de vigencia": datetime.date(2026, 12, 1)}))  # fmt: skip
    for _blank in range(3):
        sheet.append([" "] * (len(HEADER) + 3))  # trailing rows with nothing in them
    sheet.cell(row=60, column=len(HEADER) + 5, value=" ")
    data = _saved(book, {"12000+500": "12500", 'CONCAT("Ver","sa")': "Versa"})

    job, table = job_create(insurer=hdi, by=maintainer, name="hdi.xlsx", data=data)
    assert (job.sheet, job.header_row) == ("Vencimientos", 4)
    assert table.headers == HEADER  # the empty columns at the end are not columns
    job = commit(job)
    assert (job.created, job.errors) == (4, 0), list(RowError.objects.values_list("reason"))
    assert job.total_rows == 4  # the empty rows at the end are not rows
    first = Policy.objects.get(number="HDI-00001")
    assert first.premium == Decimal("12500.00")  # the formula's cached value
    assert first.vehicles.get().model == "Versa"
    second = Policy.objects.get(number="HDI-00002")
    assert second.premium == Decimal("12500.50") and second.vehicles.get().year == 2021
    assert second.end_date == datetime.date(2026, 12, 1)
    third = Policy.objects.get(number="30045")  # a number cell, not "30045.0"
    assert third.end_date == datetime.date(2026, 12, 1)
    fourth = Policy.objects.get(number="HDI-00004")
    assert (fourth.start_date, fourth.end_date) == (
        datetime.date(2025, 12, 1), datetime.date(2026, 12, 1)
    )  # fmt: skip


def _three_sheets() -> bytes:
    book = Workbook()
    summary = book.active
    summary.title = "Resumen"
    summary.append(["Total de pólizas", 3])
    cars = book.create_sheet("Autos")
    cars.append(HEADER)
    cars.append(row(1))
    cars.append(row(2))
    life = book.create_sheet("Vida")
    life.append(["Reporte de vida"])
    life.append(HEADER)
    life.append(row(7, Ramo="Vida"))
    return _saved(book)


def test_the_maintainer_chooses_the_sheet_and_it_is_remembered_for_the_insurer(
    client, hdi, django_capture_on_commit_callbacks
):
    client.force_login(UserFactory(roles=["maintainer"]))
    data = _three_sheets()
    client.post("/imports/", {"insurer": hdi.pk, "file": SimpleUploadedFile("r.xlsx", data, XLSX)})
    job = ImportJob.objects.get()
    assert job.sheet == "Autos"  # the first sheet with a header
    page = client.get(f"/imports/{job.pk}/mapping/").content.decode()
    assert 'data-testid="sheet-form"' in page and "HDI-00001" in page
    response = client.post(f"/imports/{job.pk}/sheet/", {"sheet": "Vida"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.sheet, job.header_row) == ("Vida", 2)
    page = client.get(f"/imports/{job.pk}/mapping/")
    assert "HDI-00007" in page.content.decode() and "HDI-00001" not in page.content.decode()
    form = page.context["form"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{job.pk}/mapping/", {n: form[n].initial or "" for n in form.fields})
    job.refresh_from_db()
    assert job.status == JobStatus.PREVIEWED and job.created == 1
    assert job.preview["rows"][0]["number"] == "HDI-00007"
    assert ColumnMapping.objects.get(insurer=hdi).sheet == "Vida"
    # The insurer's next report: read from the sheet chosen last time.
    client.post("/imports/", {"insurer": hdi.pk, "file": SimpleUploadedFile("s.xlsx", data, XLSX)})
    assert ImportJob.objects.order_by("-pk").first().sheet == "Vida"


def test_a_sheet_without_a_header_is_refused_with_its_name(client, hdi):
    client.force_login(UserFactory(roles=["maintainer"]))
    data = _three_sheets()
    client.post("/imports/", {"insurer": hdi.pk, "file": SimpleUploadedFile("r.xlsx", data, XLSX)})
    job = ImportJob.objects.get()
    response = client.post(f"/imports/{job.pk}/sheet/", {"sheet": "Resumen"}, follow=True)
    assert "No header row found in the sheet “Resumen”" in response.content.decode()
    job.refresh_from_db()
    assert job.sheet == "Autos"


@pytest.mark.parametrize("sheet", ["²", "Autos\x00", "9999-12-31", "", "x" * 5000])
def test_a_sheet_the_file_does_not_have_is_a_message_and_changes_nothing(client, hdi, sheet):
    client.force_login(UserFactory(roles=["maintainer"]))
    upload = SimpleUploadedFile("r.xlsx", _three_sheets(), XLSX)
    client.post("/imports/", {"insurer": hdi.pk, "file": upload})
    job = ImportJob.objects.get()
    response = client.post(f"/imports/{job.pk}/sheet/", {"sheet": sheet}, follow=True)
    assert response.status_code == 200
    assert "The file has no sheet" in response.content.decode()
    job.refresh_from_db()
    assert job.sheet == "Autos"
