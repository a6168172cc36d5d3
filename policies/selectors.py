"""Reads of policies and quotes. Every read starts from the visible_to() of its model."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from brokerage.accounts.models import User
from clients.models import Client
from clients.search import MAX_IDS_PER_MATCHER, compact

from .models import Currency, Insurer, Line, Policy, PolicyStatus, Quotation, Quote, Vehicle


def client_ids_by_policy_or_vehicle(text: str) -> list[int]:
    """Search matcher (clients.search): holders of a policy number, plate or VIN."""
    code = compact(text)
    if len(code) < 4:
        return []
    by_number = Policy.objects.filter(number_key=code).values_list("holder_id", flat=True)
    by_vehicle = Vehicle.objects.filter(vin=code).values_list("policy__holder_id", flat=True)
    by_plate = Vehicle.objects.filter(plate=code).values_list("policy__holder_id", flat=True)
    return list(by_number.union(by_vehicle, by_plate)[:MAX_IDS_PER_MATCHER])


@dataclass
class PolicyFilters:
    q: str = ""
    status: str = ""
    line: str = ""
    insurer: int | None = None
    agent: int | None = None
    ends_within: int | None = None
    # Set by the premium report's links: policies written (sold) in a range, by a team, in a
    # currency, new business ("new") or renewals ("renewal").
    written_from: date | None = None
    written_to: date | None = None
    team: int | None = None
    currency: str = ""
    kind: str = ""
    # "none": only the policies no renewal case has opened for yet (the pipeline's link).
    case: str = ""

    @classmethod
    def from_query(cls, params) -> "PolicyFilters":
        def number(name):
            value = params.get(name, "")
            return int(value) if value.isdigit() else None

        def day(name):
            try:
                return date.fromisoformat(params.get(name, ""))
            except ValueError:
                return None

        ends = number("ends_within")
        return cls(
            q=params.get("q", "").strip()[:60],
            status=params.get("status") if params.get("status") in PolicyStatus.values else "",
            line=params.get("line") if params.get("line") in Line.values else "",
            insurer=number("insurer"),
            agent=number("agent"),
            ends_within=ends if ends in (7, 15, 30, 60, 90, 120) else None,
            written_from=day("written_from"),
            written_to=day("written_to"),
            team=number("team"),
            currency=params.get("currency") if params.get("currency") in Currency.values else "",
            kind=params.get("kind") if params.get("kind") in ("new", "renewal") else "",
            case="none" if params.get("case") == "none" else "",
        )

    def as_dict(self) -> dict:
        return {
            k: v.isoformat() if isinstance(v, date) else v
            for k, v in self.__dict__.items()
            if v not in ("", None)
        }

    @property
    def from_report(self) -> bool:
        return any(
            (self.written_from, self.written_to, self.team, self.currency, self.kind, self.case)
        )


def policy_list(*, user: User, filters: PolicyFilters) -> QuerySet[Policy]:
    qs = Policy.objects.visible_to(user)
    if filters.q:
        qs = qs.filter(number_key=compact(filters.q))
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.line:
        qs = qs.filter(line=filters.line)
    if filters.insurer:
        qs = qs.filter(insurer_id=filters.insurer)
    if filters.agent:
        qs = qs.filter(agent_id=filters.agent)
    if filters.written_from:
        qs = qs.filter(written_on__gte=filters.written_from)
    if filters.written_to:
        qs = qs.filter(written_on__lte=filters.written_to)
    if filters.team:
        qs = qs.filter(agent__team_id=filters.team)
    if filters.currency:
        qs = qs.filter(currency=filters.currency)
    if filters.kind:
        qs = qs.filter(previous_policy__isnull=filters.kind == "new")
    if filters.case == "none":
        qs = qs.filter(renewal_case__isnull=True)
    if filters.ends_within:
        today = timezone.localdate()
        qs = qs.filter(
            end_date__gte=today, end_date__lte=today + timedelta(days=filters.ends_within)
        )
    return qs.select_related("holder", "insurer", "agent").order_by("end_date", "pk")


def policy_for_user(*, user: User, pk: int) -> Policy:
    return get_object_or_404(
        Policy.objects.visible_to(user)
        .select_related("holder", "insurer", "agent", "previous_policy__insurer", "source_quote")
        .prefetch_related(
            "vehicles", Prefetch("renewals", queryset=Policy.objects.select_related("insurer"))
        ),
        pk=pk,
    )


def policy_history(*, policy: Policy, limit: int = 50) -> list[dict]:
    from clients.selectors import history_changes

    return history_changes(policy.history.select_related("history_user"), limit=limit)


def vehicle_history(*, policy: Policy, limit: int = 50) -> list[dict]:
    from clients.selectors import history_changes

    return history_changes(
        Vehicle.history.filter(policy_id=policy.pk).select_related("history_user"), limit=limit
    )


def policies_of_client(*, client: Client) -> QuerySet[Policy]:
    return (
        client.policies.select_related("insurer", "agent")
        .prefetch_related("vehicles")
        .order_by("-end_date", "-pk")
    )


def quotations_of_client(*, client: Client) -> QuerySet[Quotation]:
    return client.quotations.prefetch_related(
        Prefetch("quotes", queryset=Quote.objects.select_related("insurer"))
    )


def quotation_for_user(*, user: User, pk: int) -> Quotation:
    return get_object_or_404(
        Quotation.objects.filter(client__in=Client.objects.visible_to(user).values("pk"))
        .select_related("client", "created_by")
        .prefetch_related(
            Prefetch("quotes", queryset=Quote.objects.select_related("insurer", "policy"))
        ),
        pk=pk,
    )


def quote_for_user(*, user: User, pk: int) -> Quote:
    return get_object_or_404(
        Quote.objects.filter(
            quotation__client__in=Client.objects.visible_to(user).values("pk")
        ).select_related("quotation__client", "insurer"),
        pk=pk,
    )


def active_insurers() -> QuerySet[Insurer]:
    return Insurer.objects.filter(active=True).order_by("-preferred", "name")
