"""Every write to a claim (issue 16): the report, the first contact, status changes, the
file's details, and the escalation of a claim whose client was not contacted within 10
minutes. Each change is kept in the claim's history (django-simple-history) and the report,
the contact and every status on the client's timeline.

The 10-minute contact: the report puts an urgent ``claim_contact`` item at the top of the
responsible agent's call list (the policy's agent, else the client's owner: the first who is an
active agent and can open the client). When neither can take it (deactivated, no longer an
agent, no agent at all) the item goes to the on-duty list, which is **the maintainers' queue**:
maintainers see every client and record the contact from the claim page. The report also
schedules ``claims.tasks.claim_escalate_task`` ten minutes ahead; a beat sweep every minute
(``claims_escalate_due``) is the safety net. Either escalates a claim at most once: the
claim's row is locked as it is picked and flagged only if ``escalated_at`` is still empty; the
sweep escalates all the claims it finds in a fixed number of queries.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_update_with_history

from brokerage.core.sql import SqlNames
from brokerage.notifications.services import notification_send, notifications_send_many
from clients.models import Channel, Client, DocumentKind
from clients.services import client_log_call_result, document_upload, interaction_log
from policies.models import Policy, PolicyStatus
from workqueue.models import Queue
from workqueue.results import MAX_FAILED_ATTEMPTS
from workqueue.services import item_create, items_close, items_create

from . import timeline
from .kind import (
    CALLBACK_KIND,
    CLAIM_KIND,
    CLAIM_PRIORITY,
    CONTACTED,
    DISPUTE_KIND,
    ESCALATION_KIND,
    FOLLOW_UP_KIND,
    FOLLOW_UP_PRIORITY,
    FOLLOWED_UP,
    LOW_SCORE,
    LOW_SCORE_KIND,
)
from .models import (
    CONTACT_WITHIN,
    FINISHED,
    TRANSITIONS,
    Claim,
    ClaimDocument,
    ClaimFollowUp,
    ClaimKind,
    ClaimStatus,
    ClaimStatusChange,
    DocumentItem,
    DocumentState,
    checklist_for,
)

# What a report may set; the rest (status, contact, escalation) is the services' own.
REPORT_FIELDS = {
    "occurred_at", "place", "kind", "injured", "description", "reporter_name",
    "reporter_phone", "reporter_email", "insurer_claim_number", "adjuster", "amount_claimed",
}  # fmt: skip
# What the claim page's form may change afterwards.
UPDATE_FIELDS = {
    "occurred_at", "place", "kind", "injured", "description", "reporter_name",
    "reporter_phone", "reporter_email", "insurer_claim_number", "adjuster", "amount_claimed",
    "amount_assessed", "amount_settled",
}  # fmt: skip
AMOUNT_FIELDS = ("amount_claimed", "amount_assessed", "amount_settled")
AMOUNT_MAX = Decimal("9999999999.99")


def responsible_agent(policy: Policy):
    """Who takes the 10-minute contact: the policy's agent, else the holder's owner; the first
    of them who is an active agent and can open the client. None: the on-duty list."""
    users = get_user_model().objects
    seen = set()
    for candidate_id in (policy.agent_id, policy.holder.owner_id):
        if candidate_id is None or candidate_id in seen:
            continue
        seen.add(candidate_id)
        user = users.active_agents().filter(pk=candidate_id).first()
        if (
            user is not None
            and Client.objects.visible_to(user).filter(pk=policy.holder_id).exists()
        ):
            return user
    return None


def _check(claim: Claim, policy: Policy, now: datetime) -> None:
    errors = {}
    occurred = claim.occurred_at
    if occurred is None:
        errors["occurred_at"] = _("Say when it happened.")
    elif occurred > now:
        errors["occurred_at"] = _("It cannot have happened in the future.")
    else:
        day = timezone.localdate(occurred)
        last = policy.end_date
        if policy.status == PolicyStatus.CANCELLED and policy.cancelled_on:
            last = min(last, policy.cancelled_on)
        if not policy.start_date <= day <= last:
            errors["occurred_at"] = _(
                "The policy was not in force on that day: it covers %(start)s to %(end)s."
            ) % {
                "start": date_format(policy.start_date, "SHORT_DATE_FORMAT"),
                "end": date_format(last, "SHORT_DATE_FORMAT"),
            }
    if claim.kind not in ClaimKind.values:
        errors["kind"] = _("Choose what happened.")
    if not (claim.place or "").strip():
        errors["place"] = _("Say where it happened.")
    if not (claim.reporter_name or "").strip():
        errors["reporter_name"] = _("Say who reported it.")
    if not claim.reporter_phone and not claim.reporter_email:
        errors["reporter_phone"] = _("Give a phone number or an e-mail address to reach them.")
    for name in AMOUNT_FIELDS:
        value = getattr(claim, name)
        if value is not None and not Decimal("0") <= value <= AMOUNT_MAX:
            errors[name] = _("The amount must be between 0 and %(max)s.") % {"max": AMOUNT_MAX}
    if errors:
        raise ValidationError(errors)


def _log(claim: Claim, *, by, message: str, **params) -> None:
    interaction_log(
        client=claim.policy.holder, by=by, channel=Channel.CALL, message=message,
        params={"claim": claim.reference, **params},
    )  # fmt: skip


def _status_reached(claim: Claim, *, status: str, by, at: datetime, note: str = "") -> None:
    ClaimStatusChange.objects.create(claim=claim, status=status, at=at, by=by, note=note[:255])
    _log(claim, by=by, message=timeline.STATUS, status=status, note=note)


@transaction.atomic
def claim_report(*, policy: Policy, by, data: dict, now: datetime | None = None) -> Claim:
    """Report a claim (first notice of loss) against a policy the caller may see. In the same
    transaction: the claim (reported now, to the second), its first status, the client's
    timeline, and the urgent first-contact item on the responsible agent's call list (or the
    maintainers' queue); the escalation check is scheduled once the transaction commits."""
    unknown = set(data) - REPORT_FIELDS
    if unknown:
        raise ValueError(f"Not report fields: {sorted(unknown)}")
    now = (now or timezone.now()).replace(microsecond=0)
    # The policy locked: the same report sent twice at once (a double click, a retry) waits for
    # the first and is that claim, not a second one.
    policy = (
        Policy.objects.select_for_update(of=("self",))
        .select_related("holder", "insurer")
        .get(pk=policy.pk)
    )
    same = _same_report(policy, by=by, data=data, now=now)
    if same is not None:
        return same
    agent = responsible_agent(policy)
    claim = Claim(
        policy=policy, agent=agent, reported_at=now, reported_by=by, status_changed_at=now,
        contact_due_at=now + CONTACT_WITHIN, currency=policy.currency, **data,
    )  # fmt: skip
    for name in ("place", "reporter_name", "description", "insurer_claim_number", "adjuster"):
        setattr(claim, name, (getattr(claim, name) or "").strip())
    _check(claim, policy, now)
    claim._history_user = by
    claim.save()
    ClaimStatusChange.objects.create(claim=claim, status=ClaimStatus.REPORTED, at=now, by=by)
    _log(claim, by=by, message=timeline.REPORTED, policy=str(policy), kind=claim.kind)
    item_create(
        kind=CLAIM_KIND, subject_id=claim.pk,
        title=_item_title(
            agent, gettext_lazy("Claim %(claim)s: %(client)s, %(policy)s"),
            claim=claim.reference, client=policy.holder.display_name, policy=policy,
        ),
        due_on=timezone.localdate(now), agent=agent,
        queue=Queue.AGENT if agent is not None else Queue.MAINTAINERS, priority=CLAIM_PRIORITY,
    )  # fmt: skip
    from .tasks import escalation_schedule

    escalation_schedule(claim.pk)
    return claim


