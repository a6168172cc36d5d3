"""Writes to client files. Every write records who made it (django-simple-history)."""

import random
import struct
import uuid
from collections.abc import Sequence

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from brokerage.accounts.models import User
from brokerage.core.bulk import bulk_set_with_history
from brokerage.core.retry import retry_on_deadlock
from brokerage.notifications.services import notification_send

from .duplicates import can_merge_clients, merge_relations
from .models import (
    Channel,
    Client,
    ClientAccess,
    ClientDocument,
    ClientKind,
    ClientStatus,
    ContactPerson,
    Interaction,
)

CLIENT_FIELDS = {
    "kind", "first_name", "last_name", "national_id", "birthday", "legal_name",
    "legal_representative", "tax_id", "registered_capital", "business_scope", "address",
    "postal_code", "phone", "phone_other", "fax", "email", "whatsapp", "contact_inaccurate",
    "lead_source", "vip_tier", "membership_card", "is_key", "status", "owner", "notes",
    "language", "preferred_channel", "occupation", "hobbies", "contact_from", "contact_to",
    "greetings_opt_out",
}  # fmt: skip


def _normalise(client: Client) -> None:
    client.national_id = client.national_id.strip().upper()
    client.tax_id = client.tax_id.strip().upper()
    client.display_name = client.compute_display_name()


def _validate(client: Client) -> None:
    errors = {}
    if client.kind == ClientKind.CORPORATE:
        if not client.legal_name.strip():
            errors["legal_name"] = _("A corporate client needs its legal name.")
    elif not (client.first_name.strip() or client.last_name.strip()):
        errors["last_name"] = _("An individual client needs a name.")
    if client.birthday and client.birthday > timezone.localdate():
        errors["birthday"] = _("The birthday cannot be in the future.")
    if client.registered_capital is not None and client.registered_capital < 0:
        errors["registered_capital"] = _("The registered capital cannot be negative.")
    if (client.contact_from is None) != (client.contact_to is None):
        errors["contact_to" if client.contact_to is None else "contact_from"] = _(
            "Give both ends of the contact window, or neither."
        )
    elif client.contact_from is not None and client.contact_from >= client.contact_to:
        errors["contact_to"] = _("The contact window must end after it starts.")
    if errors:
        raise ValidationError(errors)
    client.full_clean(exclude=["display_name", "co_agents"])


@transaction.atomic
def client_create(
    *, by: User, co_agents: Sequence[User] = (), contacts: Sequence[dict] = (), **fields
) -> Client:
    unknown = set(fields) - CLIENT_FIELDS
    if unknown:
        raise ValueError(f"client_create got unknown fields: {sorted(unknown)}")
    client = Client(**fields, created_by=by)
    if "owner" not in fields and by.is_agent:
        client.owner = by
    _normalise(client)
    _validate(client)
    client._history_user = by
    client.save()
    if co_agents:
        client.co_agents.set(co_agents)
    for contact in contacts:
        contact_person_add(client=client, by=by, **contact)
    return client


@transaction.atomic
def client_update(
    *, client: Client, by: User, data: dict, co_agents: Sequence[User] | None = None
) -> Client:
    unknown = set(data) - CLIENT_FIELDS
    if unknown:
        raise ValueError(f"client_update got unknown fields: {sorted(unknown)}")
    owner_before = _check_assignment_change(client=client, by=by, data=data, co_agents=co_agents)
    for field, value in data.items():
        setattr(client, field, value)
    if client.phone and client.phone_as_written:
        # A report's number that did not read is kept only while the client has no phone.
        client.phone_as_written = ""
    _normalise(client)
    _validate(client)
    client._history_user = by
    client.save()
    if co_agents is not None:
        client.co_agents.set(co_agents)
    if client.owner_id != owner_before:
        _run_reassign_hooks([client], by)
    return client


