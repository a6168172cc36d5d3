"""Headers as the mapping page gets them back from a browser: an option's value posts every line
break as CRLF, so "Fecha de↵término" came back "not one of the available choices" and the
maintainer could not map it. And initials with dots
("R.F.C.", "C.U.R.P.") read as one word, so that they are suggested."""

import pytest

from brokerage.accounts.tests.factories import UserFactory
from imports.fields import normalise_header, suggest_columns
from imports.models import ColumnMapping, ImportJob, JobStatus, ReportKind
from imports.tests.conftest import HEADER, row, workbook
from imports.tests.test_pages import _upload

pytestmark = pytest.mark.django_db

RENAMED = {
    "Inicio de vigencia": "Fecha de\ninicio",
    "Fin de vigencia": "Fecha de\r\ntérmino",
}


def test_it_maps_headers_with_line_breaks_as_a_browser_posts_them(
    client, hdi, django_capture_on_commit_callbacks
):
    client.force_login(UserFactory(roles=["maintainer"]))
    header = [RENAMED.get(h, h) for h in HEADER]
    _upload(client, hdi, workbook([row(1), row(2)], header=header))
    job = ImportJob.objects.get()
    form = client.get(f"/imports/{job.pk}/mapping/").context["form"]
    stored = {name: form[name].initial or "" for name in form.fields}
    # What Chromium posts for these options.
    posted = {
        **stored,
        "start_date": "Fecha de\r\ninicio",
        "end_date": "Fecha de\r\ntérmino",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/imports/{job.pk}/mapping/", posted)

    assert response.status_code == 302, response.context["form"].errors
    job.refresh_from_db()
    assert job.columns["start_date"] == "Fecha de\ninicio"
    assert job.columns["end_date"] == stored["end_date"]
    assert job.status == JobStatus.PREVIEWED and (job.created, job.errors) == (2, 0)


def test_a_value_that_is_no_header_even_so_is_still_refused(client, hdi):
    client.force_login(UserFactory(roles=["maintainer"]))
    _upload(client, hdi, workbook([row(1)]))
    job = ImportJob.objects.get()
    form = client.get(f"/imports/{job.pk}/mapping/").context["form"]
    posted = {name: form[name].initial or "" for name in form.fields}
    posted["end_date"] = "Fin de\r\nvigencia"
    response = client.post(f"/imports/{job.pk}/mapping/", posted)
    assert response.status_code == 200
    assert "is not one of the available choices" in response.content.decode()
    assert ImportJob.objects.get().status == JobStatus.UPLOADED


@pytest.mark.parametrize(
    ("header", "normal", "field"),
    [
        ("R.F.C.", "rfc", "tax_id"),
        ("R. F. C.:", "rfc", "tax_id"),
        ("C.U.R.P.", "curp", "national_id"),
        ("No. de Póliza", "no de poliza", "policy_number"),
    ],
)
def test_initials_with_dots_read_as_one_word(header, normal, field):
    assert normalise_header(header) == normal
    suggestion = suggest_columns([header])[field]
    assert suggestion.header == header and suggestion.confident


def test_a_page_back_with_an_error_keeps_the_headers_with_line_breaks_selected(client, hdi):
    client.force_login(UserFactory(roles=["maintainer"]))
    header = [RENAMED.get(h, h) for h in HEADER]
    _upload(client, hdi, workbook([row(1)], header=header))
    job = ImportJob.objects.get()
    form = client.get(f"/imports/{job.pk}/mapping/").context["form"]
    posted = {name: form[name].initial or "" for name in form.fields}
    posted.update({"start_date": "Fecha de\r\ninicio", "holder_name": ""})  # one left out
    response = client.post(f"/imports/{job.pk}/mapping/", posted)

    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["holder_name"]
    html = response.content.decode()
    assert '<option value="Fecha de\ninicio" selected>' in html
    assert f'<option value="{form["end_date"].value()}" selected>' in html


def test_a_saved_mapping_that_misses_a_required_column_is_completed_by_the_suggestions(
    client, hdi
):
    """The insurer's last report called the holder "Nombre"; this one "Asegurado"."""
    ColumnMapping.objects.create(
        insurer=hdi, kind=ReportKind.EXPIRY,
        columns={"policy_number": "No. de Póliza", "holder_name": "Nombre",
                 "end_date": "Fin de vigencia", "premium": "Prima Total", "plate": "Placas"},
    )  # fmt: skip
    client.force_login(UserFactory(roles=["maintainer"]))
    _upload(client, hdi, workbook([row(1)]))
    job = ImportJob.objects.get()
    form = client.get(f"/imports/{job.pk}/mapping/").context["form"]

    assert form["holder_name"].initial == "Asegurado"
    assert form["policy_number"].initial == "No. de Póliza"
    assert form["plate"].initial == "Placas"
    assert form["tax_id"].initial == "RFC"  # suggested with the holder, as the shell does
