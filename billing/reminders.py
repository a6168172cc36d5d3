"""Payment reminders to clients at the ladder's messaging rungs (issue 15): by the channel the
client prefers (``Client.preferred_channel``; when blank, WhatsApp if they have it, else e-mail,
else SMS), in their language, with the amount, the due date, the policy and how to pay
(``Insurer.payment_instructions``).

An instalment is reminded once per rung: the ``InstalmentReminder`` row is inserted ``ON
CONFLICT DO NOTHING`` first, and only the rows this run inserted are messaged, so two runs at
once, or a second run, send nothing more. A paid, waived or cancelled instalment is never
reminded, nor one of a client whose contact is marked inaccurate. A rung missed by at most
``CATCH_UP_DAYS`` (the job was down) is caught up; a reminder before the due date is not sent
once the date has passed."""

from datetime import date, datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection

from brokerage.core.sql import SqlNames
from brokerage.notifications.models import Channel
from brokerage.notifications.services import notifications_send_many
from clients.models import Client
from policies.models import Insurer, Policy, PolicyStatus

from .models import OPEN_STATUSES, CollectionRung, Instalment, InstalmentReminder

TEMPLATE = "payment_reminder"
CATCH_UP_DAYS = 3


def _channel_sql(cl: SqlNames) -> str:
    """SQL: the channel a reminder goes by, NULL when the client has none."""
    has_whatsapp = f"({cl.whatsapp} <> '' OR {cl.phone} <> '')"
    return f"""CASE
        WHEN {cl.preferred_channel} = 'email' AND {cl.email} <> '' THEN 'email'
        WHEN {cl.preferred_channel} = 'whatsapp' AND {has_whatsapp} THEN 'whatsapp'
        WHEN {cl.preferred_channel} = 'sms' AND {cl.phone} <> '' THEN 'sms'
        WHEN {cl.whatsapp} <> '' THEN 'whatsapp'
        WHEN {cl.email} <> '' THEN 'email'
        WHEN {cl.phone} <> '' THEN 'sms'
    END"""


def _recipient(row: dict, channel: str) -> str:
    """The address a reminder goes to: numbers are stored in E.164 (PHONENUMBER_DB_FORMAT)."""
    if channel == Channel.EMAIL:
        return row["email"]
    if channel == Channel.WHATSAPP:
        return row["whatsapp"] or row["phone"]
    return row["phone"]


def _reminder_rows(instalment_ids: list[int]) -> dict[int, dict]:
    """What a reminder says of each instalment, as plain values in one query (no model
    instances: a morning may remind tens of thousands)."""
    i, p = SqlNames(Instalment, "i"), SqlNames(Policy, "p")
    cl, ins = SqlNames(Client, "cl"), SqlNames(Insurer, "ins")
    columns = {
        "id": i.id, "number": i.number, "count": i.count, "amount": i.amount,
        "paid_amount": i.paid_amount, "currency": i.currency, "due_on": i.due_on,
        "policy_number": p.number, "insurer": ins.name, "how_to_pay": ins.payment_instructions,
        "name": cl.display_name, "email": cl.email, "phone": cl.phone,
        "whatsapp": cl.whatsapp, "language": cl.language,
        "agent": f"COALESCE({cl.owner}, {p.agent})",
    }  # fmt: skip
    sql = f"""
        SELECT {", ".join(columns.values())}
        FROM {i.from_}
        JOIN {p.from_} ON {p.id} = {i.policy}
        JOIN {cl.from_} ON {cl.id} = {p.holder}
        JOIN {ins.from_} ON {ins.id} = {p.insurer}
        WHERE {i.id} = ANY(%s)
    """  # noqa: S608 - names from the models' _meta, values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [instalment_ids])
        return {row[0]: dict(zip(columns, row, strict=True)) for row in cursor.fetchall()}


def _agents(ids: set[int]) -> dict[int, dict]:
    """Each agent's name, phone and e-mail as a reminder signs them, once per agent."""
    return {
        user.pk: {
            "name": str(user),
            "phone": str(user.phone) if user.phone else "",
            "email": user.email,
        }  # fmt: skip
        for user in get_user_model().objects.filter(pk__in=ids)
    }


