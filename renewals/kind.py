"""The renewal kinds of work and their vocabulary: the results of a renewal touch (seed 001's
standard contact results), the card, the export columns, whose client an item is, and what the
call list shows for a page of items. Registered in RenewalsConfig.ready; the queue itself
knows none of these words."""

from collections import defaultdict

from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from brokerage.core.bulk import AnyOf
from brokerage.core.reversing import pk_url
from clients.links import stored_call_links, stored_numbers
from clients.models import Client
from clients.services import clients_take_owner
from policies.models import Line
from policies.rows import POLICY_ROW_WIDTH, Row, policy_from_row, policy_row_fields
from workqueue import kinds
from workqueue.models import ItemResult
from workqueue.results import GENERIC
from workqueue.rows import ID_MARKS, CompiledRows, rows_together

from .models import RenewalCase

RENEWAL_KIND = "renewal"
# A case lapsed more than 48 hours, in the maintainers' queue.
LAPSED_KIND = "renewal_lapsed"
TOUCH_KINDS = (RENEWAL_KIND, LAPSED_KIND)

INTERESTED = kinds.Result("interested", _("Interested"), style="outline-primary")
# Recorded with the new policy on the renew form; the touches close when the case is won.
RENEWED = kinds.Result("renewed", _("Renewed"), final=True, page="renew_url", style="success")
# Recorded with the competitor and the reason on its own page.
RENEWED_ELSEWHERE = kinds.Result(
    "renewed_elsewhere", _("Renewed elsewhere"), final=True, page="elsewhere_url",
    style="outline-danger",
)  # fmt: skip
DECLINED = kinds.Result("declined", _("Declined"), final=True, style="outline-danger")
VEHICLE_SOLD = kinds.Result(
    "vehicle_sold", _("Vehicle sold"), final=True, when="is_auto", style="outline-danger"
)
RENEWAL_RESULTS = (*GENERIC, INTERESTED, RENEWED, RENEWED_ELSEWHERE, DECLINED, VEHICLE_SOLD)


def renewal_owners(subject_ids) -> dict[int, int]:
    """Case id → the owner agent of its policy holder, for the cases whose client has one."""
    return dict(
        RenewalCase.objects.filter(
            AnyOf(F("pk"), subject_ids), policy__holder__owner__isnull=False
        ).values_list("pk", "policy__holder__owner_id")
    )


def renewal_clients_of(subject_ids) -> dict[int, int]:
    """Case id → its policy holder (one query)."""
    return dict(
        RenewalCase.objects.filter(AnyOf(F("pk"), subject_ids)).values_list(
            "pk", "policy__holder_id"
        )
    )


def renewal_subjects_of_clients(client_ids) -> dict[int, list[int]]:
    """Client id → the cases of its policies (one query)."""
    subjects: dict[int, list[int]] = defaultdict(list)
    for case_id, holder_id in RenewalCase.objects.filter(
        AnyOf(F("policy__holder_id"), client_ids)
    ).values_list("pk", "policy__holder_id"):
        subjects[holder_id].append(case_id)
    return dict(subjects)


def renewal_visible_to(user, subject_ids) -> set[int]:
    """The cases whose policy holder the user may open."""
    return set(
        RenewalCase.objects.filter(
            AnyOf(F("pk"), subject_ids),
            policy__holder__in=Client.objects.visible_to(user).values("pk"),
        ).values_list("pk", flat=True)
    )


class CaseRow(Row):
    """What a renewal card, the maintainers' card and the export read of a case, as plain
    values (``policies.rows``)."""

    _model = RenewalCase


CASE_FIELDS = ("id", "last_premium", "grade")
RESULT_FIELDS = ("item__subject_id", "result", "note", "callback_at", "at", "by__first_name",
                 "by__last_name", "by__username")  # fmt: skip

# The cards' two queries compiled once per process (workqueue.rows: building and compiling
# them, and reading the cases with policy, insurer and client as model instances, cost some
# 2 ms of a page of renewal cards).
_CASES = CompiledRows(
    lambda ids: (
        RenewalCase.objects.filter(AnyOf(F("pk"), ids))
        .annotate(**stored_numbers("policy__holder__"))
        .order_by()
        .values_list(*CASE_FIELDS, *policy_row_fields("policy__"), "call_phone", "call_whatsapp")
    ),
    [ID_MARKS[0]],
)
_RESULTS = CompiledRows(
    lambda ids: (
        ItemResult.objects.filter(item__kind__in=TOUCH_KINDS)
        .filter(AnyOf(F("item__subject_id"), ids))
        .order_by("at", "pk")
        .values_list(*RESULT_FIELDS)
    ),
    [ID_MARKS[0]],
)


