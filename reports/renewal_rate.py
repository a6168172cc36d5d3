"""The renewal rate: of the policies that ended in the period, how many were renewed with us,
on three bases (policies, clients, premium) beside last year's rate. A case still being worked
before its policy's end date is not decided yet: the rates count the cases decided (won, lost,
lapsed) or past their end date, and the open ones stand in their own column. The figures
(renewal_rates) are aggregated in SQL, a fixed number of queries whatever the book's size;
renewal_rate_layout turns them into the dashboard's table.

The distinct counts of clients are the dearest part (a second or two for the whole book at a
million policies): the page is drawn without them (``clients=False``) and its client-rate
cells are filled right after from a fragment of the same view and filters (renewal_client_rates,
one query); the .xlsx export and the PDF count them in full, as before."""

import re
from dataclasses import dataclass
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from brokerage.db_routers import reports_connection
from renewals.models import CaseStatus
from renewals.selectors import NOT_CANCELLED

from .filters import ReportFilters
from .rollups import rollup_applies, rollup_parts, rollup_values
from .selectors import ZERO, group_labels, scoped_cases
from .tables import INT, MONEY, PCT, Column, Pending, Row, Table, pct

# Each grouping's key; the names of agents, teams and insurers are read apart, once, so that
# the aggregate sorts and groups on the key alone.
GROUP_FIELDS = {
    "month": "month", "agent": "agent_id", "team": "agent__team_id", "insurer": "insurer_id",
    "line": "line",
}  # fmt: skip


@dataclass
class RateRow:
    key: object
    label: str
    due: int = 0
    # The cases the rates count: decided, or past their end date (due less the still open).
    counted: int = 0
    won: int = 0
    lost: int = 0
    lapsed: int = 0
    open: int = 0
    # None: not counted here (the page reads them afterwards, renewal_client_rates).
    clients_due: int | None = 0
    clients_won: int | None = 0
    premium_due: Decimal = Decimal("0")
    premium_won: Decimal = Decimal("0")
    last_year_rate: Decimal | None = None

    @property
    def policy_rate(self):
        return pct(self.won, self.counted)

    @property
    def client_rate(self):
        return pct(self.clients_won, self.clients_due)

    @property
    def premium_rate(self):
        return pct(self.premium_won, self.premium_due)


def _still_open(today) -> Q:
    """A case still being worked: open, its policy not ended yet. Not counted by the rates."""
    return Q(status=CaseStatus.OPEN, end_date__gte=today)


def _aggregate(qs, by: str, currency: str | None, today, *, clients: bool = True):
    """Per group: the cases counted (decided or past their end date) and won; with
    ``currency`` also the cases due, the other outcomes, the clients (unless ``clients`` is
    False) and the premium (last year's rate needs only the first two: the distinct counts of
    clients are the dearest part of the query)."""
    key = GROUP_FIELDS[by]
    if by == "month":
        qs = qs.annotate(month=TruncMonth("end_date"))
    won = Q(status=CaseStatus.WON)
    counted = ~_still_open(today)
    counts = {"counted": Count("pk", filter=counted), "won": Count("status", filter=won)}
    if currency is None:
        return qs.values(key).annotate(**counts).order_by(key)
    if clients:
        counts.update(
            clients_due=Count("holder_id", distinct=True, filter=counted),
            clients_won=Count("holder_id", distinct=True, filter=won),
        )
    return (
        qs.values(key)
        .annotate(
            **counts,
            due=Count("*"),
            lost=Count("status", filter=Q(status=CaseStatus.LOST)),
            lapsed=Count("status", filter=Q(status=CaseStatus.LAPSED)),
            open=Count("status", filter=_still_open(today)),
            premium_due=Coalesce(Sum("last_premium", filter=counted), ZERO),
            premium_won=Coalesce(
                Sum("renewed_premium", filter=won & Q(renewed_currency=currency)), ZERO
            ),
        )
        .order_by(key)
    )


