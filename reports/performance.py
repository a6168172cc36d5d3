"""Agent performance (seed 001's agent-performance report): per agent, the work handed out in
the period, how much of it was worked and how much by the cutoff (17:00 of the day after the
hand-out, the rule the morning distribution enforces), what came of it, the renewals won, the
premium they wrote and the points earned.

A fixed number of queries whatever the number of agents or items: the agents, the work items
(counts and results together, one aggregate of the items' daily and monthly rollups, after
checking they are counted under the current time zone and cutoff), the renewals won (one
aggregate, after the user's book is read) and the points (one aggregate of the points'
rollups, or of the awards)."""

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Count,
    DateField,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, TruncDate, TruncTime
from django.db.models.lookups import Exact, GreaterThan, LessThanOrEqual
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from brokerage.core.dates import day_start
from brokerage.core.sql import SqlNames
from clients.selectors import agents_for_reassignment
from renewals.models import CaseStatus
from renewals.selectors import cases_visible_to
from workqueue.distribution import last_cutoff, result_cutoff
from workqueue.kinds import contact_codes, result_label
from workqueue.models import ItemStatus, PointsAward, WorkItem

from . import rollups
from .filters import ReportFilters
from .models import WORK_KEYS, PointsDay, PointsMonth, WorkDay, WorkMonth
from .selectors import ZERO
from .tables import INT, MONEY, NUMBER, PCT, Column, Row, Table, pct

User = get_user_model()
ONE_DAY = timedelta(days=1)
ONE_DAY_VALUE = Value(ONE_DAY, output_field=DurationField())
# Results-table columns besides the results themselves: items worked whose item carries no
# contact result (closed by the system, e.g. the other touches of a case won on one of them),
# and items nobody has worked yet.
NO_CONTACT_RESULT = "no_contact_result"
UNWORKED = "no_result"
WORK_FIGURES = ("handed_out", "worked", "on_time", "missed")


def agents_in_report(*, user, filters: ReportFilters):
    """The agents the report has a row for: the agent themselves on their own page, else the
    agents of the teams the user leads (every agent for administrators), narrowed by the
    team and agent filters; active first, then by name."""
    if filters.agent is not None and filters.agent.pk == user.pk:
        qs = User.objects.filter(pk=user.pk)
    else:
        qs = User.objects.filter(pk__in=agents_for_reassignment(user=user).values("pk"))
        if filters.agent is not None:
            qs = qs.filter(pk=filters.agent.pk)
        if filters.team is not None:
            qs = qs.filter(team=filters.team)
    return qs.only("pk", "username", "first_name", "last_name", "is_active").order_by(
        "-is_active", "first_name", "last_name", "username"
    )


def _by_cutoff(moment, handed_out_on) -> Q:
    """``moment`` fell on the hand-out's local day (``handed_out_on``), or on the next one by
    the cutoff time: local dates and times compared in SQL (settings.TIME_ZONE), so that an
    evening hand-out, already the next day in UTC, keeps its own cutoff."""
    gap = ExpressionWrapper(
        TruncDate(moment) - Cast(handed_out_on, DateField()), output_field=DurationField()
    )
    time_of_day = TruncTime(moment)
    return Q(GreaterThan(ONE_DAY_VALUE, gap)) | (
        Q(Exact(gap, ONE_DAY_VALUE)) & Q(LessThanOrEqual(time_of_day, Value(result_cutoff())))
    )


def work_figures(
    *, agent_ids, filters: ReportFilters, now: datetime, rolled_up: bool | None = None
) -> list[dict]:
    """Per agent, item result and whether the item was worked, worked by its cutoff and is
    past its cutoff: the number of items handed out in the range, as rows of ``owner``,
    ``result``, ``worked``, ``on_time``, ``past_cutoff`` and ``items`` (a key may come in more
    than one row: add them up). Read from the work items' rollups (one query) while they are
    counted under the current time zone and cutoff (``rolled_up``: whether they are, when
    already known), else from the items (work_items_figures), with the same figures."""
    if rollups.work_rollup_current() if rolled_up is None else rolled_up:
        return work_rollup_figures(agent_ids=agent_ids, filters=filters, now=now)
    return work_items_figures(agent_ids=agent_ids, filters=filters, now=now)


