"""The reads every report shares: the renewal cases a report counts, and the names shown for
the keys its rows are grouped on."""

from decimal import Decimal

from django.db.models import DecimalField, Value

from brokerage.accounts.models import Team, User
from policies.models import Insurer, Line
from renewals.models import CaseStatus
from renewals.selectors import cases_visible_to

from .filters import ReportFilters

# A sum over no rows is NULL in SQL: Coalesce(Sum(...), ZERO) makes it zero.
ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=14, decimal_places=2))


def scoped_cases(user, filters: ReportFilters, start, end):
    """The renewal cases the user may see whose policy ends between start and end, narrowed by
    the report's filters (team, agent, insurer, line, currency); cancelled cases left out."""
    qs = (
        cases_visible_to(user)
        .filter(end_date__gte=start, end_date__lte=end)
        .exclude(status=CaseStatus.CANCELLED)
    )
    return filters.narrow(qs)


def line_label(value: str) -> str:
    return str(Line(value).label) if value in Line.values else str(value)


def group_labels(by: str, keys) -> dict:
    """The name shown for each key of a report's grouping (day, month, line; one query for
    agents, teams or insurers), so that the aggregates group on the key alone."""
    keys = [k for k in keys if k is not None]
    if by == "day":
        return {k: k.isoformat() for k in keys}
    if by == "month":
        return {k: k.strftime("%Y-%m") for k in keys}
    if by == "line":
        return {k: line_label(k) for k in keys}
    if by == "agent":
        users = User.objects.filter(pk__in=keys).only("first_name", "last_name", "username")
        return {u.pk: str(u) for u in users}
    model = Team if by == "team" else Insurer
    return dict(model.objects.filter(pk__in=keys).values_list("pk", "name"))
