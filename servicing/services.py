"""Every write of policy service (issue 17): a policy's parties, service requests (保全) and
their life cycle, and the life-policy service cases of seed 003. Each change is kept in the
history (django-simple-history) and on the client's timeline.

Service cases are opened per client, once: a partial unique constraint allows one open case
per client, so a reassignment run twice, or the orphans' sweep run every day (or twice at
once), opens each case once."""

from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, Q, When
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clients.models import Channel, Client, ClientDocument
from clients.services import client_log_call_result, interaction_log, interactions_log
from policies.models import Policy, PolicyStatus
from policies.services import policy_reinstate
from workqueue.models import Queue
from workqueue.results import MAX_FAILED_ATTEMPTS
from workqueue.services import item_create, items_close, items_create

from . import timeline
from .kind import CASE_KIND, CASE_PRIORITY, OFFICE_KIND, REQUEST_KIND, REQUEST_PRIORITY
from .models import (
    AGENT_SEARCHES,
    OPEN_STATUSES,
    PARTY_CHANGES,
    SERVED_STATUSES,
    SERVICE_LINES,
    CaseClass,
    CaseOutcome,
    CaseSearch,
    CaseServiceItem,
    CaseSource,
    ItemState,
    PartyRole,
    PolicyParty,
    RequestKind,
    RequestStatus,
    SearchMethod,
    ServiceCase,
    ServiceItem,
    ServiceRequest,
)
from .parties import parties_errors

PARTY_FIELDS = ("role", "name", "relation", "id_number", "share")


def _log(client: Client, *, by, message: str, channel: str = Channel.CALL, **params) -> None:
    interaction_log(client=client, by=by, channel=channel, message=message, params=params)


def _clean_party(row: dict) -> dict:
    from clients.models import id_key

    share = row.get("share")
    return {
        "role": row.get("role") or "",
        "name": " ".join((row.get("name") or "").split()),
        "relation": row.get("relation") or "",
        "id_number": id_key(row.get("id_number") or ""),
        "share": Decimal(str(share)) if share not in (None, "") else None,
    }


def _raise(errors) -> None:
    if errors:
        raise ValidationError(errors.messages())


# -- parties -------------------------------------------------------------------------------


def _replace_parties(policy: Policy, rows: list[dict], *, roles, by, reason: str) -> None:
    """The policy's parties of these roles become ``rows``: existing rows are updated in
    place (in order), extra ones deleted, missing ones added; each with history."""
    current = list(
        PolicyParty.objects.select_for_update().filter(policy=policy, role__in=list(roles))
    )
    keep_ids = {row["id"] for row in rows if row.get("id")}
    by_id = {party.pk: party for party in current}
    for party in current:
        if party.pk not in keep_ids:
            party._history_user, party._change_reason = by, reason
            party.delete()
    for position, row in enumerate(rows):
        party = by_id.get(row.get("id")) or PolicyParty(policy=policy)
        changed = (
            party.pk is None
            or party.position != position
            or any(getattr(party, name) != row[name] for name in PARTY_FIELDS)
        )
        if not changed:
            continue
        for name in PARTY_FIELDS:
            setattr(party, name, row[name])
        party.position = position
        party._history_user, party._change_reason = by, reason
        party.full_clean(exclude=["policy"])
        party.save()


@transaction.atomic
def policy_parties_set(*, policy: Policy, by, parties: list[dict]) -> list[PolicyParty]:
    """Record the policy's whole set of parties (the parties page). Each dict holds the party
    fields and, for a party already there, its ``id``. Refused (ValidationError, nothing
    written) unless the set is valid: the beneficiaries' shares add up to exactly 100."""
    policy = Policy.objects.select_for_update().select_related("holder").get(pk=policy.pk)
    rows = [{**_clean_party(row), "id": row.get("id")} for row in parties]
    owned = set(PolicyParty.objects.filter(policy=policy).values_list("pk", flat=True))
    if any(row["id"] and row["id"] not in owned for row in rows):
        raise ValidationError(_("A party of another policy cannot be changed here."))
    _raise(parties_errors(rows))
    _replace_parties(policy, rows, roles=PartyRole.values, by=by, reason="parties page")
    _log(policy.holder, by=by, message=timeline.PARTIES, policy=str(policy))
    return list(PolicyParty.objects.filter(policy=policy))


# -- service requests ----------------------------------------------------------------------


