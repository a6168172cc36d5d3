"""The renewal cases counted per day (RenewalDay): which reports read them, and rebuilding
them from the cases for a range of days.

The rollup is exact at every commit (the triggers in reports.models add each statement's
changes in its own transaction), so a dashboard reads it for every day of its range, today's
and the future's included: the figures that depend on today (a case still open before its end
date) split the rows on their day. It holds no client: the distinct counts of clients are
read from the cases (renewal_rate's client rate), never estimated."""

from datetime import date

from dateutil.relativedelta import relativedelta
from django.db import connection, transaction

from brokerage.core.sql import SqlNames
from policies.models import Policy
from renewals.models import RenewalCase

from .filters import ReportFilters
from .models import RenewalDay, rollup_upsert_sql


def rollup_applies(user, filters: ReportFilters) -> bool:
    """Whether a report reads the rollup: for those who see the whole book (the rollup knows
    agents, not which clients a manager may see: a manager's narrower book is read from the
    cases), in one currency."""
    return bool(filters.currency) and Policy.objects.sees_all(user)


def scoped_days(filters: ReportFilters, start: date, end: date):
    """The rollup's rows of the days from start to end, narrowed as scoped_cases narrows the
    cases (team, agent, insurer, line, currency)."""
    return filters.narrow(RenewalDay.objects.filter(day__gte=start, day__lte=end))


def rollup_rebuild(*, start: date, end: date) -> int:
    """Count again the cases whose policy ends from start to end into the rollup, a month per
    transaction, each holding the cases' table in SHARE mode (writers wait for it, a few
    seconds a month at a million policies) so that no change is counted twice or missed.
    Returns the rows written."""
    case = SqlNames(RenewalCase)
    written = 0
    first = start
    while first <= end:
        last = min(first + relativedelta(months=1, day=1) - relativedelta(days=1), end)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {case.table} IN SHARE MODE")
            RenewalDay.objects.filter(day__gte=first, day__lte=last).delete()
            source = (
                f"(SELECT * FROM {case.table} WHERE {case.end_date} >= %s "
                f"AND {case.end_date} <= %s)"
            )
            cursor.execute(rollup_upsert_sql(source), [first, last])
            written += cursor.rowcount
        first = last + relativedelta(days=1)
    return written