# A report of the same policy by the same person, with the same time, place and type, within
# this time of the first is the first sent again.
REPORT_AGAIN_WITHIN = timedelta(minutes=10)


def _same_report(policy: Policy, *, by, data: dict, now: datetime) -> Claim | None:
    return (
        Claim.objects.filter(
            policy=policy, reported_by=by, kind=data.get("kind"),
            occurred_at=data.get("occurred_at"), place=(data.get("place") or "").strip(),
            reported_at__gte=now - REPORT_AGAIN_WITHIN,
        )
        .order_by("-pk")
        .first()
    )  # fmt: skip


@transaction.atomic
def claim_record_contact(*, claim: Claim, by, at: datetime | None = None) -> Claim:
    """The client was reached: the claim's first contact (once: a second one changes nothing),
    "first contact made" when it was still "reported", and its open contact and escalation
    items closed."""
    at = at or timezone.now()
    claim = Claim.objects.select_for_update().select_related("policy__holder").get(pk=claim.pk)
    if claim.first_contact_at is not None:
        return claim
    if claim.status in FINISHED:
        raise ValidationError(
            _("This claim is %(status)s.") % {"status": claim.get_status_display().lower()}
        )
    claim.first_contact_at, claim.first_contact_by = at, by
    fields = ["first_contact_at", "first_contact_by"]
    if claim.status == ClaimStatus.REPORTED:
        claim.status, claim.status_changed_at = ClaimStatus.FIRST_CONTACT, at
        fields += ["status", "status_changed_at"]
    claim._history_user = by
    claim.save(update_fields=fields)
    if "status" in fields:
        _status_reached(claim, status=ClaimStatus.FIRST_CONTACT, by=by, at=at)
    items_close(kind=CLAIM_KIND, subject_ids=[claim.pk], result=CONTACTED.code, now=at)
    items_close(kind=ESCALATION_KIND, subject_ids=[claim.pk], result=CONTACTED.code, now=at)
    return claim


