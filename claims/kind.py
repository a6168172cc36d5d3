"""The claims kinds of work (issue 16), registered in ClaimsConfig.ready; the queue knows none
of these words.

- ``claim_contact``: the 10-minute first contact after a report. Its subject is the claim; its
  results are "client contacted" (records the claim's first contact and moves it to "first
  contact made") beside the failed attempts and the call-back every kind shares. It goes on the
  responsible agent's call list, urgent, or to the maintainers' queue (the on-duty list) when
  no active agent can take it.
- ``claim_follow_up``: a follow-up call booked with the client (the second follow-up, 二次跟踪,
  and any after it), on the agent's call list from its day, its title saying the time agreed.
  It is done by recording the follow-up on the claim's page (which closes it); the call
  list's results (no answer, call back…) are on the client's timeline.
- ``claim_callback``: the call-back after settlement (赔案回访) on the agent's call list; done
  by recording the client's satisfaction (1–5) and comments on the claim's page.
- ``claim_low_satisfaction``: a call-back scored 1 or 2, in the maintainers' queue for the
  manager (who is also told by e-mail).
- ``claim_dispute``: a dispute on a claim that its agent could not resolve, escalated to the
  manager: in the maintainers' queue (the manager is also told by e-mail); closed with a note.
- ``claim_escalation``: a claim whose client was not contacted within 10 minutes, in the
  maintainers' queue. It has no call-list results: the maintainers contact the client (the
  claim page records it, which closes the item) or close it with a note.
"""

from collections import defaultdict

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from clients.links import whatsapp_url
from clients.models import Client
from clients.services import clients_take_owner
from workqueue import kinds
from workqueue.models import ItemResult
from workqueue.results import GENERIC

from .models import Claim

CLAIM_KIND = "claim_contact"
ESCALATION_KIND = "claim_escalation"
DISPUTE_KIND = "claim_dispute"
FOLLOW_UP_KIND = "claim_follow_up"
CALLBACK_KIND = "claim_callback"
LOW_SCORE_KIND = "claim_low_satisfaction"
LOW_SCORE = 2  # a satisfaction of 1 or 2 goes to the manager
# Below a first contact, above renewals and collections: a booked follow-up is a promise.
FOLLOW_UP_PRIORITY = 500
# Above every other kind's priority (renewals and collections use at most 100): a reported
# claim is the first item of the call list.
CLAIM_PRIORITY = 1000

CONTACTED = kinds.Result("contacted", _("Client contacted"), final=True, style="success")
FOLLOWED_UP = "followed_up"
CLAIM_RESULTS = (*GENERIC, CONTACTED)


def claim_owners(subject_ids) -> dict[int, int]:
    """Claim id → the owner of its policy holder, when that owner is an active agent (a
    maintainer returning the item gives it to them; nobody else)."""
    rows = dict(
        Claim.objects.filter(
            pk__in=list(subject_ids), policy__holder__owner__isnull=False
        ).values_list("pk", "policy__holder__owner_id")
    )
    active = set(
        get_user_model()
        .objects.active_agents()
        .filter(pk__in=set(rows.values()))
        .values_list("pk", flat=True)
    )
    return {pk: owner for pk, owner in rows.items() if owner in active}


def claim_clients_of(subject_ids) -> dict[int, int]:
    return dict(
        Claim.objects.filter(pk__in=list(subject_ids)).values_list("pk", "policy__holder_id")
    )


def claim_subjects_of_clients(client_ids) -> dict[int, list[int]]:
    subjects: dict[int, list[int]] = defaultdict(list)
    for pk, holder_id in Claim.objects.filter(policy__holder_id__in=list(client_ids)).values_list(
        "pk", "policy__holder_id"
    ):
        subjects[holder_id].append(pk)
    return dict(subjects)


def claim_visible_to(user, subject_ids) -> set[int]:
    return set(
        Claim.objects.filter(
            pk__in=list(subject_ids),
            policy__holder__in=Client.objects.visible_to(user).values("pk"),
        ).values_list("pk", flat=True)
    )


def claim_handed_out(*, assignments: dict[int, int], by=None) -> None:
    """A claim item handed out to an agent makes them the owner of a client who has none, so
    that they can open the client and the claim."""
    owners = {
        holder_id: assignments[pk]
        for pk, holder_id in Claim.objects.filter(pk__in=list(assignments)).values_list(
            "pk", "policy__holder_id"
        )
    }
    clients_take_owner(owners=owners, by=by)


