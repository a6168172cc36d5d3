from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import groupby

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import kinds
from .models import DistributionRun, ItemStatus, Queue, WorkItem


def queue_for_agent(*, user, day: date) -> QuerySet[WorkItem]:
    """The agent's open items due on or before ``day``, most urgent first."""
    return WorkItem.objects.filter(
        agent=user, queue=Queue.AGENT, status=ItemStatus.OPEN, due_on__lte=day
    ).order_by("-priority", "due_on", "callback_at", "pk")


def queue_for_maintainers(*, day: date) -> QuerySet[WorkItem]:
    """The maintainers' queue: contacts to fix after three failed attempts, lapsed cases."""
    return WorkItem.objects.filter(
        queue=Queue.MAINTAINERS, status=ItemStatus.OPEN, due_on__lte=day
    ).order_by("-priority", "due_on", "pk")


def attach_context(items) -> list[WorkItem]:
    """Give each item its kind (``item.kind_info``), what the kind shows for it
    (``item.ctx``) and the results its card offers (``item.offered``: each result with the
    page it opens, if any): one call per kind present, whatever the number of items."""
    items = list(items)
    for name, group in groupby(sorted(items, key=lambda i: i.kind), key=lambda i: i.kind):
        group = list(group)
        kind = kinds.get(name)
        context = kind.context(group) if kind.context else {}
        for item in group:
            item.kind_info = kind
            item.ctx = context.get(item.pk, {})
            item.offered = _offered(kind, item.ctx)
    return items


def _offered(kind, ctx: dict) -> list[dict]:
    offered = []
    for result in kind.results:
        if result.needs_time or (result.when and not ctx.get(result.when)):
            continue
        url = ctx.get(result.page) if result.page else None
        if result.page and not url:
            continue
        offered.append({"result": result, "url": url})
    return offered


def queue_export_columns(items) -> list:
    """The export's kind columns for the kinds present, in the kinds' order; columns that
    several kinds share by key appear once."""
    present = sorted(
        (kinds.get(name) for name in {i.kind for i in items}), key=lambda k: (k.order, k.name)
    )
    columns, seen = [], set()
    for kind in present:
        for column in kind.export_columns:
            if column.key not in seen:
                seen.add(column.key)
                columns.append(column)
    return columns


def group_by_kind(items) -> list[dict]:
    """Group a page of items by kind, in the kinds' registered order."""
    ordered = sorted(items, key=lambda i: (kinds.get(i.kind).order, i.kind))
    return [
        {"kind": kinds.get(name), "items": list(group)}
        for name, group in groupby(ordered, key=lambda i: i.kind)
    ]


def callback_proposals(now: datetime | None = None, count: int = 3) -> list[datetime]:
    """The next starts of the preferred call-back windows (9:30–11:00, 15:30–17:00)."""
    now = timezone.localtime(now or timezone.now())
    starts = []
    day = now.date()
    while len(starts) < count:
        for start, _end in settings.CALLBACK_WINDOWS:
            hours, minutes = (int(x) for x in start.split(":"))
            at = timezone.make_aware(datetime.combine(day, time(hours, minutes)))
            if at > now and len(starts) < count:
                starts.append(at)
        day += timedelta(days=1)
    return starts


def points_leaderboard(*, user, now: datetime | None = None) -> list[dict]:
    """Points today and this month for the agent's team (or the agent alone), best first, in
    one query."""
    now = timezone.localtime(now or timezone.now())
    day_start = timezone.make_aware(datetime.combine(now.date(), time.min))
    month_start = timezone.make_aware(datetime.combine(now.date().replace(day=1), time.min))
    users = get_user_model().objects
    people = users.filter(pk=user.pk)
    if user.team_id:
        # Ids in a subquery: joining the groups here would multiply the sums.
        team = users.active_agents().filter(team_id=user.team_id).values("pk")
        people = users.filter(Q(pk=user.pk) | Q(pk__in=team))
    zero = Value(Decimal("0"), output_field=DecimalField(max_digits=12, decimal_places=2))
    rows = (
        people.annotate(
            today=Coalesce(
                Sum("points_awards__points", filter=Q(points_awards__awarded_at__gte=day_start)),
                zero,
            ),
            month=Coalesce(
                Sum("points_awards__points", filter=Q(points_awards__awarded_at__gte=month_start)),
                zero,
            ),
        )
        .order_by("-month", "-today", "first_name", "username")
        .only("pk", "first_name", "last_name", "username")
    )
    return [
        {
            "user": row,
            "name": row.get_full_name() or row.username,
            "today": row.today,
            "month": row.month,
            "me": row.pk == user.pk,
        }
        for row in rows
    ]


def distribution_runs() -> QuerySet[DistributionRun]:
    return DistributionRun.objects.select_related("by", "team")