def claim_handle_result(*, item, result, by, note, details, failed_attempts) -> None:
    """A result logged on a claim's contact item (inside workqueue's transaction): on the
    client's timeline; "client contacted" records the claim's first contact."""
    claim = Claim.objects.select_related("policy__holder").get(pk=item.subject_id)
    client_log_call_result(
        client=claim.policy.holder, by=by, message=timeline.RESULT,
        params={"claim": claim.reference, "result": result, "note": note or ""},
        inaccurate=failed_attempts >= MAX_FAILED_ATTEMPTS,
    )  # fmt: skip
    if result == CONTACTED.code:
        claim_record_contact(claim=claim, by=by)


@transaction.atomic
def claim_set_status(
    *, claim: Claim, by, status: str, note: str = "", amount_settled: Decimal | None = None
) -> Claim:
    """Move the claim to ``status`` if its current status allows it (``TRANSITIONS``); the
    date it was reached, who and why are kept. "First contact made" records the first
    contact; "settled" needs the amount settled (given here or already on the claim) and
    records who settled it."""
    claim = Claim.objects.select_for_update().select_related("policy__holder").get(pk=claim.pk)
    if status not in ClaimStatus.values:
        raise ValidationError({"status": _("Choose a status.")})
    if status not in TRANSITIONS.get(claim.status, ()):
        raise ValidationError(
            {
                "status": _("A claim that is %(current)s cannot become %(new)s.")
                % {
                    "current": claim.get_status_display().lower(),
                    "new": ClaimStatus(status).label.lower(),
                }
            }
        )
    if status == ClaimStatus.FIRST_CONTACT:
        claim_record_contact(claim=claim, by=by)
        claim.refresh_from_db()
        if note.strip():
            ClaimStatusChange.objects.filter(claim=claim, status=ClaimStatus.FIRST_CONTACT).update(
                note=note.strip()[:255]
            )
        return claim
    now = timezone.now()
    fields = ["status", "status_changed_at"]
    if status == ClaimStatus.SETTLED:
        if amount_settled is not None:
            if not Decimal("0") <= amount_settled <= AMOUNT_MAX:
                raise ValidationError(
                    {"amount_settled": _("The amount must be between 0 and %(max)s.")
                     % {"max": AMOUNT_MAX}}
                )  # fmt: skip
            claim.amount_settled = amount_settled
            fields.append("amount_settled")
        if claim.amount_settled is None:
            raise ValidationError({"amount_settled": _("Give the amount settled.")})
        claim.settled_by = by
        fields.append("settled_by")
    claim.status, claim.status_changed_at = status, now
    claim._history_user = by
    claim.save(update_fields=fields)
    _status_reached(claim, status=status, by=by, at=now, note=note.strip())
    if status == ClaimStatus.SETTLED:
        _callback_book(claim, now=now)
    if status in FINISHED:
        # Nothing left to contact the client about.
        items_close(kind=CLAIM_KIND, subject_ids=[claim.pk], result=status, now=now)
        items_close(kind=ESCALATION_KIND, subject_ids=[claim.pk], result=status, now=now)
    return claim


@transaction.atomic
def claim_update(*, claim: Claim, by, data: dict) -> Claim:
    """Change the claim's details (the insurer's claim number and adjuster, known later; the
    amounts; corrections to the report). Status and contact are not changed here."""
    unknown = set(data) - UPDATE_FIELDS
    if unknown:
        raise ValueError(f"Not claim fields: {sorted(unknown)}")
    claim = Claim.objects.select_for_update().select_related("policy").get(pk=claim.pk)
    for name, value in data.items():
        if isinstance(value, str):
            value = value.strip()
        setattr(claim, name, value)
    _check(claim, claim.policy, timezone.now())
    claim._history_user = by
    claim.save(update_fields=sorted(data))
    return claim


def claims_follow_owner(*, clients, by) -> int:
    """A reassigned client's open claims follow it: their agent becomes the client's new owner
    (their open first-contact items follow through the kind's ``subjects_of_clients``).
    Registered with clients.services.on_clients_reassigned; one query to read, one to write,
    with history."""
    owner_of = {client.pk: client.owner_id for client in clients}
    claims = list(
        Claim.objects.filter(policy__holder_id__in=list(owner_of))
        .exclude(status__in=FINISHED)
        .select_related("policy")
        .order_by("pk")
    )
    changed = []
    for claim in claims:
        owner_id = owner_of[claim.policy.holder_id]
        if owner_id is not None and claim.agent_id != owner_id:
            claim.agent_id = owner_id
            changed.append(claim)
    if changed:
        bulk_update_with_history(
            changed, Claim, ["agent"], default_user=by, default_change_reason="reassigned"
        )
    return len(changed)