def request_owner(policy: Policy):
    """Who works a request: the policy's agent, else the holder's owner, the first who is an
    active agent and can open the client. None: the maintainers' queue."""
    users = get_user_model().objects
    for candidate_id in dict.fromkeys((policy.agent_id, policy.holder.owner_id)):
        if candidate_id is None:
            continue
        user = users.active_agents().filter(pk=candidate_id).first()
        if (
            user is not None
            and Client.objects.visible_to(user).filter(pk=policy.holder_id).exists()
        ):
            return user
    return None


def request_title(request: ServiceRequest) -> str:
    return _("Service request %(request)s: %(kind)s, %(client)s, %(policy)s") % {
        "request": request.reference, "kind": request.get_kind_display(),
        "client": request.policy.holder.display_name, "policy": request.policy,
    }  # fmt: skip


def _reader_language(language: str | None) -> str:
    """The language a stored item title is written in: its agent's (the call list, its "done"
    line and the call-backs page show the stored title), else the current one."""
    return language or translation.get_language() or settings.LANGUAGE_CODE


def request_item_create(request: ServiceRequest, *, agent, today: date) -> None:
    """The request's work item: on ``agent``'s call list, else the maintainers' queue."""
    with translation.override(_reader_language(getattr(agent, "language", None))):
        title = request_title(request)
    item_create(
        kind=REQUEST_KIND, subject_id=request.pk, title=title, due_on=today,
        agent=agent, queue=Queue.AGENT if agent is not None else Queue.MAINTAINERS,
        priority=REQUEST_PRIORITY,
    )  # fmt: skip


@transaction.atomic
def service_request_create(
    *,
    policy: Policy,
    by,
    kind: str,
    due_on: date,
    notes: str = "",
    documents=(),
    new_parties: list[dict] = (),
    now: datetime | None = None,
) -> ServiceRequest:
    """Open a service request on a policy: its work item for whoever owns it, and the client's
    timeline. A beneficiary or policyholder change names the new parties (checked as the
    parties page checks them: the shares add up to exactly 100); the documents are the
    client's own."""
    now = now or timezone.now()
    policy = Policy.objects.select_related("holder", "insurer").get(pk=policy.pk)
    errors = {}
    if kind not in RequestKind.values:
        errors["kind"] = _("Choose the type of request.")
    if due_on is None:
        errors["due_on"] = _("Say by when it is due.")
    elif due_on < timezone.localdate(now):
        errors["due_on"] = _("The due date cannot be in the past.")
    documents = list(documents)
    if any(doc.client_id != policy.holder_id for doc in documents):
        errors["documents"] = _("Only the client's own documents can be attached.")
    role = PARTY_CHANGES.get(kind)
    rows = []
    if role is not None:
        rows = [_clean_party({**row, "role": role}) for row in new_parties]
        if problems := parties_errors(rows, only=role):
            errors["new_parties"] = problems.messages()
    elif new_parties:
        errors["new_parties"] = _("Only a beneficiary or policyholder change names new parties.")
    if kind == RequestKind.REINSTATEMENT and policy.status != PolicyStatus.LAPSED:
        errors["kind"] = _("Only a lapsed policy can be reinstated.")
    if errors:
        raise ValidationError(errors)
    request = ServiceRequest(
        policy=policy, kind=kind, due_on=due_on, notes=notes.strip(), requested_at=now,
        requested_by=by,
        new_parties=[{**row, "share": None if row["share"] is None else str(row["share"])}
                     for row in rows],
    )  # fmt: skip
    request._history_user = by
    request.save()
    if documents:
        request.documents.set(documents)
    _log(
        policy.holder, by=by, message=timeline.REQUESTED, request=request.reference,
        policy=str(policy), kind=kind,
    )  # fmt: skip
    request_item_create(request, agent=request_owner(policy), today=timezone.localdate(now))
    return request


@transaction.atomic
def service_request_attach(*, request: ServiceRequest, by, documents) -> int:
    """Attach more of the client's documents to a request still open (the insurer asked for
    them). Returns how many were new to it."""
    request = ServiceRequest.objects.select_for_update().select_related("policy").get(pk=request.pk)
    if not request.is_open:
        raise ValidationError(_("This request is closed."))
    documents = list(documents)
    if any(doc.client_id != request.policy.holder_id for doc in documents):
        raise ValidationError({"documents": _("Only the client's own documents can be attached.")})
    before = set(request.documents.values_list("pk", flat=True))
    request.documents.add(*documents)
    return len({doc.pk for doc in documents} - before)


