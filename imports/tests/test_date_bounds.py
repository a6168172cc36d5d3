"""An expiry report's dates are held to a policy's bounds: a row out of them is a row error."""

import pytest

from brokerage.accounts.tests.factories import UserFactory
from imports.models import RowError
from imports.services import commit, job_create
from imports.tests.conftest import row, workbook
from policies.models import Policy

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("start", "end", "column", "value"),
    [
        ("1899-12-31", "01/12/2026", "Inicio de vigencia", "1899-12-31"),
        ("2026-01-01", "9999-12-31", "Fin de vigencia", "9999-12-31"),
        ("2026-01-01", "2040-01-01", "Fin de vigencia", "2040-01-01"),
        ("", "1000-06-01", "Fin de vigencia", "1000-06-01"),
    ],
    ids=["start-in-1899", "last-day-of-the-calendar", "term-over-ten-years",
         "end-in-year-1000-no-start"],
)  # fmt: skip
def test_it_reports_a_row_with_out_of_bounds_dates(hdi, start, end, column, value):
    rows = [row(1), row(2, **{"Inicio de vigencia": start, "Fin de vigencia": end})]
    job, _table = job_create(
        insurer=hdi, by=UserFactory(roles=["maintainer"]), name="r.xlsx", data=workbook(rows)
    )
    job = commit(job)
    assert (job.created, job.errors) == (1, 1)
    error = RowError.objects.get(job=job)
    assert (error.row, error.column, error.value) == (4, column, value)
    assert Policy.objects.get().number == "HDI-00001"