def renewal_context(items) -> dict[int, dict]:
    """Two queries for any number of items, sent together in one round trip
    (``workqueue.rows.rows_together``): the cases with policy, client and insurer, and every
    result logged on any touch of those cases. Each is compiled once per process and read as
    rows, what the cards read of them as plain values (``CaseRow``,
    ``policies.rows.PolicyRow``…)."""
    subject_ids = sorted({item.subject_id for item in items})
    found, logged = rows_together((_CASES, [subject_ids]), (_RESULTS, [subject_ids]))
    n_case, n_policy = len(CASE_FIELDS), POLICY_ROW_WIDTH
    cases = {}
    for row in found:
        pk, last_premium, grade = row[:n_case]
        cases[pk] = CaseRow(
            pk=pk, id=pk, last_premium=last_premium, grade=grade,
            policy=policy_from_row(row[n_case : n_case + n_policy]),
            call_phone=row[-2], call_whatsapp=row[-1],
        )  # fmt: skip
    results = defaultdict(list)
    for values in logged:
        row = dict(zip(RESULT_FIELDS, values, strict=True))
        label = kinds.result_label(row["result"], kind=RENEWAL_KIND)
        results[row["item__subject_id"]].append({**row, "label": label})
    return _build(items, cases, results)


def _build(items, cases, results) -> dict[int, dict]:
    today = timezone.localdate()
    context = {}
    back = urlencode({"next": reverse("workqueue:queue")})
    renew_url, elsewhere_url = pk_url("renewals:renew"), pk_url("renewals:elsewhere")
    for item in items:
        case = cases.get(item.subject_id)
        if case is None:
            continue
        policy = case.policy
        client = policy.holder
        phone, whatsapp = stored_call_links(case)
        context[item.pk] = {
            "case": case,
            "policy": policy,
            "client": client,
            "days_left": (policy.end_date - today).days,
            "phone": phone,
            "whatsapp_url": whatsapp,
            "previous": results.get(case.pk, []),
            "is_auto": policy.line == Line.AUTO,
            "renew_url": f"{renew_url(case.pk)}?{back}&item={item.pk}",
            "elsewhere_url": f"{elsewhere_url(case.pk)}?{back}&item={item.pk}",
        }
    return context


def renewal_handed_out(*, assignments: dict[int, int], by=None) -> None:
    """A shared renewal makes its agent the owner of a client who has no active owner (a lead,
    a departed agent's client), so that the agent can open the client file."""
    owners = {
        holder_id: assignments[case_id]
        for case_id, holder_id in RenewalCase.objects.filter(pk__in=list(assignments)).values_list(
            "pk", "policy__holder_id"
        )
    }
    clients_take_owner(owners=owners, by=by)


def renewal_after_result(*, item, result, by) -> str | None:
    """ "Interested" opens the renewal quotation: the same insurer at last year's premium first."""
    from .services import renewal_quote

    if result != INTERESTED.code:
        return None
    case = RenewalCase.objects.select_related("policy__holder", "policy__insurer").get(
        pk=item.subject_id
    )
    quotation = renewal_quote(case=case, by=by)
    return reverse("policies:quotation", args=[quotation.pk])


def _ctx(name):
    return lambda item: item.ctx.get(name)


def _case(name):
    return lambda item: getattr(item.ctx["case"], name) if item.ctx.get("case") else None


EXPORT_COLUMNS = (
    kinds.ExportColumn(
        "client", _("Client"), lambda i: i.ctx["client"].display_name if "client" in i.ctx else ""
    ),
    kinds.ExportColumn("phone", _("Phone"), lambda i: str(i.ctx.get("phone") or "")),
    kinds.ExportColumn(
        "policy", _("Policy"), lambda i: i.ctx["policy"].number if "policy" in i.ctx else ""
    ),
    kinds.ExportColumn(
        "ends", _("Ends"), lambda i: i.ctx["policy"].end_date if "policy" in i.ctx else None
    ),
    kinds.ExportColumn("days_left", _("Days left"), _ctx("days_left")),
    kinds.ExportColumn("last_premium", _("Last premium"), _case("last_premium")),
    kinds.ExportColumn("grade", _("Grade"), lambda i: _case("grade")(i) or ""),
)


def register_kinds() -> None:
    from .cards import renewal_card_html
    from .services import renewal_handle_result, renewal_lock_subject

    kinds.register(
        kinds.WorkKind(
            name=RENEWAL_KIND,
            label=_("Renewals"),
            order=10,
            results=RENEWAL_RESULTS,
            result_handler=renewal_handle_result,
            lock_subject=renewal_lock_subject,
            owners=renewal_owners,
            handed_out=renewal_handed_out,
            clients_of=renewal_clients_of,
            subjects_of_clients=renewal_subjects_of_clients,
            visible_to=renewal_visible_to,
            after_result=renewal_after_result,
            context=renewal_context,
            card_template="renewals/_call_item.html",
            card_html=renewal_card_html,
            maintainer_template="renewals/_maintainer_item.html",
            export_columns=EXPORT_COLUMNS,
        )
    )
    kinds.register(
        kinds.WorkKind(
            name=LAPSED_KIND,
            label=_("Lapsed over 48 hours"),
            order=15,
            clients_of=renewal_clients_of,
            subjects_of_clients=renewal_subjects_of_clients,
            visible_to=renewal_visible_to,
            context=renewal_context,
            maintainer_template="renewals/_maintainer_item.html",
            export_columns=EXPORT_COLUMNS,
        )
    )
