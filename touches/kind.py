"""The touches' kinds of work (issue 17): one work kind per touch, each with its own results
and the touch card (``templates/touches/_call_item.html``). The subject of an item is the
``Touch``; the failed attempts and the call-back are the queue's generic results. Registered
in TouchesConfig.ready; the queue knows none of these words."""

from collections import defaultdict

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from clients.links import whatsapp_url
from clients.models import Client
from clients.services import clients_take_owner
from workqueue import kinds
from workqueue.models import ItemResult
from workqueue.results import GENERIC

from .calendar import Holiday, holiday_name
from .models import Touch, TouchKind

R = kinds.Result

THANKED = R("thanked", _("Thanked"), final=True, style="success")
THANKED_BY_MESSAGE = R("thanked_by_message", _("Thank-you message sent"), final=True,
                       style="outline-success")  # fmt: skip
# Recorded with the plate and the endorsement date on a page of its own.
PLATE_RECORDED = R("plate_recorded", _("Plate recorded"), final=True, page="plate_url",
                   style="success")  # fmt: skip
PLATE_NOT_YET = R("plate_not_yet", _("No plate yet"), style="outline-secondary")
# Recorded with the coded answers and any contact correction on a page of its own.
VISITED = R("visited", _("Return visit done"), final=True, page="visit_url", style="success")
VISIT_DECLINED = R("visit_declined", _("Declined the return visit"), final=True,
                   style="outline-danger")  # fmt: skip
REMINDED = R("reminded", _("Reminded"), final=True, style="success")
ALREADY_DONE = R("already_done", _("Already done"), final=True, style="outline-success")
NO_LONGER_HAS_VEHICLE = R("vehicle_gone", _("No longer has the vehicle"), final=True,
                          style="outline-secondary")  # fmt: skip
GREETED = R("greeted", _("Greeted"), final=True, style="success")
GREETED_BY_MESSAGE = R("greeted_by_message", _("Greeting message sent"), final=True,
                       style="outline-success")  # fmt: skip

RESULTS = {
    TouchKind.THANK_YOU: (*GENERIC, THANKED, THANKED_BY_MESSAGE),
    TouchKind.PLATE: (*GENERIC, PLATE_RECORDED, PLATE_NOT_YET),
    TouchKind.RETURN_VISIT: (*GENERIC, VISITED, VISIT_DECLINED),
    TouchKind.INSPECTION: (*GENERIC, REMINDED, ALREADY_DONE, NO_LONGER_HAS_VEHICLE),
    TouchKind.LICENCE: (*GENERIC, REMINDED, ALREADY_DONE),
    TouchKind.BIRTHDAY: (*GENERIC, GREETED, GREETED_BY_MESSAGE),
    TouchKind.HOLIDAY: (*GENERIC, GREETED, GREETED_BY_MESSAGE),
}
LABELS = {
    TouchKind.THANK_YOU: _("Thank-yous"),
    TouchKind.PLATE: _("Plate endorsements"),
    TouchKind.RETURN_VISIT: _("Return visits"),
    TouchKind.INSPECTION: _("Inspection reminders"),
    TouchKind.LICENCE: _("Licence reminders"),
    TouchKind.BIRTHDAY: _("Birthdays"),
    TouchKind.HOLIDAY: _("Holiday greetings"),
}
ORDER = 60


def touch_owners(subject_ids) -> dict[int, int]:
    return dict(
        Touch.objects.filter(pk__in=list(subject_ids), client__owner__isnull=False).values_list(
            "pk", "client__owner_id"
        )
    )


def touch_clients_of(subject_ids) -> dict[int, int]:
    return dict(Touch.objects.filter(pk__in=list(subject_ids)).values_list("pk", "client_id"))


def touch_subjects_of_clients(client_ids) -> dict[int, list[int]]:
    """Client id → their touches still to do by call (those an open item can be about)."""
    subjects: dict[int, list[int]] = defaultdict(list)
    for pk, client_id in Touch.objects.filter(
        client_id__in=list(client_ids), done_at__isnull=True, mode="call"
    ).values_list("pk", "client_id"):
        subjects[client_id].append(pk)
    return dict(subjects)


def touch_visible_to(user, subject_ids) -> set[int]:
    return set(
        Touch.objects.filter(
            pk__in=list(subject_ids), client__in=Client.objects.visible_to(user).values("pk")
        ).values_list("pk", flat=True)
    )