# _client_counts' key for the whole period's figures.
TOTAL = object()


def _rollup_aggregate(parts, by: str, currency: str | None, today) -> list[dict]:
    """_aggregate's figures but the clients, from the rollup's rows (rollup_parts): the same
    groups (a group whose cases are all gone leaves rows of zero: left out), one query."""
    key = GROUP_FIELDS[by]
    if by == "month":
        parts = [part.annotate(month=TruncMonth("day")) for part in parts]
    # A month's row (RenewalMonth) is never today's month: its first day is after today
    # exactly when all its days are.
    still_open = Q(status=CaseStatus.OPEN, day__gte=today)
    won = Q(status=CaseStatus.WON)

    def cases(condition):
        return Coalesce(Sum("cases", filter=condition), 0)

    counts = {"due": Sum("cases"), "counted": cases(~still_open), "won": cases(won)}
    if currency is not None:
        counts.update(
            lost=cases(Q(status=CaseStatus.LOST)),
            lapsed=cases(Q(status=CaseStatus.LAPSED)),
            open=cases(still_open),
            premium_due=Coalesce(Sum("last_premium", filter=~still_open), ZERO),
            # The rollup keeps only the renewing premium in the case's own currency, the
            # report's (the rows are narrowed to it).
            premium_won=Coalesce(Sum("renewed_premium", filter=won), ZERO),
        )
    return rollup_values(parts, [key], counts, having="due")


def _client_counts(qs, by: str, today) -> dict:
    """The distinct clients counted and won per group and (key ``TOTAL``) over the whole
    period, read from the cases in one query (a distinct count does not add up over days, so
    the rollup cannot hold it). By agent the cases are read in agent and holder order from an
    index alone (renewal_client_agent_cover, reports' migration 0010): no sort before the
    counts."""
    key = GROUP_FIELDS[by]
    if by == "month":
        qs = qs.annotate(month=TruncMonth("end_date"))
    inner, params = (
        qs.annotate(grp=F(key)).values("grp", "holder_id", "status", "end_date")
        .order_by().query.sql_with_params()
    )  # fmt: skip
    sql = f"""
        SELECT grp, GROUPING(grp),
               COUNT(DISTINCT holder_id) FILTER (WHERE NOT (status = %s AND end_date >= %s)),
               COUNT(DISTINCT holder_id) FILTER (WHERE status = %s)
          FROM ({inner}) AS cases
         GROUP BY GROUPING SETS ((grp), ())"""
    with reports_connection().cursor() as cursor:
        cursor.execute(sql, [CaseStatus.OPEN, today, CaseStatus.WON, *params])
        rows = cursor.fetchall()
    out = {}
    for group, total, due, won_ in rows:
        if by == "month" and hasattr(group, "date"):
            group = group.date()
        out[TOTAL if total else group] = (due, won_)
    return out


