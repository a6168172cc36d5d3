"""The touches' part of the morning run (issue 17), in set-based statements: a fixed number
of queries whatever the size of the book. Run it twice, or twice at once, and nothing changes
the second time: a touch is claimed by inserting its ``Touch`` row ``ON CONFLICT DO NOTHING``
(unique per kind and occasion: the policy, the vehicle's date, the client's year), and only
the rows this run inserted get a call or a message.

For each enabled kind (``TouchSetting``; a kind without a row uses its default):

- ``thank_you`` and ``return_visit``: ``days`` after a policy sold in Cartera (its
  ``written_on``: a new sale or a renewal; the book imported from the insurers' reports is not
  thanked);
- ``plate_endorsement``: ``days`` after an auto policy starts, for each of its vehicles
  without a plate;
- ``inspection_due`` and ``licence_due``: ``days`` before the vehicle's inspection date or
  the driver's licence expiry (once per date);
- ``birthday`` and ``holiday``: on the client's own day (``touches.calendar``), once a year
  per occasion, never to a client who opted out, only to clients with a policy in force.

Only policies in force (status active) are touched: never a cancelled, lapsed, expired or
renewed one; a call whose policy has ended since is cancelled. A touch missed by at most
``CATCH_UP_DAYS`` (the job was down) is caught up; a reminder is not sent once its date has
passed.

A call goes to the client's owner agent (no owner: the fair distribution; no usable phone: the
maintainers' fix-contact queue), as payment calls do. A message goes by the channel the client
prefers (else WhatsApp, e-mail, SMS), in the client's language, through the outbox; a client
with no address, or whose contact is marked inaccurate, gets no message."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.formats import date_format

from brokerage.core.sql import SqlNames
from brokerage.notifications.models import Channel
from brokerage.notifications.services import notifications_send_many
from clients.models import Client, ClientKind
from policies.models import Insurer, Line, Policy, PolicyStatus, Vehicle
from workqueue.models import ItemStatus, Queue, WorkItem
from workqueue.services import items_close, items_create

from . import calendar
from .calendar import Holiday, holiday_name
from .defaults import DEFAULTS
from .models import Touch, TouchKind, TouchMode, TouchSetting

CATCH_UP_DAYS = 7
# A birthday's month and day as one number (0229 for the 29th of February), as indexed on the
# clients (touches migration 0006: the same expression, or the index is not used).
BIRTHDAY_MONTH_DAY = "(EXTRACT(MONTH FROM {birthday}) * 100 + EXTRACT(DAY FROM {birthday}))"
# A touch whose policy ended before its call was made.
POLICY_ENDED = "policy_ended"


@dataclass
class TouchesReport:
    day: date
    calls: dict[str, int] = field(default_factory=dict)
    messages: dict[str, int] = field(default_factory=dict)
    cancelled: int = 0

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def total_messages(self) -> int:
        return sum(self.messages.values())


def touch_settings() -> dict[str, TouchSetting]:
    """Every kind's setting: its row, or its default when it has none."""
    rows = {s.kind: s for s in TouchSetting.objects.all()}
    return {kind: rows.get(kind) or TouchSetting(kind=kind, **DEFAULTS[kind]) for kind in TouchKind}


def _channel_sql(cl: SqlNames) -> str:
    """SQL: the channel a message goes by, NULL when the client has none."""
    has_whatsapp = f"({cl.whatsapp} <> '' OR {cl.phone} <> '')"
    return f"""(CASE
        WHEN {cl.contact_inaccurate} THEN NULL
        WHEN {cl.preferred_channel} = 'email' AND {cl.email} <> '' THEN 'email'
        WHEN {cl.preferred_channel} = 'whatsapp' AND {has_whatsapp} THEN 'whatsapp'
        WHEN {cl.preferred_channel} = 'sms' AND {cl.phone} <> '' THEN 'sms'
        WHEN {cl.whatsapp} <> '' THEN 'whatsapp'
        WHEN {cl.email} <> '' THEN 'email'
        WHEN {cl.phone} <> '' THEN 'sms'
    END)"""