def _apply_new_parties(request: ServiceRequest, *, by) -> None:
    role = PARTY_CHANGES[request.kind]
    rows = [_clean_party({**row, "role": role}) for row in request.new_parties]
    # Checked again: the rules may have been stricter than when the request was made.
    _raise(parties_errors(rows, only=role))
    _replace_parties(
        request.policy, rows, roles=[role], by=by, reason=f"service request {request.reference}"
    )


@transaction.atomic
def service_request_set_status(
    *,
    request: ServiceRequest,
    by,
    status: str,
    reason: str = "",
    at: datetime | None = None,
    end_date: date | None = None,
) -> ServiceRequest:
    """Move a request on: requested → sent to the insurer → done, or rejected (with why) from
    either. Any other move is refused. Done or rejected closes its work item; a done
    beneficiary or policyholder change puts the new parties on the policy (in its history); a
    done reinstatement puts the lapsed policy back in force (``end_date``: the new end date the
    insurer set, needed when its term has ended) and closes its lapsed work."""
    at = at or timezone.now()
    request = (
        ServiceRequest.objects.select_for_update()
        .select_related("policy__holder", "policy__insurer")
        .get(pk=request.pk)
    )
    if status not in request.allowed_statuses:
        raise ValidationError(
            {"status": _("A request %(now)s cannot become %(new)s.") % {
                "now": request.get_status_display().lower(),
                "new": (RequestStatus(status).label.lower() if status in RequestStatus.values
                        else status),
            }}
        )  # fmt: skip
    reason = reason.strip()
    if status == RequestStatus.REJECTED and not reason:
        raise ValidationError({"reason": _("Say why it was rejected.")})
    request.status = status
    if status == RequestStatus.SENT:
        request.sent_at, request.sent_by = at, by
    else:
        request.closed_at, request.closed_by = at, by
        if status == RequestStatus.REJECTED:
            request.rejection_reason = reason[:255]
    request._history_user = by
    request.save()
    if status == RequestStatus.DONE and request.changes_parties:
        _apply_new_parties(request, by=by)
    if status == RequestStatus.DONE and request.kind == RequestKind.REINSTATEMENT:
        _reinstate(request, by=by, end_date=end_date)
    if status in (RequestStatus.DONE, RequestStatus.REJECTED):
        items_close(kind=REQUEST_KIND, subject_ids=[request.pk], result=status)
    _log(
        request.policy.holder, by=by, message=timeline.STATUS, request=request.reference,
        kind=request.kind, status=status, note=reason,
    )  # fmt: skip
    return request


def _reinstate(request: ServiceRequest, *, by, end_date: date | None) -> None:
    """The insurer reinstated the lapsed policy (复效): in force again, in its history; the
    renewals' lapse follow-up cancelled (their hook); the client's open lapsed service case
    closed once no life or health policy of theirs is still lapsed."""
    policy = policy_reinstate(
        policy=request.policy, by=by, end_date=end_date,
        reason=f"reinstated: service request {request.reference}",
    )  # fmt: skip
    _log(policy.holder, by=by, message=timeline.REINSTATED, request=request.reference,
         policy=str(policy))  # fmt: skip
    case = (
        ServiceCase.objects.select_for_update()
        .filter(client_id=policy.holder_id, closed_at__isnull=True, case_class=CaseClass.LAPSED)
        .first()
    )
    if case is None or PolicyStatus.LAPSED in {
        status for _pk, status in _served_policies([case.client_id]).get(case.client_id, [])
    }:
        return
    note = _("Policy %(policy)s reinstated (service request %(request)s).") % {
        "policy": policy, "request": request.reference,
    }  # fmt: skip
    case.closed_at, case.closed_by, case.outcome = timezone.now(), by, CaseOutcome.REINSTATEMENT
    case.note = f"{case.note}\n\n{note}".strip()
    case._history_user = by
    case.save()
    items_close(kind=CASE_KIND, subject_ids=[case.pk], result=CaseOutcome.REINSTATEMENT)
    _log(policy.holder, by=by, message=timeline.CASE_CLOSED, case=case.reference,
         outcome=CaseOutcome.REINSTATEMENT, note=note)  # fmt: skip


