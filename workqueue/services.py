"""Every write to the work queue: creating items (one, or set-based for the jobs), handing
them out, logging results, sending them to the maintainers and back, closing them, awarding
points. Nothing outside ``workqueue/`` writes its tables; a pipeline calls these.

The hand-out rule lives here and only here: an item given to an agent is stamped
``handed_out_at`` (the 17:00-next-day deadline counts from it) and starts with no first
contact; an item with no agent waits for the distribution. An item is handed out when it
falls due: now, or the start of its due day when that is still ahead (a report's hand-out
date), so that no deadline runs on work the agent cannot see yet. The item's first contact result
since its hand-out (``first_contact_at``/``first_contact_by``, read by agent performance) is
kept by this module on every result and hand-out: every write goes through it, so no trigger
is needed."""

from datetime import date, datetime, time, timedelta
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from brokerage.core.retry import retry_on_deadlock
from brokerage.core.sql import SqlNames

from . import kinds
from .models import ItemResult, ItemStatus, PointsAward, Queue, WorkItem
from .results import CLOSED, CONTACT_FIXED, MAX_FAILED_ATTEMPTS

# What a hand-out resets: the deadline counts from now, earlier results are not this
# hand-out's contact.
_FRESH_CONTACT = {"first_contact_at": None, "first_contact_by": None}


def _handed_out_when(now: datetime, due_on: date | None) -> datetime:
    """When an item given to an agent now is handed out: now, or the start of its due day when
    that is later."""
    if due_on is None:
        return now
    return max(now, timezone.make_aware(datetime.combine(due_on, time.min)))


def _hand_out_fields(agent_id, now, due_on: date | None = None) -> dict:
    handed = _handed_out_when(now, due_on) if agent_id else None
    return {"handed_out_at": handed, **_FRESH_CONTACT}


# -- creating items ------------------------------------------------------------------------


@transaction.atomic
def item_create(
    *,
    kind: str,
    subject_id: int,
    key: str = "",
    title: str,
    due_on: date,
    agent=None,
    queue: str = Queue.AGENT,
    priority: int = 0,
    reopen: bool = False,
    callback_at: datetime | None = None,
) -> WorkItem:
    """One item for one subject. A second call for the same (kind, subject, key) returns the
    item already there (the unique constraint decides); with ``reopen`` a closed one is opened
    again for ``agent`` on ``due_on`` (a follow-up scheduled again). ``callback_at``: a time
    already agreed with the client (a call booked for then, on ``due_on``): the call list
    orders the item at that time as it does a call-back."""
    now = timezone.now()
    agent_id = getattr(agent, "pk", agent)
    fields = {
        "title": title[:255], "agent_id": agent_id, "queue": queue, "due_on": due_on,
        "priority": priority, "status": ItemStatus.OPEN,
        **_hand_out_fields(agent_id, now, due_on),
    }  # fmt: skip
    if callback_at is not None:
        fields["callback_at"] = callback_at
    item, created = WorkItem.objects.get_or_create(
        kind=kind, subject_id=subject_id, key=key, defaults=fields
    )
    if created or not reopen:
        return item
    item = WorkItem.objects.select_for_update().get(pk=item.pk)
    if item.status == ItemStatus.OPEN and item.agent_id == agent_id:
        fields = {k: v for k, v in fields.items() if k not in ("handed_out_at", *_FRESH_CONTACT)}
    for name, value in fields.items():
        setattr(item, name, value)
    item.done_at = None
    item.save()
    return item


# The columns a set-based select must yield, in this order.
ITEM_SELECT_COLUMNS = ("subject_id", "key", "title", "agent_id", "queue", "due_on", "priority")


def items_create(*, kind: str, select: QuerySet | tuple[str, list], now=None) -> int:
    """Set-based creation for the jobs: one INSERT … SELECT whatever the number of subjects.
    ``select`` is a queryset of ``values_list(*ITEM_SELECT_COLUMNS)`` or ``(sql, params)``
    yielding those columns in that order. An item already there for (kind, subject, key) is
    left alone (``ON CONFLICT DO NOTHING``), so a job run twice, or twice at once, creates each
    item once. Returns the number of items created."""
    statement, params = _items_insert(kind, select, now)
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return max(cursor.rowcount, 0)


