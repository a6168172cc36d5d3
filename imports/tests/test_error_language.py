"""Row errors are stored as a code and its parameters and read in the reader's language
(issue 13, item 11), whatever language the uploader or the worker used."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.utils import translation
from openpyxl import load_workbook

from brokerage.accounts.tests.factories import UserFactory
from imports.errors import TEMPLATES, RowProblem
from imports.models import ImportJob, RowError
from imports.parsing import parse_amount, parse_date, parse_phone
from imports.tests.conftest import row, workbook

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _dry_run_as(client, user, hdi, rows):
    client.force_login(user)
    data = SimpleUploadedFile("vencimientos.xlsx", workbook(rows), XLSX)
    client.post("/imports/", {"insurer": hdi.pk, "file": data})
    job = ImportJob.objects.get()
    form = client.get(f"/imports/{job.pk}/mapping/").context["form"]
    with TestCase.captureOnCommitCallbacks(execute=True):  # the dry run's task
        client.post(f"/imports/{job.pk}/mapping/", {n: form[n].initial or "" for n in form.fields})
    return job


def test_it_shows_an_error_recorded_in_spanish_in_chinese_to_a_chinese_reader(client, hdi):
    uploader = UserFactory(roles=["maintainer"], language="es")
    reader = UserFactory(roles=["maintainer"], language="zh-hans")
    job = _dry_run_as(client, uploader, hdi, [row(1, **{"Prima Total": "mucho"})])
    error = RowError.objects.get(job=job)
    assert (error.code, error.params) == ("amount_not_an_amount", {"value": "mucho"})
    assert error.reason == "No es un importe: mucho."  # as the uploader read it
    client.force_login(reader)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "不是金额：mucho。" in page and "No es un importe" not in page
    response = client.get(f"/imports/{job.pk}/errors.xlsx")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1][3] == "不是金额：mucho。"


def test_it_shows_an_error_stored_before_codes_as_it_was_stored(client, hdi):
    reader = UserFactory(roles=["maintainer"], language="zh-hans")
    job = _dry_run_as(client, reader, hdi, [row(1)])
    RowError.objects.create(job=job, row=7, column="Prima", value="x", reason="Viejo motivo.")
    ImportJob.objects.filter(pk=job.pk).update(errors=1)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "Viejo motivo." in page
    response = client.get(f"/imports/{job.pk}/errors.xlsx")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[-1][3] == "Viejo motivo."


@pytest.mark.parametrize(
    ("parse", "value", "code"),
    [
        (parse_date, "32/13/2026", "date_not_real"),
        (parse_date, "mañana", "date_unknown_shape"),
        (parse_amount, "-5", "amount_negative"),
        (parse_amount, "1e12", "amount_not_an_amount"),
        (parse_phone, "12", "phone_invalid"),
    ],
)
def test_it_raises_each_parsing_error_as_a_code_rendered_in_the_reader_language(parse, value, code):
    with translation.override("es"), pytest.raises(RowProblem) as caught:
        parse(value)
    assert caught.value.code == code and code in TEMPLATES
    with translation.override("en"):
        english = str(caught.value)
    with translation.override("zh-hans"):
        chinese = str(caught.value)
    assert english == str(TEMPLATES[code]) % caught.value.params
    assert chinese != english


def test_it_marks_a_duplicate_row_and_a_missing_value_with_codes(client, hdi):
    reader = UserFactory(roles=["maintainer"], language="es")
    job = _dry_run_as(client, reader, hdi, [row(1), row(1), row(2, **{"Prima Total": None})])
    codes = dict(RowError.objects.filter(job=job).values_list("row", "code"))
    assert codes == {4: "duplicate_policy", 5: "missing"}
    with translation.override("en"):
        texts = [e.text for e in RowError.objects.filter(job=job)]
    assert texts == ["The same policy as row 3.", "This value is missing."]
