"""A maintainer imports an insurer's expiry report in the browser: upload, map, dry run,
commit, and the progress bars of the dry run and the commit running to the end on a real
Celery worker."""

import re
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from playwright.sync_api import expect

from brokerage.accounts.tests.factories import PASSWORD, UserFactory
from imports.models import ImportJob, JobStatus
from imports.tests.conftest import HEADER, row, workbook
from policies.models import Policy
from policies.tests.factories import InsurerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_maintainer_uploads_maps_previews_and_imports_a_report(page, celery_live, tmp_path):
    InsurerFactory(name="HDI Seguros", code="hdi")
    maintainer = UserFactory(username="marisol", roles=["maintainer"])
    # "Ref" is a header Cartera does not know: the maintainer maps it to the policy number.
    header = ["Ref", *HEADER[1:]]
    rows = [row(n) for n in range(1, 41)] + [row(41, **{"Prima Total": "doce mil"})]
    path = Path(tmp_path) / "hdi-noviembre.xlsx"
    path.write_bytes(workbook(rows, header=header))
    celery_live.control.purge()

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(maintainer.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/imports/")
    page.locator("#id_insurer").select_option(label="HDI Seguros")
    page.locator("#id_file").set_input_files(str(path))
    page.get_by_test_id("upload-submit").click()

    expect(page).to_have_url(re.compile(r"/imports/\d+/mapping/$"))
    expect(page.locator("#id_end_date")).to_have_value("Fin de vigencia")
    expect(page.locator("#id_policy_number")).to_have_value("")
    page.locator("#id_policy_number").select_option("Ref")
    page.get_by_test_id("mapping-submit").click()

    # The dry run is queued: the page shows its progress until a worker has run it.
    expect(page).to_have_url(re.compile(r"/imports/\d+/$"))
    expect(page.get_by_test_id("import-progress")).to_be_visible()
    assert ImportJob.objects.get().status == JobStatus.CHECK_QUEUED
    with start_worker(celery_live, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        expect(page.get_by_test_id("count-new")).to_have_text("40", timeout=30_000)
    expect(page.get_by_test_id("count-errors")).to_have_text("1")
    expect(page.get_by_test_id("row-errors")).to_contain_text("Not an amount: doce mil.")
    assert not Policy.objects.exists()

    page.get_by_test_id("commit").click()
    expect(page.get_by_test_id("import-progress")).to_be_visible()
    assert ImportJob.objects.get().status == JobStatus.QUEUED
    with start_worker(celery_live, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        expect(page.get_by_test_id("import-done")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("import-status")).to_have_text("Done")
    assert Policy.objects.count() == 40