# --- escalation -----------------------------------------------------------------------------


# What claim_manager and the escalation's e-mail read, in the same query as the claims.
MANAGER_PATHS = (
    "policy__holder__owner__team__manager", "policy__insurer",
    "policy__agent__team__manager", "agent__team__manager",
)  # fmt: skip


def _escalation_flag(*, now: datetime, claim_id: int | None, limit: int, skip_locked: bool):
    """Flag the claims still not contacted when their 10 minutes ran out (``claim_id``'s, or
    the ``limit`` longest waiting), with a history row each, in one statement; returns the
    ids flagged.

    Each row is locked as it is picked and checked again under the lock (``escalated_at`` and
    ``first_contact_at`` still empty): whoever flags a claim first wins, the other finds it
    flagged and leaves it. The sweep skips rows another transaction holds (``skip_locked``:
    a claim being escalated or contacted right now is that transaction's, or the next
    sweep's); the per-claim task waits for them and then sees what was decided."""
    picked = Claim.objects.filter(
        escalated_at__isnull=True, first_contact_at__isnull=True, contact_due_at__lte=now
    ).exclude(status__in=FINISHED)
    if claim_id is not None:
        picked = picked.filter(pk=claim_id)
    picked = (
        picked.order_by("contact_due_at", "pk")
        .select_for_update(skip_locked=skip_locked, of=("self",))
        .values("pk")[:limit]
    )
    picked_sql, picked_params = picked.query.sql_with_params()
    c = SqlNames(Claim)
    history = Claim.history.model
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in Claim._meta.concrete_fields)
    sql = f"""
        WITH picked AS ({picked_sql}),
        changed AS (
            UPDATE {c.table} SET {c.escalated_at} = %s
             WHERE {c.id} IN (SELECT * FROM picked)
               AND {c.escalated_at} IS NULL AND {c.first_contact_at} IS NULL
            RETURNING *
        )
        INSERT INTO {quote(history._meta.db_table)}
            ({columns}, history_date, history_type, history_change_reason, history_user_id)
        SELECT {columns}, %s, '~', 'escalated', NULL FROM changed
        RETURNING {quote(Claim._meta.pk.column)}
    """  # noqa: S608 - names from the models' _meta, values are placeholders
    with connection.cursor() as cursor:
        cursor.execute(sql, [*picked_params, now, now])
        return [row[0] for row in cursor.fetchall()]


def _escalate(
    *, now: datetime, claim_id: int | None = None, limit: int = 1, skip_locked: bool
) -> int:
    """Escalate the due claims at once, in a fixed number of queries whatever their number:
    flagged (``_escalation_flag``), read back with everything the item and the e-mail say, an
    item each in the maintainers' queue (one INSERT), an e-mail to each one's manager (one
    INSERT into the outbox, sent once the transaction commits)."""
    with transaction.atomic():
        ids = _escalation_flag(now=now, claim_id=claim_id, limit=limit, skip_locked=skip_locked)
        if not ids:
            return 0
        claims = list(
            Claim.objects.filter(pk__in=ids)
            .select_related(*MANAGER_PATHS)
            .order_by("contact_due_at", "pk")
        )
        titles = [
            _("Claim %(claim)s: not contacted within 10 minutes") % {"claim": claim.reference}
            for claim in claims
        ]
        items_create(
            kind=ESCALATION_KIND,
            select=(
                "SELECT s.subject_id, '', s.title, NULL, %s, %s::date, %s"
                " FROM unnest(%s::bigint[], %s::text[]) AS s(subject_id, title)",
                [
                    Queue.MAINTAINERS,
                    timezone.localdate(now),
                    CLAIM_PRIORITY,
                    [claim.pk for claim in claims],
                    titles,
                ],
            ),
            now=now,
        )
        messages = [m for m in (_manager_message(claim) for claim in claims) if m is not None]
        if messages:
            notifications_send_many(messages)
    return len(ids)


def claim_escalate(*, claim_id: int, now: datetime | None = None) -> bool:
    """Escalate the claim if its client was still not contacted when the 10 minutes ran out:
    a flag on the claim (``escalated_at``), an item in the maintainers' queue and an e-mail to
    the agent's manager. At most once, whoever calls it and however often, and whatever runs
    at the same time (the sweep, the task delivered twice): the row lock and the check under
    it decide. Returns whether this call escalated it."""
    now = now or timezone.now()
    return _escalate(now=now, claim_id=claim_id, skip_locked=False) == 1


def claim_manager(claim: Claim):
    """The manager of the claim's agent (or, when it went to the on-duty list, of the policy's
    agent or the client's owner): an active manager, or None."""
    policy = claim.policy
    for agent in (claim.agent, policy.agent, policy.holder.owner):
        team = getattr(agent, "team", None) if agent is not None else None
        manager = getattr(team, "manager", None) if team is not None else None
        if manager is not None and manager.is_active and manager.deactivated_at is None:
            return manager
    return None