def items_create_by_key(
    *, kind: str, select: QuerySet | tuple[str, list], now=None
) -> dict[str, int]:
    """``items_create`` for a select yielding items of several keys (a ladder's rungs in one
    pass over its cases): the same one statement, returning the number created per key."""
    statement, params = _items_insert(kind, select, now)
    quote = connection.ops.quote_name
    key = quote(WorkItem._meta.get_field("key").column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH created AS ({statement} RETURNING {key}) "  # noqa: S608 - names from _meta
            f"SELECT {key}, COUNT(*) FROM created GROUP BY {key}",
            params,
        )
        return dict(cursor.fetchall())


def _items_insert(kind: str, select: QuerySet | tuple[str, list], now) -> tuple[str, list]:
    """The INSERT … SELECT of ``items_create`` and its parameters."""
    now = now or timezone.now()
    if isinstance(select, QuerySet):
        sql, params = select.query.sql_with_params()
    else:
        sql, params = select
    meta = WorkItem._meta
    column = {f.attname: f.column for f in meta.concrete_fields}
    quote = connection.ops.quote_name
    target = ", ".join(
        quote(column[name])
        for name in ("kind", *ITEM_SELECT_COLUMNS, "status", "attempts", "result",
                     "created_at", "handed_out_at")
    )  # fmt: skip
    alias = ", ".join(ITEM_SELECT_COLUMNS)
    # Each selected value cast to its column's type (a NULL agent is text to PostgreSQL).
    typed = {
        name: f"CAST(s.{name} AS {meta.get_field(name).cast_db_type(connection)})"
        for name in ITEM_SELECT_COLUMNS
    } | {"title": "LEFT(s.title, 255)"}
    unique = ", ".join(quote(column[n]) for n in ("kind", "subject_id", "key"))
    statement = f"""
        INSERT INTO {quote(meta.db_table)} ({target})
        SELECT %s, {", ".join(typed[name] for name in ITEM_SELECT_COLUMNS)}, %s, 0, '', %s,
               CASE WHEN s.agent_id IS NULL THEN NULL
                    ELSE GREATEST(%s::timestamptz, CAST(s.due_on AS timestamp) AT TIME ZONE %s)
               END
        FROM ({sql}) AS s({alias})
        ON CONFLICT ({unique}) DO NOTHING
    """  # noqa: S608 - names come from the model's _meta, values are placeholders
    zone = timezone.get_current_timezone_name()
    return statement, [kind, ItemStatus.OPEN, now, now, zone, *params]


# -- handing out ---------------------------------------------------------------------------


def items_hand_out(*, assignments: dict[int, list[int]], now=None) -> int:
    """Give items to agents ({agent_id: [item ids]}): one UPDATE whatever the number of agents
    and items."""
    pairs = [(item_id, agent_id) for agent_id, ids in assignments.items() for item_id in ids]
    return _items_move(pairs, now=now)


def items_follow_owner(*, kind: str, owners: dict[int, int | None], now=None) -> int:
    """A reassigned client's open work follows it: the open call-list items of these subjects
    ({subject_id: new owner agent id, or None}) move to the new owner, handed out afresh by
    the hand-out rule (handed out now, or on their due day; no first contact yet). Items
    already with that agent are left alone. One UPDATE whatever the number of subjects and
    agents; call it inside the reassignment's transaction."""
    w = SqlNames(WorkItem, "w")
    return _items_move(
        list(owners.items()), now=now, match=w.subject_id,
        where=f"AND {w.kind} = %s AND {w.status} = %s AND {w.queue} = %s "
        f"AND {w.agent} IS DISTINCT FROM moved.to_agent",
        params=[kind, ItemStatus.OPEN, Queue.AGENT],
    )  # fmt: skip


