"""Reports from another country (issue 14): an insurer's country, currency and clients'
language read what its report does not say; a phone that does not read is a warning on an
imported row, and the client's touches go to the maintainers' "fix contact" queue."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from brokerage.accounts.tests.factories import UserFactory
from clients.models import Client
from imports.models import RowError, RowLevel
from imports.services import commit, dry_run, job_create
from imports.tests.conftest import row, workbook
from policies.models import Policy
from policies.tests.factories import InsurerFactory
from renewals.jobs import renewals_open_and_queue
from renewals.ladders import DEFAULT_RUNGS, validate_rungs
from renewals.models import Ladder
from workqueue.models import Queue, WorkItem

pytestmark = pytest.mark.django_db

SOON = (timezone.localdate() + datetime.timedelta(days=20)).strftime("%d/%m/%Y")
A_YEAR_BEFORE = (timezone.localdate() + datetime.timedelta(days=20 - 365)).strftime("%d/%m/%Y")


def _chinese_rows():
    """Mobiles without +86 (as text, spaced, as a number cell), premiums in yuan or bare."""
    phones = ["13812345678", "139 1234 5678", 13712345678]
    premiums = ["¥12,500", "8800", 9600.5]
    return [
        row(n, **{"Teléfono": phone, "Prima Total": premium, "RFC": "",
                  "Asegurado": name, "Inicio de vigencia": A_YEAR_BEFORE,
                  "Fin de vigencia": SOON})
        for n, phone, premium, name in zip(
            (1, 2, 3), phones, premiums, ("王小明", "李华", "张伟"), strict=True
        )
    ]  # fmt: skip


@pytest.fixture
def maint(db):
    return UserFactory(roles=["maintainer"])


@pytest.fixture
def pingan(db):
    return InsurerFactory(
        name="中国平安", code="pingan", country="CN", currency="CNY", client_language="zh-hans"
    )


@pytest.fixture
def ladder(db):
    return Ladder.objects.update_or_create(
        code="design-card",
        defaults={"name": "30/25/15", "rungs": validate_rungs(DEFAULT_RUNGS), "is_default": True},
    )[0]


def _job(insurer, maint, rows):
    job, _table = job_create(insurer=insurer, by=maint, name="脱保.xlsx", data=workbook(rows))
    return job


def test_a_chinese_report_for_an_insurer_in_china_imports_every_row_in_yuan(pingan, maint):
    job = commit(_job(pingan, maint, _chinese_rows()))
    assert not RowError.objects.filter(job=job).exists()
    assert job.errors == 0 and job.created == 3
    premiums = dict(Policy.objects.values_list("number", "premium"))
    assert premiums == {
        "HDI-00001": Decimal("12500.00"), "HDI-00002": Decimal("8800.00"),
        "HDI-00003": Decimal("9600.50"),
    }  # fmt: skip
    assert set(Policy.objects.values_list("currency", flat=True)) == {"CNY"}
    clients = {c.display_name: c for c in Client.objects.all()}
    assert {str(c.phone) for c in clients.values()} == {
        "+86 138 1234 5678", "+86 139 1234 5678", "+86 137 1234 5678",
    }  # fmt: skip
    assert {c.language for c in clients.values()} == {"zh-hans"}
    assert {c.phone_as_written for c in clients.values()} == {""}


def test_the_dry_run_says_how_it_read_the_report(pingan, maint, client):
    job = dry_run(_job(pingan, maint, _chinese_rows()))
    assert job.preview["read_as"] == {"region": "CN", "currency": "CNY", "language": "zh-hans"}
    client.force_login(maint)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "phones without a country code as numbers of China (CN)" in page
    assert "amounts without a currency column in CNY" in page
    assert "new clients in Simplified Chinese" in page


def test_an_insurer_left_blank_reads_with_the_brokerage_defaults(hdi, maint, settings):
    settings.PHONENUMBER_DEFAULT_REGION, settings.DEFAULT_CURRENCY = "MX", "MXN"
    job = dry_run(_job(hdi, maint, [row(1)]))
    assert job.preview["read_as"] == {
        "region": "MX", "currency": "MXN", "language": settings.LANGUAGE_CODE,
    }  # fmt: skip


def test_the_same_report_for_a_mexican_insurer_imports_with_phone_warnings(
    hdi, maint, ladder, client
):
    job = commit(_job(hdi, maint, _chinese_rows()))
    assert job.errors == 0 and job.created == 3 and Policy.objects.count() == 3
    warnings = RowError.objects.filter(job=job)
    assert [(w.row, w.level, w.code, w.column) for w in warnings] == [
        (n, RowLevel.WARNING, "phone_invalid", "Teléfono") for n in (3, 4, 5)
    ]
    assert set(Policy.objects.values_list("currency", flat=True)) == {"MXN"}
    written = set(Client.objects.values_list("phone", "phone_as_written"))
    assert written == {("", "13812345678"), ("", "139 1234 5678"), ("", "13712345678")}
    # The clients are on the list of contacts to fix from the start.
    assert set(Client.objects.values_list("contact_inaccurate", flat=True)) == {True}
    # Their renewal touches reach the maintainers' "fix contact" queue, not a call list.
    renewals_open_and_queue(day=timezone.localdate())
    items = WorkItem.objects.all()
    assert items.count() == 3
    assert {(i.queue, i.agent_id) for i in items} == {(Queue.MAINTAINERS, None)}
    # The page shows the warnings (the rows were imported) and the client the number.
    client.force_login(maint)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "Rows with warnings (imported)" in page and "13812345678" in page
    holder = Client.objects.get(phone_as_written="13812345678")
    page = client.get(f"/clients/{holder.pk}/").content.decode()
    assert "“13812345678” in an insurer's report" in page


def test_a_bad_phone_does_not_hide_the_row_errors(hdi, maint):
    job = dry_run(_job(hdi, maint, [row(1, **{"Teléfono": "12", "Prima Total": "mucho"})]))
    levels = dict(RowError.objects.filter(job=job).values_list("code", "level"))
    assert levels == {"amount_not_an_amount": RowLevel.ERROR, "phone_invalid": RowLevel.WARNING}
    assert job.errors == 1 and job.created == 0


def test_a_report_fills_the_number_as_written_of_a_client_without_phone(hdi, maint):
    commit(_job(hdi, maint, [row(1, **{"Teléfono": ""})]))
    holder = Client.objects.get()
    assert (holder.phone, holder.phone_as_written) == ("", "")
    commit(_job(hdi, maint, [row(1, **{"Teléfono": "12"})]))
    holder.refresh_from_db()
    assert (holder.phone, holder.phone_as_written) == ("", "12")
    assert holder.contact_inaccurate
    assert holder.history.first().history_change_reason == "imported"