def _manager_message(claim: Claim) -> dict | None:
    """The e-mail telling the claim's manager it escalated (for notifications_send_many), or
    None when there is no manager to tell."""
    manager = claim_manager(claim)
    if manager is None or not manager.email:
        return None
    policy = claim.policy
    agent = claim.agent or policy.agent or policy.holder.owner
    return {
        "channel": "email", "to": manager.email, "template": "claim_escalated",
        "context": {
            "manager": str(manager), "claim": claim.reference, "client": policy.holder.display_name,
            "policy": str(policy), "agent": str(agent) if agent else "",
            "reported_at": timezone.localtime(claim.reported_at).strftime("%Y-%m-%d %H:%M"),
            "kind": _in_language(ClaimKind(claim.kind).label, manager.language),
            "injured": claim.injured,
            "phone": str(policy.holder.phone or claim.reporter_phone or ""),
        },
        "language": manager.language,
    }  # fmt: skip


def _in_language(text, language: str) -> str:
    with translation.override(language):
        return str(text)


def _item_title(agent, message, **params) -> str:
    """An item's title (stored: the call list and its "done" line show it) in the language of
    the agent it goes to; with no agent (the maintainers' queue) in the current one."""
    with translation.override(_language_of(agent)):
        return str(message) % params


def _language_of(agent) -> str:
    return getattr(agent, "language", "") or translation.get_language()


def claims_escalate_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """The beat sweep: escalate every claim whose 10 minutes ran out with no contact (those
    the scheduled task missed: a broker down, a worker lost), the longest waiting first, at
    most ``limit`` a run, in a fixed number of queries whatever their number. A sweep running
    beside another, or beside a claim's task, skips the claims they hold. Returns how many it
    escalated."""
    now = now or timezone.now()
    return _escalate(now=now, limit=limit, skip_locked=True)


# --- documents ------------------------------------------------------------------------------

# The client-document kind a checklist item is kept under among the client's documents.
CLIENT_DOCUMENT_KIND = {
    DocumentItem.NATIONAL_ID: DocumentKind.NATIONAL_ID,
    DocumentItem.DRIVERS_LICENCE: DocumentKind.DRIVERS_LICENCE,
    DocumentItem.VEHICLE_REGISTRATION: DocumentKind.VEHICLE_REGISTRATION,
}


def _checklist_item(claim: Claim, item: str) -> str:
    if item not in checklist_for(claim.kind, claim.injured):
        raise ValidationError({"item": _("This document is not on this claim's checklist.")})
    return item


def _document_set(claim: Claim, *, item: str, state: str, by, document=None) -> ClaimDocument:
    row = ClaimDocument.objects.filter(claim=claim, item=item).first() or ClaimDocument(
        claim=claim, item=item
    )
    row.state, row.changed_at, row.changed_by = state, timezone.now(), by
    if document is not None or state != DocumentState.RECEIVED:
        row.document = document
    row._history_user = by
    row.save()
    _log(claim, by=by, message=timeline.DOCUMENT, item=item, state=state)
    return row


@transaction.atomic
def claim_document_upload(*, claim: Claim, by, item: str, upload) -> ClaimDocument:
    """A checklist item received as a file: kept among the client's documents by
    ``clients.services.document_upload`` (which reads its type from its content and refuses
    anything but a PDF, JPEG or PNG, and files too big), and the item marked received."""
    claim = Claim.objects.select_related("policy__holder").get(pk=claim.pk)
    _checklist_item(claim, item)
    document = document_upload(
        client=claim.policy.holder, by=by,
        kind=CLIENT_DOCUMENT_KIND.get(item, DocumentKind.OTHER), upload=upload,
        description=(
            _("Claim %(claim)s: %(item)s")
            % {"claim": claim.reference, "item": DocumentItem(item).label}
        )[:255],
    )  # fmt: skip
    return _document_set(claim, item=item, state=DocumentState.RECEIVED, by=by, document=document)


@transaction.atomic
def claim_document_mark(*, claim: Claim, by, item: str, state: str) -> ClaimDocument:
    """Mark a checklist item received (an original on paper), missing or not needed."""
    claim = Claim.objects.select_related("policy__holder").get(pk=claim.pk)
    _checklist_item(claim, item)
    if state not in DocumentState.values:
        raise ValidationError({"state": _("Choose received, missing or not needed.")})
    return _document_set(claim, item=item, state=state, by=by)


def claim_documents_missing(claim: Claim) -> list[str]:
    """The checklist items neither received nor marked not needed, in checklist order."""
    done = set(
        ClaimDocument.objects.filter(claim=claim)
        .exclude(state=DocumentState.MISSING)
        .values_list("item", flat=True)
    )
    return [item for item in checklist_for(claim.kind, claim.injured) if item not in done]