def _settled_day(now: datetime):
    """The last hand-out day whose cutoff has passed."""
    return timezone.localdate(last_cutoff(now)) - ONE_DAY


def _agents_join(column: str) -> str:
    """A join keeping a rollup's rows of the agents in the query's next parameter (a list of
    ids): hashed after the days' range is read from the index, where ``= ANY(…)`` in the
    condition made the planner walk the index once per agent (58 ms, not 2, for a month of
    172 agents' days)."""
    return f"JOIN unnest(%s::bigint[]) AS agents(id) ON agents.id = {column} "


def work_rollup_figures(*, agent_ids, filters: ReportFilters, now: datetime) -> list[dict]:
    """work_figures from the rollups: WorkMonth's rows for the whole months of the range whose
    every day is past its cutoff, WorkDay's for the other days (past the cutoff or not by
    their day); one query (UNION ALL)."""
    settled = _settled_day(now)
    first, last, ranges = rollups.month_split(filters.start, filters.end, settled)
    month, day = SqlNames(WorkMonth), SqlNames(WorkDay)
    keys = ", ".join(getattr(day, k) for k in WORK_KEYS)
    parts, params = [], []
    if first <= last:
        parts.append(
            f"SELECT {keys}, TRUE, SUM({month.items}) FROM {month.table} "
            f"{_agents_join(month.owner_id)} WHERE {month.day} >= %s AND {month.day} <= %s "
            f"GROUP BY {keys} HAVING SUM({month.items}) > 0"
        )
        params += [list(agent_ids), first, last]
    if ranges:
        days = " OR ".join(f"({day.day} >= %s AND {day.day} <= %s)" for _ in ranges)
        parts.append(
            f"SELECT {keys}, {day.day} <= %s, SUM({day.items}) FROM {day.table} "
            f"{_agents_join(day.owner_id)} WHERE {days} "
            f"GROUP BY {keys}, {day.day} <= %s HAVING SUM({day.items}) > 0"
        )
        params += [settled, list(agent_ids), *(d for r in ranges for d in r), settled]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        names = ("owner", "result", "worked", "on_time", "past_cutoff", "items")
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def work_items_figures(*, agent_ids, filters: ReportFilters, now: datetime) -> list[dict]:
    """work_figures counted from the work items (one aggregate of the items alone, grouped on
    the flags).

    An item belongs to its agent; an item that left the agents' lists after three failed
    attempts (it has no agent any more) to the agent who logged its first result. A result
    counts when it is a contact result (only the item's agent can log one) logged since the
    hand-out: the item keeps the first one (``first_contact_at``, ``first_contact_by``); an
    item closed without one (e.g. the case was won on another touch) counts as worked when it
    was closed. Cancelled items are left out, as the distribution does."""
    # Items handed out on or before this day are past their cutoff.
    settled_day = _settled_day(now)
    rows = (
        WorkItem.objects.filter(
            handed_out_at__gte=day_start(filters.start),
            handed_out_at__lt=day_start(filters.end + ONE_DAY),
        )
        .exclude(status=ItemStatus.CANCELLED)
        # The agents' own items, and those that left the agents' lists (whose owner is the
        # agent who logged their first result): other agents' items need no lookup.
        .filter(Q(agent_id__in=agent_ids) | Q(agent_id=None))
        .annotate(
            owner=Coalesce("agent_id", "first_contact_by_id", output_field=BigIntegerField()),
            handed_out_on=TruncDate("handed_out_at"),
        )
        .filter(owner__in=agent_ids)
        .annotate(
            worked=ExpressionWrapper(
                Q(first_contact_at__isnull=False) | Q(status=ItemStatus.DONE),
                output_field=BooleanField(),
            ),
            on_time=ExpressionWrapper(
                _by_cutoff("first_contact_at", F("handed_out_on"))
                | _by_cutoff("done_at", F("handed_out_on")),
                output_field=BooleanField(),
            ),
            past_cutoff=ExpressionWrapper(
                Q(handed_out_at__lt=day_start(settled_day + ONE_DAY)),
                output_field=BooleanField(),
            ),
        )
        .values("owner", "result", "worked", "on_time", "past_cutoff")
        .annotate(items=Count("pk"))
        .order_by()
    )
    # on_time is NULL (not false) for an item neither logged nor closed: read as false.
    return [{**row, "worked": bool(row["worked"]), "on_time": bool(row["on_time"])} for row in rows]


