"""The renewal rate counts the cases decided or past their end date; the cases still worked
before their end date stand in their own column and weigh on no rate."""

import datetime
from decimal import Decimal

import pytest

from clients.tests.factories import ClientFactory
from renewals.models import CaseStatus
from reports.filters import ReportFilters
from reports.renewal_rate import renewal_rate_layout, renewal_rates
from reports.tests.test_renewal_rate import _case

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 6, 10)


@pytest.fixture
def june(teams):
    """June 2026, seen on the 10th: one won, one lost, one open case already past its end
    date, and seven open cases still ahead of theirs."""
    ana = teams.ana
    _case(ana, ClientFactory(owner=ana), D(2026, 6, 2), "1000", CaseStatus.WON, "1000")
    _case(ana, ClientFactory(owner=ana), D(2026, 6, 3), "1000", CaseStatus.LOST)
    _case(ana, ClientFactory(owner=ana), D(2026, 6, 9), "1000", CaseStatus.OPEN)
    for day in range(10, 17):
        _case(ana, ClientFactory(owner=ana), D(2026, 6, day), "1000", CaseStatus.OPEN)
    return teams


def _figures(user, today=TODAY):
    filters = ReportFilters.from_query({"start": "2026-06-01", "end": "2026-06-30"}, user=user)
    return filters, renewal_rates(user=user, filters=filters, today=today)


def test_it_leaves_the_cases_still_open_out_of_the_rates(june):
    _filters, figures = _figures(june.manager)
    totals = figures["totals"]
    assert (totals.due, totals.counted, totals.won, totals.lost, totals.open) == (10, 3, 1, 1, 7)
    # Was 1 of 10 (10 %): the seven cases still being worked are not failures.
    assert totals.policy_rate == Decimal("33.3")
    assert totals.client_rate == Decimal("33.3")
    assert totals.premium_due == Decimal("3000") and totals.premium_rate == Decimal("33.3")


def test_it_counts_every_case_once_the_month_is_over(june):
    _filters, figures = _figures(june.manager, today=D(2026, 7, 1))
    totals = figures["totals"]
    assert (totals.counted, totals.open, totals.policy_rate) == (10, 0, Decimal("10.0"))


def test_it_says_under_the_table_what_the_rate_counts(june):
    filters, figures = _figures(june.manager)
    table = renewal_rate_layout(figures, filters=filters)[0]
    assert "still open before their end date are not counted" in table.note
    assert table.totals.values["open"] == 7
    assert "ends_from=2026-06-10" in table.totals.links["open"]