def client_channel(client: Client) -> tuple[str, str] | None:
    """How a message reaches the client: e-mail, else WhatsApp, else SMS; None without any."""
    if client.email:
        return "email", client.email
    if client.whatsapp:
        return "whatsapp", client.whatsapp.as_e164
    if client.phone:
        return "sms", client.phone.as_e164
    return None


@transaction.atomic
def claim_documents_request(*, claim: Claim, by):
    """Send the client the list of the claim's missing documents through the outbox, in the
    client's language (e-mail, else WhatsApp, else SMS), and record it on the timeline."""
    claim = Claim.objects.select_related("policy__holder", "policy__insurer").get(pk=claim.pk)
    client = claim.policy.holder
    missing = claim_documents_missing(claim)
    if not missing:
        raise ValidationError(_("No document is missing: there is nothing to ask for."))
    route = client_channel(client)
    if route is None:
        raise ValidationError(
            _("The client has no e-mail, WhatsApp or phone: the request cannot be sent.")
        )
    channel, to = route
    language = client.language
    message = notification_send(
        channel=channel, to=to, template="claim_documents",
        context={
            "name": client.display_name, "claim": claim.reference, "policy": str(claim.policy),
            "kind": _in_language(ClaimKind(claim.kind).label, language),
            "items": [_in_language(DocumentItem(item).label, language) for item in missing],
            "agent": str(by), "agent_phone": str(getattr(by, "phone", "") or ""),
            "agent_email": by.email or "",
        },
        language=language, created_by=by,
    )  # fmt: skip
    interaction_log(
        client=client, by=by, channel=channel, message=timeline.DOCUMENTS_REQUESTED,
        params={"claim": claim.reference, "items": missing},
    )  # fmt: skip
    return message


# --- injury referral and disputes -----------------------------------------------------------


def referral_candidates():
    """Who an injury claim may be referred to for its legal and medical side: the active
    maintainers, managers and administrators (the brokerage names its legal/medical person by
    giving them one of these roles)."""
    from brokerage.accounts.roles import Role

    return (
        get_user_model()
        .objects.filter(
            groups__name__in=[Role.MAINTAINER, Role.MANAGER, Role.ADMIN],
            is_active=True,
            deactivated_at__isnull=True,
        )  # fmt: skip
        .distinct()
        .order_by("first_name", "last_name", "pk")
    )


def _claim_context(claim: Claim, language: str) -> dict:
    policy = claim.policy
    agent = claim.agent or policy.agent or policy.holder.owner
    return {
        "claim": claim.reference, "client": policy.holder.display_name, "policy": str(policy),
        "agent": str(agent) if agent else "",
        "kind": _in_language(ClaimKind(claim.kind).label, language),
        "phone": str(policy.holder.phone or claim.reporter_phone or ""),
    }  # fmt: skip


@transaction.atomic
def claim_refer(*, claim: Claim, by, to, note: str = "") -> Claim:
    """Refer an injury claim (of kind injury, or with people injured) to the named person who
    handles its legal and medical side; they are told by e-mail and the timeline records it. A
    later referral replaces the earlier one."""
    claim = Claim.objects.select_for_update(of=("self",)).select_related(
        "policy__holder__owner", "policy__agent", "agent"
    ).get(pk=claim.pk)  # fmt: skip
    if not claim.is_injury:
        raise ValidationError(_("Only a claim with people injured is referred to legal/medical."))
    if to is None or not referral_candidates().filter(pk=to.pk).exists():
        raise ValidationError(
            {"to": _("Choose an active maintainer, manager or administrator.")}
        )  # fmt: skip
    claim.referred_to, claim.referred_at = to, timezone.now()
    claim.referral_note = note.strip()[:255]
    claim._history_user = by
    claim.save(update_fields=["referred_to", "referred_at", "referral_note"])
    if to.email:
        notification_send(
            channel="email", to=to.email, template="claim_referred",
            context={**_claim_context(claim, to.language), "name": str(to), "by": str(by),
                     "note": claim.referral_note},
            language=to.language, created_by=by,
        )  # fmt: skip
    _log(claim, by=by, message=timeline.REFERRED, to=str(to))
    return claim


