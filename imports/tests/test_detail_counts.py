"""An import's counts are grouped as the reader's language writes a number: a report of a
hundred thousand rows read "100000" and "20000" on its page and in the list."""

import re

import pytest
from django.utils import formats, translation

from brokerage.accounts.tests.factories import UserFactory
from imports.models import ImportJob, JobStatus
from imports.services import job_create
from imports.tests.conftest import row, workbook

pytestmark = pytest.mark.django_db


def _grouped(number, language):
    with translation.override(language):
        return formats.number_format(number, force_grouping=True)


@pytest.mark.parametrize("language", ["en", "es", "zh-hans"])
@pytest.mark.parametrize("status", [JobStatus.DONE, JobStatus.RUNNING])
def test_the_counts_are_grouped_in_the_readers_language(client, hdi, language, status):
    maintainer = UserFactory(roles=["maintainer"], language=language)
    job, _table = job_create(insurer=hdi, by=maintainer, name="big.xlsx", data=workbook([row(1)]))
    ImportJob.objects.filter(pk=job.pk).update(
        status=status, total_rows=100_000, rows_done=45_000, created=20_000, updated=12_500,
        unchanged=1_000, errors=1_234,
    )  # fmt: skip
    client.force_login(maintainer)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    listing = client.get("/imports/").content.decode()

    for testid, number in (("count-new", 20_000), ("count-updated", 12_500),
                           ("count-unchanged", 1_000), ("count-errors", 1_234)):  # fmt: skip
        shown = re.search(rf'data-testid="{testid}">([^<]*)<', page).group(1)
        assert shown == _grouped(number, language)
        assert f">{_grouped(number, language)}<" in listing
    if status == JobStatus.RUNNING:
        progress = client.get(f"/imports/{job.pk}/progress/").content.decode()
        for number in (45_000, 100_000, 20_000, 12_500):
            assert _grouped(number, language) in progress
    assert _grouped(20_000, language) != "20000"
