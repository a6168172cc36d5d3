"""What a browser walk of the import pages found (issue 14): policy numbers as the reports
wrote them, no doubled period after the date, a damaged workbook's message wholly in the
reader's language, and a language's name as a Spanish sentence writes it."""

import datetime
import logging
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from brokerage.accounts.tests.factories import UserFactory
from brokerage.core.languages import language_name_in_sentence
from imports.models import ImportJob, JobStatus
from imports.reader import ReportError, read_table
from imports.services import commit, job_create
from imports.tests.conftest import row, workbook
from imports.tests.test_damaged_workbook import XLSX, _damaged

pytestmark = pytest.mark.django_db


def _import(hdi, by, rows):
    job, _table = job_create(insurer=hdi, by=by, name="vencimientos.xlsx", data=workbook(rows))
    return commit(job)


def test_the_lists_since_the_last_import_show_numbers_as_the_report_wrote_them(client, hdi):
    user = UserFactory(roles=["maintainer"])
    _import(hdi, user, [row(1), row(2)])
    # The same policy 2, written another way: matched by its normal form, neither new nor gone.
    job = _import(hdi, user, [row(2, **{"No. de Póliza": "HDI 00002"}), row(3)])
    assert job.diff["new"] == ["HDI-00003"]
    assert job.diff["gone"] == ["HDI-00001"]
    assert (job.diff["new_count"], job.diff["gone_count"]) == (1, 1)
    client.force_login(user)
    listed = client.get(f"/imports/{job.pk}/").content.decode()
    listed = listed.split('data-testid="import-diff"', 1)[1].split("</ul>", 1)[0]
    assert "HDI-00003" in listed and "HDI-00001" in listed
    assert "HDI00003" not in listed and "HDI00001" not in listed


@pytest.mark.parametrize("language", ["en", "es", "zh-hans"])
def test_the_import_date_is_not_followed_by_a_second_period(client, hdi, language):
    user = UserFactory(roles=["maintainer"], language=language)
    job, _table = job_create(insurer=hdi, by=user, name="v.xlsx", data=workbook([row(1)]))
    # An afternoon: English writes "3:27 p.m.", its own period.
    finished = timezone.make_aware(datetime.datetime(2026, 3, 12, 15, 27))
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.DONE, finished_at=finished)
    client.force_login(user)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    done = page.split('data-testid="import-done">', 1)[1].split("</div>", 1)[0].strip()
    if language == "en":
        assert done.endswith("p.m.")
    assert ".." not in done
    assert not re.search(r"\.\s*。", done)


def test_a_damaged_sheet_is_named_without_the_readers_english_text(caplog):
    data = _damaged(workbook([row(n) for n in range(1, 300)]), 0.5)
    with caplog.at_level(logging.WARNING, logger="imports.reader"):
        with pytest.raises(ReportError) as raised:
            read_table(data, "vencimientos.xlsx")
    logged = [r.getMessage() for r in caplog.records if r.name == "imports.reader"]
    assert logged and "Damaged workbook" in logged[0]
    reason = logged[0].split(": ", 1)[1]  # calamine's own words, kept for the log
    assert reason and reason not in str(raised.value)
    assert str(raised.value) == "The workbook is damaged: its sheet “Sheet” cannot be read."


@pytest.mark.parametrize("language", ["en", "es", "zh-hans"])
def test_a_damaged_upload_says_so_in_words_of_the_readers_language_only(
    client, hdi, language, caplog
):
    client.force_login(UserFactory(roles=["maintainer"], language=language))
    data = _damaged(workbook([row(1), row(2)]), 0.5)
    with caplog.at_level(logging.WARNING, logger="imports.reader"):
        response = client.post(
            "/imports/", {"insurer": hdi.pk, "file": SimpleUploadedFile("v.xlsx", data, XLSX)}
        )  # fmt: skip
    page = response.content.decode()
    reason = next(r for r in caplog.records if r.name == "imports.reader").args[-1]
    assert str(reason) and str(reason) not in page
    with translation.override(language):
        expected = translation.gettext(
            "The workbook is damaged: its sheet “%(sheet)s” cannot be read."
        ) % {"sheet": "Sheet"}
    assert expected in page
    assert not ImportJob.objects.exists()


def test_an_unopenable_workbook_says_so_in_spanish_without_the_readers_text(caplog):
    with translation.override("es"), caplog.at_level(logging.WARNING, logger="imports.reader"):
        from imports.reader import _workbook

        with pytest.raises(ReportError) as raised:
            _workbook(b"PK\x03\x04 not a workbook at all")
    assert str(raised.value) == "El libro está dañado: no se puede abrir."
    assert any("not opened" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("reader", "code", "expected"),
    [("es", "en", "inglés"), ("es", "zh-hans", "chino simplificado"), ("es", "es", "español"),
     ("en", "es", "Spanish"), ("en", "zh-hans", "Simplified Chinese")],
)  # fmt: skip
def test_a_language_name_is_written_as_mid_sentence(reader, code, expected):
    with translation.override(reader):
        assert language_name_in_sentence(code) == expected


def test_the_spanish_read_as_line_writes_the_language_in_lower_case(client, hdi):
    user = UserFactory(roles=["maintainer"], language="es")
    job, _table = job_create(insurer=hdi, by=user, name="v.xlsx", data=workbook([row(1)]))
    ImportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.PREVIEWED,
        preview={"fields": [], "rows": [],
                 "read_as": {"region": "MX", "currency": "MXN", "language": "en"}},
    )  # fmt: skip
    client.force_login(user)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    line = page.split('data-testid="read-as">', 1)[1].split("</div>", 1)[0]
    assert "inglés" in line
    assert "Inglés" not in line
