"""Row errors that come from Django validators (e-mail, VIN, a policy's dates) are stored as a
code and its parameters, like the parsers' own, and read in the reader's language (issue 13,
item 11); the validators keep their messages for the forms."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from brokerage.accounts.tests.factories import UserFactory
from imports.errors import TEMPLATES, render
from imports.models import RowError
from imports.services import dry_run, job_create
from imports.tests.conftest import row, workbook
from policies.models import policy_date_errors
from policies.tests.factories import make_vin
from policies.validators import validate_vin

pytestmark = pytest.mark.django_db


def _bad_check_digit() -> str:
    vin = make_vin(7)
    return vin[:8] + ("1" if vin[8] != "1" else "2") + vin[9:]


def _dry_run(hdi, rows, language="es"):
    uploader = UserFactory(roles=["maintainer"], language=language)
    with translation.override(language):
        job, _table = job_create(insurer=hdi, by=uploader, name="v.xlsx", data=workbook(rows))
        return dry_run(job)


def test_validator_errors_are_stored_as_codes_with_their_parameters(hdi):
    vin = _bad_check_digit()
    job = _dry_run(hdi, [
        row(1, **{"Número de serie": vin}),
        row(2, **{"Número de serie": "1HGCM82633A00435O"}),
        row(3, **{"Número de serie": "1HGCM8263"}),
        row(4, **{"Número de serie": "1HGCM82633A0043#5"}),
        row(5, **{"Inicio de vigencia": "01/12/2026", "Fin de vigencia": "01/12/2025"}),
        row(6, **{"Inicio de vigencia": "01/12/2010", "Fin de vigencia": "01/12/2026"}),
    ])  # fmt: skip
    stored = {e.row: (e.code, e.params) for e in RowError.objects.filter(job=job)}
    assert stored == {
        3: ("vin_check_digit", {"got": vin[8], "expected": make_vin(7)[8]}),
        4: ("vin_letter", {"position": 17, "char": "O"}),
        5: ("vin_length", {"count": 9}),
        6: ("vin_character", {"position": 16, "char": "#"}),
        7: ("end_not_after_start", {}),
        8: ("term_too_long", {"years": 10}),
    }
    assert all(code in TEMPLATES for code, _params in stored.values())


def test_a_bad_email_is_stored_as_a_code(hdi, settings):
    from imports import expiry

    record, issues = expiry.parse_row(
        2, {"policy_number": "P-1", "holder_name": "Ana", "end_date": "2026-12-01",
            "premium": "100", "email": "ana@"},
        {"email": "Correo"}, expiry.ReadContext("MX", "MXN", "es"),
    )  # fmt: skip
    assert record is None
    assert [(i.column, i.code, i.params) for i in issues] == [
        ("Correo", "email_invalid", {"value": "ana@"})
    ]
    with translation.override("en"):
        assert render(issues[0].code, issues[0].params) == "Not an e-mail address: ana@."


def test_an_error_recorded_in_spanish_reads_in_chinese_for_a_chinese_reader(hdi, client):
    vin = _bad_check_digit()
    job = _dry_run(hdi, [
        row(1, **{"Número de serie": vin}),
        row(2, **{"Inicio de vigencia": "01/12/2026", "Fin de vigencia": "01/12/2025"}),
    ])  # fmt: skip
    errors = list(RowError.objects.filter(job=job))
    assert "dígito verificador" in errors[0].reason  # as the Spanish uploader read it
    with translation.override("zh-hans"):
        texts = [e.text for e in errors]
    assert texts[0].startswith("校验位（第 9 位）为“") and f"“{vin[8]}”" in texts[0]
    assert texts[1] == "到期日期必须晚于起保日期。"
    reader = UserFactory(roles=["maintainer"], language="zh-hans")
    client.force_login(reader)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "到期日期必须晚于起保日期。" in page and "dígito verificador" not in page


def test_the_validators_keep_their_messages_for_the_forms():
    with pytest.raises(ValidationError) as caught:
        validate_vin("1HGCM8263")
    assert caught.value.messages == ["A VIN has 17 characters; this one has 9."]
    import datetime

    errors = policy_date_errors(start=datetime.date(2026, 1, 1), end=datetime.date(2025, 1, 1))
    assert errors == {"end_date": "The end date must be after the start date."}
