"""Logging a contact result on a work item. The queue knows no domain app: what a result means
for a renewal (or a collection, a claim) is the kind's own result handler."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import kinds
from .models import ItemResult, ItemStatus, PointsAward, Queue, WorkItem
from .results import CLOSED, CONTACT_FIXED, FAILED, FINAL, MAX_FAILED_ATTEMPTS, ContactResult


@transaction.atomic
def item_record_result(
    *,
    item: WorkItem,
    by,
    result: str,
    callback_at: datetime | None = None,
    note: str = "",
    details: dict | None = None,
) -> WorkItem:
    """Log one result. A call-back keeps the item open for that time; a failed attempt counts
    towards three strikes; a final result closes the item. The kind's handler then does what
    the result means for its subject (timeline, case outcome, inaccurate contact)."""
    item = WorkItem.objects.select_for_update().get(pk=item.pk)
    if item.status != ItemStatus.OPEN:
        raise ValidationError(_("This item is already closed."))
    if item.agent_id != by.pk:
        raise ValidationError(_("This item is not in your queue."))
    if result not in ContactResult.values:
        raise ValidationError({"result": _("Unknown result: %(r)s.") % {"r": result}})
    now = timezone.now()
    if result == ContactResult.CALL_BACK:
        if callback_at is None:
            raise ValidationError({"callback_at": _("Say when to call back.")})
        if callback_at <= now:
            raise ValidationError({"callback_at": _("The call-back time must be in the future.")})
        item.callback_at = callback_at
        item.due_on = timezone.localdate(callback_at)
    item.result = result
    item.attempts += 1
    ItemResult.objects.create(
        item=item, result=result, note=note[:255], callback_at=callback_at, by=by
    )
    if result in FINAL:
        item.status = ItemStatus.DONE
        item.done_at = now
    failed_attempts = 0
    if result in FAILED:
        # Strikes count from the last time a maintainer fixed the contact.
        failed = item.results.filter(result__in=FAILED)
        fixed = item.results.filter(result=CONTACT_FIXED).order_by("-at").first()
        if fixed is not None:
            failed = failed.filter(at__gt=fixed.at)
        failed_attempts = failed.count()
    item.save()
    handler = kinds.get(item.kind).result_handler
    if handler is not None:
        handler(
            item=item,
            result=result,
            by=by,
            note=note,
            details=details or {},
            failed_attempts=failed_attempts,
        )
    if result in FAILED and failed_attempts >= MAX_FAILED_ATTEMPTS:
        item_send_to_maintainers(item=item)
    return item


def item_send_to_maintainers(*, item: WorkItem) -> WorkItem:
    """Three strikes: the item leaves the agent's list for the maintainers' "fix contact"
    queue."""
    item.queue = Queue.MAINTAINERS
    item.agent = None
    item.due_on = timezone.localdate()
    item.save(update_fields=["queue", "agent", "due_on"])
    return item


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


@transaction.atomic
def item_return_to_agents(*, item: WorkItem, by) -> WorkItem:
    """The maintainer fixed the contact: the item goes back to the call lists, to the client's
    owner if there is one (else the next distribution hands it out), with a fresh count of
    attempts."""
    item = WorkItem.objects.select_for_update().get(pk=item.pk)
    if item.status != ItemStatus.OPEN or item.queue != Queue.MAINTAINERS:
        raise ValidationError(_("This item is no longer in the maintainers' queue."))
    if not kinds.get(item.kind).results:
        raise ValidationError(
            _("This item has no place in the call lists: close it with a note of what was done.")
        )
    owners_of = kinds.get(item.kind).owners
    owner_id = (owners_of([item.subject_id]) if owners_of else {}).get(item.subject_id)
    item.queue = Queue.AGENT
    item.agent_id = owner_id
    item.handed_out_at = timezone.now() if owner_id else None
    item.attempts = 0
    item.due_on = timezone.localdate()
    item.save(update_fields=["queue", "agent", "handed_out_at", "attempts", "due_on"])
    ItemResult.objects.create(
        item=item, result=CONTACT_FIXED, note=_("Contact fixed, back to the call list."), by=by
    )
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
