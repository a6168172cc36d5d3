"""Reports that are damaged in small ways: a NUL byte in a cell, a UTF-16 CSV (Excel's
"Unicode text"), a row with several errors. Each is read or refused with a message; the error
count is of rows."""

import csv
import io

import pytest

from brokerage.accounts.tests.factories import UserFactory
from clients.models import Client
from imports.models import RowError
from imports.services import commit, dry_run, job_create
from imports.tests.conftest import HEADER, row
from policies.models import Policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def maint(db):
    return UserFactory(roles=["maintainer"])


def _csv(rows, header=HEADER) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _job(hdi, maint, data: bytes, name="vencimientos.csv"):
    job, _table = job_create(insurer=hdi, by=maint, name=name, data=data)
    return job


def test_a_nul_byte_in_a_cell_far_down_the_file_is_dropped_and_the_row_imported(hdi, maint):
    rows = [row(n) for n in range(1, 120)]
    rows[100] = row(101, Asegurado="Cliente\x00 Nulo")
    job = commit(_job(hdi, maint, _csv(rows).encode()))
    assert (job.created, job.errors) == (119, 0)
    assert Client.objects.filter(display_name__contains="Cliente Nulo").count() == 1
    assert not any("\x00" in name for name in Client.objects.values_list("display_name", flat=True))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_utf16_csv_is_read(hdi, maint, encoding):
    text = _csv([row(1), row(2, Asegurado="王伟")])
    data = (("\ufeff" + text).encode("utf-16-be") if encoding == "utf-16-be"
            else text.encode("utf-16"))  # fmt: skip
    job = commit(_job(hdi, maint, data))
    assert (job.created, job.errors) == (2, 0)
    assert Policy.objects.filter(holder__display_name="王伟").exists()


def test_a_row_with_several_errors_counts_once(hdi, maint):
    bad = row(2, **{"Prima Total": "²", "Fin de vigencia": "9999-12-31", "Ramo": "nave"})
    job = dry_run(_job(hdi, maint, _csv([row(1), bad, row(3)]).encode()))
    assert RowError.objects.filter(job=job, row=3).count() == 3
    assert (job.created, job.errors, job.total_rows) == (2, 1, 3)
