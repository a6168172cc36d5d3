"""Renewal reminders to clients at the rungs that carry a message channel ("email" or
"whatsapp"), queued in the outbox by the morning job for the touches it has just created."""

import logging
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError

from brokerage.notifications.models import Channel, Message
from brokerage.notifications.services import notification_send
from workqueue.models import WorkItem

from .kind import RENEWAL_KIND
from .models import CaseStatus, Ladder, RenewalCase

logger = logging.getLogger(__name__)

TEMPLATE = "renewal_reminder"


def _message_rungs() -> dict[int, dict[int, str]]:
    """Ladder id → {days: channel} for the rungs that message the client."""
    channels: dict[int, dict[int, str]] = {}
    for ladder in Ladder.objects.only("pk", "rungs"):
        for rung in ladder.rungs:
            if rung.get("message"):
                channels.setdefault(ladder.pk, {})[int(rung["days"])] = rung["message"]
    return channels


def _recipient(client, channel: str) -> str:
    if channel == Channel.EMAIL:
        return client.email or ""
    number = client.whatsapp or client.phone
    return number.as_e164 if number else ""


def renewal_rung_messages(*, day: date, now: datetime) -> int:
    """Queue one reminder per renewal touch created by this run (``created_at`` at or after
    the run's ``now``) whose rung has a message channel. Reads in a fixed number of queries,
    then stores one outbox message per touch. A touch is messaged once: the items are created
    once, and a touch that already has its reminder (a second run, two runs at once) is
    skipped."""
    channels = _message_rungs()
    if not channels:
        return 0
    keys = {f"rung-{days}" for rungs in channels.values() for days in rungs}
    items = list(
        WorkItem.objects.filter(kind=RENEWAL_KIND, key__in=keys, created_at__gte=now)
        .select_related("agent")
        .order_by("pk")
    )
    if not items:
        return 0
    cases = RenewalCase.objects.select_related(
        "policy__holder", "policy__insurer", "policy__agent"
    ).in_bulk({item.subject_id for item in items})
    already = set(
        Message.objects.filter(
            template=TEMPLATE, context__work_item__in=[item.pk for item in items]
        ).values_list("context__work_item", flat=True)
    )
    queued = 0
    for item in items:
        case = cases.get(item.subject_id)
        if case is None or item.pk in already or case.status != CaseStatus.OPEN:
            continue
        channel = channels.get(case.ladder_id, {}).get(int(item.key.removeprefix("rung-")))
        policy = case.policy
        client = policy.holder
        if not channel or policy.end_date < day or client.contact_inaccurate:
            continue
        to = _recipient(client, channel)
        if not to:
            continue
        agent = item.agent or policy.agent
        context = {
            "work_item": item.pk,
            "case": case.pk,
            "name": client.display_name,
            "policy_number": policy.number,
            "insurer": policy.insurer.name,
            "end_date": policy.end_date,
            "days": (policy.end_date - day).days,
            "agent": str(agent) if agent else "",
            "agent_phone": str(agent.phone) if agent and agent.phone else "",
            "agent_email": agent.email if agent else "",
        }
        try:
            notification_send(
                channel=channel,
                to=to,
                template=TEMPLATE,
                context=context,
                language=client.language or settings.LANGUAGE_CODE,
            )
        except ValidationError as exc:
            # A malformed address must not stop the morning job: the touch is still queued
            # for the agent, who will find the client's details wrong.
            logger.warning("renewal reminder for item %s not queued: %s", item.pk, exc.messages)
            continue
        queued += 1
    return queued
