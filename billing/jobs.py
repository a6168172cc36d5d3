"""The payment part of the morning run (issue 15), in set-based statements: a fixed number of
queries per rung, whatever the number of instalments. Run it twice, or twice at once, and
nothing changes the second time: items are unique per (kind, instalment, key), reminders per
(instalment, rung), at-risk entries per open policy, and every insert is ``ON CONFLICT DO
NOTHING``.

In order:

1. instalments still owed after their due date become overdue (with a history row each);
2. promises to pay not kept by their date are broken, and their instalment's item comes back
   the day after the date promised;
3. each calling rung of the ladder (``CollectionRung``: days from the due date) queues a call
   for the instalments it has reached, to the policy holder's agent (no owner: the fair
   distribution; no usable phone: the maintainers' fix-contact queue). Of the rungs an
   instalment passed while nobody looked (an import, a job down) only the latest is queued, and
   one more than ``CATCH_UP_DAYS`` late is not: such debt is on the at-risk list. A new call
   supersedes the instalment's older open ones;
4. each messaging rung queues one reminder to the client, by the channel they prefer, in their
   language (``billing.reminders``);
5. an instalment unpaid past its insurer's grace period puts its policy on the managers'
   at-risk list, once per instalment.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from brokerage.core.sql import SqlNames
from clients.models import Client
from policies.models import Insurer, Policy, PolicyStatus
from workqueue.models import Queue, WorkItem
from workqueue.services import items_create, items_supersede

from .kind import PAYMENT_KIND
from .models import (
    OPEN_STATUSES,
    CancellationRisk,
    CollectionRung,
    Instalment,
    InstalmentStatus,
    PaymentPromise,
    PromiseStatus,
    RiskSource,
    RiskStatus,
)
from .reminders import instalment_reminders

# A rung reached more than this many days ago is not caught up.
CATCH_UP_DAYS = 30
# Broken promises come back above every rung's call.
PROMISE_PRIORITY = 95


@dataclass
class CollectionsReport:
    day: date
    marked_overdue: int = 0
    promises_broken: int = 0
    items_created: dict[int, int] = field(default_factory=dict)  # rung days → items
    promise_items: int = 0
    items_superseded: int = 0
    reminders_queued: int = 0
    risks_opened: int = 0

    @property
    def total_items(self) -> int:
        return sum(self.items_created.values()) + self.promise_items


def _open_statuses() -> list[str]:
    return [str(s) for s in OPEN_STATUSES]


def _mark_overdue(day: date, now) -> int:
    """Pending or partly paid instalments past their due date become overdue, each with a
    history row, in one statement."""
    i = SqlNames(Instalment)
    history = Instalment.history.model
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in Instalment._meta.concrete_fields)
    sql = f"""
        WITH changed AS (
            UPDATE {i.table} SET {i.status} = %s
            WHERE {i.status} IN (%s, %s) AND {i.due_on} < %s
            RETURNING *
        )
        INSERT INTO {quote(history._meta.db_table)}
            ({columns}, history_date, history_type, history_change_reason, history_user_id)
        SELECT {columns}, %s, '~', 'overdue', NULL FROM changed
    """  # noqa: S608 - names from the models' _meta, values are placeholders
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [InstalmentStatus.OVERDUE, InstalmentStatus.PENDING, InstalmentStatus.PARTLY_PAID,
             day, now],
        )  # fmt: skip
        return max(cursor.rowcount, 0)


def _callable(cl: SqlNames) -> str:
    """SQL: the client has a phone the agent can ring (the one rule renewal touches use)."""
    return (
        f"(NOT {cl.contact_inaccurate}"
        f" AND ({cl.phone} <> '' OR {cl.phone_other} <> '' OR {cl.whatsapp} <> ''))"
    )


def _joins(i: SqlNames, p: SqlNames, cl: SqlNames) -> str:
    return f"""
        FROM {i.from_}
        JOIN {p.from_} ON {p.id} = {i.policy}
        JOIN {cl.from_} ON {cl.id} = {p.holder}"""


def _title(i: SqlNames, p: SqlNames, cl: SqlNames) -> str:
    return (
        f"{cl.display_name} || ' · ' || {p.number} || ' · ' || "
        f"CAST({i.number} AS text) || '/' || CAST({i.count} AS text)"
    )


def _break_promises(day: date, now) -> tuple[int, int]:
    """Promises whose date has passed with the instalment still owed are broken; each brings
    the instalment's call back the day after the date promised (key ``promise-<id>``)."""
    pr = SqlNames(PaymentPromise)
    i = SqlNames(Instalment)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {pr.table} SET {pr.status} = %s
            WHERE {pr.status} = %s AND {pr.promised_on} < %s
              AND EXISTS (SELECT 1 FROM {i.table}
                          WHERE {i.id} = {pr.table}.{pr.instalment}
                            AND {i.status} = ANY(%s))
            """,  # noqa: S608 - names from the models' _meta, values are placeholders
            [PromiseStatus.BROKEN, PromiseStatus.OPEN, day, _open_statuses()],
        )
        broken = max(cursor.rowcount, 0)
    pa = SqlNames(PaymentPromise, "pa")
    i, p, cl = SqlNames(Instalment, "i"), SqlNames(Policy, "p"), SqlNames(Client, "cl")
    select = f"""
        SELECT {i.id}, 'promise-' || CAST({pa.id} AS text), {_title(i, p, cl)},
               CASE WHEN {_callable(cl)} THEN {cl.owner} END,
               CASE WHEN {_callable(cl)} THEN %s ELSE %s END,
               ({pa.promised_on} + 1), %s
        {_joins(i, p, cl)}
        JOIN {pa.from_} ON {pa.instalment} = {i.id}
        WHERE {pa.status} = %s AND {pa.promised_on} < %s AND {pa.promised_on} >= %s
          AND {i.status} = ANY(%s) AND {p.status} = %s
    """  # noqa: S608 - names from the models' _meta, values are placeholders
    params = [
        Queue.AGENT, Queue.MAINTAINERS, PROMISE_PRIORITY, PromiseStatus.BROKEN, day,
        day.fromordinal(day.toordinal() - CATCH_UP_DAYS), _open_statuses(), PolicyStatus.ACTIVE,
    ]  # fmt: skip
    created = items_create(kind=PAYMENT_KIND, select=(select, params), now=now)
    return broken, created


def _create_items(day: date, now, rungs: list[CollectionRung]) -> dict[int, int]:
    """One call per instalment at the latest calling rung it has reached (see the module's
    docstring). Not for an instalment with a promise still running."""
    created: dict[int, int] = {}
    calls = sorted((r for r in rungs if r.calls), key=lambda r: r.days)
    i, p, cl = SqlNames(Instalment, "i"), SqlNames(Policy, "p"), SqlNames(Client, "cl")
    pr = SqlNames(PaymentPromise, "pr")
    for index, rung in enumerate(calls):
        # The rung's day is due_on + days: reached, not more than CATCH_UP_DAYS ago, and the
        # next calling rung not reached yet.
        conditions = [f"{i.due_on} <= %s", f"{i.due_on} > %s"]
        params = [
            day.fromordinal(day.toordinal() - rung.days),
            day.fromordinal(day.toordinal() - rung.days - CATCH_UP_DAYS),
        ]
        if index + 1 < len(calls):
            conditions.append(f"{i.due_on} > %s")
            params.append(day.fromordinal(day.toordinal() - calls[index + 1].days))
        select = f"""
            SELECT {i.id}, %s, {_title(i, p, cl)},
                   CASE WHEN {_callable(cl)} THEN {cl.owner} END,
                   CASE WHEN {_callable(cl)} THEN %s ELSE %s END,
                   ({i.due_on} + %s), %s
            {_joins(i, p, cl)}
            WHERE {" AND ".join(conditions)}
              AND {i.status} = ANY(%s) AND {p.status} = %s
              AND NOT EXISTS (SELECT 1 FROM {pr.from_}
                              WHERE {pr.instalment} = {i.id} AND {pr.status} = %s
                                AND {pr.promised_on} >= %s)
        """  # noqa: S608 - names from the models' _meta, values are placeholders
        select_params = [
            rung_key(rung.days), Queue.AGENT, Queue.MAINTAINERS, rung.days, rung.priority,
            *params, _open_statuses(), PolicyStatus.ACTIVE, PromiseStatus.OPEN, day,
        ]  # fmt: skip
        count = items_create(kind=PAYMENT_KIND, select=(select, select_params), now=now)
        if count > 0:
            created[rung.days] = count
    return created


def rung_key(days: int) -> str:
    return f"due{days:+d}"


def _open_risks(day: date) -> int:
    """An instalment unpaid past its insurer's grace period puts its active policy on the
    at-risk list: the oldest such instalment, once (an entry decided, kept or cancelled, is not
    opened again for the same instalment)."""
    r = SqlNames(CancellationRisk)
    rr = SqlNames(CancellationRisk, "rr")
    i, p, ins = SqlNames(Instalment, "i"), SqlNames(Policy, "p"), SqlNames(Insurer, "ins")
    history = CancellationRisk.history.model
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in CancellationRisk._meta.concrete_fields)
    sql = f"""
        WITH opened AS (
            INSERT INTO {r.table}
                ({r.policy}, {r.instalment}, {r.source}, {r.opened_on}, {r.status}, {r.note})
            SELECT DISTINCT ON ({p.id}) {p.id}, {i.id}, %s, %s, %s, ''
            FROM {i.from_}
            JOIN {p.from_} ON {p.id} = {i.policy}
            JOIN {ins.from_} ON {ins.id} = {p.insurer}
            WHERE {i.status} = ANY(%s) AND {p.status} = %s
              AND {i.due_on} < %s
              AND {i.due_on} + {ins.grace_days} < %s
              AND NOT EXISTS (SELECT 1 FROM {rr.from_} WHERE {rr.instalment} = {i.id})
              AND NOT EXISTS (SELECT 1 FROM {rr.from_}
                              WHERE {rr.policy} = {p.id} AND {rr.status} = %s)
            ORDER BY {p.id}, {i.due_on}
            ON CONFLICT ({r.policy}) WHERE {r.status} = 'open' DO NOTHING
            RETURNING *
        )
        INSERT INTO {quote(history._meta.db_table)}
            ({columns}, history_date, history_type, history_change_reason, history_user_id)
        SELECT {columns}, %s, '+', 'unpaid past the grace period', NULL FROM opened
    """  # noqa: S608 - names from the models' _meta, values are placeholders
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [RiskSource.GRACE, day, RiskStatus.OPEN, _open_statuses(), PolicyStatus.ACTIVE,
             day, day, RiskStatus.OPEN, timezone.now()],
        )  # fmt: skip
        return max(cursor.rowcount, 0)


def _refresh_statistics() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {SqlNames(WorkItem).table}")


@transaction.atomic
def collections_morning_job(*, day: date | None = None, now=None) -> CollectionsReport:
    """The payment part of the morning run (see the module's docstring)."""
    day = day or timezone.localdate()
    now = now or timezone.now()
    report = CollectionsReport(day=day)
    rungs = list(CollectionRung.objects.filter(active=True))
    report.marked_overdue = _mark_overdue(day, now)
    report.promises_broken, report.promise_items = _break_promises(day, now)
    report.items_created = _create_items(day, now, rungs)
    if report.total_items:
        report.items_superseded = items_supersede(kind=PAYMENT_KIND, created_since=now)
    report.reminders_queued = instalment_reminders(
        day=day, now=now, rungs=[r for r in rungs if r.messages]
    )
    report.risks_opened = _open_risks(day)
    if report.total_items > 10_000:
        _refresh_statistics()
    return report