def renewal_rates(*, user, filters: ReportFilters, today=None, clients: bool = True) -> dict:
    """Renewal rate on three bases (policies, clients, premium) per group, the totals, and the
    same period last year: an aggregate per group, one for the clients of the whole period
    (a distinct count that the groups do not add up to), one for last year and one for the
    groups' names. The rates count the cases decided or past their end date on ``today``.
    With ``clients=False`` the clients are not counted (None: the page reads them afterwards
    from renewal_client_rates)."""
    today = today or timezone.localdate()
    key = GROUP_FIELDS[filters.by]
    rows: dict = {}
    totals = RateRow(key=None, label="")
    cases = scoped_cases(user, filters, filters.start, filters.end)
    # The whole book in one currency reads the rollup (clients from the cases, one query for
    # the groups and the total); anything narrower than the whole book, the cases.
    rollup = rollup_applies(user, filters)
    if rollup:
        parts = rollup_parts(filters, filters.start, filters.end, by=filters.by, today=today)
        figures = _rollup_aggregate(parts, filters.by, filters.currency, today)
    else:
        figures = list(_aggregate(cases, filters.by, filters.currency, today, clients=clients))
    for data in figures:
        if filters.by == "month":
            data[key] = data[key].date() if hasattr(data[key], "date") else data[key]
    if not clients:
        for data in figures:
            data["clients_due"] = data["clients_won"] = None
        totals.clients_due = totals.clients_won = None
    elif rollup:
        counted = _client_counts(cases, filters.by, today)
        for data in figures:
            data["clients_due"], data["clients_won"] = counted.get(data[key], (0, 0))
    labels = group_labels(filters.by, [data[key] for data in figures])
    for data in figures:
        group = data[key]
        row = RateRow(key=group, label=labels.get(group) or "—", **{k: data[k] for k in (
            "due", "counted", "won", "lost", "lapsed", "open", "clients_due", "clients_won",
            "premium_due", "premium_won")})  # fmt: skip
        rows[group] = row
        for name in ("due", "counted", "won", "lost", "lapsed", "open", "premium_due",
                     "premium_won"):  # fmt: skip
            setattr(totals, name, getattr(totals, name) + getattr(row, name))
    if not clients:
        pass
    elif rollup:
        totals.clients_due, totals.clients_won = counted.get(TOTAL, (0, 0))
    else:
        overall = cases.aggregate(
            clients_due=Count("holder_id", distinct=True, filter=~_still_open(today)),
            clients_won=Count("holder_id", distinct=True, filter=Q(status=CaseStatus.WON)),
        )
        totals.clients_due, totals.clients_won = overall["clients_due"], overall["clients_won"]

    year = relativedelta(years=1)
    if rollup:
        parts = rollup_parts(
            filters, filters.start - year, filters.end - year, by=filters.by, today=today
        )
        last = _rollup_aggregate(parts, filters.by, None, today)
    else:
        last = _aggregate(
            scoped_cases(user, filters, filters.start - year, filters.end - year),
            filters.by,
            None,
            today,
        )
    last_due = last_won = 0
    # Every case falls in one group: the groups add up to the total.
    for data in last:
        last_due, last_won = last_due + data["counted"], last_won + data["won"]
        group = data[key]
        if filters.by == "month":
            group = (group.date() if hasattr(group, "date") else group) + year
        if group in rows:
            rows[group].last_year_rate = pct(data["won"], data["counted"])
    totals.last_year_rate = pct(last_won, last_due)
    return {"rows": list(rows.values()), "totals": totals, "today": today}


def renewal_client_counts(*, user, filters: ReportFilters, today=None) -> dict:
    """The distinct clients (counted, won) of each group of renewal_rates and (key ``TOTAL``)
    of the whole period, exactly as renewal_rates counts them, in one query: what the page
    drawn without them (``clients=False``) reads right after."""
    today = today or timezone.localdate()
    cases = scoped_cases(user, filters, filters.start, filters.end)
    return _client_counts(cases, filters.by, today)


def client_cell_id(key) -> str:
    """The id of the page's client-rate cell of a group (``TOTAL``: the totals' cell)."""
    if key is TOTAL:
        return "client-rate-total"
    return "client-rate-g-" + re.sub(r"[^A-Za-z0-9_-]", "_", str(key))


def renewal_rate_tables(*, user, filters: ReportFilters, today=None) -> list[Table]:
    """The renewal rates (renewal_rates) as the dashboard's table (renewal_rate_layout)."""
    return renewal_rate_layout(renewal_rates(user=user, filters=filters), filters=filters)