@transaction.atomic
def claim_dispute_escalate(*, claim: Claim, by, note: str) -> Claim:
    """A dispute the agent could not resolve goes to the manager as the 10-minute escalation
    does: an item in the maintainers' queue and an e-mail to the agent's team manager
    (``claim_manager``). Once while its item is open; the note says what is disputed."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say what the dispute is about.")})
    claim = Claim.objects.select_for_update(of=("self",)).select_related(
        "policy__holder__owner__team__manager", "policy__insurer",
        "policy__agent__team__manager", "agent__team__manager",
    ).get(pk=claim.pk)  # fmt: skip
    from workqueue.models import ItemStatus, WorkItem

    if WorkItem.objects.filter(
        kind=DISPUTE_KIND, subject_id=claim.pk, status=ItemStatus.OPEN
    ).exists():
        raise ValidationError(_("A dispute on this claim is already with the manager."))
    now = timezone.now()
    claim.dispute_escalated_at, claim.dispute_note = now, note[:500]
    claim._history_user = by
    claim.save(update_fields=["dispute_escalated_at", "dispute_note"])
    item_create(
        kind=DISPUTE_KIND, subject_id=claim.pk,
        title=_("Claim %(claim)s: dispute for the manager") % {"claim": claim.reference},
        due_on=timezone.localdate(now), queue=Queue.MAINTAINERS, priority=CLAIM_PRIORITY,
        reopen=True,
    )  # fmt: skip
    manager = claim_manager(claim)
    if manager is not None and manager.email:
        notification_send(
            channel="email", to=manager.email, template="claim_dispute",
            context={**_claim_context(claim, manager.language), "manager": str(manager),
                     "by": str(by), "note": claim.dispute_note},
            language=manager.language, created_by=by,
        )  # fmt: skip
    _log(claim, by=by, message=timeline.DISPUTE, note=claim.dispute_note)
    return claim


# --- follow-ups -----------------------------------------------------------------------------

FOLLOW_UP_FIELDS = {"cause_and_liability", "damage", "repair_wish", "note", "next_at"}
FOLLOW_UP_AHEAD_DAYS = 90


def _follow_up_title(claim: Claim, number: int, at: datetime, agent) -> str:
    """The item's title, with the time agreed (the call list shows the item from that day),
    written as the card's call-back badge writes it: the agent's language's time format."""
    if number == 2:
        text = gettext_lazy("Claim %(claim)s: second follow-up with %(client)s at %(time)s")
    else:
        text = gettext_lazy("Claim %(claim)s: follow-up %(number)s with %(client)s at %(time)s")
    with translation.override(_language_of(agent)):
        time = date_format(timezone.localtime(at), "TIME_FORMAT")
    return _item_title(
        agent, text, claim=claim.reference, client=claim.policy.holder.display_name,
        number=number, time=time,
    )  # fmt: skip


@transaction.atomic
def claim_follow_up_record(*, claim: Claim, by, data: dict, now: datetime | None = None):
    """Record a follow-up call on a claim whose client was first contacted. The first one
    (首次跟踪) must say the cause and liability, the damage and where the client wants the
    vehicle repaired. ``next_at``, agreed with the client, books the next follow-up (二次跟踪
    for the first): a ``claim_follow_up`` item on the claim's agent's call list (the
    maintainers' queue when it has none) from that day, at that time among the day's calls
    (the item's ``callback_at``), its title saying the time. Recording a
    follow-up closes the one that was booked. Kept in the claim's follow-ups (with history)
    and on the client's timeline."""
    unknown = set(data) - FOLLOW_UP_FIELDS
    if unknown:
        raise ValueError(f"Not follow-up fields: {sorted(unknown)}")
    now = now or timezone.now()
    claim = (
        Claim.objects.select_for_update(of=("self",))
        .select_related("policy__holder", "agent")
        .get(pk=claim.pk)
    )
    values = {name: (data.get(name) or "").strip() for name in FOLLOW_UP_FIELDS - {"next_at"}}
    next_at = data.get("next_at")
    errors = {}
    if claim.first_contact_at is None:
        raise ValidationError(_("Record the first contact before a follow-up."))
    if not claim.is_open:
        raise ValidationError(
            _("This claim is %(status)s.") % {"status": claim.get_status_display().lower()}
        )
    number = claim.follow_ups.count() + 1
    if number == 1:
        for name, message in (
            ("cause_and_liability", _("Say the cause and who is liable.")),
            ("damage", _("Describe the damage.")),
            ("repair_wish", _("Say where the client wants it repaired.")),
        ):
            if not values[name]:
                errors[name] = message
    if next_at is not None:
        if next_at <= now:
            errors["next_at"] = _("The next follow-up must be in the future.")
        elif next_at > now + timedelta(days=FOLLOW_UP_AHEAD_DAYS):
            errors["next_at"] = _("Book the next follow-up at most %(days)d days ahead.") % {
                "days": FOLLOW_UP_AHEAD_DAYS
            }
    if errors:
        raise ValidationError(errors)
    follow_up = ClaimFollowUp(claim=claim, number=number, at=now, by=by, next_at=next_at, **values)
    follow_up.repair_wish = follow_up.repair_wish[:255]
    follow_up._history_user = by
    follow_up.save()
    items_close(kind=FOLLOW_UP_KIND, subject_ids=[claim.pk], result=FOLLOWED_UP, now=now)
    _log(claim, by=by, message=timeline.FOLLOW_UP, number=number,
         repair_wish=follow_up.repair_wish, note=follow_up.note[:200])  # fmt: skip
    if next_at is not None:
        agent = claim.agent if claim.agent is not None and claim.agent.is_active else None
        item_create(
            kind=FOLLOW_UP_KIND, subject_id=claim.pk, key=str(number + 1),
            title=_follow_up_title(claim, number + 1, next_at, agent),
            due_on=timezone.localdate(next_at),
            agent=agent, queue=Queue.AGENT if agent is not None else Queue.MAINTAINERS,
            priority=FOLLOW_UP_PRIORITY, callback_at=next_at,
        )  # fmt: skip
        _log(claim, by=by, message=timeline.FOLLOW_UP_BOOKED, number=number + 1,
             at=timezone.localtime(next_at).strftime("%Y-%m-%d %H:%M"))  # fmt: skip
    return follow_up


