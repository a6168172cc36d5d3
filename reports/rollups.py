"""The renewal cases counted per day (RenewalDay) and the work items per hand-out day
(WorkDay): which reports read them, and rebuilding them from the cases and the items for a
range of days.

The rollup is exact at every commit (the triggers in reports.models add each statement's
changes in its own transaction), so a dashboard reads it for every day of its range, today's
and the future's included: the figures that depend on today (a case still open before its end
date) split the rows on their day. It holds no client: the distinct counts of clients are
read from the cases (renewal_rate's client rate), never estimated."""

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from brokerage.core.dates import day_start
from brokerage.core.sql import SqlNames
from policies.models import Policy
from renewals.models import RenewalCase
from workqueue.distribution import result_cutoff
from workqueue.models import PointsAward, WorkItem

from .filters import ReportFilters
from .models import (
    PointsDay,
    PointsMonth,
    RenewalDay,
    RenewalMonth,
    RenewalOpenDay,
    RollupClock,
    WorkDay,
    WorkMonth,
    month_upsert_sql,
    open_upsert_sql,
    points_upsert_sql,
    rollup_upsert_sql,
    work_upsert_sql,
)


def rollup_applies(user, filters: ReportFilters) -> bool:
    """Whether a report reads the rollup: for those who see the whole book (the rollup knows
    agents, not which clients a manager may see: a manager's narrower book is read from the
    cases), in one currency."""
    return bool(filters.currency) and Policy.objects.sees_all(user)


def scoped_days(filters: ReportFilters, start: date, end: date, *, model=RenewalDay):
    """The rollup's rows (``model``'s) of the days from start to end, narrowed as
    scoped_cases narrows the cases (team, agent, insurer, line, currency)."""
    return filters.narrow(model.objects.filter(day__gte=start, day__lte=end))


def rollup_parts(filters: ReportFilters, start: date, end: date, *, by: str, today: date):
    """The rollup rows that cover the cases ending from start to end, narrowed by the filters:
    RenewalMonth's for the whole months of the range but today's (whose cases are still open
    on some days and not on others), RenewalDay's for the other days; RenewalDay's alone when
    the report groups or filters by insurer or line (RenewalMonth has neither)."""
    if filters.insurer or filters.line or by in ("insurer", "line"):
        return [scoped_days(filters, start, end)]
    first = start if start.day == 1 else start + relativedelta(months=1, day=1)
    last = end if (end + timedelta(days=1)).day == 1 else end.replace(day=1) - timedelta(days=1)
    if first > last:
        return [scoped_days(filters, start, end)]
    this_month = today.replace(day=1)
    months = scoped_days(filters, first, last.replace(day=1), model=RenewalMonth).exclude(
        day=this_month
    )
    # The other days as ranges (each read through the index on the day): before the first
    # whole month, after the last, and today's month.
    ranges = [(start, first - timedelta(days=1)), (last + timedelta(days=1), end)]
    if first <= this_month <= last:
        ranges.append((this_month, this_month + relativedelta(months=1, days=-1)))
    ranges = [(a, b) for a, b in ranges if a <= b]
    if not ranges:
        return [months]
    edges = Q()
    for a, b in ranges:
        edges |= Q(day__gte=a, day__lte=b)
    return [months, filters.narrow(RenewalDay.objects.filter(edges))]


def rollup_values(parts, keys, annotations: dict, *, having: str) -> list[dict]:
    """``values(*keys).annotate(**annotations)`` over the rollup rows of every part (from
    rollup_parts; ``annotations`` sums), the groups whose ``having`` sum is 0 left out (their
    cases are all gone), as one query (UNION ALL), the parts' figures added per group; sorted
    by the keys (None last, as SQL sorts)."""
    queries = [
        part.values(*keys).annotate(**annotations).filter(**{f"{having}__gt": 0}).order_by()
        for part in parts
    ]
    query = queries[0].union(*queries[1:], all=True) if len(queries) > 1 else queries[0]
    merged: dict = {}
    for row in query:
        group = tuple(row[k] for k in keys)
        if group in merged:
            for name in annotations:
                merged[group][name] += row[name]
        else:
            merged[group] = dict(row)
    return [merged[group] for group in sorted(merged, key=lambda g: [(v is None, v) for v in g])]


