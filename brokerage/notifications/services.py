"""The notification outbox: every message is stored first, then sent by a Celery task."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .backends import DeliveryError, backend_for
from .models import Channel, Message, Status

E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def _validate_recipient(channel: str, to: str) -> None:
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Unknown channel: %(c)s.") % {"c": channel}})
    if channel == Channel.EMAIL:
        try:
            validate_email(to)
        except ValidationError as exc:
            raise ValidationError(
                {"to": _("Not a valid e-mail address: %(to)s.") % {"to": to}}
            ) from exc
    elif not E164.match(to):
        raise ValidationError(
            {
                "to": _("Phone numbers must be in international form, e.g. +5215512345678: %(to)s.")
                % {"to": to}
            }
        )


# A stored context is JSON: dates, times and amounts become strings there, which the templates'
# filters (``date``, ``floatformat``) would no longer format. The context keeps their types
# under this key and ``_revived`` turns them back before a stored message is written.
TYPES_KEY = "__types__"
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _stored(context: dict) -> dict:
    types = {}
    for key, value in context.items():
        if isinstance(value, datetime):
            types[key] = "datetime"
        elif isinstance(value, date):
            types[key] = "date"
        elif isinstance(value, Decimal):
            types[key] = "decimal"
    return {**context, TYPES_KEY: types} if types else context


def _revived(context: dict) -> dict:
    """The context as the template was given it. A message stored before types were kept
    has its ``…_on`` days revived from their ISO form."""
    types = context.get(TYPES_KEY)
    if types is None:
        types = {
            key: "date" for key, value in context.items()
            if key.endswith("_on") and isinstance(value, str) and _ISO_DAY.match(value)
        }  # fmt: skip
    revived = {key: value for key, value in context.items() if key != TYPES_KEY}
    for key, kind in types.items():
        value = revived.get(key)
        if not isinstance(value, str):
            continue
        try:
            if kind == "datetime":
                revived[key] = datetime.fromisoformat(value)
            elif kind == "date":
                revived[key] = date.fromisoformat(value)
            elif kind == "decimal":
                revived[key] = Decimal(value)
        except (ValueError, ArithmeticError):
            continue  # left as written rather than lose the message
    return revived


def _render(channel: str, template: str, context: dict, language: str) -> tuple[str, str, str]:
    base = f"notifications/{template}"
    with translation.override(language):
        body = render_to_string(f"{base}/body.txt", context).strip()
        subject = ""
        html = ""
        if channel == Channel.EMAIL:
            subject = " ".join(render_to_string(f"{base}/subject.txt", context).split())
            try:
                html = render_to_string(f"{base}/body.html", context)
            except TemplateDoesNotExist:
                html = ""
    return subject, body, html


def notification_send(
    *,
    channel: str,
    to: str,
    template: str,
    context: dict | None = None,
    language: str | None = None,
    created_by=None,
) -> Message:
    """Store a message in the outbox and send it once the surrounding transaction commits.

    ``template`` names a folder under ``templates/notifications/`` holding ``body.txt`` (and,
    for e-mail, ``subject.txt`` and optionally ``body.html``), rendered in ``language``.
    """
    context = context or {}
    language = language or settings.LANGUAGE_CODE
    _validate_recipient(channel, to)
    subject, body, html = _render(channel, template, context, language)
    message = Message.objects.create(
        channel=channel,
        to=to,
        template=template,
        context=_stored(context),
        language=language,
        subject=subject[:255],
        body=body,
        html_body=html,
        created_by=created_by,
    )
    _enqueue(message.pk)
    return message


def message_render(message: Message) -> Message:
    """Write a stored message's subject and body from its template, context and language
    (a message queued by ``notifications_send_many`` is written when it is sent)."""
    subject, body, html = _render(message.channel, message.template,
                                  _revived(message.context), message.language)  # fmt: skip
    message.subject, message.body, message.html_body = subject[:255], body, html
    Message.objects.filter(pk=message.pk).update(
        subject=message.subject, body=message.body, html_body=message.html_body
    )
    return message


def notifications_send_many(messages: list[dict], created_by=None) -> list[Message | None]:
    """``notification_send`` for a morning's worth of messages: each dict holds channel, to,
    template, context and language. The recipients are checked, the messages stored in one
    INSERT and sent by one task per ``BATCH`` once the transaction commits; each is written
    (rendered in its language) by the worker that sends it, not here, so that the morning run
    does not spend its time on thousands of templates. The outbox shows a queued one as "written
    when sent". A message whose recipient is not valid is not stored: its place in the
    returned list is None."""
    built: list[Message] = []
    places: list[int] = []
    for index, spec in enumerate(messages):
        language = spec.get("language") or settings.LANGUAGE_CODE
        try:
            _validate_recipient(spec["channel"], spec["to"])
        except ValidationError:
            continue
        built.append(
            Message(
                channel=spec["channel"],
                to=spec["to"],
                template=spec["template"],
                context=_stored(spec["context"]),
                language=language,
                body="",
                created_by=created_by,
            )  # fmt: skip
        )
        places.append(index)
    Message.objects.bulk_create(built, batch_size=1000)
    from brokerage.celery import enqueue_on_commit

    from .tasks import notification_deliver_many_task

    ids = [m.pk for m in built]
    for start in range(0, len(ids), BATCH):
        enqueue_on_commit(notification_deliver_many_task, ids[start : start + BATCH])
    result: list[Message | None] = [None] * len(messages)
    for index, message in zip(places, built, strict=True):
        result[index] = message
    return result


# Messages sent by one task of notifications_send_many.
BATCH = 200


def _enqueue(message_id: int) -> None:
    from brokerage.celery import enqueue_on_commit

    from .tasks import notification_deliver_task

    enqueue_on_commit(notification_deliver_task, message_id)


def _claim_window() -> timedelta:
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)


def notification_deliver(*, message_id: int) -> Message | None:
    """Send one queued message. A task delivered twice sends it once: the message is claimed
    with a conditional update, and only the worker that claimed it sends it."""
    now = timezone.now()
    claimed = Message.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - _claim_window()),
        pk=message_id,
        status=Status.QUEUED,
    ).update(claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return None
    message = Message.objects.get(pk=message_id)
    path, backend = backend_for(message.channel)
    message.backend = path
    try:
        if not message.body:  # stored by notifications_send_many: written now, once
            message_render(message)
        backend.send(message)
    except DeliveryError as exc:
        message.status = Status.FAILED
        message.error = str(exc)[:2000]
    except Exception as exc:  # noqa: BLE001 - a broken backend must not lose the message
        message.status = Status.FAILED
        message.error = f"{type(exc).__name__}: {exc}"[:2000]
    else:
        message.status = Status.SENT
        message.error = ""
        message.sent_at = timezone.now()
    message.save(update_fields=["status", "error", "sent_at", "backend"])
    return message


@transaction.atomic
def notification_retry(*, message: Message) -> Message:
    """Put a failed message back in the queue."""
    updated = Message.objects.filter(pk=message.pk, status=Status.FAILED).update(
        status=Status.QUEUED, claimed_at=None, error=""
    )
    if not updated:
        raise ValidationError(_("Only a failed message can be sent again."))
    _enqueue(message.pk)
    message.refresh_from_db()
    return message


def notification_requeue_stale() -> int:
    """Re-enqueue queued messages whose task never ran (lost with a broker restart)."""
    now = timezone.now()
    cutoff = now - timedelta(minutes=settings.NOTIFICATION_REQUEUE_AFTER_MINUTES)
    ids = list(
        Message.objects.filter(
            Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - _claim_window()),
            status=Status.QUEUED,
            created_at__lt=cutoff,
        ).values_list("pk", flat=True)[:1000]
    )
    with transaction.atomic():
        for message_id in ids:
            _enqueue(message_id)
    return len(ids)