def _callable(cl: SqlNames) -> str:
    """SQL: the client has a phone the agent can ring (the rule of every call list)."""
    return (
        f"(NOT {cl.contact_inaccurate}"
        f" AND ({cl.phone} <> '' OR {cl.phone_other} <> '' OR {cl.whatsapp} <> ''))"
    )


# The columns each kind's select yields, in this order.
_SELECT = ("client_id", "policy_id", "vehicle_id", "occasion", "holiday", "country", "due_on",
           "channel")  # fmt: skip


def _claim(kind: str, setting: TouchSetting, select: str, params: list, now) -> list[int]:
    """Insert the touches ``select`` yields; return the ids of those this run inserted."""
    t = SqlNames(Touch)
    columns = ", ".join(
        getattr(t, name)
        for name in ("kind", "client", "policy", "vehicle", "occasion", "holiday", "country",
                     "due_on", "mode", "channel", "created_at", "result", "note", "plate",
                     "contact_corrected")
    )  # fmt: skip
    where = "WHERE s.channel IS NOT NULL" if setting.mode == TouchMode.MESSAGE else ""
    sql = f"""
        INSERT INTO {t.table} ({columns})
        SELECT %s, s.client_id, s.policy_id, s.vehicle_id, LEFT(s.occasion, 120),
               LEFT(s.holiday, 120), s.country, s.due_on, %s, COALESCE(s.channel, ''), %s,
               '', '', '', false
        FROM ({select}) AS s({", ".join(_SELECT)})
        {where}
        ON CONFLICT ({t.kind}, {t.occasion}) DO NOTHING
        RETURNING {t.id}
    """  # noqa: S608 - names come from the models' _meta, values are placeholders
    with connection.cursor() as cursor:
        cursor.execute(sql, [kind, setting.mode, now, *params])
        return [row[0] for row in cursor.fetchall()]


def _channel_column(setting: TouchSetting, cl: SqlNames) -> str:
    return _channel_sql(cl) if setting.mode == TouchMode.MESSAGE else "''"


def _window(day: date, days: int) -> tuple[date, date]:
    """Events whose touch falls due on ``day`` or was missed by at most CATCH_UP_DAYS."""
    return day - timedelta(days=days), day - timedelta(days=days + CATCH_UP_DAYS)


def _after_sale(kind: str, setting: TouchSetting, day: date, now) -> list[int]:
    p, cl = SqlNames(Policy, "p"), SqlNames(Client, "cl")
    latest, earliest = _window(day, setting.days)
    select = f"""
        SELECT {cl.id}, {p.id}, NULL::bigint, 'policy-' || CAST({p.id} AS text), '', '',
               {p.written_on} + %s, {_channel_column(setting, cl)}
        FROM {p.from_} JOIN {cl.from_} ON {cl.id} = {p.holder}
        WHERE {p.status} = %s AND {p.written_on} <= %s AND {p.written_on} > %s
          AND {cl.merged_into} IS NULL
    """  # noqa: S608 - names from the models' _meta, values are placeholders
    params = [setting.days, PolicyStatus.ACTIVE, latest, earliest]
    return _claim(kind, setting, select, params, now)


def _plate(setting: TouchSetting, day: date, now) -> list[int]:
    v, p, cl = SqlNames(Vehicle, "v"), SqlNames(Policy, "p"), SqlNames(Client, "cl")
    latest, earliest = _window(day, setting.days)
    select = f"""
        SELECT {cl.id}, {p.id}, {v.id},
               'policy-' || CAST({p.id} AS text) || '-' || {v.vin}, '', '',
               {p.start_date} + %s, {_channel_column(setting, cl)}
        FROM {v.from_} JOIN {p.from_} ON {p.id} = {v.policy}
        JOIN {cl.from_} ON {cl.id} = {p.holder}
        WHERE {p.status} = %s AND {p.line} = %s AND {v.plate} = ''
          AND {p.start_date} <= %s AND {p.start_date} > %s AND {cl.merged_into} IS NULL
    """  # noqa: S608 - names from the models' _meta, values are placeholders
    params = [setting.days, PolicyStatus.ACTIVE, Line.AUTO, latest, earliest]
    return _claim(TouchKind.PLATE, setting, select, params, now)