def rollup_rebuild(*, start: date, end: date) -> int:
    """Count again the cases whose policy ends from start to end into the rollups (RenewalDay,
    RenewalOpenDay; RenewalMonth for the whole months they fall in), a month per
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
            source = (
                f"(SELECT * FROM {case.table} WHERE {case.end_date} >= %s "
                f"AND {case.end_date} <= %s)"
            )
            for model, upsert in ((RenewalDay, rollup_upsert_sql),
                                  (RenewalOpenDay, open_upsert_sql)):  # fmt: skip
                model.objects.filter(day__gte=first, day__lte=last).delete()
                cursor.execute(upsert(source), [first, last])
                written += cursor.rowcount
            # The month's row counts the whole month, whatever part of it the range covers.
            month = first.replace(day=1)
            RenewalMonth.objects.filter(day=month).delete()
            cursor.execute(
                month_upsert_sql(source), [month, month + relativedelta(months=1, days=-1)]
            )
            written += cursor.rowcount
        first = last + relativedelta(days=1)
    return written


def work_rollup_current() -> bool:
    """Whether the work queue's rollups (WorkDay, WorkMonth, PointsDay, PointsMonth) are
    counted under the current time zone and result cutoff (RollupClock): else the report
    counts the items and the points awards."""
    return RollupClock.objects.filter(
        pk=1, time_zone=timezone.get_current_timezone_name(), result_cutoff=result_cutoff()
    ).exists()


def work_rollup_rebuild(*, start: date | None = None, end: date | None = None) -> int:
    """Count again the work items handed out and the points awarded in the whole months from
    start's to end's (local days) into the work queue's rollups (WorkDay and WorkMonth,
    PointsDay and PointsMonth); everything when no dates are given, or when the time zone or
    the result cutoff setting is not the one they were counted under (RollupClock, then set
    to the settings'). One transaction holding the items' and the awards' tables in SHARE mode
    (writers wait for it: a few seconds for a year of a million-policy book). Returns the rows
    written."""
    item, award = SqlNames(WorkItem), SqlNames(PointsAward)
    zone, cutoff = timezone.get_current_timezone_name(), result_cutoff()
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {item.table}, {award.table} IN SHARE MODE")
        clock, _created = RollupClock.objects.select_for_update().get_or_create(
            pk=1, defaults={"time_zone": zone, "result_cutoff": cutoff}
        )
        if (clock.time_zone, clock.result_cutoff) != (zone, cutoff):
            clock.time_zone, clock.result_cutoff = zone, cutoff
            clock.save()
            start = end = None
        counted = (
            (WorkDay, WorkMonth, item, item.handed_out_at, work_upsert_sql),
            (PointsDay, PointsMonth, award, award.awarded_at, points_upsert_sql),
        )
        for day_model, month_model, names, moment, upsert in counted:
            if start is None or end is None:
                day_model.objects.all().delete()
                month_model.objects.all().delete()
                source, params = names.table, []
            else:
                first = start.replace(day=1)
                after = end + relativedelta(months=1, day=1)
                day_model.objects.filter(day__gte=first, day__lt=after).delete()
                month_model.objects.filter(day__gte=first, day__lt=after).delete()
                source = f"(SELECT * FROM {names.table} WHERE {moment} >= %s AND {moment} < %s)"
                params = [day_start(first), day_start(after)]
            for model in (day_model, month_model):
                cursor.execute(upsert(model, source), params)
                written += cursor.rowcount
    return written


def month_split(start: date, end: date, last: date) -> tuple[date, date, list[tuple[date, date]]]:
    """The days from start to end as whole months up to ``last`` at most (the first's and the
    last's first days; none when first > last) and the other days as (first, last) ranges:
    what a report reads from a monthly rollup and what from its daily one."""
    first = start if start.day == 1 else start + relativedelta(months=1, day=1)
    limit = min(end, last)
    last = limit if (limit + timedelta(days=1)).day == 1 else limit.replace(day=1) - timedelta(1)
    if first > last:
        return first, last, [(start, end)]
    ranges = [(start, first - timedelta(days=1)), (last + timedelta(days=1), end)]
    return first, last.replace(day=1), [(a, b) for a, b in ranges if a <= b]
