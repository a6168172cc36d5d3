"""Reads of client files. Every read starts from Client.objects.visible_to(user)."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet
from django.shortcuts import get_object_or_404

from brokerage.accounts.models import User

from .models import Client, ClientKind, ClientStatus, Interaction, LeadSource
from .search import search_q


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

    @classmethod
    def from_query(cls, params) -> "ClientFilters":
        owner = params.get("owner", "")
        return cls(
            q=params.get("q", "").strip()[:100],
            status=params.get("status", "") if params.get("status") in ClientStatus.values else "",
            kind=params.get("kind", "") if params.get("kind") in ClientKind.values else "",
            owner=int(owner) if owner.isdigit() else None,
            lead_source=(
                params.get("lead_source", "")
                if params.get("lead_source") in LeadSource.values
                else ""
            ),
            vip=params.get("vip") == "1",
            key_uncovered=params.get("key_uncovered") == "1",
            no_owner=params.get("no_owner") == "1",
            inaccurate=params.get("inaccurate") == "1",
        )

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v not in ("", None, False)}


def client_list(*, user: User, filters: ClientFilters) -> QuerySet[Client]:
    qs = Client.objects.visible_to(user)
    if filters.q:
        qs = qs.filter(search_q(filters.q))
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.owner:
        qs = qs.filter(owner_id=filters.owner)
    if filters.no_owner:
        qs = qs.filter(owner__isnull=True)
    if filters.lead_source:
        qs = qs.filter(lead_source=filters.lead_source)
    if filters.vip:
        qs = qs.exclude(vip_tier="")
    if filters.inaccurate:
        qs = qs.filter(contact_inaccurate=True)
    if filters.key_uncovered:
        # Key clients with fewer than two people assigned (owner plus co-assigned agents).
        qs = qs.filter(is_key=True).annotate(
            _co=Count("co_agents", filter=~Q(co_agents__pk=F("owner_id")), distinct=True)
        )
        qs = qs.filter(Q(owner__isnull=True, _co__lt=2) | Q(owner__isnull=False, _co__lt=1))
    return qs.select_related("owner").prefetch_related("co_agents").order_by("display_name", "pk")


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