def _items_move(pairs, *, now=None, match: str = "w.id", where: str = "", params=()) -> int:
    """Give items to agents: ``pairs`` are (item id, or the value of the ``match`` column;
    agent id or None), the items stamped by the hand-out rule (``_handed_out_when``, each by
    its own due day) with no first contact yet. One statement."""
    if not pairs:
        return 0
    now = now or timezone.now()
    t, w = SqlNames(WorkItem), SqlNames(WorkItem, "w")
    zone = timezone.get_current_timezone_name()
    sql = f"""
        UPDATE {w.from_} SET {t.agent} = moved.to_agent,
            {t.handed_out_at} = CASE WHEN moved.to_agent IS NULL THEN NULL
                ELSE GREATEST(%s::timestamptz, CAST({w.due_on} AS timestamp) AT TIME ZONE %s) END,
            {t.first_contact_at} = NULL, {t.first_contact_by} = NULL
        FROM unnest(%s::bigint[], %s::bigint[]) AS moved(ref, to_agent)
        WHERE {match} = moved.ref {where}
    """  # noqa: S608 - names from the model's _meta, values are placeholders
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, zone, [k for k, _ in pairs], [a for _, a in pairs], *params])
        return max(cursor.rowcount, 0)


def item_refuse_if_client_hidden(*, item: WorkItem, by) -> None:
    """A result is logged only by someone who can open the item's client (a client moved to
    another agent answers 404 to the old one; so does logging on its work)."""
    visible_to = kinds.get(item.kind).visible_to
    if visible_to is not None and item.subject_id not in visible_to(by, [item.subject_id]):
        raise ValidationError(_("This item's client is no longer yours: it is not in your queue."))


# -- closing -------------------------------------------------------------------------------


def items_close(
    *, kind: str, subject_ids, result: str = "", status: str = ItemStatus.DONE, now=None
) -> int:
    """Close the open items of these subjects in one statement (the subject's work is over:
    a renewal won or lost, a quotation bought); ``result`` names what ended them."""
    changes = {"status": status, "done_at": now or timezone.now()}
    if result:
        changes["result"] = result
    return WorkItem.objects.filter(
        kind=kind, subject_id__in=list(subject_ids), status=ItemStatus.OPEN
    ).update(**changes)


def items_supersede(*, kind: str, created_since, now=None) -> int:
    """A newer item of a subject replaces its older open ones, in one statement: the open
    items of ``kind`` created before ``created_since`` whose subject has an open item created
    since then are cancelled (a payment's overdue call replaces its due-date call)."""
    newer = WorkItem.objects.filter(
        kind=kind, subject_id=OuterRef("subject_id"), status=ItemStatus.OPEN,
        created_at__gte=created_since,
    )  # fmt: skip
    return (
        WorkItem.objects.filter(kind=kind, status=ItemStatus.OPEN, created_at__lt=created_since)
        .filter(Exists(newer))
        .update(status=ItemStatus.CANCELLED, done_at=now or timezone.now())
    )


# -- results -------------------------------------------------------------------------------


