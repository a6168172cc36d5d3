"""A maintainer maps a report whose headers carry line breaks and initials with dots, as
insurers write them ("Fecha de↵término", "R.F.C."): the page suggests each column and the
browser's answer (every line break posted as CRLF) is taken, so the dry run runs."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from brokerage.accounts.tests.factories import PASSWORD, UserFactory
from imports.models import ImportJob, JobStatus
from imports.tests.conftest import HEADER, row, workbook
from policies.tests.factories import InsurerFactory

pytestmark = pytest.mark.django_db(transaction=True)

RENAMED = {
    "No. de Póliza": "Núm. de póliza:",
    "RFC": "R.F.C.",
    "Inicio de vigencia": "Fecha de\ninicio",
    "Fin de vigencia": "Fecha de\ntérmino",
    "Prima Total": "Prima neta (MXN)",
}


def test_a_maintainer_maps_headers_with_line_breaks_and_dots_and_sees_the_dry_run(
    page, tmp_path
):
    InsurerFactory(name="HDI Seguros", code="hdi")
    maintainer = UserFactory(username="marisol", roles=["maintainer"])
    path = Path(tmp_path) / "hdi-diciembre.xlsx"
    path.write_bytes(workbook([row(n) for n in range(1, 6)],
                              header=[RENAMED.get(h, h) for h in HEADER]))  # fmt: skip
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(maintainer.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/imports/")
    page.locator("#id_insurer").select_option(label="HDI Seguros")
    page.locator("#id_file").set_input_files(str(path))
    page.get_by_test_id("upload-submit").click()

    expect(page).to_have_url(re.compile(r"/imports/\d+/mapping/$"))
    expect(page.locator("#id_policy_number")).to_have_value("Núm. de póliza:")
    expect(page.locator("#id_tax_id")).to_have_value("R.F.C.")
    expect(page.locator("#id_start_date")).to_have_value("Fecha de\ninicio")
    expect(page.locator("#id_end_date")).to_have_value("Fecha de\ntérmino")
    expect(page.locator("#id_premium")).to_have_value("Prima neta (MXN)")
    page.get_by_test_id("mapping-submit").click()

    # The mapping is taken (the dry run runs eagerly here): no "not one of the choices".
    expect(page).to_have_url(re.compile(r"/imports/\d+/$"))
    expect(page.get_by_test_id("count-new")).to_contain_text("5")
    job = ImportJob.objects.get()
    assert job.status == JobStatus.PREVIEWED and job.errors == 0
    assert job.columns["end_date"] == "Fecha de\ntérmino"
    assert job.columns["start_date"] == "Fecha de\ninicio"
    assert job.columns["tax_id"] == "R.F.C."


def test_the_next_report_with_the_holder_renamed_comes_mapped_and_an_error_keeps_the_choices(
    page, tmp_path
):
    """The insurer's mapping is saved from a report whose holder column was "Nombre"; the next
    one calls it "Asegurado": the page fills it from the suggestions (as the shell import
    does), and a page back with an error keeps "Fecha de↵término" selected."""
    from imports.models import ColumnMapping, ReportKind

    hdi = InsurerFactory(name="HDI Seguros", code="hdi")
    ColumnMapping.objects.create(
        insurer=hdi, kind=ReportKind.EXPIRY,
        columns={"policy_number": "Núm. de póliza:", "holder_name": "Nombre",
                 "end_date": "Fecha de\ntérmino", "premium": "Prima neta (MXN)"},
    )  # fmt: skip
    maintainer = UserFactory(username="marisol", roles=["maintainer"])
    path = Path(tmp_path) / "hdi-enero.xlsx"
    path.write_bytes(workbook([row(n) for n in range(1, 4)],
                              header=[RENAMED.get(h, h) for h in HEADER]))  # fmt: skip
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(maintainer.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/imports/")
    page.locator("#id_insurer").select_option(label="HDI Seguros")
    page.locator("#id_file").set_input_files(str(path))
    page.get_by_test_id("upload-submit").click()

    expect(page).to_have_url(re.compile(r"/imports/\d+/mapping/$"))
    expect(page.locator("#id_holder_name")).to_have_value("Asegurado")
    expect(page.locator("#id_end_date")).to_have_value("Fecha de\ntérmino")
    # The premium left out by mistake: the page comes back saying so, the rest as chosen.
    page.locator("#id_premium").select_option("")
    page.get_by_test_id("mapping-submit").click()
    expect(page.get_by_text("This field is required.")).to_be_visible()
    expect(page.locator("#id_end_date")).to_have_value("Fecha de\ntérmino")
    expect(page.locator("#id_start_date")).to_have_value("Fecha de\ninicio")

    page.locator("#id_premium").select_option("Prima neta (MXN)")
    page.get_by_test_id("mapping-submit").click()
    expect(page).to_have_url(re.compile(r"/imports/\d+/$"))
    expect(page.get_by_test_id("count-new")).to_contain_text("3")
    assert ImportJob.objects.get().columns["holder_name"] == "Asegurado"
