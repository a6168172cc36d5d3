"""Reads of claims. Every read starts from ``Claim.objects.visible_to``."""

from datetime import datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from clients.models import Client
from clients.search import compact, search_q
from policies.models import Policy, PolicyStatus, Vehicle

from .forms import ClaimFilterSet
from .models import Claim

POLICY_MATCHES = 20


def claim_list(*, user, values: dict) -> QuerySet[Claim]:
    qs = ClaimFilterSet(queryset=Claim.objects.visible_to(user)).narrow(values)
    return qs.select_related("policy__holder", "policy__insurer", "agent").order_by(
        "-reported_at", "-pk"
    )


def claim_for_user(*, user, pk: int) -> Claim:
    return get_object_or_404(
        Claim.objects.visible_to(user).select_related(
            "policy__holder", "policy__insurer", "policy__agent", "agent", "reported_by",
            "first_contact_by", "settled_by", "referred_to", "called_back_by",
        ),
        pk=pk,
    )  # fmt: skip


def claim_policy_for_user(*, user, pk: int) -> Policy:
    """The policy a claim is reported against: one the user may see, else 404."""
    return get_object_or_404(
        Policy.objects.visible_to(user).select_related("holder", "insurer", "agent"), pk=pk
    )


def policies_matching(*, user, text: str) -> list[Policy]:
    """The policies a claim may be reported against, found by the holder (name, phone,
    national or tax ID), a plate, a VIN or the policy number: in force first, then the most
    recent. One query."""
    text = " ".join(text.split())
    if not text:
        return []
    code = compact(text)
    condition = Q(holder__in=Client.objects.filter(search_q(text, matchers=False)).values("pk"))
    if code:
        vehicles = Vehicle.objects.filter(Q(vin=code) | Q(plate=code)).values("policy_id")
        condition |= Q(number_key=code) | Q(pk__in=vehicles)
    return list(
        Policy.objects.visible_to(user)
        .filter(condition)
        .select_related("holder", "insurer")
        .prefetch_related("vehicles")
        .order_by("-end_date", "-pk")[:POLICY_MATCHES]
    )


def claim_history(*, claim: Claim, limit: int = 50) -> list[dict]:
    from clients.selectors import history_changes

    return history_changes(claim.history.select_related("history_user"), limit=limit)


def claims_of_client(*, client: Client, limit: int = 50) -> list[Claim]:
    return list(
        Claim.objects.filter(policy__holder=client).select_related("policy__insurer")[:limit]
    )


def claims_of_policy(*, policy: Policy, limit: int = 50) -> list[Claim]:
    return list(Claim.objects.filter(policy=policy)[:limit])


def claims_of_term(*, policy: Policy, limit: int = 50) -> list[Claim]:
    """The claims reported while the policy was in force, from its start date to its end
    date (a renewal case's term), newest first. One query."""
    first = timezone.make_aware(datetime.combine(policy.start_date, time.min))
    after = timezone.make_aware(datetime.combine(policy.end_date + timedelta(days=1), time.min))
    return list(
        Claim.objects.filter(policy=policy, reported_at__gte=first, reported_at__lt=after)[:limit]
    )


def in_force_first(policies: list[Policy]) -> list[Policy]:
    return sorted(policies, key=lambda p: p.status != PolicyStatus.ACTIVE)


def claim_checklist(*, claim: Claim) -> list[dict]:
    """The claim's documents checklist, in order: each item with its state (no row: missing)
    and, when received as a file, the client document. One query."""
    from .models import ClaimDocument, DocumentItem, DocumentState, checklist_for

    rows = {
        row.item: row
        for row in ClaimDocument.objects.filter(claim=claim).select_related(
            "document", "changed_by"
        )
    }
    checklist = []
    for item in checklist_for(claim.kind, claim.injured):
        row = rows.get(item)
        state = row.state if row is not None else DocumentState.MISSING
        checklist.append(
            {
                "item": item, "label": DocumentItem(item).label, "state": state,
                "state_label": DocumentState(state).label, "row": row,
                "document": row.document if row is not None else None,
            }
        )  # fmt: skip
    return checklist
