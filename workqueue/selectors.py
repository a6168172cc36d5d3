from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import groupby

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from brokerage.core.names import person_name
from brokerage.core.reversing import pk_url

from . import kinds
from .models import DistributionRun, ItemResult, ItemStatus, PointsAward, Queue, WorkItem
from .results import CALL_BACK
from .rows import ID_MARKS, CompiledRows, rows_together


def queue_for_agent(*, user, day: date, now: datetime | None = None) -> QuerySet[WorkItem]:
    """The agent's open items due on or before ``day`` (nothing due that day is hidden), most
    urgent first: what can be called now (call-backs whose time has come first, by time),
    then the call-backs set for later that day, at their time."""
    now = now or timezone.now()
    return (
        _agent_items(user, day)
        .annotate(
            callback_later=Case(
                When(callback_at__gt=now, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .order_by(
            "-priority", "due_on", "callback_later", F("callback_at").asc(nulls_last=True), "pk"
        )
    )


def _agent_items(user, day: date) -> QuerySet[WorkItem]:
    """The agent's (a user or their id) open items due on or before ``day``, unordered."""
    return WorkItem.objects.filter(
        agent=user, queue=Queue.AGENT, status=ItemStatus.OPEN, due_on__lte=day
    )


_DAY = date(1901, 1, 3)  # a day and a moment no item has, the marks of the compiled queries
_NOW = datetime(1901, 1, 3, tzinfo=UTC)
_QUEUE_COUNT = CompiledRows(
    lambda user, day: _agent_items(user, day).order_by().values("agent").annotate(n=Count("pk"))
    .values_list("n"),
    ID_MARKS[0],
    _DAY,
)  # fmt: skip
_QUEUE_PAGES: dict[tuple, CompiledRows] = {}
_PAGES_AHEAD = 100


def _queue_page(key: tuple) -> CompiledRows:
    """The compiled query of the items ``[start:stop]`` of an agent's queue."""
    query = _QUEUE_PAGES.get(key)
    if query is None:
        if len(_QUEUE_PAGES) > 200:
            _QUEUE_PAGES.clear()
        query = _QUEUE_PAGES[key] = CompiledRows(
            lambda user, day, now: queue_for_agent(user=user, day=day, now=now)[slice(*key)],
            ID_MARKS[0],
            _DAY,
            _NOW,
        )
    return query


class AgentQueue:
    """``queue_for_agent`` for a ``Paginator``: its count and its pages' items from queries
    compiled once per process (workqueue.rows; each page's offset is written in its SQL, so
    one compiled query per page size and offset). Building and compiling the two queries cost
    about 1.5 ms of every call-list page. Given the page the request asks for (``page``, as
    ``Paginator.get_page`` takes it, of ``per_page`` items), the count reads that page's items
    in the same round trip (``workqueue.rows.rows_together``), and the paginator's slice of
    them is not read again; any other slice is read on its own."""

    def __init__(
        self, *, user, day: date, now: datetime | None = None, page=None, per_page=0, along=()
    ):
        self.user_id, self.day, self.now = user.pk, day, now or timezone.now()
        self._ahead: tuple[int, int] | None = None
        self._read: list | None = None
        # Other compiled queries of the page, ``(CompiledRows, values)``, read with the count:
        # their rows in ``along_rows`` once the paginator has counted.
        self._along = tuple(along)
        self.along_rows: list | None = None
        if per_page:
            try:
                number = max(int(page), 1)
            except (TypeError, ValueError):
                number = 1
            if number <= _PAGES_AHEAD:  # no query compiled for any number a URL may carry
                self._ahead = ((number - 1) * per_page, number * per_page)

    def _values(self) -> tuple:
        return (self.user_id, self.day, self.now)

    def count(self) -> int:
        queries = [(_QUEUE_COUNT, (self.user_id, self.day))]
        if self._ahead is not None:
            queries.append((_queue_page(self._ahead), self._values()))
        read = rows_together(*queries, *self._along)
        rows = read[0]
        if self._ahead is not None:
            self._read = read[1]
        self.along_rows = read[len(queries) :]
        return rows[0][0] if rows else 0

    def __getitem__(self, page: slice) -> list[WorkItem]:
        key = (page.start or 0, page.stop)
        if page.stop is not None and page.stop <= key[0]:
            return []  # an empty list's only page
        if self._read is not None and key[0] == self._ahead[0]:
            if page.stop is not None and page.stop <= self._ahead[1]:
                # The page read with the count (the last page's slice stops at the count).
                rows = self._read[: page.stop - key[0]]
                return _queue_page(self._ahead).instances_of(rows)
        return _queue_page(key).instances(*self._values())


def callbacks_for_agent(*, user) -> QuerySet[WorkItem]:
    """The agent's open items with a call-back set, by call-back time, each with the note of
    the call-back (``callback_note``)."""
    codes = {r.code for kind in kinds.registered() for r in kind.results if r.needs_time}
    note = (
        ItemResult.objects.filter(item=OuterRef("pk"), result__in=codes or {CALL_BACK.code})
        .order_by("-at", "-pk")
        .values("note")[:1]
    )
    return (
        WorkItem.objects.filter(
            agent=user, queue=Queue.AGENT, status=ItemStatus.OPEN, callback_at__isnull=False
        )
        .annotate(callback_note=Subquery(note))
        .order_by("callback_at", "pk")
    )


def callback_sections(items, *, now: datetime | None = None) -> list[dict]:
    """Split call-backs (by time) into missed, today, the rest of this week and later."""
    now = timezone.localtime(now or timezone.now())
    week_end = now.date() + timedelta(days=6 - now.weekday())
    sections = {"missed": [], "today": [], "week": [], "later": []}
    for item in items:
        day = timezone.localdate(item.callback_at)
        if item.callback_at <= now:
            sections["missed"].append(item)
        elif day == now.date():
            sections["today"].append(item)
        elif day <= week_end:
            sections["week"].append(item)
        else:
            sections["later"].append(item)
    return [{"key": key, "items": items} for key, items in sections.items()]


def queue_for_maintainers(*, day: date) -> QuerySet[WorkItem]:
    """The maintainers' queue: contacts to fix after three failed attempts, lapsed cases."""
    return WorkItem.objects.filter(
        queue=Queue.MAINTAINERS, status=ItemStatus.OPEN, due_on__lte=day
    ).order_by("-priority", "due_on", "pk")


def attach_context(items) -> list[WorkItem]:
    """Give each item its kind (``item.kind_info``), what the kind shows for it
    (``item.ctx``) and the results its card offers (``item.offered``: each result with the
    page it opens, if any): one call per kind present, whatever the number of items. An item
    with a call-back says whether its time has come (``item.callback_due``) and whether it is
    today's (``item.callback_today``)."""
    items = list(items)
    now = timezone.now()
    for item in items:
        item.callback_due = item.callback_at is not None and item.callback_at <= now
        item.callback_today = item.callback_at is not None and (
            timezone.localdate(item.callback_at) == timezone.localdate(now)
        )
    for name, group in groupby(sorted(items, key=lambda i: i.kind), key=lambda i: i.kind):
        group = list(group)
        kind = kinds.get(name)
        context = kind.context(group) if kind.context else {}
        for item in group:
            item.kind_info = kind
            item.ctx = context.get(item.pk, {})
            # A phone number formats itself each time it is shown (tel: link, text, export):
            # written once here (0.2 ms each, five times a card).
            if item.ctx.get("phone"):
                item.ctx["phone"] = str(item.ctx["phone"])
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


# The marks the call-back form is written with once per page, replaced on each card by the
# item's id and a submission token of its own (workqueue_tags.stamp).
STAMP_PK = 987_654_321_098
STAMP_TOKEN = "stamp-token-0b6f1c"  # noqa: S105 (a mark replaced on each card, not a secret)


STAMP_CSRF = "stamp-csrf-5d0e2a"  # noqa: S105 (a mark replaced by the request's token)

# The call-back form by language, time zone and proposed times (they change twice a day):
# written once per process, with marks for the item, its submission token and the request's
# CSRF token.
_CALLBACK_FORMS: dict[tuple, str] = {}


def callback_form(request, now: datetime | None = None) -> str:
    """The call-back form every card of a page shows (the same proposed times and words on
    each; only the item differs), written once per page instead of once per card, from a copy
    written once per language and proposed times with the request's CSRF token put in."""
    choices = callback_proposals(now)
    key = (get_language(), timezone.get_current_timezone_name(), tuple(choices))
    form = _CALLBACK_FORMS.get(key)
    if form is None:
        if len(_CALLBACK_FORMS) > 1000:
            _CALLBACK_FORMS.clear()
        form = _CALLBACK_FORMS[key] = render_to_string(
            "workqueue/_callback_form.html",
            {
                "pk": STAMP_PK,
                "result_url": pk_url("workqueue:result")(STAMP_PK),
                "token": STAMP_TOKEN,
                "choices": choices,
                "csrf_token": STAMP_CSRF,
            },
        )
    return mark_safe(form.replace(STAMP_CSRF, escape(get_token(request))))  # noqa: S308


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


def _leaderboard_rows(user_pk, team_id, day_start, month_start):
    """Each person's points since the day's and the month's start: the agent (``user_pk``) and,
    with a ``team_id``, the team's active agents."""
    users = get_user_model().objects
    people = users.filter(pk=user_pk)
    if team_id is not None:
        # Ids in a subquery: joining the groups here would multiply the sums.
        team = users.active_agents().filter(team_id=team_id).values("pk")
        people = users.filter(Q(pk=user_pk) | Q(pk__in=team))
    money = DecimalField(max_digits=12, decimal_places=2)
    zero = Value(Decimal("0"), output_field=money)

    def points_since(start):
        # Each person's own awards since the start, found through the (awarded_at, agent)
        # index: joining every award to the team made PostgreSQL read the whole table (386,527
        # awards, 80–145 ms of the call list at a million policies).
        return Coalesce(
            Subquery(
                PointsAward.objects.filter(agent_id=OuterRef("pk"), awarded_at__gte=start)
                .order_by()
                .values("agent_id")
                .annotate(total=Sum("points"))
                .values("total"),
                output_field=money,
            ),
            zero,
        )

    return (
        people.annotate(today=points_since(day_start), month=points_since(month_start))
        .order_by("-month", "-today", "first_name", "username")
        .values_list("pk", "first_name", "last_name", "username", "today", "month")
    )


# The leaderboard's query, alone or with a team, compiled once per process (workqueue.rows):
# building and compiling it cost 1–1.5 ms of each call-list page, and reading the people as
# model instances as much again. It is read afresh on every page (no cache: points a result
# just earned show at once).
_TIMES = (
    datetime(1901, 1, 1, tzinfo=UTC),
    datetime(1901, 1, 2, tzinfo=UTC),
)
_LEADERBOARD_ALONE = CompiledRows(
    lambda user_pk, day, month: _leaderboard_rows(user_pk, None, day, month),
    ID_MARKS[0],
    *_TIMES,
)
_LEADERBOARD_TEAM = CompiledRows(_leaderboard_rows, ID_MARKS[0], ID_MARKS[1], *_TIMES)


def leaderboard_query(*, user, now: datetime | None = None) -> tuple:
    """The leaderboard's compiled query and its values (``(CompiledRows, values)``), for
    ``workqueue.rows.rows_together``; ``points_leaderboard(rows=)`` reads its rows."""
    now = timezone.localtime(now or timezone.now())
    day_start = timezone.make_aware(datetime.combine(now.date(), time.min))
    month_start = timezone.make_aware(datetime.combine(now.date().replace(day=1), time.min))
    if user.team_id:
        return _LEADERBOARD_TEAM, (user.pk, user.team_id, day_start, month_start)
    return _LEADERBOARD_ALONE, (user.pk, day_start, month_start)


def points_leaderboard(*, user, now: datetime | None = None, rows=None) -> list[dict]:
    """Points today and this month for the agent's team (or the agent alone), best first, in
    one query (or from its ``rows``, read with others by ``leaderboard_query``)."""
    if rows is None:
        query, values = leaderboard_query(user=user, now=now)
        rows = query.rows(*values)
    return [
        {
            "pk": pk,
            "name": person_name(first_name, last_name) or username,
            "today": today,
            "month": month,
            "me": pk == user.pk,
        }
        for pk, first_name, last_name, username, today, month in rows
    ]


def distribution_runs() -> QuerySet[DistributionRun]:
    return DistributionRun.objects.select_related("by", "team")
