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
from django.db import connection

from brokerage.core.sql import SqlNames
from brokerage.notifications.models import Channel
from brokerage.notifications.services import notifications_send_many
from clients.models import Client
from policies.models import Policy, PolicyStatus

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


def _recipient(client: Client, channel: str) -> str:
    if channel == Channel.EMAIL:
        return client.email or ""
    number = (client.whatsapp or client.phone) if channel == Channel.WHATSAPP else client.phone
    return number.as_e164 if number else ""


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
    instalments = Instalment.objects.select_related(
        "policy__holder__owner", "policy__insurer", "policy__agent"
    ).in_bulk({instalment_id for _, instalment_id, _ in claimed})
    channels = dict(
        InstalmentReminder.objects.filter(pk__in=[pk for pk, _, _ in claimed]).values_list(
            "pk", "channel"
        )
    )
    specs = []
    for reminder_id, instalment_id, days in claimed:
        instalment = instalments[instalment_id]
        policy = instalment.policy
        client = policy.holder
        channel = channels[reminder_id]
        agent = client.owner or policy.agent
        context = {
            "instalment": instalment.pk,
            "rung": days,
            "name": client.display_name,
            "policy_number": policy.number,
            "insurer": policy.insurer.name,
            "number": instalment.number,
            "count": instalment.count,
            "amount": str(instalment.outstanding),
            "currency": instalment.currency,
            "due_on": instalment.due_on,
            "days": (instalment.due_on - day).days,
            "how_to_pay": policy.insurer.payment_instructions,
            "agent": str(agent) if agent else "",
            "agent_phone": str(agent.phone) if agent and agent.phone else "",
            "agent_email": agent.email if agent else "",
        }
        specs.append(
            {
                "channel": channel, "to": _recipient(client, channel), "template": TEMPLATE,
                "context": context, "language": client.language or settings.LANGUAGE_CODE,
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
