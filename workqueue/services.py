"""Logging a contact result on a work item. The queue knows no domain app: what a result means
for a renewal (or a collection, a claim) is the kind's own result handler."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import kinds
from .models import ItemResult, ItemStatus, Queue, WorkItem
from .results import FAILED, FINAL, MAX_FAILED_ATTEMPTS, ContactResult


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
    failed_attempts = item.results.filter(result__in=FAILED).count() if result in FAILED else 0
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