def claim_context(items) -> dict[int, dict]:
    """Two queries for any number of items: the claims with policy, insurer and client, and
    the results logged on their contact items."""
    subject_ids = {item.subject_id for item in items}
    claims = Claim.objects.select_related(
        "policy__holder", "policy__insurer", "agent", "reported_by"
    ).in_bulk(subject_ids)
    results = defaultdict(list)
    for row in (
        ItemResult.objects.filter(item__kind=CLAIM_KIND, item__subject_id__in=subject_ids)
        .values("item__subject_id", "result", "note", "callback_at", "at", "by__first_name",
                "by__last_name", "by__username")
        .order_by("at", "pk")
    ):  # fmt: skip
        label = kinds.result_label(row["result"], kind=CLAIM_KIND)
        results[row["item__subject_id"]].append({**row, "label": label})
    context = {}
    for item in items:
        claim = claims.get(item.subject_id)
        if claim is None:
            continue
        client = claim.policy.holder
        phone = client.phone or claim.reporter_phone
        context[item.pk] = {
            "claim": claim,
            "policy": claim.policy,
            "client": client,
            "phone": phone,
            "whatsapp_url": whatsapp_url(client.whatsapp or phone),
            "reporter_phone": claim.reporter_phone,
            "previous": results.get(claim.pk, []),
            "claim_url": reverse("claims:detail", args=[claim.pk]),
        }
    return context


def _claim(name):
    return lambda item: getattr(item.ctx["claim"], name) if "claim" in item.ctx else None


EXPORT_COLUMNS = (
    kinds.ExportColumn(
        "client", _("Client"), lambda i: i.ctx["client"].display_name if "client" in i.ctx else ""
    ),
    kinds.ExportColumn("phone", _("Phone"), lambda i: str(i.ctx.get("phone") or "")),
    kinds.ExportColumn(
        "policy", _("Policy"), lambda i: i.ctx["policy"].number if "policy" in i.ctx else ""
    ),
    kinds.ExportColumn("claim", _("Claim"), lambda i: str(i.ctx.get("claim") or "")),
    kinds.ExportColumn("claim_reported_at", _("Claim reported at"), _claim("reported_at")),
    kinds.ExportColumn("claim_contact_due_at", _("Contact due by"), _claim("contact_due_at")),
)


def register_kinds() -> None:
    from .cards import claim_card_html
    from .services import claim_handle_result, follow_up_handle_result

    kinds.register(
        kinds.WorkKind(
            name=CLAIM_KIND,
            label=_("Claims: first contact"),
            order=0,
            results=CLAIM_RESULTS,
            result_handler=claim_handle_result,
            owners=claim_owners,
            handed_out=claim_handed_out,
            clients_of=claim_clients_of,
            subjects_of_clients=claim_subjects_of_clients,
            visible_to=claim_visible_to,
            context=claim_context,
            card_template="claims/_call_item.html",
            card_html=claim_card_html,
            card_script=True,
            maintainer_template="claims/_maintainer_item.html",
            export_columns=EXPORT_COLUMNS,
        )
    )
    kinds.register(
        kinds.WorkKind(
            name=ESCALATION_KIND,
            label=_("Claims not contacted within 10 minutes"),
            order=1,
            visible_to=claim_visible_to,
            context=claim_context,
            card_template="claims/_maintainer_item.html",
            maintainer_template="claims/_maintainer_item.html",
            export_columns=EXPORT_COLUMNS,
        )
    )
    kinds.register(
        kinds.WorkKind(
            name=DISPUTE_KIND,
            label=_("Claims: disputes escalated to the manager"),
            order=2,
            visible_to=claim_visible_to,
            context=claim_context,
            card_template="claims/_maintainer_item.html",
            maintainer_template="claims/_maintainer_item.html",
            export_columns=EXPORT_COLUMNS,
        )
    )
    kinds.register(
        kinds.WorkKind(
            name=FOLLOW_UP_KIND,
            label=_("Claims: follow-ups"),
            order=3,
            results=GENERIC,
            result_handler=follow_up_handle_result,
            owners=claim_owners,
            handed_out=claim_handed_out,
            clients_of=claim_clients_of,
            subjects_of_clients=claim_subjects_of_clients,
            visible_to=claim_visible_to,
            context=claim_context,
            card_template="claims/_follow_up_item.html",
            maintainer_template="claims/_follow_up_item.html",
            export_columns=EXPORT_COLUMNS,
        )
    )
    kinds.register(
        kinds.WorkKind(
            name=CALLBACK_KIND,
            label=_("Claims: call-backs after settlement"),
            order=4,
            results=GENERIC,
            result_handler=follow_up_handle_result,
            owners=claim_owners,
            handed_out=claim_handed_out,
            clients_of=claim_clients_of,
            subjects_of_clients=claim_subjects_of_clients,
            visible_to=claim_visible_to,
            context=claim_context,
            card_template="claims/_follow_up_item.html",
            maintainer_template="claims/_follow_up_item.html",
            export_columns=EXPORT_COLUMNS,
        )
    )
    kinds.register(
        kinds.WorkKind(
            name=LOW_SCORE_KIND,
            label=_("Claims: low satisfaction after settlement"),
            order=5,
            visible_to=claim_visible_to,
            context=claim_context,
            card_template="claims/_maintainer_item.html",
            maintainer_template="claims/_maintainer_item.html",
            export_columns=EXPORT_COLUMNS,
        )
    )
