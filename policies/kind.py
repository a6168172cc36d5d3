"""The quote follow-up kind of work and its vocabulary: a prospect who was sent a quotation is
called ``QUOTE_SENT_FOLLOW_UP_DAYS`` later, one who declined every quote
``QUOTE_FOLLOW_UP_DAYS`` later, and the calls go on until they buy or decline. The results of
that call, the card, the export columns, whose client a follow-up is, what a hand-out means
and what the call list shows for a page of follow-ups. Registered in PoliciesConfig.ready; the
queue itself knows none of these words."""

from collections import defaultdict

from django.db.models import Prefetch
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from clients.links import whatsapp_url
from clients.models import Client
from clients.services import clients_take_owner
from workqueue import kinds
from workqueue.models import ItemResult
from workqueue.results import GENERIC

from .models import Quotation, QuotationStatus, Quote

QUOTE_FOLLOW_UP = "quote_follow_up"

# The client buys: the agent accepts the quote on the quotation page (the existing flow),
# which ends the follow-up with this result.
BOUGHT = kinds.Result("bought", _("Bought"), final=True, page="quotation_url", style="success")
# Reached: the client wants new quotes. The quotation opens (again) for them.
REQUOTED = kinds.Result("requoted", _("Reached — re-quoted"), final=True, style="outline-primary")
# Still thinking: a new date for the next call, recorded on a page of its own.
THINKING = kinds.Result(
    "still_thinking", _("Still thinking"), final=True, page="thinking_url", style="outline-info"
)
# Declined, with the reason, on a page of its own: the open quotes are declined.
NOT_INTERESTED = kinds.Result(
    "not_interested", _("Declined"), final=True, page="decline_url", style="outline-danger"
)
FOLLOW_UP_RESULTS = (*GENERIC, BOUGHT, THINKING, REQUOTED, NOT_INTERESTED)


def _quotations(subject_ids):
    return Quotation.objects.filter(pk__in=list(subject_ids))


def follow_up_owners(subject_ids) -> dict[int, int]:
    """Quotation id → the owner agent of its client, for the quotations whose client has one
    (one query)."""
    return dict(
        _quotations(subject_ids)
        .filter(client__owner__isnull=False)
        .values_list("pk", "client__owner_id")
    )


def follow_up_clients_of(subject_ids) -> dict[int, int]:
    """Quotation id → its client (one query)."""
    return dict(_quotations(subject_ids).values_list("pk", "client_id"))


def follow_up_subjects_of_clients(client_ids) -> dict[int, list[int]]:
    """Client id → its quotations (one query)."""
    subjects: dict[int, list[int]] = defaultdict(list)
    for quotation_id, client_id in Quotation.objects.filter(
        client_id__in=list(client_ids)
    ).values_list("pk", "client_id"):
        subjects[client_id].append(quotation_id)
    return dict(subjects)


def follow_up_visible_to(user, subject_ids) -> set[int]:
    """The quotations whose client the user may open."""
    return set(
        _quotations(subject_ids)
        .filter(client__in=Client.objects.visible_to(user).values("pk"))
        .values_list("pk", flat=True)
    )


def follow_up_handed_out(*, assignments: dict[int, int], by=None) -> None:
    """A shared follow-up makes its agent the owner of a client who has no active owner (a
    lead, a departed agent's prospect), so that the agent can open the client file and the
    quotation."""
    owners = {
        client_id: assignments[quotation_id]
        for quotation_id, client_id in _quotations(assignments).values_list("pk", "client_id")
    }
    clients_take_owner(owners=owners, by=by)


def follow_up_after_result(*, item, result, by) -> str | None:
    """ "Re-quoted" opens the quotation, reopened if it was lost, so that the agent adds the
    new quotes there."""
    from .services import quotation_reopen

    if result != REQUOTED.code:
        return None
    quotation = Quotation.objects.get(pk=item.subject_id)
    if quotation.status == QuotationStatus.LOST:
        quotation_reopen(quotation=quotation, by=by)
    return reverse("policies:quotation", args=[quotation.pk])


def follow_up_context(items) -> dict[int, dict]:
    """Three queries for any number of items: the quotations with their clients, their
    quotes with the insurers, and every result logged on any follow-up of those
    quotations."""
    subject_ids = {item.subject_id for item in items}
    quotations = (
        _quotations(subject_ids)
        .select_related("client", "renews__insurer")
        .prefetch_related(Prefetch("quotes", queryset=Quote.objects.select_related("insurer")))
        .in_bulk()
    )
    results = defaultdict(list)
    for row in (
        ItemResult.objects.filter(item__kind=QUOTE_FOLLOW_UP, item__subject_id__in=subject_ids)
        .values("item__subject_id", "result", "note", "callback_at", "at", "by__first_name",
                "by__last_name", "by__username")
        .order_by("at", "pk")
    ):  # fmt: skip
        label = kinds.result_label(row["result"], kind=QUOTE_FOLLOW_UP)
        results[row["item__subject_id"]].append({**row, "label": label})
    context = {}
    for item in items:
        quotation = quotations.get(item.subject_id)
        if quotation is None:
            continue
        client = quotation.client
        quotes = list(quotation.quotes.all())
        best = min(quotes, key=lambda q: q.premium, default=None)
        context[item.pk] = {
            "quotation": quotation,
            "quotes": quotes,
            "best_quote": best,
            "best_premium": best.premium if best else None,
            "client": client,
            "phone": client.phone,
            "whatsapp_url": whatsapp_url(client.whatsapp or client.phone),
            "previous": results.get(quotation.pk, []),
            "quotation_url": reverse("policies:quotation", args=[quotation.pk]),
            "thinking_url": reverse("policies:follow_up_thinking", args=[item.pk]),
            "decline_url": reverse("policies:follow_up_decline", args=[item.pk]),
        }
    return context


EXPORT_COLUMNS = (
    # "client" and "phone" share the renewal kind's columns of the sheet.
    kinds.ExportColumn(
        "client", _("Client"), lambda i: i.ctx["client"].display_name if "client" in i.ctx else ""
    ),
    kinds.ExportColumn("phone", _("Phone"), lambda i: str(i.ctx.get("phone") or "")),
    kinds.ExportColumn(
        "quotation",
        _("Quotation"),
        lambda i: i.ctx["quotation"].description if "quotation" in i.ctx else "",
    ),
)


def register_kinds() -> None:
    from .follow_up_card import follow_up_card_html
    from .services import quote_follow_up_handle_result

    kinds.register(
        kinds.WorkKind(
            name=QUOTE_FOLLOW_UP,
            label=_("Quote follow-ups"),
            order=40,
            results=FOLLOW_UP_RESULTS,
            result_handler=quote_follow_up_handle_result,
            owners=follow_up_owners,
            handed_out=follow_up_handed_out,
            clients_of=follow_up_clients_of,
            subjects_of_clients=follow_up_subjects_of_clients,
            visible_to=follow_up_visible_to,
            after_result=follow_up_after_result,
            context=follow_up_context,
            card_template="policies/_follow_up_item.html",
            card_html=follow_up_card_html,
            maintainer_template="policies/_follow_up_maintainer_item.html",
            export_columns=EXPORT_COLUMNS,
        )
    )
