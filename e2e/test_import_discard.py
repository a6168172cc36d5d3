"""A maintainer uploads a report, leaves it unmapped, and discards it from the list: the
browser asks for confirmation, the import leaves the list and its file is deleted; uploading
the same file again opens the import already there (issue 14)."""

import re
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from playwright.sync_api import expect

from brokerage.accounts.tests.factories import PASSWORD, UserFactory
from imports.models import ImportJob, JobStatus
from imports.tests.conftest import row, workbook
from policies.tests.factories import InsurerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _upload(page, path):
    page.goto("/imports/")
    page.locator("#id_insurer").select_option(label="HDI Seguros")
    page.locator("#id_file").set_input_files(str(path))
    page.get_by_test_id("upload-submit").click()
    expect(page).to_have_url(re.compile(r"/imports/\d+/mapping/$"))


def test_a_maintainer_discards_an_upload_left_unmapped(page, tmp_path):
    InsurerFactory(name="HDI Seguros", code="hdi")
    maintainer = UserFactory(username="marisol", roles=["maintainer"])
    path = Path(tmp_path) / "hdi-diciembre.xlsx"
    path.write_bytes(workbook([row(n) for n in range(1, 6)]))
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(maintainer.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    _upload(page, path)
    _upload(page, path)  # the same file again: the same import, and a word saying so
    expect(page.get_by_text("You had already uploaded this file")).to_be_visible()
    job = ImportJob.objects.get()
    stored = job.file.name

    page.goto("/imports/")
    page.get_by_test_id("import-jobs").get_by_test_id("discard").click()
    expect(page.get_by_test_id("discard-confirm")).to_contain_text("hdi-diciembre.xlsx")
    page.get_by_test_id("discard-submit").click()

    expect(page).to_have_url(re.compile(r"/imports/$"))
    expect(page.get_by_text("The import of “hdi-diciembre.xlsx” was discarded.")).to_be_visible()
    expect(page.get_by_test_id("import-jobs")).to_contain_text("No import yet.")
    job.refresh_from_db()
    assert (job.status, job.discarded_by) == (JobStatus.DISCARDED, maintainer)
    assert not default_storage.exists(stored)