def _check_assignment_change(*, client: Client, by: User, data: dict, co_agents) -> int | None:
    """A new owner on the edit form is a reassignment (the same rule, and the policies and
    open work follow); co-agents are changed by the owner or by whoever may reassign.
    Returns the owner before the change."""
    current = Client.objects.select_related("owner").only("owner").get(pk=client.pk)
    new_owner = data.get("owner", current.owner)
    if getattr(new_owner, "pk", new_owner) != current.owner_id:
        _check_may_reassign(owner=current.owner, by=by)
    if co_agents is not None and by.pk != current.owner_id:
        before = set(client.co_agents.values_list("pk", flat=True))
        if {a.pk for a in co_agents} != before:
            _check_may_reassign(owner=current.owner, by=by)
    return current.owner_id


def client_record_access(*, client: Client, user: User) -> None:
    ClientAccess.objects.create(client=client, user=user)


@transaction.atomic
def contact_person_add(*, client: Client, by: User, **fields) -> ContactPerson:
    contact = ContactPerson(client=client, **fields)
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def interaction_log(
    *,
    client: Client,
    by: User,
    channel: str,
    summary: str = "",
    direction: str = "out",
    result: str = "",
    occurred_at=None,
    message: str = "",
    params: dict | None = None,
) -> Interaction:
    """A contact on the client's timeline. The system's entries give a ``message`` code of
    ``clients.timeline`` and its ``params`` (shown in the reader's language); ``summary`` and
    ``result`` then default to their text in the creator's language."""
    from . import timeline

    params = params or {}
    if message:
        summary = summary or timeline.render(message, params) or ""
        result = result or (timeline.values(message, params) or {}).get("result", "")[:100]
    occurred_at = occurred_at or timezone.now()
    if occurred_at > timezone.now() + timezone.timedelta(minutes=5):
        raise ValidationError({"occurred_at": _("A contact cannot be logged in the future.")})
    interaction = Interaction(
        client=client,
        user=by,
        channel=channel,
        direction=direction,
        summary=summary,
        result=result,
        message=message,
        params=params,
        occurred_at=occurred_at,
    )
    interaction.full_clean()
    interaction.save()
    return interaction


def interactions_log(
    *, by: User, channel: str, message: str, entries: dict[int, dict], occurred_at=None
) -> list[Interaction]:
    """The system's entry ``message`` on many clients' timelines at once (a job's): one INSERT
    whatever their number. ``entries`` maps a client id to its message's params; the summary
    and result are written as interaction_log writes them."""
    from . import timeline

    occurred_at = occurred_at or timezone.now()
    rows = []
    for client_id, params in entries.items():
        summary = timeline.render(message, params) or ""
        result = (timeline.values(message, params) or {}).get("result", "")[:100]
        rows.append(
            Interaction(
                client_id=client_id, user=by, channel=channel, summary=summary, result=result,
                message=message, params=params, occurred_at=occurred_at,
            )
        )  # fmt: skip
    return Interaction.objects.bulk_create(rows)


def client_log_call_result(
    *,
    client: Client,
    by: User,
    inaccurate: bool,
    summary: str = "",
    result="",
    message: str = "",
    params: dict | None = None,
):
    """A result an agent logged on a call-list item about this client: it goes on the
    client's timeline (as a ``message`` of clients.timeline with its ``params``, shown in the
    reader's language), and once the last allowed attempt has failed (``inaccurate``) the
    client's contact is marked inaccurate for the maintainers to fix."""
    interaction_log(
        client=client, by=by, channel=Channel.CALL, summary=summary, result=str(result)[:100],
        message=message, params=params,
    )  # fmt: skip
    if inaccurate and not client.contact_inaccurate:
        client_update(client=client, by=by, data={"contact_inaccurate": True})


@transaction.atomic
def clients_contact_fixed(*, client_ids, by: User) -> int:
    """A maintainer fixed these clients' contact (returned their item to the call list): the
    "contact to fix" flag is cleared, with history (who and when), so that their next touches
    go to the agents' call lists again. Registered with the work queue in ClientsConfig.ready.
    Returns how many were flagged."""
    clients = list(
        Client.objects.select_for_update(of=("self",))
        .filter(pk__in=list(client_ids), contact_inaccurate=True)
        .order_by("pk")
    )
    for client in clients:
        client_update(client=client, by=by, data={"contact_inaccurate": False})
    return len(clients)


ALLOWED_DOCUMENT_TYPES = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
}


def _sniff(upload) -> str | None:
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    return kind.mime if kind else None


