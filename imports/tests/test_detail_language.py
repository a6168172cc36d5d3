"""The import page reads in its reader's language: the fields a re-import changed are named by
their labels, and a stopped job's reason is one sentence (a full-width colon in Chinese)."""

import pytest
from django.utils import translation

from brokerage.accounts.tests.factories import UserFactory
from imports.models import ImportJob, JobStatus
from imports.services import commit, job_create
from imports.tests.conftest import row, workbook
from policies.models import Policy

pytestmark = pytest.mark.django_db


def _job(hdi, by, data):
    job, _table = job_create(insurer=hdi, by=by, name="vencimientos.xlsx", data=data)
    return job


def test_a_chinese_reader_sees_the_changed_fields_by_their_chinese_labels(client, hdi):
    uploader = UserFactory(roles=["maintainer"], language="es")
    reader = UserFactory(roles=["maintainer"], language="zh-hans")
    commit(_job(hdi, uploader, workbook([row(1), row(2)])))
    job = commit(_job(hdi, uploader, workbook([row(1, **{"Prima Total": "13.100,00"}), row(2)])))
    assert job.diff["changed"] == {"HDI-00001": {"premium": ["12500.00", "13100.00"]}}
    with translation.override("zh-hans"):
        label = str(Policy._meta.get_field("premium").verbose_name)
    assert label != "premium"
    client.force_login(reader)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    changed = page.split('data-testid="changed-policies"', 1)[1].split("</ul>", 1)[0]
    assert f"HDI-00001 — {label} 12500.00 → 13100.00" in changed
    assert "premium" not in changed


@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh-hans", "导入已中止：磁盘已满。"), ("es", "La importación se detuvo: disco lleno."),
     ("en", "The import stopped: disk full.")],
)  # fmt: skip
def test_a_stopped_import_says_why_in_one_sentence(client, hdi, language, expected):
    reader = UserFactory(roles=["maintainer"], language=language)
    job = _job(hdi, reader, workbook([row(1)]))
    message = {"zh-hans": "磁盘已满", "es": "disco lleno", "en": "disk full"}[language]
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, message=message)
    client.force_login(reader)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert expected in page


def test_the_dry_runs_first_rows_write_amounts_as_the_reader_writes_them(client, hdi):
    reader = UserFactory(roles=["maintainer"], language="zh-hans")
    job = _job(hdi, reader, workbook([row(1, **{"Prima Total": "1250000.5"})]))
    ImportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.PREVIEWED,
        preview={"fields": [], "rows": [{"row": 4, "number": "HDI-1", "premium": "1250000.50",
                                         "currency": "CNY"}]},
    )  # fmt: skip
    client.force_login(reader)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    rows = page.split('data-testid="preview-rows"', 1)[1].split("</table>", 1)[0]
    assert "1,250,000.50 CNY" in rows


def test_a_list_of_errors_and_warnings_says_which_rows_were_imported(client, hdi):
    from imports.models import RowError, RowLevel

    reader = UserFactory(roles=["maintainer"])
    job = _job(hdi, reader, workbook([row(1)]))
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.PREVIEWED, errors=1)
    RowError.objects.create(job=job, row=4, reason="x", code="amount_empty")
    client.force_login(reader)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "Rows with errors<" in page
    RowError.objects.create(job=job, row=5, reason="y", code="phone_empty", level=RowLevel.WARNING)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "Rows with errors (left out) or warnings (imported)" in page
