"""A maintainer uploads a workbook as Excel saves one (issue 14): its table starts below empty
rows and a title, at column C, with shared strings, real dates and amounts. The upload reads
the header and the sample from the sheet's XML as it comes (imports.sheet_stream), without
loading the sheet: the mapping page shows the rows as the import reads them, dates as dates,
in the maintainer's language, and the dry run, on a real Celery worker, reads every row (the
stream's, then calamine's) with no row error. A screenshot of each language's mapping page
goes to e2e/artifacts/ for a person to read."""

import datetime
import io
import re

import pytest
from celery.contrib.testing.worker import start_worker
from openpyxl import Workbook
from playwright.sync_api import expect

from brokerage.accounts.tests.factories import PASSWORD, UserFactory
from imports import reader
from imports.models import ImportJob, RowError
from imports.tests.conftest import HEADER
from policies.tests.factories import InsurerFactory

from .conftest import ARTIFACTS

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = 120
FIRST_ROWS = {"en": "The file's first rows", "es": "Las primeras filas del archivo",
              "zh-hans": "文件的前几行"}  # fmt: skip


def _report() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Vencimientos"
    sheet["C3"] = "Reporte de vencimientos — HDI Seguros"
    for column, header in enumerate(HEADER, start=3):
        sheet.cell(row=5, column=column, value=header)
    for n in range(1, ROWS + 1):
        values = [
            f"HDI-{n:05d}", f"Cliente {n} Pérez", f"PEPC{n:06d}AB1", f"55 {1000 + n:04d} {n:04d}",
            datetime.date(2025, 12, 1), datetime.date(2026, 12, 1 + n % 28), 12500.5 + n, "Autos",
            "", f"ABC{n:04d}", "Nissan", "Versa", 2022,
        ]  # fmt: skip
        for column, value in enumerate(values, start=3):
            sheet.cell(row=5 + n, column=column, value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("language", ["en", "es", "zh-hans"])
def test_a_workbook_as_excel_saves_it_is_mapped_and_dry_run_from_its_stream(
    browser, live_server, celery_live, tmp_path, monkeypatch, language
):
    InsurerFactory(name="HDI Seguros", code="hdi")
    maintainer = UserFactory(username="marisol", roles=["maintainer"], language=language)
    path = tmp_path / "hdi-diciembre.xlsx"
    path.write_bytes(_report())
    loads = []
    real_load = reader._Sheet._load

    def load(sheet, key=None):
        loads.append(sheet.name)
        return real_load(sheet, key)

    monkeypatch.setattr(reader._Sheet, "_load", load)
    celery_live.control.purge()
    locale = {"en": "en-US", "es": "es-MX", "zh-hans": "zh-CN"}[language]
    context = browser.new_context(base_url=live_server.url, locale=locale)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(maintainer.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.goto("/imports/")
    page.locator("#id_insurer").select_option(label="HDI Seguros")
    page.locator("#id_file").set_input_files(str(path))
    page.get_by_test_id("upload-submit").click()

    expect(page).to_have_url(re.compile(r"/imports/\d+/mapping/$"))
    assert loads == []  # the request read the header and the sample from the stream alone
    expect(page.locator("#id_policy_number")).to_have_value("No. de Póliza")
    expect(page.locator("#id_end_date")).to_have_value("Fin de vigencia")
    expect(page.get_by_role("heading", name=FIRST_ROWS[language])).to_be_visible()
    sample = page.locator("table.small tbody tr")
    expect(sample).to_have_count(5)
    expect(sample.first).to_contain_text("HDI-00001")
    expect(sample.first).to_contain_text("2026-12-02")  # a date, not Excel's day number
    expect(sample.first).to_contain_text("12501.5")
    job = ImportJob.objects.get()
    assert (job.header_row, job.sheet) == (5, "Vencimientos")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"import-streamed-mapping-{language}.png"), full_page=True)

    page.get_by_test_id("mapping-submit").click()
    expect(page).to_have_url(re.compile(r"/imports/\d+/$"))
    with start_worker(celery_live, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        expect(page.get_by_test_id("count-new")).to_have_text(str(ROWS), timeout=30_000)
    expect(page.get_by_test_id("count-errors")).to_have_text("0")
    assert not RowError.objects.filter(level="error").exists()
    page.screenshot(path=str(ARTIFACTS / f"import-streamed-dry-run-{language}.png"), full_page=True)
    context.close()