def _claim(day: date, now: datetime, rungs: list[CollectionRung]) -> list[tuple[int, int, int]]:
    """Insert this run's reminder rows; return (reminder id, instalment id, days) of those
    inserted."""
    claimed = []
    r = SqlNames(InstalmentReminder)
    i, p, cl = SqlNames(Instalment, "i"), SqlNames(Policy, "p"), SqlNames(Client, "cl")
    channel = _channel_sql(cl)
    for rung in rungs:
        reached = day.fromordinal(day.toordinal() - rung.days)
        conditions = [f"{i.due_on} <= %s", f"{i.due_on} > %s"]
        params = [reached, day.fromordinal(reached.toordinal() - CATCH_UP_DAYS - 1)]
        if rung.days < 0:
            conditions.append(f"{i.due_on} >= %s")  # not yet due
            params.append(day)
        sql = f"""
            INSERT INTO {r.table} ({r.instalment}, {r.days}, {r.channel}, {r.queued_at})
            SELECT {i.id}, %s, {channel}, %s
            FROM {i.from_}
            JOIN {p.from_} ON {p.id} = {i.policy}
            JOIN {cl.from_} ON {cl.id} = {p.holder}
            WHERE {" AND ".join(conditions)}
              AND {i.status} = ANY(%s) AND {p.status} = %s
              AND NOT {cl.contact_inaccurate} AND {channel} IS NOT NULL
            ON CONFLICT ({r.instalment}, {r.days}) DO NOTHING
            RETURNING {r.id}, {r.instalment}, {r.days}
        """  # noqa: S608 - names from the models' _meta, values are placeholders
        with connection.cursor() as cursor:
            cursor.execute(
                sql,
                [rung.days, now, *params, [str(s) for s in OPEN_STATUSES], PolicyStatus.ACTIVE],
            )
            claimed += cursor.fetchall()
    return claimed


def instalment_reminders(*, day: date, now: datetime, rungs: list[CollectionRung]) -> int:
    """Queue this morning's payment reminders (see the module's docstring). Returns how many
    messages were queued."""
    if not rungs:
        return 0
    claimed = _claim(day, now, rungs)
    if not claimed:
        return 0
    rows = _reminder_rows([instalment_id for _, instalment_id, _ in claimed])
    agents = _agents({row["agent"] for row in rows.values() if row["agent"]})
    channels = dict(
        InstalmentReminder.objects.filter(pk__in=[pk for pk, _, _ in claimed]).values_list(
            "pk", "channel"
        )
    )
    specs = []
    for reminder_id, instalment_id, days in claimed:
        row = rows[instalment_id]
        channel = channels[reminder_id]
        agent = agents.get(row["agent"], {})
        context = {
            "instalment": instalment_id,
            "rung": days,
            "name": row["name"],
            "policy_number": row["policy_number"],
            "insurer": row["insurer"],
            "number": row["number"],
            "count": row["count"],
            "amount": str(max(row["amount"] - row["paid_amount"], 0)),
            "currency": row["currency"],
            "due_on": row["due_on"],
            "days": (row["due_on"] - day).days,
            "how_to_pay": row["how_to_pay"],
            "agent": agent.get("name", ""),
            "agent_phone": agent.get("phone", ""),
            "agent_email": agent.get("email", ""),
        }
        specs.append(
            {
                "channel": channel,
                "to": _recipient(row, channel),
                "template": TEMPLATE,
                "context": context,
                "language": row["language"] or settings.LANGUAGE_CODE,
            }  # fmt: skip
        )
    # A malformed address must not stop the morning run: its row stays, with no message, so
    # the rung is not retried every morning.
    messages = notifications_send_many(specs)
    sent = [
        InstalmentReminder(pk=reminder_id, message_id=message.pk)
        for (reminder_id, _, _), message in zip(claimed, messages, strict=True)
        if message is not None
    ]
    r = SqlNames(InstalmentReminder)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {r.table} SET {r.message} = v.message_id
              FROM unnest(%s::bigint[], %s::bigint[]) AS v(reminder_id, message_id)
             WHERE {r.id} = v.reminder_id
            """,  # noqa: S608 - names from the models' _meta, values are parameters
            [[x.pk for x in sent], [x.message_id for x in sent]],
        )
    return len(sent)
