"""A damaged .xlsx (a valid zip whose sheet XML is broken: calamine's XmlError) is refused
with a clear message, never a 500, wherever calamine meets the damage (issue 13, item 19)."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from brokerage.accounts.tests.factories import UserFactory
from imports.models import ImportJob
from imports.reader import ReportError, read_table
from imports.tests.conftest import row, workbook

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _damaged(data: bytes, keep: float) -> bytes:
    """The workbook with its first sheet's XML cut at ``keep`` of its length."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as damaged:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content[: int(len(content) * keep)]
            damaged.writestr(item, content)
    return out.getvalue()


@pytest.mark.parametrize("keep", [0.02, 0.5, 0.97])  # in the header, the rows, near the end
def test_it_reads_a_damaged_sheet_as_a_report_error(keep):
    data = _damaged(workbook([row(n) for n in range(1, 300)]), keep)
    with pytest.raises(ReportError, match="The workbook is damaged"):
        read_table(data, "vencimientos.xlsx")


def test_it_answers_a_damaged_upload_with_a_message(client, hdi):
    client.force_login(UserFactory(roles=["maintainer"]))
    data = _damaged(workbook([row(1), row(2)]), 0.5)
    response = client.post(
        "/imports/", {"insurer": hdi.pk, "file": SimpleUploadedFile("v.xlsx", data, XLSX)},
        follow=True,
    )  # fmt: skip
    assert response.status_code == 200
    assert "The workbook is damaged" in response.content.decode()
    assert not ImportJob.objects.filter(status="previewed").exists()