def follow_up_handle_result(*, item, result, by, note, details, failed_attempts) -> None:
    """A result logged on a booked follow-up (no answer, call back…): on the client's
    timeline."""
    claim = Claim.objects.select_related("policy__holder").get(pk=item.subject_id)
    client_log_call_result(
        client=claim.policy.holder, by=by, message=timeline.FOLLOW_UP_RESULT,
        params={"claim": claim.reference, "result": result, "note": note or ""},
        inaccurate=failed_attempts >= MAX_FAILED_ATTEMPTS,
    )  # fmt: skip


# --- call-back after settlement -------------------------------------------------------------

CALLBACK_PRIORITY = 400
CALLED_BACK = "called_back"


def _callback_book(claim: Claim, *, now: datetime) -> None:
    """A settled claim's call-back (赔案回访) on its agent's call list from today (the
    maintainers' queue when it has no active agent)."""
    agent = claim.agent if claim.agent is not None and claim.agent.is_active else None
    item_create(
        kind=CALLBACK_KIND, subject_id=claim.pk,
        title=_item_title(
            agent, gettext_lazy("Claim %(claim)s: call-back after settlement with %(client)s"),
            claim=claim.reference, client=claim.policy.holder.display_name,
        ),
        due_on=timezone.localdate(now), agent=agent,
        queue=Queue.AGENT if agent is not None else Queue.MAINTAINERS,
        priority=CALLBACK_PRIORITY,
    )  # fmt: skip


@transaction.atomic
def claim_callback_record(*, claim: Claim, by, satisfaction, comments: str = "") -> Claim:
    """The call-back after settlement: the client's satisfaction (1 to 5) and comments, on
    the claim and the timeline, once; its item closes. A score of 1 or 2 goes to the manager
    as an escalation does: an item in the maintainers' queue and an e-mail to the agent's team
    manager."""
    claim = Claim.objects.select_for_update(of=("self",)).select_related(
        "policy__holder__owner__team__manager", "policy__insurer",
        "policy__agent__team__manager", "agent__team__manager",
    ).get(pk=claim.pk)  # fmt: skip
    if claim.status not in (ClaimStatus.SETTLED, ClaimStatus.CLOSED) or not claim.settled_by_id:
        raise ValidationError(_("The call-back comes after the claim is settled."))
    if claim.called_back_at is not None:
        raise ValidationError(_("The call-back of this claim is already recorded."))
    if satisfaction not in (1, 2, 3, 4, 5):
        raise ValidationError({"satisfaction": _("Give a satisfaction from 1 to 5.")})
    now = timezone.now()
    claim.satisfaction, claim.satisfaction_comments = satisfaction, (comments or "").strip()
    claim.called_back_at, claim.called_back_by = now, by
    claim._history_user = by
    claim.save(update_fields=[
        "satisfaction", "satisfaction_comments", "called_back_at", "called_back_by"
    ])  # fmt: skip
    items_close(kind=CALLBACK_KIND, subject_ids=[claim.pk], result=CALLED_BACK, now=now)
    _log(claim, by=by, message=timeline.CALLBACK, score=satisfaction,
         comments=claim.satisfaction_comments[:200])  # fmt: skip
    if satisfaction <= LOW_SCORE:
        item_create(
            kind=LOW_SCORE_KIND, subject_id=claim.pk,
            title=_("Claim %(claim)s: satisfaction %(score)s/5 after settlement")
            % {"claim": claim.reference, "score": satisfaction},
            due_on=timezone.localdate(now), queue=Queue.MAINTAINERS, priority=CLAIM_PRIORITY,
        )  # fmt: skip
        manager = claim_manager(claim)
        if manager is not None and manager.email:
            notification_send(
                channel="email", to=manager.email, template="claim_low_satisfaction",
                context={**_claim_context(claim, manager.language), "manager": str(manager),
                         "by": str(by), "score": satisfaction,
                         "comments": claim.satisfaction_comments},
                language=manager.language, created_by=by,
            )  # fmt: skip
    return claim