# A PDF ends with its end-of-file marker; readers look for it in the file's last 1,024 bytes.
PDF_TAIL = 1024


def _pdf_problem(upload) -> str | None:
    """A PDF cut short (the usual damage: an upload or a copy that stopped part-way) has lost
    the end-of-file marker that closes every PDF: none in its last 1,024 bytes."""
    upload.seek(max(upload.size - PDF_TAIL, 0))
    tail = upload.read()
    if b"%%EOF" not in tail:
        return _(
            "This PDF is damaged or incomplete (its end is missing), so it cannot be opened. "
            "Save or scan it again and upload the new file."
        )
    return None


def _jpeg_cut_short(upload) -> bool:
    """A JPEG ends its pixels with the end-of-image marker (FF D9) after its last scan (FF DA):
    missing, the file was cut short. (The scan's own bytes never hold FF D9, and data a camera
    appends after the end is allowed.) Pillow cannot tell: weasyprint, once imported, makes it
    accept truncated images for good (``ImageFile.LOAD_TRUNCATED_IMAGES``)."""
    upload.seek(0)
    data = upload.read()
    scan = data.rfind(b"\xff\xda")
    return scan < 0 or data.find(b"\xff\xd9", scan) < 0


def _image_problem(upload, mime: str) -> str | None:
    """A JPEG or PNG is kept only if it opens: its structure checked (Pillow's verify: a PNG's
    chunks and their checksums), every pixel decoded, and a JPEG's end there."""
    damaged = _(
        "This image is damaged or incomplete, so it cannot be opened. Take or save it again and "
        "upload the new file."
    )
    try:
        with Image.open(upload) as image:
            image.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            image.load()
    except Image.DecompressionBombError:
        return _(
            "This image has too many pixels to be opened safely; reduce it and upload it again."
        )
    except (OSError, SyntaxError, ValueError, EOFError, struct.error):
        return damaged
    if mime == "image/jpeg" and _jpeg_cut_short(upload):
        return damaged
    return None


def _unreadable(upload, mime: str) -> str | None:
    """Why a file of an allowed type cannot be opened (None: it can)."""
    try:
        if mime == "application/pdf":
            return _pdf_problem(upload)
        return _image_problem(upload, mime)
    finally:
        upload.seek(0)


@transaction.atomic
def document_upload(
    *, client: Client, by: User, kind: str, upload, description: str = "", policy=None
) -> ClientDocument:
    """Store a PDF, JPEG or PNG, whose type is read from its content, never from its name, and
    that opens (a damaged or cut-short file is refused with the reason); with ``policy`` (one of
    the client's), a copy kept in that policy's file."""
    if policy is not None and policy.holder_id != client.pk:
        raise ValidationError(_("The policy is not this client's."))
    limit = settings.CLIENT_DOCUMENT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            {
                "file": _("The file is %(size).1f MB; the limit is %(limit)d MB.")
                % {"size": upload.size / 1048576, "limit": limit // 1048576}
            }
        )
    if upload.size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    mime = _sniff(upload)
    if mime not in ALLOWED_DOCUMENT_TYPES:
        raise ValidationError(
            {
                "file": _(
                    "Only PDF, JPEG and PNG files can be kept; this file's content is not one "
                    "of them, whatever its name says."
                )
            }
        )
    if problem := _unreadable(upload, mime):
        raise ValidationError({"file": problem})
    document = ClientDocument(
        client=client,
        kind=kind,
        original_name=(upload.name or "document")[:255],
        content_type=mime,
        size=upload.size,
        description=description,
        policy=policy,
        uploaded_by=by,
        stored_name=f"{uuid.uuid4().hex}.{ALLOWED_DOCUMENT_TYPES[mime]}",
    )
    document.full_clean(exclude=["file"])
    document.file.save(document.stored_name, upload, save=False)
    try:
        document.save()
    except Exception:
        document.file.delete(save=False)
        raise
    return document