def renewal_figures(*, user, agent_ids, filters: ReportFilters) -> dict[int, dict]:
    """Per agent (the agent of the renewed policy): cases won, closed in the range, of the
    chosen insurer and line; and the premium of their new policies in the report's currency."""
    qs = cases_visible_to(user).filter(
        status=CaseStatus.WON,
        closed_at__gte=day_start(filters.start),
        closed_at__lt=day_start(filters.end + ONE_DAY),
        agent_id__in=agent_ids,
    )
    if filters.insurer:
        qs = qs.filter(insurer=filters.insurer)
    if filters.line:
        qs = qs.filter(line=filters.line)
    rows = (
        qs.values("agent_id")
        .annotate(
            # COUNT(*), not of the key: the cases then come from a covering index alone
            # (reports migration 0008).
            won=Count("*"),
            premium=Coalesce(
                Sum("renewed_premium", filter=Q(renewed_currency=filters.currency)), ZERO
            ),
        )
        .order_by()
    )
    return {r["agent_id"]: r for r in rows}


def points_figures(
    *, agent_ids, filters: ReportFilters, rolled_up: bool | None = None
) -> dict[int, Decimal]:
    """Per agent with points awarded in the range, their points: read from the points'
    rollups (PointsMonth for the range's whole months, PointsDay for its other days; one
    query) while they are counted under the current time zone (work_figures' ``rolled_up``),
    else from the awards (points_awards_figures)."""
    if not (rollups.work_rollup_current() if rolled_up is None else rolled_up):
        return points_awards_figures(agent_ids=agent_ids, filters=filters)
    first, last, ranges = rollups.month_split(filters.start, filters.end, filters.end)
    month, day = SqlNames(PointsMonth), SqlNames(PointsDay)
    parts, params = [], []
    if first <= last:
        parts.append(
            f"SELECT {month.agent_id}, {month.awards}, {month.points} FROM {month.table} "
            f"{_agents_join(month.agent_id)} WHERE {month.day} >= %s AND {month.day} <= %s"
        )
        params += [list(agent_ids), first, last]
    if ranges:
        days = " OR ".join(f"({day.day} >= %s AND {day.day} <= %s)" for _ in ranges)
        parts.append(
            f"SELECT {day.agent_id}, {day.awards}, {day.points} FROM {day.table} "
            f"{_agents_join(day.agent_id)} WHERE {days}"
        )
        params += [list(agent_ids), *(d for r in ranges for d in r)]
    sql = (
        f"SELECT agent_id, SUM(points) FROM ({' UNION ALL '.join(parts)}) AS parts "
        "GROUP BY agent_id HAVING SUM(awards) > 0"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return dict(cursor.fetchall())


def points_awards_figures(*, agent_ids, filters: ReportFilters) -> dict[int, Decimal]:
    """points_figures counted from the awards."""
    rows = (
        PointsAward.objects.filter(
            agent_id__in=agent_ids,
            awarded_at__gte=day_start(filters.start),
            awarded_at__lt=day_start(filters.end + ONE_DAY),
        )
        .values("agent_id")
        .annotate(points=Sum("points"))
        .order_by()
    )
    return {r["agent_id"]: r["points"] for r in rows}


def _outcome_order(code: str) -> tuple:
    contact = contact_codes()
    if code in contact:
        return (0, contact.index(code))
    if code == NO_CONTACT_RESULT:
        return (2, code)
    if code == UNWORKED:
        return (3, code)
    return (1, code)


def _outcome_label(code: str) -> str:
    if code == NO_CONTACT_RESULT:
        return _("Closed without a contact result")
    if code == UNWORKED:
        return _("No result yet")
    return str(result_label(code))


def performance_tables(*, user, filters: ReportFilters, today=None) -> list[Table]:
    """The agents' performance (performance_figures) as the dashboard's two tables
    (performance_layout)."""
    figures = performance_figures(user=user, filters=filters, now=timezone.now())
    return performance_layout(figures, filters=filters)


def performance_figures(*, user, filters: ReportFilters, now: datetime) -> list[dict]:
    """One dict per agent listed (agents_in_report; one who has left only with figures in the
    period): ``key`` (the agent's id), ``label`` (their name), the WORK_FIGURES,
    ``renewals_won``, ``premium``, ``points`` and ``outcomes`` (result -> items handed out
    that carry it; NO_CONTACT_RESULT, UNWORKED)."""
    agents = list(agents_in_report(user=user, filters=filters))
    ids = [a.pk for a in agents]
    work: dict[int, dict] = defaultdict(lambda: dict.fromkeys(WORK_FIGURES, 0))
    outcomes: dict[int, dict] = defaultdict(lambda: defaultdict(int))
    rolled_up = rollups.work_rollup_current()
    for data in work_figures(agent_ids=ids, filters=filters, now=now, rolled_up=rolled_up):
        figures, n = work[data["owner"]], data["items"]
        figures["handed_out"] += n
        figures["worked"] += n if data["worked"] else 0
        figures["on_time"] += n if data["on_time"] else 0
        figures["missed"] += n if data["past_cutoff"] and not data["on_time"] else 0
        outcome = (data["result"] or NO_CONTACT_RESULT) if data["worked"] else UNWORKED
        outcomes[data["owner"]][outcome] += n
    renewals = renewal_figures(user=user, agent_ids=ids, filters=filters)
    points = points_figures(agent_ids=ids, filters=filters, rolled_up=rolled_up)
    rows = []
    for agent in agents:
        won = renewals.get(agent.pk, {})
        row = {
            "key": agent.pk, "label": str(agent),
            **(work.get(agent.pk) or dict.fromkeys(WORK_FIGURES, 0)),
            "renewals_won": won.get("won", 0),
            "premium": won.get("premium", Decimal("0")),
            "points": points.get(agent.pk, Decimal("0")),
            "outcomes": dict(outcomes.get(agent.pk, {})),
        }  # fmt: skip
        busy = any(row[k] for k in ("handed_out", "renewals_won", "premium", "points"))
        if agent.is_active or busy:
            rows.append(row)
    return rows


def performance_layout(figures: list[dict], *, filters: ReportFilters) -> list[Table]:
    """The agents' work, renewals, premium and points (with the on-time rate) in one table;
    the results of the items handed out in another."""
    return [_performance_table(figures, filters), _results_table(figures)]


def _performance_table(figures: list[dict], filters: ReportFilters) -> Table:
    """Per agent: the work handed out, worked, on time and missed, the renewals won, their
    premium and the points; each agent's renewals won link to those cases."""
    rows = []
    for data in figures:
        values = {k: data[k] for k in WORK_FIGURES}
        values["on_time_rate"] = pct(data["on_time"], data["on_time"] + data["missed"])
        values.update({k: data[k] for k in ("renewals_won", "premium", "points")})
        rows.append(Row(label=data["label"], values=values, key=data["key"],
                        links={"renewals_won": _won_link(data["key"], filters)}))  # fmt: skip
    totals = {name: sum(r.values[name] for r in rows) for name in WORK_FIGURES}
    totals["on_time_rate"] = pct(totals["on_time"], totals["on_time"] + totals["missed"])
    totals["renewals_won"] = sum(r.values["renewals_won"] for r in rows)
    for name in ("premium", "points"):
        totals[name] = sum((r.values[name] for r in rows), Decimal("0"))

    cutoff = result_cutoff().strftime("%H:%M")
    columns = [
        Column("handed_out", _("Handed out"), INT, _("items handed out in the period"),
               chart=True),
        Column("worked", _("Worked"), INT, _("a result logged, or the item closed"), chart=True),
        Column("on_time", _("On time"), INT,
               _("worked by %(cutoff)s of the day after the hand-out") % {"cutoff": cutoff},
               chart=True),
        Column("missed", _("Missed the cutoff"), INT,
               _("cutoff passed, not worked by it")),
        Column("on_time_rate", _("On-time rate"), PCT, _("on time ÷ (on time + missed)")),
        Column("renewals_won", _("Renewals won"), INT,
               _("cases won in the period (closed date), by the renewed policy's agent")),
        Column("premium", _("Premium renewed (%(currency)s)") % {"currency": filters.currency},
               MONEY, _("premium of the new policies of those renewals")),
        Column("points", _("Points"), NUMBER, _("points awarded in the period")),
    ]  # fmt: skip
    note = _(
        "Work: the items handed out to the agent from %(start)s to %(end)s (cancelled items "
        "left out). An item is on time when the agent logged its first result, or it was "
        "closed, by %(cutoff)s of the day after it was handed out; items whose cutoff has not "
        "come yet and have no result are neither on time nor missed. The insurer and line "
        "filters do not apply to the work or to the points; they apply to the renewals won and "
        "their premium (the insurer and line of the policy renewed). Premium counts only new "
        "policies in %(currency)s. Agents who have left are listed only when they have figures "
        "in the period."
    ) % {
        "start": filters.start.isoformat(), "end": filters.end.isoformat(), "cutoff": cutoff,
        "currency": filters.currency,
    }  # fmt: skip
    return Table(
        slug="agents", title=_("Agent performance"), group_label=_("Agent"), columns=columns,
        rows=rows, totals=Row(label=_("Total"), values=totals), chart="bar",
        empty=_("No agent to show."), note=note,
    )  # fmt: skip


def _won_link(pk, filters: ReportFilters) -> str:
    """The renewal list of the cases the agent won in the period (of the insurer and line)."""
    query = {
        "status": CaseStatus.WON,
        "agent": pk,
        "closed_from": filters.start.isoformat(),
        "closed_to": filters.end.isoformat(),
        "insurer": filters.insurer.pk if filters.insurer else "",
        "line": filters.line,
    }
    query = {k: v for k, v in query.items() if v not in ("", None)}
    return f"{reverse('renewals:list')}?{urlencode(query)}"


def _results_table(figures: list[dict]) -> Table:
    """Per agent, the items handed out under the result each carries now."""
    present = sorted(
        {code for data in figures for code in data["outcomes"]} | {UNWORKED},
        key=_outcome_order,
    )
    result_columns = [Column(code, _outcome_label(code), INT) for code in present]
    result_rows = [
        Row(
            label=data["label"],
            values={code: data["outcomes"].get(code, 0) for code in present},
            key=data["key"],
        )
        for data in figures
    ]
    result_totals = {c.key: sum(r.values[c.key] for r in result_rows) for c in result_columns}
    return Table(
        slug="agent-results", title=_("Agent performance"),
        subtitle=_("Results of the items handed out"), group_label=_("Agent"),
        columns=result_columns, rows=result_rows,
        totals=Row(label=_("Total"), values=result_totals),
        empty=_("No agent to show."),
        note=_(
            "Each item handed out in the period counts once, under the contact result it "
            "carries now (the last one logged: no answer, call back, interested, renewed…), "
            "whatever its kind of work; a row adds up to the items handed out. “No result "
            "yet”: nobody has logged a result on it since it was handed out."
        ),
    )  # fmt: skip