@retry_on_deadlock
@transaction.atomic
def item_record_result(
    *,
    item: WorkItem,
    by,
    result: str,
    callback_at: datetime | None = None,
    note: str = "",
    details: dict | None = None,
    page: bool = False,
    token: UUID | None = None,
) -> WorkItem:
    """Log one result of the item's kind. A call-back keeps the item open for that time; a
    failed attempt counts towards three strikes; a final result closes the item. The kind's
    handler then does what the result means for its subject, and its ``after_result`` says
    where the agent goes next (``item.next_url``): both inside this transaction, so that a
    result and what it opens (a quotation, say) are written together or not at all.

    A result the kind does not offer is refused, and so is one the kind records on a page of
    its own (``page=True`` is that page's call), and a call-back further ahead than
    ``CALLBACK_MAX_DAYS``.

    ``token`` names the submission (the card's form carries one): the same submission posted
    again, one after the other or at the same moment (results on one item are serialised by
    the item's row lock), logs nothing more and answers with the first outcome
    (``item.replayed`` is then true); the unique constraint on (item, token) backs this up."""
    kind = kinds.get(item.kind)
    if kind.lock_subject is not None:
        kind.lock_subject(item.subject_id)
    item = WorkItem.objects.select_for_update().get(pk=item.pk)
    if token is not None:
        first = item.results.filter(token=token, by=by).first()
        if first is not None:
            item.replayed = True
            item.next_url = None
            if kind.after_result is not None and kind.result(first.result) is not None:
                item.next_url = kind.after_result(item=item, result=first.result, by=by)
            return item
    item.replayed = False
    if item.status != ItemStatus.OPEN:
        raise ValidationError(_("This item is already closed."))
    if item.agent_id != by.pk:
        raise ValidationError(_("This item is not in your queue."))
    item_refuse_if_client_hidden(item=item, by=by)
    offered = kind.result(result)
    if offered is None:
        raise ValidationError(
            {"result": _("“%(r)s” is not a result of this kind of work.") % {"r": result}}
        )
    if offered.page is not None and not page:
        raise ValidationError(
            {"result": _("“%(r)s” is recorded on its own page.") % {"r": offered.label}}
        )
    now = timezone.now()
    if offered.needs_time:
        if callback_at is None:
            raise ValidationError({"callback_at": _("Say when to call back.")})
        if callback_at <= now:
            raise ValidationError({"callback_at": _("The call-back time must be in the future.")})
        if callback_at > now + timedelta(days=settings.CALLBACK_MAX_DAYS):
            raise ValidationError(
                {
                    "callback_at": _("A call-back can be set at most %(days)d days ahead.")
                    % {"days": settings.CALLBACK_MAX_DAYS}
                }
            )
        item.callback_at = callback_at
        item.due_on = timezone.localdate(callback_at)
    else:
        # Any other result answers the call-back: it no longer shows on the card or the list.
        item.callback_at = None
    item.result = result
    item.attempts += 1
    logged = ItemResult.objects.create(
        item=item, result=result, note=note[:255], callback_at=callback_at, by=by, token=token
    )
    if offered.contact and item.first_contact_at is None and item.handed_out_at is not None:
        item.first_contact_at, item.first_contact_by = logged.at, by
    if offered.final:
        item.status = ItemStatus.DONE
        item.done_at = now
    failed_attempts = _failed_attempts(item, kind) if offered.failed else 0
    item.save()
    if kind.result_handler is not None:
        kind.result_handler(
            item=item, result=result, by=by, note=note, details=details or {},
            failed_attempts=failed_attempts,
        )  # fmt: skip
    if failed_attempts >= MAX_FAILED_ATTEMPTS:
        item_send_to_maintainers(item=item)
    item.next_url = None
    if kind.after_result is not None:
        item.next_url = kind.after_result(item=item, result=result, by=by)
    return item


def _failed_attempts(item: WorkItem, kind) -> int:
    """Strikes count from the last time a maintainer fixed the contact."""
    failed = item.results.filter(result__in=[r.code for r in kind.results if r.failed])
    fixed = item.results.filter(result=CONTACT_FIXED).order_by("-at").first()
    if fixed is not None:
        failed = failed.filter(at__gt=fixed.at)
    return failed.count()


def item_send_to_maintainers(*, item: WorkItem) -> WorkItem:
    """Three strikes: the item leaves the agent's list for the maintainers' "fix contact"
    queue."""
    item.queue = Queue.MAINTAINERS
    item.agent = None
    item.due_on = timezone.localdate()
    item.save(update_fields=["queue", "agent", "due_on"])
    return item


# Apps above the queue (clients: the client's "contact to fix" flag is cleared) follow a
# fixed contact through these hooks, called as hook(client_ids=[...], by=user) inside the
# transaction of ``item_return_to_agents``; the item's kind says whose client it is.
_CONTACT_FIXED_HOOKS: list = []


def on_contact_fixed(hook) -> None:
    if hook not in _CONTACT_FIXED_HOOKS:
        _CONTACT_FIXED_HOOKS.append(hook)


