"""Written premium (seed 001's daily premium report): the premium of the policies the brokerage
sold in the period, new business against renewals, by day, month, agent, insurer or line.

A policy's written premium counts on the day it was written in Cartera (``Policy.written_on``);
the book imported from the insurers' reports was not sold here and is not counted."""

from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from policies.models import Policy

from .filters import ReportFilters
from .selectors import ZERO, group_labels
from .tables import INT, MONEY, PCT, Column, Row, Table, pct

CENT = Decimal("0.01")
# Each grouping's key (the names of agents and insurers are read apart: group_labels).
GROUPS = {
    "day": "written_on", "month": "month", "agent": "agent_id", "insurer": "insurer_id",
    "line": "line",
}  # fmt: skip
# What written_premium counts per group and in total.
FIGURES = ("policies", "written", "new", "new_premium", "renewals", "renewal_premium")
MONEY_FIGURES = ("written", "new_premium", "renewal_premium")


def written_policies(user, filters: ReportFilters):
    """The policies written in the range that the user may see, in the report's currency."""
    qs = Policy.objects.visible_to(user).filter(
        written_on__gte=filters.start, written_on__lte=filters.end
    )
    return filters.narrow(qs)


def premium_tables(*, user, filters: ReportFilters, today=None) -> list[Table]:
    """The written premium (written_premium) as the dashboard's table (premium_layout)."""
    return premium_layout(written_premium(user=user, filters=filters), filters=filters)


def written_premium(*, user, filters: ReportFilters) -> dict:
    """One aggregate query (and one for the agents' or insurers' names): per group, policies
    and premium written, split into new business (a policy that renews none) and renewals (a
    policy that renews an earlier one); and the totals. ``rows`` are dicts of the group's
    ``key``, its ``label`` and the FIGURES; ``totals`` a dict of the FIGURES."""
    by = _grouping(filters)
    key = GROUPS[by]
    qs = written_policies(user, filters)
    if by == "month":
        qs = qs.annotate(month=TruncMonth("written_on"))
    renewal = Q(previous_policy__isnull=False)
    data = list(
        qs.values(key)
        .annotate(
            policies=Count("pk"),
            written=Coalesce(Sum("premium"), ZERO),
            new=Count("pk", filter=~renewal),
            new_premium=Coalesce(Sum("premium", filter=~renewal), ZERO),
            renewals=Count("pk", filter=renewal),
            renewal_premium=Coalesce(Sum("premium", filter=renewal), ZERO),
        )
        .order_by(key)
    )
    for d in data:
        if by == "month" and hasattr(d[key], "date"):
            d[key] = d[key].date()
    names = group_labels(by, [d[key] for d in data])
    rows = [{"key": d[key], "label": names.get(d[key], "—"), **{k: d[k] for k in FIGURES}}
            for d in data]  # fmt: skip
    totals = {k: sum((d[k] for d in data), Decimal("0") if k in MONEY_FIGURES else 0)
              for k in FIGURES}  # fmt: skip
    return {"rows": rows, "totals": totals}


def _grouping(filters: ReportFilters) -> str:
    return filters.by or "day"


def premium_layout(figures: dict, *, filters: ReportFilters) -> list[Table]:
    """The written premium as a dashboard table: the renewals' share and the average premium
    worked out per row; each count links to the policies behind it."""
    by = _grouping(filters)
    rows = [
        Row(label=d["label"], values=_values(d), links=_links(d["key"], by, filters), key=d["key"])
        for d in figures["rows"]
    ]
    labels = {"day": _("Day written"), "month": _("Month written"), "agent": _("Agent"),
              "insurer": _("Insurer"), "line": _("Line of business")}  # fmt: skip
    totals = figures["totals"]
    return [
        Table(
            slug="premium", title=_("Written premium"), group_label=labels[by],
            columns=_columns(filters.currency), rows=rows,
            totals=Row(label=_("Total"), values=_values(totals), links=_links(None, by, filters)),
            chart="bar", empty=_("No policy was written in this period."),
            note=_("Policies imported from the insurers' reports were not sold in Cartera and "
                   "are not counted."),
        )
    ]  # fmt: skip


def _columns(currency: str) -> list[Column]:
    return [
        Column("policies", _("Policies written"), INT),
        Column("premium", _("Premium written (%(c)s)") % {"c": currency}, MONEY,
               _("sum of the premium of the policies sold")),
        Column("new", _("New business"), INT, _("policies that renew none")),
        Column("new_premium", _("New business premium"), MONEY, chart=True),
        Column("renewals", _("Renewals"), INT, _("policies that renew an earlier one")),
        Column("renewal_premium", _("Renewal premium"), MONEY, chart=True),
        Column("renewal_share", _("Renewals' share"), PCT,
               _("renewal premium ÷ premium written")),
        Column("average", _("Average premium"), MONEY, _("premium written ÷ policies")),
    ]  # fmt: skip


def _values(d: dict) -> dict:
    d = {**d, "premium": d["written"]}
    return {
        **{k: d[k] for k in ("policies", "premium", "new", "new_premium", "renewals",
                             "renewal_premium")},
        "renewal_share": pct(d["renewal_premium"], d["premium"]),
        "average": (d["premium"] / d["policies"]).quantize(CENT, ROUND_HALF_UP)
        if d["policies"] else None,
    }  # fmt: skip


def _links(group, by: str, filters: ReportFilters) -> dict:
    """The policies behind a row's counts (``group`` None: behind the totals)."""
    query = {"written_from": filters.start.isoformat(), "written_to": filters.end.isoformat(),
             **filters.scope()}  # fmt: skip
    if by == "day" and group is not None:
        query.update(written_from=group.isoformat(), written_to=group.isoformat())
    elif by == "month" and group is not None:
        last = group + relativedelta(months=1) - relativedelta(days=1)
        query.update(written_from=max(group, filters.start).isoformat(),
                     written_to=min(last, filters.end).isoformat())  # fmt: skip
    elif by in ("agent", "insurer", "line") and group is not None:
        query[by] = group
    query = {k: v for k, v in query.items() if v not in ("", None)}
    url = reverse("policies:list")
    return {
        "policies": f"{url}?{urlencode(query)}",
        "new": f"{url}?{urlencode({**query, 'kind': 'new'})}",
        "renewals": f"{url}?{urlencode({**query, 'kind': 'renewal'})}",
    }