def request_handle_result(*, item, result, by, note, details, failed_attempts) -> None:
    """A result logged on a request's call-list item (no answer, call back…): on the client's
    timeline."""
    request = ServiceRequest.objects.select_related("policy__holder").get(pk=item.subject_id)
    client_log_call_result(
        client=request.policy.holder, by=by, message=timeline.REQUEST_RESULT,
        params={"request": request.reference, "result": result, "note": note or ""},
        inaccurate=failed_attempts >= MAX_FAILED_ATTEMPTS,
    )  # fmt: skip


# -- service cases -------------------------------------------------------------------------


def _served_policies(client_ids) -> dict[int, list[tuple[int, str]]]:
    """Client id → its life and health policies in force or lapsed: (id, status)."""
    served: dict[int, list[tuple[int, str]]] = {}
    for pk, holder_id, status in Policy.objects.filter(
        holder_id__in=list(client_ids), line__in=SERVICE_LINES, status__in=SERVED_STATUSES
    ).values_list("pk", "holder_id", "status"):
        served.setdefault(holder_id, []).append((pk, status))
    return served


def case_class_for(client: Client, statuses) -> str:
    """Seed 003's classes at opening: lapsed (失效件) when one of the client's life or health
    policies has lapsed; difficult (困难件) when the client cannot be reached at the details
    on file (marked inaccurate, or neither phone, WhatsApp nor e-mail); normal (正常件)
    otherwise."""
    if PolicyStatus.LAPSED in statuses:
        return CaseClass.LAPSED
    if client.contact_inaccurate or not (client.phone or client.whatsapp or client.email):
        return CaseClass.DIFFICULT
    return CaseClass.NORMAL


def case_title(case: ServiceCase, client: Client) -> str:
    return _("Service case %(case)s (%(class)s): %(client)s") % {
        "case": case.reference, "class": case.get_case_class_display().lower(),
        "client": client.display_name,
    }  # fmt: skip