def _notify_new_agent(client: Client, agent: User, by: User) -> None:
    context = {
        "name": client.display_name,
        "agent": str(agent),
        # Stored as JSON with the message: the number as text (a PhoneNumber is not JSON).
        "agent_phone": str(agent.phone or ""),
        "agent_email": agent.email,
    }
    language = client.language
    if client.email:
        channel, to = "email", client.email
    elif client.whatsapp:
        channel, to = "whatsapp", client.whatsapp.as_e164
    elif client.phone:
        channel, to = "sms", client.phone.as_e164
    else:
        return
    notification_send(
        channel=channel,
        to=to,
        template="agent_changed",
        context=context,
        language=language,
        created_by=by,
    )


# Apps above clients (policies: the agent of the client's running policies) follow an owner
# change through these hooks, called as hook(clients=[...], by=user) inside the transaction.
_REASSIGN_HOOKS: list = []


def on_clients_reassigned(hook) -> None:
    if hook not in _REASSIGN_HOOKS:
        _REASSIGN_HOOKS.append(hook)


# Apps above clients that care where a book came from (servicing: a departing agent's clients
# get a life-policy service case) follow a whole book's reassignment through these hooks,
# called as hook(clients=[...], from_agent=user, by=user) inside the transaction, after the
# reassignment hooks.
_BOOK_HOOKS: list = []


def on_book_reassigned(hook) -> None:
    if hook not in _BOOK_HOOKS:
        _BOOK_HOOKS.append(hook)


def _run_reassign_hooks(clients: list[Client], by: User) -> None:
    for hook in _REASSIGN_HOOKS:
        hook(clients=clients, by=by)
    _open_work_follows(clients)


def _open_work_follows(clients: list[Client]) -> int:
    """The clients' open call-list items follow them to their new owner, in the caller's
    transaction: each kind of work says which of its subjects are these clients', and the
    queue moves them with one call per kind."""
    from workqueue import kinds
    from workqueue.services import items_follow_owner

    owner_of = {client.pk: client.owner_id for client in clients}
    moved = 0
    for kind in kinds.registered():
        if kind.subjects_of_clients is None:
            continue
        owners = {
            subject_id: owner_of[client_id]
            for client_id, subject_ids in kind.subjects_of_clients(list(owner_of)).items()
            for subject_id in subject_ids
        }
        if owners:
            moved += items_follow_owner(kind=kind.name, owners=owners)
    return moved


def client_may_reassign(*, client: Client | None = None, owner: User | None = None, by) -> bool:
    """Who may give a client (or a whole book, by its ``owner``) to someone else: decided by
    the current owner's team, never by what the user can see (a manager sees a client of
    another team once one of his agents is co-assigned to it). Maintainers and admins: any
    client. Managers: their own clients and those owned by an agent of a team they lead
    (a departed agent's too). A client with no owner is the distribution's or a
    maintainer's to give."""
    if client is not None:
        owner = client.owner
    if not getattr(by, "is_active", False):
        return False
    if by.is_superuser or by.is_cartera_admin or by.is_maintainer:
        return True
    if not by.is_manager or owner is None:
        return False
    return owner.pk == by.pk or (owner.team_id is not None and owner.team.manager_id == by.pk)


def _check_may_reassign(*, client: Client | None = None, owner: User | None = None, by) -> None:
    if not client_may_reassign(client=client, owner=owner, by=by):
        raise ValidationError(
            _("Only a manager of the owner's team, a maintainer or an administrator can "
              "reassign this client.")
        )  # fmt: skip


@retry_on_deadlock
@transaction.atomic
def clients_take_owner(*, owners: dict[int, int], by: User | None = None) -> int:
    """Clients with no active owner take the agent their work was handed to (distribution of
    leads and of a departed agent's items), with history; their running policies follow."""
    clients = list(
        Client.objects.select_for_update(of=("self",))
        .filter(pk__in=list(owners))
        .filter(
            Q(owner__isnull=True)
            | Q(owner__is_active=False)
            | Q(owner__deactivated_at__isnull=False)
        )
    )
    for client in clients:
        client.owner_id = owners[client.pk]
    if clients:
        bulk_set_with_history(clients, field="owner", by=by, reason="work handed out")
        _run_reassign_hooks(clients, by)
    return len(clients)


