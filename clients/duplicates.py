"""Reads about duplicate client files: who may already be on file, and what a merge moves.

A new or edited file is compared with the others by national or tax ID in their normal form
(``id_key``: python-stdnum's compact form, whatever separators were typed or stored), and by
the same name with the same phone. A user is shown the files they may open; of the others
they learn only that one exists, and whom to ask.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import Upper
from django.utils.translation import gettext as _

from brokerage.accounts.models import User
from brokerage.accounts.roles import Role

from .models import Client, ClientAccess, id_key, id_key_expression

MAX_DUPLICATES = 5
SAME_ID = "id"
SAME_NAME_AND_PHONE = "name_phone"


@dataclass(frozen=True)
class Duplicate:
    """A file that may be the same client. ``client`` is None when the user may not open it:
    then nothing of it is shown, only that it exists."""

    reason: str
    client: Client | None


def can_merge_clients(user) -> bool:
    """Maintainers and administrators merge duplicate files (they see every file)."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.is_maintainer or user.is_cartera_admin)
    )


def _e164(phone) -> str:
    return getattr(phone, "as_e164", None) or str(phone or "").strip()


def client_duplicates(
    *,
    user: User,
    national_id: str = "",
    tax_id: str = "",
    display_name: str = "",
    phones: Iterable = (),
    exclude_pk: int | None = None,
) -> list[Duplicate]:
    """Files (not merged ones) with the same national or tax ID in normal form, or the same
    name and one of the same phones: at most MAX_DUPLICATES, in one query (plus those
    visible_to needs for an agent's or manager's book)."""
    keys = sorted({k for k in (id_key(national_id), id_key(tax_id)) if k})
    phones = sorted({p for p in map(_e164, phones) if p})
    name = " ".join(display_name.split()).upper()
    conditions = Q()
    if keys:
        conditions |= Q(_national_key__in=keys) | Q(_tax_key__in=keys)
    if name and phones:
        conditions |= Q(_name=name) & (
            Q(phone__in=phones) | Q(phone_other__in=phones) | Q(whatsapp__in=phones)
        )
    if not conditions:
        return []
    candidates = (
        Client.objects.filter(merged_into__isnull=True)
        .annotate(
            _national_key=id_key_expression("national_id"),
            _tax_key=id_key_expression("tax_id"),
            _name=Upper("display_name"),
            _visible=Exists(Client.objects.visible_to(user).filter(pk=OuterRef("pk"))),
        )
        .filter(conditions)
        .select_related("owner")
        .order_by("pk")
    )
    if exclude_pk is not None:
        candidates = candidates.exclude(pk=exclude_pk)
    found = []
    for client in candidates[:MAX_DUPLICATES]:
        same_id = client._national_key in keys or client._tax_key in keys
        found.append(
            Duplicate(
                reason=SAME_ID if same_id else SAME_NAME_AND_PHONE,
                client=client if client._visible else None,
            )
        )
    return found


def people_to_ask() -> list[User]:
    """Whom an agent asks about a file they may not open: the active CRM maintainers."""
    return list(
        User.objects.filter(groups__name=Role.MAINTAINER, is_active=True)
        .order_by("first_name", "last_name", "pk")
        .distinct()[:3]
    )


def merge_relations() -> list:
    """The rows that point at a client file and move to the surviving file on a merge: every
    reference to Client declared by any app (policies, quotations, timeline, documents,
    contacts, files merged into it earlier…), except the access log, which records which file
    someone opened. Copies kept by triggers (the renewal case's holder) follow their policy."""
    relations = []
    for relation in Client._meta.related_objects:
        if relation.related_model is ClientAccess:
            continue
        if not relation.one_to_many:
            raise ImproperlyConfigured(
                f"A client merge does not know how to move {relation.related_model.__name__}."
            )
        relations.append(relation)
    return relations


def client_merge_preview(*, clients: list[Client]) -> dict[int, list[tuple[str, int]]]:
    """For each file, what a merge into the other would move: (what, how many) per kind of
    row, one query per kind whatever the number of rows."""
    pks = [c.pk for c in clients]
    counts: dict[int, list[tuple[str, int]]] = {pk: [] for pk in pks}
    for relation in merge_relations():
        field = relation.field.name
        found = dict(
            relation.related_model._base_manager.filter(**{f"{field}__in": pks})
            .order_by()
            .values_list(field)
            .annotate(n=Count("pk"))
            .values_list(field, "n")
        )
        label = str(relation.related_model._meta.verbose_name_plural)
        if relation.related_model is Client:
            label = _("files merged into it earlier")
        for pk in pks:
            counts[pk].append((label, found.get(pk, 0)))
    co_agents = dict(
        Client.co_agents.through.objects.filter(client_id__in=pks)
        .order_by()
        .values_list("client_id")
        .annotate(n=Count("pk"))
        .values_list("client_id", "n")
    )
    label = str(Client._meta.get_field("co_agents").verbose_name)
    for pk in pks:
        counts[pk].append((label, co_agents.get(pk, 0)))
    return counts
