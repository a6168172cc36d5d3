"""What the work queue needs to know about renewal items: whose client it is (for
distribution) and what the call list shows for each item, loaded for a whole page at once."""

from collections import defaultdict

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from clients.services import clients_take_owner
from policies.models import Line
from workqueue.models import ItemResult
from workqueue.results import ContactResult, result_label

from .jobs import LAPSED_KIND, RENEWAL_KIND
from .models import RenewalCase
from .services import renewal_quote

RENEWAL_RESULTS = tuple(ContactResult.values)


def renewal_owners(subject_ids) -> dict[int, int]:
    """Case id → the owner agent of its policy holder, for the cases whose client has one."""
    return dict(
        RenewalCase.objects.filter(
            pk__in=subject_ids, policy__holder__owner__isnull=False
        ).values_list("pk", "policy__holder__owner_id")
    )


def whatsapp_url(number) -> str:
    digits = "".join(ch for ch in str(number or "") if ch.isdigit())
    return f"https://wa.me/{digits}" if digits else ""


def renewal_context(items) -> dict[int, dict]:
    """Two queries for any number of items: the cases with policy, client and insurer, and
    every result logged on any touch of those cases."""
    subject_ids = {item.subject_id for item in items}
    cases = RenewalCase.objects.select_related(
        "policy__holder", "policy__insurer", "policy__agent", "ladder"
    ).in_bulk(subject_ids)
    return _build(items, cases, subject_ids)


def _build(items, cases, subject_ids) -> dict[int, dict]:
    today = timezone.localdate()
    results = defaultdict(list)
    for row in (
        ItemResult.objects.filter(
            item__kind__in=[RENEWAL_KIND, LAPSED_KIND], item__subject_id__in=subject_ids
        )
        .values("item__subject_id", "result", "note", "callback_at", "at", "by__first_name",
                "by__last_name", "by__username")
        .order_by("at", "pk")
    ):  # fmt: skip
        results[row["item__subject_id"]].append({**row, "label": result_label(row["result"])})
    context = {}
    back = urlencode({"next": reverse("workqueue:queue")})
    for item in items:
        case = cases.get(item.subject_id)
        if case is None:
            continue
        policy = case.policy
        client = policy.holder
        context[item.pk] = {
            "case": case,
            "policy": policy,
            "client": client,
            "days_left": (policy.end_date - today).days,
            "phone": client.phone,
            "whatsapp_url": whatsapp_url(client.whatsapp or client.phone),
            "previous": results.get(case.pk, []),
            "is_auto": policy.line == Line.AUTO,
            "renew_url": f"{reverse('renewals:renew', args=[case.pk])}?{back}&item={item.pk}",
            "elsewhere_url": (
                f"{reverse('renewals:elsewhere', args=[case.pk])}?{back}&item={item.pk}"
            ),
        }
    return context


def renewal_handed_out(*, assignments: dict[int, int], by=None) -> None:
    """A shared renewal makes its agent the owner of a client who has no active owner (a lead,
    a departed agent's client), so that the agent can open the client file."""
    owners = {
        holder_id: assignments[case_id]
        for case_id, holder_id in RenewalCase.objects.filter(pk__in=list(assignments)).values_list(
            "pk", "policy__holder_id"
        )
    }
    clients_take_owner(owners=owners, by=by)


def renewal_after_result(*, item, result, by) -> str | None:
    """ "Interested" opens the renewal quotation: the same insurer at last year's premium first."""
    if result != ContactResult.INTERESTED:
        return None
    case = RenewalCase.objects.select_related("policy__holder", "policy__insurer").get(
        pk=item.subject_id
    )
    quotation = renewal_quote(case=case, by=by)
    return reverse("policies:quotation", args=[quotation.pk])
