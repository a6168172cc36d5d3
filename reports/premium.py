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
from .renewal_rate import ZERO, group_labels
from .tables import INT, MONEY, PCT, Column, Row, Table, pct

CENT = Decimal("0.01")
# Each grouping's key (the names of agents and insurers are read apart: group_labels).
GROUPS = {
    "day": "written_on", "month": "month", "agent": "agent_id", "insurer": "insurer_id",
    "line": "line",
}  # fmt: skip


def written_policies(user, filters: ReportFilters):
    """The policies written in the range that the user may see, in the report's currency."""
    qs = Policy.objects.visible_to(user).filter(
        written_on__gte=filters.start, written_on__lte=filters.end
    )
    return filters.narrow(qs)


def premium_tables(*, user, filters: ReportFilters, today=None) -> list[Table]:
    """One aggregate query (and one for the agents' or insurers' names): per group, policies
    and premium written, split into new business (a policy that renews none) and renewals (a
    policy that renews an earlier one)."""
    by = filters.by or "day"
    key = GROUPS[by]
    qs = written_policies(user, filters)
    if by == "month":
        qs = qs.annotate(month=TruncMonth("written_on"))
    renewal = Q(previous_policy__isnull=False)
    data = (
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
    currency = filters.currency
    columns = [
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
    url = reverse("policies:list")
    base = {"written_from": filters.start.isoformat(), "written_to": filters.end.isoformat(),
            **filters.scope()}  # fmt: skip

    def links(group) -> dict:
        query = dict(base)
        if by == "day" and group is not None:
            query.update(written_from=group.isoformat(), written_to=group.isoformat())
        elif by == "month" and group is not None:
            last = group + relativedelta(months=1) - relativedelta(days=1)
            query.update(written_from=max(group, filters.start).isoformat(),
                         written_to=min(last, filters.end).isoformat())  # fmt: skip
        elif by in ("agent", "insurer", "line") and group is not None:
            query[by] = group
        query = {k: v for k, v in query.items() if v not in ("", None)}
        return {
            "policies": f"{url}?{urlencode(query)}",
            "new": f"{url}?{urlencode({**query, 'kind': 'new'})}",
            "renewals": f"{url}?{urlencode({**query, 'kind': 'renewal'})}",
        }

    def values(d: dict) -> dict:
        d = {**d, "premium": d["written"]}
        return {
            **{k: d[k] for k in ("policies", "premium", "new", "new_premium", "renewals",
                                 "renewal_premium")},
            "renewal_share": pct(d["renewal_premium"], d["premium"]),
            "average": (d["premium"] / d["policies"]).quantize(CENT, ROUND_HALF_UP)
            if d["policies"] else None,
        }  # fmt: skip

    rows = []
    totals = dict.fromkeys(("policies", "new", "renewals"), 0) | dict.fromkeys(
        ("written", "new_premium", "renewal_premium"), Decimal("0")
    )
    data = list(data)
    for d in data:
        if by == "month" and hasattr(d[key], "date"):
            d[key] = d[key].date()
    names = group_labels(by, [d[key] for d in data])
    for d in data:
        group = d[key]
        rows.append(Row(label=names.get(group, "—"), values=values(d), links=links(group),
                        key=group))  # fmt: skip
        for name in totals:
            totals[name] += d[name]
    labels = {"day": _("Day written"), "month": _("Month written"), "agent": _("Agent"),
              "insurer": _("Insurer"), "line": _("Line of business")}  # fmt: skip
    return [
        Table(
            slug="premium", title=_("Written premium"), group_label=labels[by],
            columns=columns, rows=rows,
            totals=Row(label=_("Total"), values=values(totals), links=links(None)),
            chart="bar", empty=_("No policy was written in this period."),
            note=_("Policies imported from the insurers' reports were not sold in Cartera and "
                   "are not counted."),
        )
    ]  # fmt: skip
