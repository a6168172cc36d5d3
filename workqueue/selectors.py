from datetime import date
from itertools import groupby

from django.db.models import QuerySet

from . import kinds
from .models import ItemStatus, WorkItem


def queue_for_agent(*, user, day: date) -> QuerySet[WorkItem]:
    """The agent's open items due on or before ``day``, most urgent first."""
    return WorkItem.objects.filter(agent=user, status=ItemStatus.OPEN, due_on__lte=day).order_by(
        "-priority", "due_on", "callback_at", "pk"
    )


def group_by_kind(items) -> list[dict]:
    """Group a page of items by kind, in the kinds' registered order."""
    ordered = sorted(items, key=lambda i: (kinds.get(i.kind).order, i.kind))
    return [
        {"kind": kinds.get(name), "items": list(group)}
        for name, group in groupby(ordered, key=lambda i: i.kind)
    ]