def renewal_rate_layout(figures: dict, *, filters: ReportFilters, clients_url="") -> list[Table]:
    """The renewal rates as a dashboard table; each count links to the cases behind it. With
    ``clients_url`` (figures without the clients) the client-rate cells wait for that
    fragment (renewal_client_counts), and the chart leaves the client rate out."""
    columns = _columns(filters.currency, chart_clients=not clients_url)

    def as_row(row: RateRow, label=None) -> Row:
        values = {c.key: getattr(row, c.key) for c in columns}
        if clients_url:
            values["client_rate"] = Pending(client_cell_id(TOTAL if label else row.key))
        links = _links(row, filters, today=figures.get("today") or timezone.localdate())
        return Row(label=label or row.label, values=values, links=links,
                   key=row.key)  # fmt: skip

    labels = {
        "month": _("Month of expiry"), "agent": _("Agent"), "team": _("Team"),
        "insurer": _("Insurer"), "line": _("Line of business"),
    }  # fmt: skip
    return [
        Table(
            slug="renewals", title=_("Renewal rate"), group_label=labels[filters.by],
            columns=columns, rows=[as_row(r) for r in figures["rows"]],
            totals=as_row(figures["totals"], _("Total")),
            chart="line" if filters.by == "month" else "bar",
            empty=_("No policy ends in this period."), deferred_url=clients_url,
            note=_("The rates count the cases decided (won, lost, lapsed) or past their end "
                   "date; the cases still open before their end date are not counted yet and "
                   "stand in the “Still open” column."),
        )
    ]  # fmt: skip


def _columns(currency: str, *, chart_clients=True) -> list[Column]:
    return [
        Column("due", pgettext("renewals due in the period", "Due")),
        Column("won", pgettext("renewal cases counted", "Won")),
        Column("lost", pgettext("renewal cases counted", "Lost")),
        Column("lapsed", pgettext("renewal cases counted", "Lapsed")),
        Column("open", _("Still open"), INT, _("before their end date, not counted yet")),
        Column("policy_rate", _("Policies"), PCT,
               _("renewed ÷ (due − still open): decided or ended"), chart=True),
        Column("client_rate", _("Clients"), PCT,
               _("clients who renewed ÷ clients due, still open left out"),
               chart=chart_clients),
        Column("premium_rate", _("Premium"), PCT,
               _("renewed premium ÷ premium due, still open left out"), chart=True),
        Column("premium_due", _("Premium due (%(currency)s)") % {"currency": currency},
               MONEY),
        Column("premium_won",
               _("Premium renewed (%(currency)s)") % {"currency": currency}, MONEY),
        Column("last_year_rate", _("Last year"), PCT, _("policies, same period")),
    ]  # fmt: skip


# The renewal list's parameter for each grouping (a month is a range of end dates instead).
GROUP_PARAMS = {"agent": "agent", "team": "team", "insurer": "insurer", "line": "line"}


def _links(row: RateRow, filters: ReportFilters, *, today) -> dict:
    """Each count's link to the renewal list, showing exactly the cases it counts (the still
    open ones: those ending from today on)."""
    query = {"ends_from": filters.start.isoformat(), "ends_to": filters.end.isoformat(),
             **filters.scope()}  # fmt: skip
    if row.key is not None:
        if filters.by == "month":
            last = row.key + relativedelta(months=1) - relativedelta(days=1)
            query.update(ends_from=max(row.key, filters.start).isoformat(),
                         ends_to=min(last, filters.end).isoformat())  # fmt: skip
        else:
            query[GROUP_PARAMS[filters.by]] = row.key
    query = {k: v for k, v in query.items() if v not in ("", None)}
    url = reverse("renewals:list")
    links = {
        name: f"{url}?{urlencode({**query, 'status': status})}"
        for name, status in (("due", NOT_CANCELLED), ("won", CaseStatus.WON),
                             ("lost", CaseStatus.LOST), ("lapsed", CaseStatus.LAPSED))
    }  # fmt: skip
    if today.isoformat() <= query["ends_to"]:
        still_open = {**query, "status": CaseStatus.OPEN,
                      "ends_from": max(query["ends_from"], today.isoformat())}  # fmt: skip
        links["open"] = f"{url}?{urlencode(still_open)}"
    return links
