"""Reads of policies and quotes. Every read starts from the visible_to() of its model."""

from dataclasses import dataclass, field
from datetime import date, timedelta

import django_filters
from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy

from brokerage.accounts.models import User
from brokerage.core.filters import DayFilter, ListFilterSet, PkFilter, TextFilter, filter_values
from clients.models import Client, ClientDocument
from clients.search import MAX_IDS_PER_MATCHER, compact, search_q

from .models import (
    Currency,
    Insurer,
    Line,
    Policy,
    PolicyStatus,
    Quotation,
    QuotationSending,
    Quote,
    Vehicle,
)


def client_ids_by_policy_or_vehicle(text: str) -> list[int]:
    """Search matcher (clients.search): holders of a policy number, plate or VIN."""
    code = compact(text)
    if len(code) < 4:
        return []
    # Each part unordered: no ORDER BY inside the UNION (the models order by default).
    by_number = Policy.objects.filter(number_key=code).order_by().values_list("holder_id")
    by_vehicle = Vehicle.objects.filter(vin=code).order_by().values_list("policy__holder_id")
    by_plate = Vehicle.objects.filter(plate=code).order_by().values_list("policy__holder_id")
    union = by_number.union(by_vehicle, by_plate).order_by()
    return [pk for (pk,) in union[:MAX_IDS_PER_MATCHER]]


ENDS_WITHIN = (7, 15, 30, 60, 90, 120)
NEW, RENEWAL = "new", "renewal"  # kind: new business, or renewals of a policy
NO_CASE = "none"  # case: no renewal case opened yet


class PolicyFilterSet(ListFilterSet):
    """The policy list's URL parameters: what each may hold and how it narrows the list."""

    q = TextFilter(
        length=60, label=gettext_lazy("policy number, plate, VIN or holder"), method="by_text"
    )
    status = django_filters.ChoiceFilter(
        choices=PolicyStatus.choices, label=gettext_lazy("status"), method="by_field"
    )
    line = django_filters.ChoiceFilter(
        choices=Line.choices, label=gettext_lazy("line of business"), method="by_field"
    )
    insurer = PkFilter(field_name="insurer_id", label=gettext_lazy("insurer"), method="by_field")
    agent = PkFilter(field_name="agent_id", label=gettext_lazy("agent"), method="by_field")
    written_from = DayFilter(
        field_name="written_on__gte", label=gettext_lazy("written from"), method="by_field"
    )
    written_to = DayFilter(
        field_name="written_on__lte", label=gettext_lazy("written to"), method="by_field"
    )
    team = PkFilter(field_name="agent__team_id", label=gettext_lazy("team"), method="by_field")
    currency = django_filters.ChoiceFilter(
        choices=Currency.choices, label=gettext_lazy("currency"), method="by_field"
    )
    kind = django_filters.ChoiceFilter(
        choices=[(NEW, NEW), (RENEWAL, RENEWAL)], label=gettext_lazy("kind"), method="by_kind"
    )
    case = django_filters.ChoiceFilter(
        choices=[(NO_CASE, NO_CASE)], label=gettext_lazy("renewal case"), method="by_case"
    )
    ends_within = django_filters.TypedChoiceFilter(
        choices=[(days, days) for days in ENDS_WITHIN],
        coerce=int,
        label=gettext_lazy("ends within"),
        method="ending_within",
    )

    class Meta:
        model = Policy
        fields = []

    def by_text(self, qs, name, value):
        """The policy's number, a plate or VIN of its vehicles, or its holder as the client
        search finds them (name, phone, national or tax ID): one query with the page's."""
        code = compact(value)
        holders = Client.objects.filter(search_q(value, matchers=False)).values("pk")
        condition = Q(holder__in=holders)
        if code:
            vehicles = Vehicle.objects.filter(Q(vin=code) | Q(plate=code)).values("policy_id")
            condition |= Q(number_key=code) | Q(pk__in=vehicles)
        return qs.filter(condition)

    def by_field(self, qs, name, value):
        return qs.filter(**{name: value})

    def by_kind(self, qs, name, value):
        return qs.filter(previous_policy__isnull=value == NEW)

    def by_case(self, qs, name, value):
        return qs.filter(renewal_case__isnull=True)

    def ending_within(self, qs, name, value):
        today = timezone.localdate()
        return qs.filter(end_date__gte=today, end_date__lte=today + timedelta(days=value))


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
    # Labels of the parameters that were ignored because their value was not understood.
    ignored: list[str] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def from_query(cls, params) -> "PolicyFilters":
        """The filters in the GET parameters (PolicyFilterSet says what each may hold); a value
        that is not understood is named in ``ignored`` and its default kept."""
        values, ignored = PolicyFilterSet(params).read()
        return cls(**values, ignored=ignored)

    def values(self) -> dict:
        return filter_values(self)

    def as_dict(self) -> dict:
        return {
            k: v.isoformat() if isinstance(v, date) else v
            for k, v in self.values().items()
            if v not in ("", None)
        }

    @property
    def from_report(self) -> bool:
        return any(
            (self.written_from, self.written_to, self.team, self.currency, self.kind, self.case)
        )


def policy_list(*, user: User, filters: PolicyFilters) -> QuerySet[Policy]:
    qs = PolicyFilterSet(queryset=Policy.objects.visible_to(user)).narrow(filters.values())
    qs = qs.select_related("holder", "insurer", "agent")
    if Policy.objects.sees_all(user) or user.is_manager:
        return qs.order_by("end_date", "pk")
    # An agent's few thousand policies are found from their clients and sorted: ordered by the
    # bare end date, PostgreSQL walked the whole book's end-date index looking for them (590 ms
    # at a million policies, 15 ms this way). COALESCE of a column that is never null is the
    # end date itself, in an expression no index gives in order.
    return qs.order_by(Coalesce("end_date", "start_date"), "pk")


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
    return client.quotations.select_related("renews__insurer").prefetch_related(
        Prefetch("quotes", queryset=Quote.objects.select_related("insurer"))
    )


def quotation_for_user(*, user: User, pk: int) -> Quotation:
    return get_object_or_404(
        Quotation.objects.filter(client__in=Client.objects.visible_to(user).values("pk"))
        .select_related("client", "created_by", "renews__insurer")
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
    """The insurers a policy, quote or import may be written with: active and contracted
    (market-only insurers are never offered where a policy is written)."""
    return Insurer.objects.filter(active=True, contracted=True).order_by("-preferred", "name")


def market_insurers() -> QuerySet[Insurer]:
    """Every active insurer, contracted or market-only: the competitors a client may have
    renewed with. Contracted ones first."""
    return Insurer.objects.filter(active=True).order_by("-contracted", "-preferred", "name")


def quotation_sendings(*, quotation: Quotation) -> list[QuotationSending]:
    """The quotation's sendings, newest first (one query)."""
    return list(quotation.sendings.select_related("sent_by", "message"))


def policy_documents(*, policy: Policy) -> list[dict]:
    """The documents kept in the policy's file and in the file of the term it renews, grouped
    by term (the newest term first, each headed by its issue date) and newest upload first
    within a term (one query)."""
    terms = [policy] + ([policy.previous_policy] if policy.previous_policy_id else [])
    documents = ClientDocument.objects.filter(
        policy_id__in=[term.pk for term in terms]
    ).select_related("uploaded_by")
    by_term: dict[int, list] = {term.pk: [] for term in terms}
    for document in documents:  # ClientDocument's ordering: newest upload first
        by_term[document.policy_id].append(document)
    return [
        {"policy": term, "issued": term.start_date, "documents": by_term[term.pk]} for term in terms
    ]