@retry_on_deadlock
@transaction.atomic
def clients_give_owner(*, owners: dict[int, int], by: User | None = None, reason: str) -> int:
    """Clients take the agent named for them ({client id: agent id}: an imported report's agent
    column, filled in by the maintainer to hand out the work), whoever owned them, with
    history; their running policies and open work follow, as on any reassignment. The clients
    are not told (an import is no personal introduction). Returns how many changed owner."""
    clients = list(
        Client.objects.select_for_update(of=("self",)).filter(pk__in=list(owners)).order_by("pk")
    )
    clients = [client for client in clients if client.owner_id != owners[client.pk]]
    for client in clients:
        client.owner_id = owners[client.pk]
    if not clients:
        return 0
    bulk_set_with_history(clients, field="owner", by=by, reason=reason)
    _run_reassign_hooks(clients, by)
    # An owner is no longer one of the client's co-agents.
    pairs = Q()
    for client in clients:
        pairs |= Q(client_id=client.pk, user_id=client.owner_id)
    Client.co_agents.through.objects.filter(pairs).delete()
    return len(clients)


@retry_on_deadlock
@transaction.atomic
def client_reassign(*, client: Client, to: User, by: User, notify: bool = True) -> Client:
    """Give one client a new owner agent; the client is told who their new agent is."""
    if not to.is_active or not to.is_agent:
        raise ValidationError(_("%(name)s is not an active agent.") % {"name": to})
    client = (
        Client.objects.select_for_update(of=("self",)).select_related("owner").get(pk=client.pk)
    )
    _check_may_reassign(client=client, by=by)
    if client.owner_id == to.pk:
        return client
    client.owner = to
    client._history_user = by
    client._change_reason = "reassigned"
    client.save(update_fields=["owner", "updated_at"])
    client.co_agents.remove(to)
    _run_reassign_hooks([client], by)
    if notify:
        _notify_new_agent(client, to, by)
    return client


@retry_on_deadlock
@transaction.atomic
def client_book_reassign(
    *,
    from_agent: User,
    to_agents: Sequence[User],
    by: User,
    seed: int | None = None,
    notify: bool = True,
) -> dict[int, int]:
    """Spread a (departing) agent's whole book equally over the chosen agents: counts differ
    by at most one. Each client is told of their new agent. Returns {agent id: clients}."""
    to_agents = [a for a in to_agents if a.pk != from_agent.pk]
    if not to_agents:
        raise ValidationError(_("Choose at least one other agent to receive the clients."))
    inactive = [str(a) for a in to_agents if not (a.is_active and a.is_agent)]
    if inactive:
        raise ValidationError(_("Not active agents: %(names)s.") % {"names": ", ".join(inactive)})
    _check_may_reassign(owner=from_agent, by=by)
    clients = list(Client.objects.select_for_update().filter(owner=from_agent).order_by("pk"))
    rng = random.Random(seed)
    rng.shuffle(clients)
    order = list(to_agents)
    rng.shuffle(order)
    counts = {a.pk: 0 for a in order}
    for index, client in enumerate(clients):
        agent = order[index % len(order)]
        client.owner = agent
        counts[agent.pk] += 1
    bulk_set_with_history(clients, field="owner", by=by, reason="book reassigned")
    _run_reassign_hooks(clients, by)
    for hook in _BOOK_HOOKS:
        hook(clients=clients, from_agent=from_agent, by=by)
    through = Client.co_agents.through
    for agent in order:
        through.objects.filter(
            client_id__in=[c.pk for c in clients if c.owner_id == agent.pk], user_id=agent.pk
        ).delete()
    if notify:
        by_pk = {a.pk: a for a in order}
        for client in clients:
            _notify_new_agent(client, by_pk[client.owner_id], by)
    return counts


# On a merge, the surviving file takes the other's value of these fields where it has none.
_MERGE_FILLS = {
    ClientKind.INDIVIDUAL: ("first_name", "last_name", "national_id", "birthday"),
    ClientKind.CORPORATE: (
        "legal_name", "legal_representative", "tax_id", "registered_capital", "business_scope",
    ),
    "both": (
        "address", "postal_code", "phone", "phone_other", "fax", "email", "whatsapp",
        "lead_source", "vip_tier", "membership_card",
    ),
}  # fmt: skip
# What imports and the search box match a file on: a merged file gives them up (the survivor
# took them where it had none; the merged file's history keeps them).
_MERGE_CLEARS = ("national_id", "tax_id", "phone", "phone_other", "whatsapp")
MERGE_REASON = "client merged"