@transaction.atomic
def item_return_to_agents(*, item: WorkItem, by) -> WorkItem:
    """The maintainer fixed the contact: the item goes back to the call lists, to the client's
    owner if there is one (else the next distribution hands it out), with a fresh count of
    attempts. The client's contact is no longer to fix (``on_contact_fixed``), so the client's
    next touches go to the call lists too."""
    item = WorkItem.objects.select_for_update().get(pk=item.pk)
    if item.status != ItemStatus.OPEN or item.queue != Queue.MAINTAINERS:
        raise ValidationError(_("This item is no longer in the maintainers' queue."))
    kind = kinds.get(item.kind)
    if not kind.results:
        raise ValidationError(
            _("This item has no place in the call lists: close it with a note of what was done.")
        )
    owner_id = (kind.owners([item.subject_id]) if kind.owners else {}).get(item.subject_id)
    item.queue = Queue.AGENT
    item.agent_id = owner_id
    for name, value in _hand_out_fields(owner_id, timezone.now()).items():
        setattr(item, name, value)
    item.attempts = 0
    item.due_on = timezone.localdate()
    item.save()
    ItemResult.objects.create(
        item=item, result=CONTACT_FIXED, note=_("Contact fixed, back to the call list."), by=by
    )
    client_ids = list((kind.clients_of([item.subject_id]) if kind.clients_of else {}).values())
    if client_ids:
        for hook in _CONTACT_FIXED_HOOKS:
            hook(client_ids=client_ids, by=by)
    return item


@transaction.atomic
def item_close(*, item: WorkItem, by, note: str) -> WorkItem:
    """A maintainer closes an item of their queue (e.g. a lapsed case dealt with)."""
    item = WorkItem.objects.select_for_update().get(pk=item.pk)
    if item.status != ItemStatus.OPEN or item.queue != Queue.MAINTAINERS:
        raise ValidationError(_("This item is no longer in the maintainers' queue."))
    if not note.strip():
        raise ValidationError({"note": _("Say what was done.")})
    item.status = ItemStatus.DONE
    item.done_at = timezone.now()
    item.result = CLOSED
    item.save(update_fields=["status", "done_at", "result"])
    ItemResult.objects.create(item=item, result=CLOSED, note=note.strip()[:255], by=by)
    return item


# -- points --------------------------------------------------------------------------------


def points_award(*, agent, kind: str, subject_id: int, points, premium=None, reason: str):
    """Credit an agent's points once per subject (a second award for the same renewal is
    ignored: the unique constraint decides, not a check first)."""
    try:
        with transaction.atomic():
            return PointsAward.objects.create(
                agent=agent, kind=kind, subject_id=subject_id, points=points, premium=premium,
                reason=reason[:255],
            )  # fmt: skip
    except IntegrityError:
        return None


# -- history loads (the demo and the benchmarks) -------------------------------------------


def items_load_worked(*, items: list[dict], points: list[dict] = ()) -> None:
    """Load work already done, with COPY: each item dict holds the item's fields (attnames)
    and ``_note``; its one result is the item's ``result``, logged by its agent at its
    ``done_at``. The first contact is filled as the service would have. Points rows are
    PointsAward attnames. Fills each item's ``id``."""
    from brokerage.core.bulk import insert_rows

    contact = set(kinds.contact_codes())
    for item in items:
        counts = (
            item["result"] in contact and item.get("handed_out_at") is not None
            and item["done_at"] >= item["handed_out_at"]
        )  # fmt: skip
        item["first_contact_at"] = item["done_at"] if counts else None
        item["first_contact_by_id"] = item["agent_id"] if counts else None
    insert_rows(WorkItem, items)
    insert_rows(
        ItemResult,
        [
            {
                "item_id": item["id"], "result": item["result"], "note": item.get("_note", ""),
                "callback_at": item.get("callback_at"), "by_id": item["agent_id"],
                "at": item["done_at"],
            }
            for item in items
        ],
    )  # fmt: skip
    insert_rows(PointsAward, list(points))


def queue_tables_analyze() -> None:
    """Fresh planner statistics after a big load (call lists must use the agent index)."""
    tables = ", ".join(
        connection.ops.quote_name(m._meta.db_table) for m in (WorkItem, ItemResult, PointsAward)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")