def _cases_insert(cases: list[ServiceCase]) -> list[ServiceCase]:
    """Insert these new cases in one statement; a client whose case another run opened
    meanwhile is skipped (``ON CONFLICT DO NOTHING`` on the one-open-case constraint). Returns
    the cases inserted, their ids set."""
    if not cases:
        return []
    meta = ServiceCase._meta
    quote = connection.ops.quote_name
    field = {f.attname: f for f in meta.concrete_fields}
    column = {name: quote(f.column) for name, f in field.items()}
    names = ("client_id", "case_class", "previous_agent_id", "source", "opened_at",
             "opened_by_id", "outcome", "note")  # fmt: skip
    row_type = {n: field[n].cast_db_type(connection) for n in names[:3]}
    statement = f"""
        INSERT INTO {quote(meta.db_table)} ({", ".join(column[n] for n in names)})
        SELECT c.client_id, c.case_class, c.previous_agent_id, %s, %s, %s, '', ''
        FROM unnest(%s::{row_type["client_id"]}[], %s::{row_type["case_class"]}[],
                    %s::{row_type["previous_agent_id"]}[])
             AS c(client_id, case_class, previous_agent_id)
        ON CONFLICT DO NOTHING
        RETURNING {column["id"]}, {column["client_id"]}
    """  # noqa: S608 - names come from the model's _meta, values are placeholders
    first = cases[0]
    params = [
        first.source, first.opened_at, first.opened_by_id,
        [c.client_id for c in cases], [c.case_class for c in cases],
        [c.previous_agent_id for c in cases],
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        ids = {client_id: pk for pk, client_id in cursor.fetchall()}
    inserted = []
    for case in cases:
        if case.client_id in ids:
            case.pk = ids[case.client_id]
            inserted.append(case)
    return inserted


@transaction.atomic
def service_cases_open(
    *, previous: dict[int, int | None], source: str, by=None, now: datetime | None = None
) -> list[ServiceCase]:
    """Open a service case for each of these clients ({client id: previous agent id}) that
    holds a life or health policy in force or lapsed and has no open case; each goes on the
    client's owner's call list (an orphan with no active owner waits for the distribution).
    Returns the cases opened now (none the second time), by client id.

    Set-based: the same few queries whatever the number of clients (their policies, their open
    cases, the clients, their owners; one INSERT each for the cases, their history, their work
    items and, when a person opened them, the timeline entries)."""
    now = now or timezone.now()
    served = _served_policies(previous)
    already = set(
        ServiceCase.objects.filter(client_id__in=list(served), closed_at__isnull=True).values_list(
            "client_id", flat=True
        )
    )
    clients = Client.objects.in_bulk([pk for pk in served if pk not in already])
    if not clients:
        return []
    owners = dict(
        get_user_model()
        .objects.active_agents()
        .filter(pk__in={c.owner_id for c in clients.values() if c.owner_id})
        .values_list("pk", "language")
    )
    new = [
        ServiceCase(
            client=clients[client_id], source=source, previous_agent_id=previous[client_id],
            case_class=case_class_for(
                clients[client_id], {status for _pk, status in served[client_id]}
            ),
            opened_at=now, opened_by=by, outcome="", note="",
        )
        for client_id in sorted(clients)
    ]  # fmt: skip
    opened = _cases_insert(new)
    if not opened:
        return []
    for case in opened:
        case._history_user = by
    ServiceCase.history.bulk_history_create(opened, default_user=by, default_date=now)
    agents, titles = [], []
    for case in opened:
        agent = case.client.owner_id if case.client.owner_id in owners else None
        with translation.override(_reader_language(owners.get(agent))):
            titles.append(case_title(case, case.client))
        agents.append(agent)
    select = (
        "SELECT c.subject_id, '', c.title, c.agent_id, %s, %s, %s"
        " FROM unnest(%s::bigint[], %s::text[], %s::bigint[]) AS c(subject_id, title, agent_id)",
        [Queue.AGENT, timezone.localdate(now), CASE_PRIORITY,
         [case.pk for case in opened], titles, agents],
    )  # fmt: skip
    items_create(kind=CASE_KIND, select=select, now=now)
    if by is not None:
        interactions_log(
            by=by, channel=Channel.CALL, message=timeline.CASE_OPENED, occurred_at=now,
            entries={case.client_id: {"case": case.reference, "class": case.case_class}
                     for case in opened},
        )  # fmt: skip
    return opened


def service_cases_open_for_book(*, clients, from_agent, by) -> list[ServiceCase]:
    """A departing agent's book was spread over other agents (clients.services hook)."""
    return service_cases_open(
        previous={client.pk: from_agent.pk for client in clients},
        source=CaseSource.DEPARTED_AGENT, by=by,
    )  # fmt: skip


def orphan_policies():
    """Life and health policies in force or lapsed with no active agent: none, or one who is
    deactivated, cannot sign in or is no longer an agent."""
    active = get_user_model().objects.active_agents().values("pk")
    return Policy.objects.filter(line__in=SERVICE_LINES, status__in=SERVED_STATUSES).filter(
        Q(agent__isnull=True) | ~Q(agent__in=active)
    )


def service_cases_open_orphans(*, by=None, now: datetime | None = None) -> list[ServiceCase]:
    """The orphans' sweep: a case for each client holding an orphan policy (once)."""
    previous: dict[int, int | None] = {}
    for holder_id, agent_id in (
        orphan_policies().order_by("pk").values_list("holder_id", "agent_id")
    ):
        previous.setdefault(holder_id, agent_id)
    return service_cases_open(previous=previous, source=CaseSource.ORPHAN, by=by, now=now)


def _open_case(case: ServiceCase) -> ServiceCase:
    case = ServiceCase.objects.select_for_update().select_related("client").get(pk=case.pk)
    if not case.is_open:
        raise ValidationError(_("This service case is closed."))
    return case


@transaction.atomic
def service_case_reclassify(*, case: ServiceCase, by, case_class: str) -> ServiceCase:
    """A case found to be otherwise: a normal case whose client cannot be found becomes
    difficult, a difficult one whose client was reached becomes normal; lapsed only when the
    client has a lapsed life or health policy."""
    case = _open_case(case)
    if case_class not in CaseClass.values:
        raise ValidationError({"case_class": _("Choose a class.")})
    if case_class == case.case_class:
        return case
    statuses = {
        status for _pk, status in _served_policies([case.client_id]).get(case.client_id, [])
    }
    if case_class == CaseClass.LAPSED and PolicyStatus.LAPSED not in statuses:
        raise ValidationError({"case_class": _("The client has no lapsed life or health policy.")})
    case.case_class = case_class
    case._history_user = by
    case.save(update_fields=["case_class"])
    _log(case.client, by=by, message=timeline.CASE_CLASS, case=case.reference,
         **{"class": case_class})  # fmt: skip
    return case


@transaction.atomic
def service_case_sign_list(*, case: ServiceCase, by, at: datetime | None = None) -> ServiceCase:
    """Seed 003, normal case, step 1: the client's service list is signed for (once)."""
    case = _open_case(case)
    if case.list_signed_at is not None:
        return case
    case.list_signed_at, case.list_signed_by = at or timezone.now(), by
    case._history_user = by
    case.save(update_fields=["list_signed_at", "list_signed_by"])
    _log(case.client, by=by, message=timeline.LIST_SIGNED, case=case.reference)
    return case


@transaction.atomic
def service_case_record_item(
    *, case: ServiceCase, by, item: str, state: str, note: str = ""
) -> CaseServiceItem:
    """A service item offered to the client, or done (an item done was offered too)."""
    case = _open_case(case)
    if item not in ServiceItem.values:
        raise ValidationError({"item": _("Choose a service item.")})
    if state not in ItemState.values:
        raise ValidationError({"state": _("Choose offered or done.")})
    row = CaseServiceItem.objects.filter(case=case, item=item).first() or CaseServiceItem(
        case=case, item=item
    )
    if row.pk is not None and row.state == ItemState.DONE and state == ItemState.OFFERED:
        raise ValidationError({"state": _("This item is done already.")})
    row.state, row.at, row.by, row.note = state, timezone.now(), by, note.strip()[:255]
    row._history_user = by
    row.save()
    _log(case.client, by=by, message=timeline.CASE_ITEM, case=case.reference, item=item,
         state=state)  # fmt: skip
    return row


@transaction.atomic
def service_case_record_search(
    *, case: ServiceCase, by, method: str, note: str = "", at: datetime | None = None
) -> CaseSearch:
    """A search method tried on a difficult case (each once; trying again updates the note).
    The office's help is asked for by declaring the case unreachable."""
    case = _open_case(case)
    if case.case_class != CaseClass.DIFFICULT:
        raise ValidationError(_("Search methods are recorded on difficult cases."))
    if method not in AGENT_SEARCHES:
        raise ValidationError({"method": _("Choose a search method.")})
    search, _created = CaseSearch.objects.update_or_create(
        case=case, method=method,
        defaults={"tried_at": at or timezone.now(), "by": by, "note": note.strip()[:255]},
    )  # fmt: skip
    _log(case.client, by=by, message=timeline.SEARCH, case=case.reference, method=method,
         note=note.strip())  # fmt: skip
    return search


@transaction.atomic
def service_case_offer_reinstatement(
    *, case: ServiceCase, policy: Policy, by, due_on: date, notes: str = ""
) -> ServiceRequest:
    """A lapsed case offers reinstatement: a reinstatement request on the client's lapsed
    policy (the open one there already when asked twice)."""
    case = _open_case(case)
    if case.case_class != CaseClass.LAPSED:
        raise ValidationError(_("Reinstatement is offered on lapsed cases."))
    if policy.holder_id != case.client_id:
        raise ValidationError({"policy": _("The policy is not this client's.")})
    existing = ServiceRequest.objects.filter(
        policy=policy, kind=RequestKind.REINSTATEMENT, status__in=OPEN_STATUSES
    ).first()
    if existing is not None:
        return existing
    return service_request_create(
        policy=policy, by=by, kind=RequestKind.REINSTATEMENT, due_on=due_on, notes=notes
    )


def close_problems(case: ServiceCase, outcome: str) -> list[str]:
    """Why the case cannot be closed with this outcome (empty when it can). One to three
    queries."""
    problems = []
    allowed = {
        CaseClass.NORMAL: (CaseOutcome.SERVED,),
        CaseClass.DIFFICULT: (CaseOutcome.UNREACHABLE,),
        CaseClass.LAPSED: (CaseOutcome.REINSTATEMENT, CaseOutcome.DECLINED),
    }[case.case_class]
    if outcome not in allowed:
        return [
            _("A %(class)s case ends as: %(outcomes)s.") % {
                "class": case.get_case_class_display().lower(),
                "outcomes": ", ".join(str(CaseOutcome(o).label).lower() for o in allowed),
            }
        ]  # fmt: skip
    if outcome == CaseOutcome.SERVED:
        if case.list_signed_at is None:
            problems.append(_("The service list is not signed yet."))
        recorded = set(CaseServiceItem.objects.filter(case=case).values_list("item", flat=True))
        missing = [str(ServiceItem(i).label) for i in ServiceItem.values if i not in recorded]
        if missing:
            problems.append(_("Not offered yet: %(items)s.") % {"items": ", ".join(missing)})
    elif outcome == CaseOutcome.UNREACHABLE:
        tried = set(CaseSearch.objects.filter(case=case).values_list("method", flat=True))
        missing = [str(SearchMethod(m).label) for m in AGENT_SEARCHES if m not in tried]
        if missing:
            problems.append(
                _("Before declaring the client unreachable, try: %(methods)s.")
                % {"methods": "; ".join(missing)}
            )
    elif outcome == CaseOutcome.REINSTATEMENT:
        lapsed = Policy.objects.filter(
            holder_id=case.client_id, line__in=SERVICE_LINES, status=PolicyStatus.LAPSED
        )
        offered = ServiceRequest.objects.filter(
            Q(requested_at__gte=case.opened_at) | Q(status__in=OPEN_STATUSES),
            kind=RequestKind.REINSTATEMENT,
        ).values("policy_id")
        without = lapsed.exclude(pk__in=offered)
        if not lapsed.exists() or without.exists():
            problems.append(_("Offer reinstatement of each lapsed policy first."))
    return problems


@transaction.atomic
def service_case_close(*, case: ServiceCase, by, outcome: str, note: str = "") -> ServiceCase:
    """Close a case as its class allows: a normal case served (list signed, every service item
    offered or done), a difficult case unreachable (after the six searches: the case goes to
    the office, the seventh), a lapsed case with reinstatement requested or declined (say
    why). Its work item is closed."""
    case = _open_case(case)
    note = note.strip()
    if outcome == CaseOutcome.DECLINED and not note:
        raise ValidationError({"note": _("Say what the client said.")})
    if problems := close_problems(case, outcome):
        raise ValidationError({"outcome": problems})
    now = timezone.now()
    case.closed_at, case.closed_by, case.outcome = now, by, outcome
    if note:
        case.note = f"{case.note}\n\n{note}".strip()
    case._history_user = by
    case.save()
    items_close(kind=CASE_KIND, subject_ids=[case.pk], result=outcome)
    if outcome == CaseOutcome.UNREACHABLE:
        CaseSearch.objects.create(
            case=case, method=SearchMethod.OFFICE_HELP, tried_at=now, by=by, note=note[:255]
        )
        item_create(
            kind=OFFICE_KIND, subject_id=case.pk,
            title=_("Problem policy: %(client)s could not be found (service case %(case)s)")
            % {"client": case.client.display_name, "case": case.reference},
            due_on=timezone.localdate(now), queue=Queue.MAINTAINERS, priority=CASE_PRIORITY,
        )  # fmt: skip
    _log(case.client, by=by, message=timeline.CASE_CLOSED, case=case.reference,
         outcome=outcome, note=note)  # fmt: skip
    return case


def case_handle_result(*, item, result, by, note, details, failed_attempts) -> None:
    """A result logged on a case's call-list item: on the client's timeline. The last allowed
    failed attempt on a normal case makes it difficult (the client could not be reached at
    the details on file): the search methods begin, with the phone tried."""
    case = ServiceCase.objects.select_related("client").get(pk=item.subject_id)
    client_log_call_result(
        client=case.client, by=by, message=timeline.CASE_RESULT,
        params={"case": case.reference, "result": result, "note": note or ""},
        inaccurate=failed_attempts >= MAX_FAILED_ATTEMPTS,
    )  # fmt: skip
    if failed_attempts >= MAX_FAILED_ATTEMPTS and case.is_open:
        if case.case_class == CaseClass.NORMAL:
            case = service_case_reclassify(case=case, by=by, case_class=CaseClass.DIFFICULT)
        if case.case_class == CaseClass.DIFFICULT:
            CaseSearch.objects.get_or_create(
                case=case, method=SearchMethod.PHONE,
                defaults={"tried_at": timezone.now(), "by": by,
                          "note": _("%(count)d calls not answered") % {"count": failed_attempts}},
            )  # fmt: skip


def documents_of(policy: Policy):
    """The client's documents a request on this policy may attach: those kept in this
    policy's file first, then the client's own papers and other policies', newest first."""
    return ClientDocument.objects.filter(client_id=policy.holder_id).order_by(
        Case(When(policy_id=policy.pk, then=0), default=1), "-uploaded_at", "-pk"
    )
