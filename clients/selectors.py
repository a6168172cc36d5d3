"""Reads of client files. Every read starts from Client.objects.visible_to(user)."""

from collections import defaultdict
from dataclasses import dataclass, field

import django_filters
from django.db.models import Count, F, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy, ngettext

from brokerage.accounts.models import User
from brokerage.core.filters import FlagFilter, ListFilterSet, PkFilter, TextFilter, filter_values
from workqueue.to_fix import ToFix

from .models import Client, ClientKind, ClientStatus, Interaction, LeadSource
from .search import search_q


class ClientFilterSet(ListFilterSet):
    """The client list's URL parameters: what each may hold and how it narrows the list."""

    q = TextFilter(length=100, label=gettext_lazy("search"), method="by_text")
    status = django_filters.ChoiceFilter(
        choices=ClientStatus.choices, label=gettext_lazy("status"), method="by_field"
    )
    kind = django_filters.ChoiceFilter(
        choices=ClientKind.choices, label=gettext_lazy("type"), method="by_field"
    )
    owner = PkFilter(field_name="owner_id", label=gettext_lazy("owner"), method="by_field")
    no_owner = FlagFilter(label=gettext_lazy("no owner"), method="without_owner")
    lead_source = django_filters.ChoiceFilter(
        choices=LeadSource.choices, label=gettext_lazy("lead source"), method="by_field"
    )
    vip = FlagFilter(label=gettext_lazy("VIP"), method="vip_only")
    inaccurate = FlagFilter(label=gettext_lazy("inaccurate contact"), method="inaccurate_only")
    key_uncovered = FlagFilter(label=gettext_lazy("key, uncovered"), method="key_uncovered_only")

    class Meta:
        model = Client
        fields = []

    def by_text(self, qs, name, value):
        return qs.filter(search_q(value))

    def by_field(self, qs, name, value):
        return qs.filter(**{name: value})

    def without_owner(self, qs, name, value):
        return qs.filter(owner__isnull=True) if value else qs

    def vip_only(self, qs, name, value):
        return qs.exclude(vip_tier="") if value else qs

    def inaccurate_only(self, qs, name, value):
        return qs.filter(contact_inaccurate=True) if value else qs

    def key_uncovered_only(self, qs, name, value):
        """Key clients with fewer than two people assigned (owner plus co-assigned agents)."""
        if not value:
            return qs
        qs = qs.filter(is_key=True).annotate(
            _co=Count("co_agents", filter=~Q(co_agents__pk=F("owner_id")), distinct=True)
        )
        return qs.filter(Q(owner__isnull=True, _co__lt=2) | Q(owner__isnull=False, _co__lt=1))


@dataclass
class ClientFilters:
    q: str = ""
    status: str = ""
    kind: str = ""
    owner: int | None = None
    lead_source: str = ""
    vip: bool = False
    key_uncovered: bool = False
    no_owner: bool = False
    inaccurate: bool = False
    # Labels of the parameters that were ignored because their value was not understood.
    ignored: list[str] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def from_query(cls, params) -> "ClientFilters":
        """The filters in the GET parameters (ClientFilterSet says what each may hold); a value
        that is not understood is named in ``ignored`` and its default kept."""
        values, ignored = ClientFilterSet(params).read()
        return cls(**values, ignored=ignored)

    def values(self) -> dict:
        return filter_values(self)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.values().items() if v not in ("", None, False)}


def client_list(*, user: User, filters: ClientFilters) -> QuerySet[Client]:
    qs = ClientFilterSet(queryset=Client.objects.visible_to(user)).narrow(filters.values())
    return qs.select_related("owner").prefetch_related("co_agents").order_by("display_name", "pk")


def clients_contact_to_fix(*, user: User) -> ToFix:
    """How many of the clients the user sees have a contact to fix (the client list's
    "inaccurate contact" filter, to which it links): shown on the maintainers' page, so that
    a client flagged by an import before any touch falls due is not out of sight."""
    count = client_list(user=user, filters=ClientFilters(inaccurate=True)).count()
    return ToFix(
        key="contact",
        count=count,
        text=ngettext(
            "%(count)d client has a contact to fix",
            "%(count)d clients have a contact to fix",
            count,
        )
        % {"count": count},
        url=f"{reverse('clients:list')}?inaccurate=1",
    )


def client_for_user(*, user: User, pk: int) -> Client:
    """The client file, or 404 if the user may not see it."""
    return get_object_or_404(
        Client.objects.visible_to(user)
        .select_related("owner", "created_by")
        .prefetch_related("co_agents", "contacts"),
        pk=pk,
    )


def client_timeline(*, client: Client, limit: int = 100) -> list[Interaction]:
    return list(client.interactions.select_related("user")[:limit])


def client_history(*, client: Client, limit: int = 50) -> list[dict]:
    """Field-level before and after of the last changes to a client file."""
    return history_changes(client.history.select_related("history_user"), limit=limit)


def history_changes(history_qs, *, limit: int = 50) -> list[dict]:
    """Turn history records into entries with field-level before and after, resolving the
    related objects they mention in one query per related model."""
    records = list(history_qs.order_by("-history_date", "-history_id")[: limit + 1])
    entries, wanted = [], defaultdict(set)
    for newer, older in zip(records[:limit], records[1:] + [None], strict=False):
        entry = {
            "when": newer.history_date,
            "who": newer.history_user,
            "type": newer.history_type,
            "reason": newer.history_change_reason,
            "changes": [],
        }
        if older is not None and newer.history_type == "~":
            for change in newer.diff_against(older).changes:
                field = newer.instance_type._meta.get_field(change.field)
                entry["changes"].append({"field": field, "old": change.old, "new": change.new})
                if field.is_relation:
                    wanted[field.related_model].update(
                        v for v in (change.old, change.new) if v is not None
                    )
        entries.append(entry)
    names = {
        model: {obj.pk: str(obj) for obj in model._default_manager.filter(pk__in=pks)}
        for model, pks in wanted.items()
    }
    for entry in entries:
        for change in entry["changes"]:
            field = change.pop("field")
            change["field"] = field.verbose_name
            change["old"] = _display(field, change["old"], names)
            change["new"] = _display(field, change["new"], names)
    return entries


def _display(field, value, names):
    if value in (None, ""):
        return "—"
    if field.is_relation:
        return names.get(field.related_model, {}).get(value, value)
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    return value


def agents_for_reassignment(*, user: User) -> QuerySet[User]:
    """Agents a manager may hand clients to: those of their teams (all, for admins)."""
    qs = User.objects.filter(groups__name="agent").select_related("team")
    if not (user.is_cartera_admin or user.is_maintainer):
        qs = qs.filter(team__manager=user)
    return qs.order_by("-is_active", "first_name", "last_name").distinct()
