"""The policy-service kinds of work (issue 17), registered in ServicingConfig.ready; the queue
knows none of these words.

- ``service_request``: a service request (保全) for whoever owns it: the policy's agent, else
  the maintainers' queue. It is worked on the request's page (sent to the insurer, done or
  rejected), which closes it; the call list's results (no answer, call back…) go on the
  client's timeline.
- ``service_case``: a life-policy service case (seed 003) on the client's agent's call list
  (an orphan's case waits for the distribution when the client has no active owner); worked
  on the case's page, which closes it.
- ``service_case_office``: a case declared unreachable, in the maintainers' queue: the
  office's help, the seventh search method (a "problem policy"); closed with a note.
"""

from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from brokerage.core.bulk import AnyOf
from brokerage.core.reversing import pk_url
from clients.links import call_client_fields, stored_call_links, stored_numbers
from clients.models import Client
from clients.services import clients_take_owner
from policies.rows import (
    POLICY_ROW_WIDTH,
    Row,
    client_from_row,
    policy_from_row,
    policy_row_fields,
)
from workqueue import kinds
from workqueue.results import GENERIC
from workqueue.rows import ID_MARKS, CompiledRows

from .models import ServiceCase, ServiceRequest

REQUEST_KIND = "service_request"
CASE_KIND = "service_case"
OFFICE_KIND = "service_case_office"
REQUEST_PRIORITY = 300
CASE_PRIORITY = 200


def _active(user_ids) -> set[int]:
    return set(
        get_user_model()
        .objects.active_agents()
        .filter(pk__in=set(user_ids))
        .values_list("pk", flat=True)
    )


# -- service requests ----------------------------------------------------------------------


def request_owners(subject_ids) -> dict[int, int]:
    """Request id → the owner of its policy's holder, when an active agent."""
    rows = dict(
        ServiceRequest.objects.filter(
            pk__in=list(subject_ids), policy__holder__owner__isnull=False
        ).values_list("pk", "policy__holder__owner_id")
    )
    active = _active(rows.values())
    return {pk: owner for pk, owner in rows.items() if owner in active}


def request_clients_of(subject_ids) -> dict[int, int]:
    return dict(
        ServiceRequest.objects.filter(pk__in=list(subject_ids)).values_list(
            "pk", "policy__holder_id"
        )
    )


def request_subjects_of_clients(client_ids) -> dict[int, list[int]]:
    subjects: dict[int, list[int]] = defaultdict(list)
    for pk, holder_id in ServiceRequest.objects.filter(
        policy__holder_id__in=list(client_ids)
    ).values_list("pk", "policy__holder_id"):
        subjects[holder_id].append(pk)
    return dict(subjects)


def request_visible_to(user, subject_ids) -> set[int]:
    return set(
        ServiceRequest.objects.visible_to(user)
        .filter(pk__in=list(subject_ids))
        .values_list("pk", flat=True)
    )


class RequestRow(Row):
    """What a service request's card, the maintainers' card and the export read of the
    request, as plain values (``policies.rows``: a model instance with its policy, insurer and
    client cost some 0.1 ms a card)."""

    _model = ServiceRequest
    reference = ServiceRequest.reference

    def get_kind_display(self):
        return self._label("kind")

    def get_status_display(self):
        return self._label("status")

    def __str__(self):
        return self.reference


class CaseRow(Row):
    """What a service case's card, the maintainers' card and the export read of the case."""

    _model = ServiceCase
    reference = ServiceCase.reference

    def get_case_class_display(self):
        return self._label("case_class")

    def __str__(self):
        return self.reference


REQUEST_FIELDS = ("id", "kind", "status", "due_on")
CASE_FIELDS = ("id", "case_class", "client_id")

# The cards' two queries compiled once per process (workqueue.rows: building and compiling
# each cost about 1 ms of every call-list page) and read as rows.
_REQUESTS = CompiledRows(
    lambda ids: (
        ServiceRequest.objects.filter(AnyOf(F("pk"), ids))
        .annotate(**stored_numbers("policy__holder__"))
        .order_by()
        .values_list(*REQUEST_FIELDS, *policy_row_fields("policy__"), "call_phone", "call_whatsapp")
    ),
    [ID_MARKS[0]],
)


def request_context(items) -> dict[int, dict]:
    """One query for any number of items: the requests with policy, insurer and client, read
    as rows (``RequestRow``, ``policies.rows.PolicyRow``…)."""
    n_own = len(REQUEST_FIELDS)
    requests = {}
    for row in _REQUESTS.rows(sorted({item.subject_id for item in items})):
        pk, kind, status, due_on = row[:n_own]
        requests[pk] = RequestRow(
            pk=pk, id=pk, kind=kind, status=status, due_on=due_on,
            policy=policy_from_row(row[n_own : n_own + POLICY_ROW_WIDTH]),
            call_phone=row[-2], call_whatsapp=row[-1],
        )  # fmt: skip
    context = {}
    page_url = pk_url("servicing:request_detail")
    for item in items:
        request = requests.get(item.subject_id)
        if request is None:
            continue
        client = request.policy.holder
        phone, whatsapp = stored_call_links(request)
        context[item.pk] = {
            "request": request, "policy": request.policy, "client": client,
            "phone": phone, "whatsapp_url": whatsapp, "page_url": page_url(request.pk),
        }  # fmt: skip
    return context