def _vehicle_date(kind: str, setting: TouchSetting, day: date, now) -> list[int]:
    v, p, cl = SqlNames(Vehicle, "v"), SqlNames(Policy, "p"), SqlNames(Client, "cl")
    column = v.inspection_due if kind == TouchKind.INSPECTION else v.licence_expiry
    prefix = "inspection-" if kind == TouchKind.INSPECTION else "licence-"
    # The date is reached ``days`` ahead: the touch falls due on (date - days), at most
    # CATCH_UP_DAYS ago, and the date itself has not passed.
    select = f"""
        SELECT {cl.id}, {p.id}, {v.id},
               %s || {v.vin} || '-' || CAST({column} AS text), '', '',
               {column} - %s, {_channel_column(setting, cl)}
        FROM {v.from_} JOIN {p.from_} ON {p.id} = {v.policy}
        JOIN {cl.from_} ON {cl.id} = {p.holder}
        WHERE {p.status} = %s AND {column} >= %s AND {column} <= %s AND {column} > %s
          AND {cl.merged_into} IS NULL
    """  # noqa: S608 - names from the models' _meta, values are placeholders
    params = [
        prefix, setting.days, PolicyStatus.ACTIVE, day, day + timedelta(days=setting.days),
        day + timedelta(days=setting.days - CATCH_UP_DAYS),
    ]  # fmt: skip
    return _claim(kind, setting, select, params, now)


def _greetable(cl: SqlNames) -> str:
    """SQL: a client greetings go to: not opted out, not merged, with a policy in force."""
    p = SqlNames(Policy, "gp")
    return f"""(NOT {cl.greetings_opt_out} AND {cl.merged_into} IS NULL
        AND EXISTS (SELECT 1 FROM {p.from_} WHERE {p.holder} = {cl.id} AND {p.status} = %s))"""


def _birthday(setting: TouchSetting, days: dict[str, date], now) -> list[int]:
    cl = SqlNames(Client, "cl")
    country, country_params = calendar.country_sql(cl.phone, cl.whatsapp)
    codes = list(days)
    local = [days[c] for c in codes]
    # On 28 February of a year without a 29th, those born on the 29th are greeted.
    fill = [d.month == 2 and d.day == 28 and not _leap(d.year) for d in local]
    select = f"""
        SELECT {cl.id}, NULL::bigint, NULL::bigint,
               'client-' || CAST({cl.id} AS text) || '-' || CAST(EXTRACT(YEAR FROM z.day) AS int),
               '', z.country, z.day, {_channel_column(setting, cl)}
        FROM {cl.from_}
        JOIN unnest(%s::text[], %s::date[], %s::boolean[]) AS z(country, day, fill)
          ON z.country = {country}
        WHERE {cl.kind} = %s AND {cl.birthday} IS NOT NULL
          AND {BIRTHDAY_MONTH_DAY.format(birthday=cl.birthday)} = ANY(%s::numeric[])
          AND (to_char({cl.birthday}, 'MM-DD') = to_char(z.day, 'MM-DD')
               OR (z.fill AND to_char({cl.birthday}, 'MM-DD') = '02-29'))
          AND {_greetable(cl)}
    """  # noqa: S608 - names from the models' _meta, values are placeholders
    # The day's birthdays are read from their month and day's index (touches migration 0006).
    month_days = {d.month * 100 + d.day for d in local} | ({229} if any(fill) else set())
    params = [
        codes, local, fill, *country_params, ClientKind.INDIVIDUAL, sorted(month_days),
        PolicyStatus.ACTIVE,
    ]  # fmt: skip
    return _claim(TouchKind.BIRTHDAY, setting, select, params, now)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _holiday(setting: TouchSetting, days: dict[str, date], now) -> list[int]:
    found = [h for c, d in days.items() if (h := calendar.holiday_on(c, d)) is not None]
    if not found:
        return []
    cl = SqlNames(Client, "cl")
    country, country_params = calendar.country_sql(cl.phone, cl.whatsapp)
    select = f"""
        SELECT {cl.id}, NULL::bigint, NULL::bigint,
               'client-' || CAST({cl.id} AS text) || '-' || z.occasion, z.name, z.country, z.day,
               {_channel_column(setting, cl)}
        FROM {cl.from_}
        JOIN unnest(%s::text[], %s::date[], %s::text[], %s::text[])
             AS z(country, day, occasion, name)
          ON z.country = {country}
        WHERE {_greetable(cl)}
    """  # noqa: S608 - names from the models' _meta, values are placeholders
    params = [
        [h.country for h in found], [h.day for h in found], [h.occasion for h in found],
        [h.name for h in found], *country_params, PolicyStatus.ACTIVE,
    ]  # fmt: skip
    return _claim(TouchKind.HOLIDAY, setting, select, params, now)


