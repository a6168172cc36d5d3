"""Reads of policy service. Every read starts from ``visible_to`` (a policy's, a request's, a
case's): anything else is a 404."""

from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from clients.models import Client
from policies.models import Policy, PolicyStatus

from .forms import AGE_BUCKETS, CaseFilterSet, RequestFilterSet, age_range
from .models import (
    ROLE_ORDER,
    SERVICE_LINES,
    CaseClass,
    CaseSearch,
    CaseServiceItem,
    PartyRole,
    PolicyParty,
    RequestKind,
    SearchMethod,
    ServiceCase,
    ServiceItem,
    ServiceRequest,
)


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def policy_for_user(*, user, pk: int) -> Policy:
    return get_object_or_404(
        Policy.objects.visible_to(user).select_related("holder", "insurer", "agent"), pk=pk
    )


def parties_of(policy: Policy) -> list[PolicyParty]:
    """The policy's parties: policyholder, insured, beneficiaries, each in its order."""
    parties = list(PolicyParty.objects.filter(policy=policy))
    return sorted(parties, key=lambda p: (ROLE_ORDER[p.role], p.position, p.pk))


def policy_service(*, policy: Policy) -> dict:
    """What the policy page shows of its service: its parties (an auto or other policy with
    none recorded has its holder as policyholder and insured), whether a life or health
    policy lacks beneficiaries, and its service requests. Two queries."""
    parties = parties_of(policy)
    needs_parties = policy.line in SERVICE_LINES
    roles = {p.role for p in parties}
    return {
        "policy": policy,
        "parties": parties,
        "needs_parties": needs_parties,
        "holder_is_insured": not parties and not needs_parties,
        "no_beneficiaries": needs_parties and PartyRole.BENEFICIARY not in roles,
        "requests": list(
            ServiceRequest.objects.filter(policy=policy).select_related("requested_by")[:50]
        ),
    }


def client_service(*, client: Client) -> dict:
    """What the client file shows of its service: its open service requests and its service
    cases. Two queries."""
    return {
        "client": client,
        "requests": list(
            ServiceRequest.objects.filter(policy__holder=client)
            .select_related("policy__insurer")
            .order_by("-requested_at", "-pk")[:50]
        ),
        "cases": list(ServiceCase.objects.filter(client=client)[:20]),
    }


def initial_parties(policy: Policy) -> list[dict]:
    """The parties page's rows: those recorded, or the holder as policyholder and insured."""
    parties = parties_of(policy)
    if parties:
        return [
            {"id": p.pk, "role": p.role, "name": p.name, "relation": p.relation,
             "id_number": p.id_number, "share": p.share}
            for p in parties
        ]  # fmt: skip
    holder = policy.holder
    rows = [{"role": PartyRole.POLICYHOLDER, "name": holder.display_name,
             "id_number": holder.national_id}]  # fmt: skip
    if not holder.is_corporate:
        rows.append({"role": PartyRole.INSURED, "name": holder.display_name,
                     "relation": "self", "id_number": holder.national_id})  # fmt: skip
    return rows


# -- requests ------------------------------------------------------------------------------


def request_list(*, user, values: dict) -> QuerySet[ServiceRequest]:
    qs = RequestFilterSet(queryset=ServiceRequest.objects.visible_to(user)).narrow(values)
    return qs.select_related("policy__holder", "policy__insurer", "policy__agent").order_by(
        "due_on", "-pk"
    )


def request_for_user(*, user, pk: int) -> ServiceRequest:
    return get_object_or_404(
        ServiceRequest.objects.visible_to(user).select_related(
            "policy__holder", "policy__insurer", "policy__agent", "requested_by", "sent_by",
            "closed_by",
        ),
        pk=pk,
    )  # fmt: skip


def request_history(*, request: ServiceRequest, limit: int = 50) -> list[dict]:
    from clients.selectors import history_changes

    return history_changes(request.history.select_related("history_user"), limit=limit)


def party_history(*, policy: Policy, limit: int = 50) -> list:
    """Additions, changes and removals of the policy's parties, newest first."""
    return list(
        PolicyParty.history.filter(policy_id=policy.pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[:limit]
    )


# -- cases ---------------------------------------------------------------------------------


def case_list(*, user, values: dict) -> QuerySet[ServiceCase]:
    qs = CaseFilterSet(queryset=ServiceCase.objects.visible_to(user)).narrow(values)
    return qs.select_related("client__owner", "previous_agent").order_by("opened_at", "pk")


def case_for_user(*, user, pk: int) -> ServiceCase:
    return get_object_or_404(
        ServiceCase.objects.visible_to(user).select_related(
            "client__owner", "previous_agent", "opened_by", "list_signed_by", "closed_by"
        ),
        pk=pk,
    )  # fmt: skip


def case_overview(*, user, today: date | None = None) -> dict:
    """The manager's view: open cases counted by class × age since opening, with totals. One
    query whatever the number of cases."""
    today = today or timezone.localdate()
    counts = {}
    for code, _label, _first, _last in AGE_BUCKETS:
        earliest, latest = age_range(code, today)
        within = Q(opened_at__lt=day_start(latest + timedelta(days=1)))
        if earliest is not None:
            within &= Q(opened_at__gte=day_start(earliest))
        for case_class in CaseClass.values:
            counts[f"{case_class}__{code}"] = Count("pk", filter=within & Q(case_class=case_class))
    figures = (
        ServiceCase.objects.visible_to(user).filter(closed_at__isnull=True).aggregate(**counts)
    )
    rows = []
    for case_class, label in CaseClass.choices:
        cells = [
            {"age": code, "count": figures[f"{case_class}__{code}"] or 0}
            for code, _l, _f, _t in AGE_BUCKETS
        ]
        rows.append({"class": case_class, "label": label, "cells": cells,
                     "total": sum(c["count"] for c in cells)})  # fmt: skip
    totals = [
        {"age": code, "count": sum(r["cells"][i]["count"] for r in rows)}
        for i, (code, _l, _f, _t) in enumerate(AGE_BUCKETS)
    ]
    return {
        "rows": rows, "totals": totals, "total": sum(r["total"] for r in rows),
        "ages": [(code, label) for code, label, _f, _l in AGE_BUCKETS],
    }  # fmt: skip


def case_work(*, case: ServiceCase) -> dict:
    """A case's page: the client's life and health policies, the service items and search
    methods with what was recorded of each, and the reinstatement requests since it opened.
    Four queries."""
    policies = list(
        Policy.objects.filter(holder_id=case.client_id, line__in=SERVICE_LINES)
        .exclude(status__in=(PolicyStatus.CANCELLED,))
        .select_related("insurer")
        .order_by("-end_date")
    )
    recorded = {
        row.item: row for row in CaseServiceItem.objects.filter(case=case).select_related("by")
    }
    tried = {row.method: row for row in CaseSearch.objects.filter(case=case).select_related("by")}
    requests = list(
        ServiceRequest.objects.filter(
            policy__holder_id=case.client_id, kind=RequestKind.REINSTATEMENT
        )
        .filter(Q(requested_at__gte=case.opened_at) | Q(status__in=("requested", "sent")))
        .select_related("policy__insurer")
    )
    return {
        "policies": policies,
        "lapsed": [p for p in policies if p.status == PolicyStatus.LAPSED],
        "items": [
            {"item": item, "label": item.label, "row": recorded.get(item.value)}
            for item in ServiceItem
        ],
        "searches": [
            {"method": method, "label": method.label, "row": tried.get(method.value)}
            for method in SearchMethod
        ],
        "requests": requests,
    }
