"""What a touch's call result means (issue 17), run inside the result's transaction
(workqueue.services.item_record_result):

- every result goes on the client's timeline, and the last allowed failed attempt marks the
  client's contact inaccurate, as for renewals and payments;
- a final result is written on the touch (result, who, when, note);
- "plate recorded" writes the plate on the vehicle (policies.services.vehicle_save: with its
  history) and the endorsement date on the touch;
- "return visit done" records the coded answers (satisfaction 1–5, policy documents received)
  and corrects the client's phone, e-mail or address found wrong on the way
  (clients.services.client_update: with history), which also clears a contact marked
  inaccurate: the client was reached; the same policy's thank-you still open is done with it
  (the client was thanked on that call): closed as "return visit done", off the call list.

Only ``workqueue.services`` writes work items: this module writes touches, vehicles through
the policies' service and clients through the clients' service."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from clients.models import Channel
from clients.services import client_log_call_result, client_update, interaction_log
from policies.services import vehicle_save
from workqueue import kinds
from workqueue.results import MAX_FAILED_ATTEMPTS
from workqueue.services import items_close

from . import timeline
from .kind import PLATE_RECORDED, VISITED
from .models import Touch, TouchKind

# How far back an endorsement date may be (the policy started at most this long ago).
ENDORSED_MAX_DAYS_AGO = 366
CONTACT_FIELDS = ("phone", "email", "address")


def normalise_plate(plate: str) -> str:
    """A plate as stored (policies.services): letters and digits only, upper case."""
    return "".join(ch for ch in (plate or "").upper() if ch.isalnum())


def plate_problem(plate: str) -> str:
    """What is wrong with a plate as typed, or ""."""
    plate = normalise_plate(plate)
    if not plate:
        return _("Type the plate.")
    if not 5 <= len(plate) <= 10:
        return _("A plate has 5 to 10 letters and digits.")
    if not any(ch.isdigit() for ch in plate) or not any(ch.isalpha() for ch in plate):
        return _("A plate has both letters and digits.")
    return ""


def endorsed_on_problem(endorsed_on: date | None, today: date) -> str:
    if endorsed_on is None:
        return _("Give the day the insurer endorsed the plate.")
    if endorsed_on > today:
        return _("The endorsement date cannot be in the future.")
    if endorsed_on < today - timedelta(days=ENDORSED_MAX_DAYS_AGO):
        return _("The endorsement date is more than a year ago.")
    return ""


def _record_plate(touch: Touch, details: dict, by) -> None:
    errors = {}
    if problem := plate_problem(details.get("plate", "")):
        errors["plate"] = problem
    if problem := endorsed_on_problem(details.get("endorsed_on"), timezone.localdate()):
        errors["endorsed_on"] = problem
    if touch.vehicle is None:
        errors["plate"] = _("This policy no longer has the vehicle.")
    if errors:
        raise ValidationError(errors)
    plate = normalise_plate(details["plate"])
    vehicle_save(policy=touch.vehicle.policy, by=by, data={"plate": plate}, vehicle=touch.vehicle)
    touch.plate = plate
    touch.endorsed_on = details["endorsed_on"]
    interaction_log(
        client=touch.client, by=by, channel=Channel.CALL, message=timeline.PLATE_RECORDED,
        params={
            "plate": plate, "vehicle": f"{touch.vehicle.make} {touch.vehicle.model}",
            "on": date_format(touch.endorsed_on, "SHORT_DATE_FORMAT"),
        },
    )  # fmt: skip


def _record_visit(touch: Touch, details: dict, by) -> None:
    satisfaction = details.get("satisfaction")
    if satisfaction in (None, ""):
        raise ValidationError({"satisfaction": _("Record how satisfied the client is.")})
    satisfaction = int(satisfaction)
    if not 1 <= satisfaction <= 5:
        raise ValidationError({"satisfaction": _("Satisfaction is from 1 to 5.")})
    touch.satisfaction = satisfaction
    touch.documents_received = details.get("documents_received")
    client = touch.client
    changes = {}
    for name in CONTACT_FIELDS:
        value = details.get(name)
        if value in (None, ""):
            continue
        if str(value).strip() != str(getattr(client, name) or "").strip():
            changes[name] = value
    if not changes:
        return
    if client.contact_inaccurate:
        changes["contact_inaccurate"] = False
    client_update(client=client, by=by, data=changes)
    touch.contact_corrected = True
    labels = {"phone": _("phone"), "email": _("e-mail"), "address": _("address")}
    interaction_log(
        client=client, by=by, channel=Channel.CALL, message=timeline.CONTACT_CORRECTED,
        params={"fields": ", ".join(str(labels[n]) for n in CONTACT_FIELDS if n in changes)},
    )  # fmt: skip


def _thank_you_done_by_visit(visit: Touch, by) -> None:
    """The policy's thank-you still waiting is done by the return visit's call."""
    if visit.policy_id is None:
        return
    waiting = list(
        Touch.objects.filter(
            kind=TouchKind.THANK_YOU, policy_id=visit.policy_id, done_at__isnull=True
        ).values_list("pk", flat=True)
    )
    if not waiting:
        return
    Touch.objects.filter(pk__in=waiting).update(
        result=VISITED.code, done_at=timezone.now(), done_by=by
    )
    items_close(kind=TouchKind.THANK_YOU, subject_ids=waiting, result=VISITED.code)


def touch_handle_result(*, item, result, by, note, details, failed_attempts) -> None:
    """See the module's docstring."""
    touch = Touch.objects.select_related("client", "vehicle__policy", "policy").get(
        pk=item.subject_id
    )
    if result == PLATE_RECORDED.code:
        _record_plate(touch, details, by)
    elif result == VISITED.code:
        _record_visit(touch, details, by)
        _thank_you_done_by_visit(touch, by)
    offered = kinds.get(item.kind).result(result)
    if offered is not None and offered.final:
        touch.result = result
        touch.done_at = timezone.now()
        touch.done_by = by
        touch.note = (note or "")[:255]
    touch.save()
    client_log_call_result(
        client=touch.client, by=by, message=timeline.RESULT,
        params={"kind": touch.kind, "result": result, "note": note or ""},
        inaccurate=failed_attempts >= MAX_FAILED_ATTEMPTS,
    )  # fmt: skip