# -- service cases -------------------------------------------------------------------------


def case_owners(subject_ids) -> dict[int, int]:
    rows = dict(
        ServiceCase.objects.filter(
            pk__in=list(subject_ids), client__owner__isnull=False
        ).values_list("pk", "client__owner_id")
    )
    active = _active(rows.values())
    return {pk: owner for pk, owner in rows.items() if owner in active}


def case_clients_of(subject_ids) -> dict[int, int]:
    return dict(ServiceCase.objects.filter(pk__in=list(subject_ids)).values_list("pk", "client_id"))


def case_subjects_of_clients(client_ids) -> dict[int, list[int]]:
    subjects: dict[int, list[int]] = defaultdict(list)
    for pk, client_id in ServiceCase.objects.filter(client_id__in=list(client_ids)).values_list(
        "pk", "client_id"
    ):
        subjects[client_id].append(pk)
    return dict(subjects)


def case_visible_to(user, subject_ids) -> set[int]:
    return set(
        ServiceCase.objects.filter(
            pk__in=list(subject_ids), client__in=Client.objects.visible_to(user).values("pk")
        ).values_list("pk", flat=True)
    )


def case_handed_out(*, assignments: dict[int, int], by=None) -> None:
    """An orphan's case handed out to an agent makes them the owner of a client who has no
    active owner, so that they can open the client and serve it."""
    owners = {
        client_id: assignments[pk]
        for pk, client_id in ServiceCase.objects.filter(pk__in=list(assignments)).values_list(
            "pk", "client_id"
        )
    }
    clients_take_owner(owners=owners, by=by)


_CASES = CompiledRows(
    lambda ids: (
        ServiceCase.objects.filter(AnyOf(F("pk"), ids))
        .annotate(**stored_numbers("client__"))
        .order_by()
        .values_list(*CASE_FIELDS, *call_client_fields("client__"), "call_phone", "call_whatsapp")
    ),
    [ID_MARKS[0]],
)


def case_context(items) -> dict[int, dict]:
    """One query for any number of items: the cases with what a card shows of their client,
    read as rows (``CaseRow``, ``policies.rows.ClientRow``)."""
    n_own = len(CASE_FIELDS)
    cases = {}
    for row in _CASES.rows(sorted({i.subject_id for i in items})):
        pk, case_class, client_id = row[:n_own]
        client = client_from_row(client_id, row[n_own:-2])
        cases[pk] = CaseRow(
            pk=pk, id=pk, case_class=case_class, client=client, client_id=client_id,
            call_phone=row[-2], call_whatsapp=row[-1],
        )  # fmt: skip
    context = {}
    page_url = pk_url("servicing:case_detail")
    for item in items:
        case = cases.get(item.subject_id)
        if case is None:
            continue
        client = case.client
        phone, whatsapp = stored_call_links(case)
        context[item.pk] = {
            "case": case, "client": client, "phone": phone, "whatsapp_url": whatsapp,
            "page_url": page_url(case.pk),
        }  # fmt: skip
    return context


EXPORT_COLUMNS = (
    kinds.ExportColumn(
        "client", _("Client"), lambda i: i.ctx["client"].display_name if "client" in i.ctx else ""
    ),
    kinds.ExportColumn("phone", _("Phone"), lambda i: str(i.ctx.get("phone") or "")),
    kinds.ExportColumn(
        "policy", _("Policy"), lambda i: i.ctx["policy"].number if "policy" in i.ctx else ""
    ),
)


def register_kinds() -> None:
    from .cards import service_card_html
    from .services import case_handle_result, request_handle_result

    kinds.register(
        kinds.WorkKind(
            name=REQUEST_KIND,
            label=_("Service requests"),
            order=40,
            results=GENERIC,
            result_handler=request_handle_result,
            owners=request_owners,
            clients_of=request_clients_of,
            subjects_of_clients=request_subjects_of_clients,
            visible_to=request_visible_to,
            context=request_context,
            card_template="servicing/_call_item.html",
            card_html=service_card_html,
            maintainer_template="servicing/_maintainer_item.html",
            export_columns=EXPORT_COLUMNS,
        )
    )
    kinds.register(
        kinds.WorkKind(
            name=CASE_KIND,
            label=_("Life-policy service cases"),
            order=41,
            results=GENERIC,
            result_handler=case_handle_result,
            owners=case_owners,
            handed_out=case_handed_out,
            clients_of=case_clients_of,
            subjects_of_clients=case_subjects_of_clients,
            visible_to=case_visible_to,
            context=case_context,
            card_template="servicing/_call_item.html",
            card_html=service_card_html,
            maintainer_template="servicing/_maintainer_item.html",
            export_columns=EXPORT_COLUMNS,
        )
    )
    kinds.register(
        kinds.WorkKind(
            name=OFFICE_KIND,
            label=_("Life-policy service cases: unreachable clients (problem policies)"),
            order=42,
            visible_to=case_visible_to,
            context=case_context,
            card_template="servicing/_maintainer_item.html",
            maintainer_template="servicing/_maintainer_item.html",
            export_columns=EXPORT_COLUMNS,
        )
    )