def _queue_calls(kind: str, setting: TouchSetting, touch_ids: list[int], now) -> int:
    t, cl, p = SqlNames(Touch, "t"), SqlNames(Client, "cl"), SqlNames(Policy, "p")
    select = f"""
        SELECT {t.id}, '', {cl.display_name} || COALESCE(' · ' || {p.number}, ''),
               CASE WHEN {_callable(cl)} THEN {cl.owner} END,
               CASE WHEN {_callable(cl)} THEN %s ELSE %s END,
               {t.due_on}, %s
        FROM {t.from_} JOIN {cl.from_} ON {cl.id} = {t.client}
        LEFT JOIN {p.from_} ON {p.id} = {t.policy}
        WHERE {t.id} = ANY(%s)
    """  # noqa: S608 - names from the models' _meta, values are placeholders
    params = [Queue.AGENT, Queue.MAINTAINERS, setting.priority, touch_ids]
    return items_create(kind=kind, select=(select, params), now=now)


# -- messages ------------------------------------------------------------------------------


def _message_rows(touch_ids: list[int]) -> list[dict]:
    """What each message says, as plain values in one query."""
    t, cl = SqlNames(Touch, "t"), SqlNames(Client, "cl")
    p, v, ins = SqlNames(Policy, "p"), SqlNames(Vehicle, "v"), SqlNames(Insurer, "ins")
    columns = {
        "id": t.id, "kind": t.kind, "channel": t.channel, "due_on": t.due_on,
        "holiday": t.holiday, "country": t.country, "name": cl.display_name,
        "first_name": cl.first_name, "email": cl.email, "phone": cl.phone,
        "whatsapp": cl.whatsapp, "language": cl.language,
        "agent": f"COALESCE({cl.owner}, {p.agent})", "policy_number": p.number,
        "insurer": ins.name, "make": v.make, "model": v.model, "plate": v.plate,
        "inspection_due": v.inspection_due, "licence_expiry": v.licence_expiry,
    }  # fmt: skip
    sql = f"""
        SELECT {", ".join(columns.values())}
        FROM {t.from_} JOIN {cl.from_} ON {cl.id} = {t.client}
        LEFT JOIN {p.from_} ON {p.id} = {t.policy}
        LEFT JOIN {ins.from_} ON {ins.id} = {p.insurer}
        LEFT JOIN {v.from_} ON {v.id} = {t.vehicle}
        WHERE {t.id} = ANY(%s)
        ORDER BY {t.id}
    """  # noqa: S608 - names from the models' _meta, values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [touch_ids])
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _agents(ids: set[int]) -> dict[int, dict]:
    return {
        user.pk: {"name": str(user), "phone": str(user.phone) if user.phone else "",
                  "email": user.email}
        for user in get_user_model().objects.filter(pk__in=ids)
    }  # fmt: skip


def _recipient(row: dict) -> str:
    if row["channel"] == Channel.EMAIL:
        return row["email"]
    if row["channel"] == Channel.WHATSAPP:
        return row["whatsapp"] or row["phone"]
    return row["phone"]


def _message_context(row: dict, agent: dict) -> dict:
    language = row["language"] or settings.LANGUAGE_CODE
    with translation.override(language):
        shown = {
            name: date_format(row[name], "DATE_FORMAT") if row[name] else ""
            for name in ("due_on", "inspection_due", "licence_expiry")
        }
    vehicle = " ".join(x for x in (row["make"], row["model"]) if x)
    context = {
        "touch": row["id"],
        "kind": row["kind"],
        "name": row["name"],
        "first_name": row["first_name"] or row["name"],
        "policy_number": row["policy_number"] or "",
        "insurer": row["insurer"] or "",
        "vehicle": vehicle,
        "plate": row["plate"] or "",
        **shown,
        "agent": agent.get("name", ""),
        "agent_phone": agent.get("phone", ""),
        "agent_email": agent.get("email", ""),
    }
    if row["holiday"]:
        holiday = Holiday(country=row["country"], day=row["due_on"], name=row["holiday"])
        context["holiday"] = holiday_name(holiday, language)
    return context