def _blank(value) -> bool:
    return value is None or str(value) == ""


@transaction.atomic
def client_merge(*, survivor: Client, merged: Client, by: User) -> list[tuple[str, int]]:
    """Merge a duplicate file into the one that survives: its policies, quotations, timeline,
    documents, contact persons and co-agents move (renewal cases and open call-list work
    follow their policies), the survivor fills its empty fields from it, and the merged file
    is kept, marked ``merged_into``, its address leading to the survivor. Every change is in
    the history with who and when. Both files are locked, lower id first. Merging the same
    pair again does nothing. Returns what moved: (what, how many)."""
    if not can_merge_clients(by):
        raise ValidationError(
            _("Only a CRM maintainer or an administrator can merge client files.")
        )
    if survivor.pk == merged.pk:
        raise ValidationError(_("Choose two different client files."))
    locked = {
        client.pk: client
        for client in Client.objects.select_for_update()
        .filter(pk__in=[survivor.pk, merged.pk])
        .order_by("pk")
    }
    survivor, merged = locked.get(survivor.pk), locked.get(merged.pk)
    if survivor is None or merged is None:
        raise ValidationError(_("That client file does not exist."))
    if merged.merged_into_id == survivor.pk:
        return []  # merged already: nothing to do the second time
    if merged.merged_into_id or survivor.merged_into_id:
        raise ValidationError(_("One of these files has already been merged into another."))

    moved = []
    for relation in merge_relations():
        model, field = relation.related_model, relation.field
        rows = model._base_manager.filter(**{field.name: merged})
        if getattr(model._meta, "simple_history_manager_attribute", None) == "history":
            objects = list(rows)
            for obj in objects:
                setattr(obj, field.attname, survivor.pk)
            stamped = any(f.name == "updated_at" for f in model._meta.fields)
            touch = "updated_at" if stamped else None
            count = bulk_set_with_history(
                objects, field=field.name, by=by, reason=MERGE_REASON, touch=touch
            )
        else:
            count = rows.update(**{field.name: survivor})
        moved.append((str(model._meta.verbose_name_plural), count))

    through = Client.co_agents.through
    incoming = set(through.objects.filter(client_id=merged.pk).values_list("user_id", flat=True))
    if merged.owner_id and User.objects.active_agents().filter(pk=merged.owner_id).exists():
        incoming.add(merged.owner_id)  # the merged file's agent keeps sight of the client
    if survivor.owner_id is None and merged.owner_id in incoming:
        survivor.owner_id = merged.owner_id
    incoming -= {survivor.owner_id}
    incoming -= set(through.objects.filter(client_id=survivor.pk).values_list("user_id", flat=True))
    through.objects.bulk_create([through(client_id=survivor.pk, user_id=pk) for pk in incoming])
    through.objects.filter(client_id=merged.pk).delete()
    moved.append((str(Client._meta.get_field("co_agents").verbose_name), len(incoming)))

    for name in _MERGE_FILLS[survivor.kind] + _MERGE_FILLS["both"]:
        if _blank(getattr(survivor, name)) and not _blank(getattr(merged, name)):
            setattr(survivor, name, getattr(merged, name))
    if ClientStatus.ACTIVE in (merged.status, survivor.status):
        survivor.status = ClientStatus.ACTIVE
    survivor.is_key = survivor.is_key or merged.is_key
    if merged.notes.strip() and merged.notes.strip() not in survivor.notes:
        survivor.notes = "\n\n".join(n for n in (survivor.notes.strip(), merged.notes.strip()) if n)
    _normalise(survivor)
    survivor._history_user, survivor._change_reason = by, MERGE_REASON
    survivor.save()

    merged.merged_into = survivor
    merged.status = ClientStatus.FORMER
    merged.owner = None  # no book, list or reassignment counts it any more
    for name in _MERGE_CLEARS:
        setattr(merged, name, "")
    merged._history_user, merged._change_reason = by, MERGE_REASON
    merged.save()

    if survivor.owner_id:
        _run_reassign_hooks([survivor], by)  # running policies and open work: the owner's
    return moved