def touch_handed_out(*, assignments: dict[int, int], by=None) -> None:
    """A shared touch makes its agent the owner of a client who has none, so that the agent
    can open the client file."""
    owners = {
        client_id: assignments[pk]
        for pk, client_id in Touch.objects.filter(pk__in=list(assignments)).values_list(
            "pk", "client_id"
        )
    }
    clients_take_owner(owners=owners, by=by)


def touch_context(items) -> dict[int, dict]:
    """Two queries for any number of items of one kind: the touches with their client,
    policy, insurer and vehicle; the results logged on any item of these touches."""
    subject_ids = {item.subject_id for item in items}
    touches = Touch.objects.select_related("client", "policy__insurer", "vehicle").in_bulk(
        subject_ids
    )
    results = defaultdict(list)
    kinds_present = {item.kind for item in items}
    for row in (
        ItemResult.objects.filter(item__kind__in=kinds_present, item__subject_id__in=subject_ids)
        .values("item__subject_id", "result", "note", "callback_at", "at")
        .order_by("at", "pk")
    ):
        label = kinds.result_label(row["result"], kind=next(iter(kinds_present)))
        results[row["item__subject_id"]].append({**row, "label": label})
    back = urlencode({"next": reverse("workqueue:queue")})
    today = timezone.localdate()
    context = {}
    for item in items:
        touch = touches.get(item.subject_id)
        if touch is None:
            continue
        client = touch.client
        ctx = {
            "touch": touch,
            "client": client,
            "policy": touch.policy,
            "vehicle": touch.vehicle,
            "phone": client.phone,
            "whatsapp_url": whatsapp_url(client.whatsapp or client.phone),
            "previous": results.get(touch.pk, []),
        }
        if touch.kind == TouchKind.PLATE:
            ctx["plate_url"] = f"{reverse('touches:item_plate', args=[item.pk])}?{back}"
        elif touch.kind == TouchKind.RETURN_VISIT:
            ctx["visit_url"] = f"{reverse('touches:item_visit', args=[item.pk])}?{back}"
        elif touch.kind in (TouchKind.INSPECTION, TouchKind.LICENCE) and touch.vehicle:
            when = (
                touch.vehicle.inspection_due
                if touch.kind == TouchKind.INSPECTION
                else touch.vehicle.licence_expiry
            )
            ctx["date"] = when
            ctx["days_to"] = (when - today).days if when else None
        elif touch.kind == TouchKind.HOLIDAY and touch.holiday:
            holiday = Holiday(country=touch.country, day=touch.due_on, name=touch.holiday)
            ctx["holiday"] = holiday_name(holiday, client.language)
        context[item.pk] = ctx
    return context


def _client(item) -> str:
    return item.ctx["client"].display_name if "client" in item.ctx else ""


def _policy(item) -> str:
    policy = item.ctx.get("policy")
    return policy.number if policy else ""


def _vehicle(item) -> str:
    vehicle = item.ctx.get("vehicle")
    return f"{vehicle.make} {vehicle.model} {vehicle.plate}".strip() if vehicle else ""


EXPORT_COLUMNS = (
    kinds.ExportColumn("client", _("Client"), _client),
    kinds.ExportColumn("phone", _("Phone"), lambda i: str(i.ctx.get("phone") or "")),
    kinds.ExportColumn("policy", _("Policy"), _policy),
    kinds.ExportColumn("vehicle", _("Vehicle"), _vehicle),
)


def register_kinds() -> None:
    from .cards import touch_card_html
    from .work import touch_handle_result

    for index, kind in enumerate(TouchKind):
        kinds.register(
            kinds.WorkKind(
                name=kind.value,
                label=LABELS[kind],
                order=ORDER + index,
                results=RESULTS[kind],
                result_handler=touch_handle_result,
                owners=touch_owners,
                handed_out=touch_handed_out,
                clients_of=touch_clients_of,
                subjects_of_clients=touch_subjects_of_clients,
                visible_to=touch_visible_to,
                context=touch_context,
                card_template="touches/_call_item.html",
                card_html=touch_card_html,
                maintainer_template="touches/_maintainer_item.html",
                export_columns=EXPORT_COLUMNS,
            )
        )