def _send_messages(touch_ids: list[int]) -> int:
    rows = _message_rows(touch_ids)
    agents = _agents({row["agent"] for row in rows if row["agent"]})
    specs = [
        {
            "channel": row["channel"],
            "to": _recipient(row),
            "template": f"touch_{row['kind']}",
            "context": _message_context(row, agents.get(row["agent"], {})),
            "language": row["language"] or settings.LANGUAGE_CODE,
        }  # fmt: skip
        for row in rows
    ]
    # A malformed address must not stop the morning run: its touch stays claimed, with no
    # message, so that it is not tried again every morning.
    messages = notifications_send_many(specs)
    sent = [(row["id"], m.pk) for row, m in zip(rows, messages, strict=True) if m is not None]
    t = SqlNames(Touch)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {t.table} SET {t.message} = v.message_id
              FROM unnest(%s::bigint[], %s::bigint[]) AS v(touch_id, message_id)
             WHERE {t.id} = v.touch_id
            """,  # noqa: S608 - names from the models' _meta, values are parameters
            [[s[0] for s in sent], [s[1] for s in sent]],
        )
    return len(sent)


# -- calls whose policy ended --------------------------------------------------------------


def _cancel_ended(now) -> int:
    """Calls still to make about a policy no longer in force are cancelled, with their
    touch."""
    ended = list(
        Touch.objects.filter(mode=TouchMode.CALL, done_at__isnull=True, policy__isnull=False)
        .exclude(policy__status=PolicyStatus.ACTIVE)
        .values_list("kind", "pk")
    )
    if not ended:
        return 0
    by_kind: dict[str, list[int]] = {}
    for kind, pk in ended:
        by_kind.setdefault(kind, []).append(pk)
    for kind, ids in by_kind.items():
        items_close(kind=kind, subject_ids=ids, result=POLICY_ENDED,
                    status=ItemStatus.CANCELLED, now=now)  # fmt: skip
    return Touch.objects.filter(pk__in=[pk for _, pk in ended]).update(
        result=POLICY_ENDED, done_at=now
    )


def morning_now(day: date) -> datetime:
    """The moment of the brokerage's morning run on ``day``."""
    moment = time(settings.MORNING_JOB_HOUR, settings.MORNING_JOB_MINUTE)
    return timezone.make_aware(datetime.combine(day, moment))


@transaction.atomic
def touches_morning_job(
    *, day: date | None = None, now: datetime | None = None, kinds=None
) -> TouchesReport:
    """The touches' part of the morning run (see the module's docstring). ``day`` is the
    brokerage's day; ``now`` (default: that day's morning run, or the present moment for
    today) says which day it is for each client's greetings; ``kinds`` limits the run to
    these kinds (default: every enabled one)."""
    if now is None:
        now = timezone.now() if day is None or day == timezone.localdate() else morning_now(day)
    day = day or timezone.localdate(now)
    report = TouchesReport(day=day)
    report.cancelled = _cancel_ended(now)
    local = calendar.local_days(now)
    for kind, setting in touch_settings().items():
        if not setting.enabled or (kinds is not None and kind not in kinds):
            continue
        if kind in (TouchKind.THANK_YOU, TouchKind.RETURN_VISIT):
            ids = _after_sale(kind, setting, day, now)
        elif kind == TouchKind.PLATE:
            ids = _plate(setting, day, now)
        elif kind in (TouchKind.INSPECTION, TouchKind.LICENCE):
            ids = _vehicle_date(kind, setting, day, now)
        elif kind == TouchKind.BIRTHDAY:
            ids = _birthday(setting, local, now)
        else:
            ids = _holiday(setting, local, now)
        if not ids:
            continue
        if setting.mode == TouchMode.CALL:
            report.calls[kind] = _queue_calls(kind, setting, ids, now)
        else:
            report.messages[kind] = _send_messages(ids)
    if report.total_calls > 10_000:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {SqlNames(WorkItem).table}")
    return report
