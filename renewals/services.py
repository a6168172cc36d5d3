"""What a contact result means for a renewal case, and the won and lost flows."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.services import client_log_call_result, interaction_log
from policies.models import Insurer, Policy, QuotationKind, QuotationStatus
from policies.renewing import renewal_terms
from policies.services import insurer_market_get_or_create, policy_create, quotation_create
from workqueue.models import ItemStatus, Queue, WorkItem
from workqueue.results import MAX_FAILED_ATTEMPTS
from workqueue.services import item_record_result, items_close, points_award

from . import timeline
from .kind import DECLINED, LAPSED_KIND, RENEWAL_KIND, RENEWED, RENEWED_ELSEWHERE, VEHICLE_SOLD
from .models import CaseStatus, ClientType, CompetitorWhy, Grade, LostReason, RenewalCase

LOST_BY_RESULT = {
    DECLINED.code: LostReason.DECLINED,
    VEHICLE_SOLD.code: LostReason.VEHICLE_SOLD,
    RENEWED_ELSEWHERE.code: LostReason.RENEWED_ELSEWHERE,
}


# A case is won or lost from several places at once (the renew page, a result logged on the
# call list, a renewal quote bought, an import): each locks the case's open touches, then the
# case, in that one order. The call list's result locks its touch before the kind's handler
# runs (workqueue.services.item_record_result), so the touches come first everywhere; a case
# locked first would deadlock with it (renew and "declined" at the same moment).
CLOSABLE = (CaseStatus.OPEN, CaseStatus.LAPSED)


def _lock_case(case_id: int, *, related=()) -> RenewalCase:
    """Lock the case's open touches (by id), then the case; the case as it is now."""
    # A lock taken to serialise with the queue's own writes; the queue's service does them.
    list(
        WorkItem.objects.select_for_update()
        .filter(kind=RENEWAL_KIND, subject_id=case_id, status=ItemStatus.OPEN)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return (
        RenewalCase.objects.select_for_update(of=("self",))
        .select_related("policy__holder", "policy__insurer", *related)
        .get(pk=case_id)
    )


def renewal_lock_subject(case_id: int) -> None:
    """The renewal kind's lock before a result is logged on one of its touches: the same order
    as every renewal path (the case's open touches by id, then the case)."""
    _lock_case(case_id)


def renewal_policy_reinstated(*, policy: Policy, by) -> int:
    """A lapsed policy reinstated (policies.hooks.on_policy_reinstated): the maintainers'
    follow-up of its lapse is moot, cancelled. The case stays lapsed: the policy did lapse.
    Returns the items cancelled."""
    lapsed = RenewalCase.objects.filter(policy=policy, status=CaseStatus.LAPSED).values_list(
        "pk", flat=True
    )
    return items_close(kind=LAPSED_KIND, subject_ids=list(lapsed), status=ItemStatus.CANCELLED)


def _close_items(case: RenewalCase, *, result: str = "") -> None:
    """Close the case's open touches (a result is set when one is given)."""
    items_close(kind=RENEWAL_KIND, subject_ids=[case.pk], result=result)


def renewal_handle_result(*, item, result, by, note, details, failed_attempts) -> None:
    """The renewal kind's result handler (registered in RenewalsConfig.ready)."""
    if result == RENEWED.code:
        # Recorded by the renewal hook (renewal_policy_renewed), which writes the client's
        # timeline itself, naming the new policy: one entry for the call, not two.
        return
    case = RenewalCase.objects.select_related("policy__holder", "policy__insurer").get(
        pk=item.subject_id
    )
    client = case.policy.holder
    client_log_call_result(
        client=client, by=by, message=timeline.RESULT,
        params={"policy": str(case.policy), "result": result, "note": note or ""},
        inaccurate=failed_attempts >= MAX_FAILED_ATTEMPTS,
    )  # fmt: skip
    if result in LOST_BY_RESULT:
        renewal_lose(
            case=case,
            by=by,
            reason=LOST_BY_RESULT[result],
            lost_to=details.get("lost_to"),
            lost_why=details.get("lost_why", ""),
            note=note,
        )


@transaction.atomic
def renewal_lose(
    *,
    case: RenewalCase,
    by,
    reason: str,
    lost_to: Insurer | None = None,
    lost_why: str = "",
    note: str = "",
) -> RenewalCase:
    case = _lock_case(case.pk)
    if case.status != CaseStatus.OPEN:
        raise ValidationError(_("This renewal is already closed."))
    if reason not in LostReason.values:
        raise ValidationError({"reason": _("Unknown reason.")})
    if reason == LostReason.RENEWED_ELSEWHERE and lost_to is None:
        raise ValidationError({"lost_to": _("Say which insurer the client renewed with.")})
    if lost_why and lost_why not in CompetitorWhy.values:
        raise ValidationError({"lost_why": _("Unknown reason.")})
    case.status = CaseStatus.LOST
    case.lost_why = lost_why
    case.outcome_reason = reason
    case.lost_to = lost_to
    case.outcome_note = note
    case.closed_at = timezone.now()
    case.closed_by = by
    case.save()
    _close_items(case)
    return case


@transaction.atomic
def renewal_grade(*, case: RenewalCase, by, grade: str, client_type: str) -> RenewalCase:
    """Grade a renewal (A sure … D likely lost) and say what kind of client it is."""
    if grade and grade not in Grade.values:
        raise ValidationError({"grade": _("Unknown grade.")})
    if client_type and client_type not in ClientType.values:
        raise ValidationError({"client_type": _("Unknown client type.")})
    case.grade = grade
    case.client_type = client_type
    case.save(update_fields=["grade", "client_type"])
    return case


@transaction.atomic
def renewal_record_elsewhere(
    *,
    case: RenewalCase,
    by,
    lost_to: Insurer | None = None,
    other_insurer: str = "",
    lost_why: str,
    note: str = "",
    item=None,
) -> RenewalCase:
    """The client renewed with another insurer: one of the market's (``lost_to``), or one
    the agent names (``other_insurer``: found by name, else created market-only), exactly
    one of the two. From the call list the result is logged on the agent's touch (timeline,
    the item closed, the case lost through the handler); otherwise the case is closed as
    lost directly."""
    other_insurer = (other_insurer or "").strip()
    if lost_to is None and not other_insurer:
        raise ValidationError(
            {"lost_to": _("Choose the insurer the client renewed with, or type its name.")}
        )
    if lost_to is not None and other_insurer:
        raise ValidationError(
            {"other_insurer": _("Choose the insurer from the list or type its name, not both.")}
        )
    if other_insurer:
        try:
            lost_to = insurer_market_get_or_create(name=other_insurer, by=by)
        except ValidationError as exc:
            errors = exc.message_dict.get("name", exc.messages)
            raise ValidationError({"other_insurer": errors}) from exc
        field = "other_insurer"
    else:
        field = "lost_to"
    if lost_to.pk == case.policy.insurer_id:
        raise ValidationError(
            {field: _("That is the policy's own insurer: choose the one the client went to.")}
        )
    if item is not None:
        item_record_result(
            item=item, by=by, result=RENEWED_ELSEWHERE.code, note=note, page=True,
            details={"lost_to": lost_to, "lost_why": lost_why},
        )  # fmt: skip
        case.refresh_from_db()
        return case
    return renewal_lose(
        case=case, by=by, reason=LostReason.RENEWED_ELSEWHERE, lost_to=lost_to,
        lost_why=lost_why, note=note,
    )  # fmt: skip


def renewal_defaults(*, case: RenewalCase) -> dict:
    """The new policy as the agent would write it (policies.renewing.renewal_terms: same
    insurer, line, cover and vehicles, starting when the old one ends, for a year), at the
    quoted premium when there is one."""
    terms = renewal_terms(old=case.policy)
    terms["premium"] = case.quoted_premium or terms["premium"]
    return terms


def renewal_points(premium: Decimal) -> Decimal:
    """A won renewal earns a base plus an amount per 1,000 of premium (both settings)."""
    points = settings.RENEWAL_POINTS_BASE + premium / 1000 * settings.RENEWAL_POINTS_PER_THOUSAND
    return points.quantize(Decimal("0.01"))


def _award_points(*, case: RenewalCase, by, premium: Decimal) -> None:
    """Points go to the agent who won the renewal: the one closing it, or when a manager or
    maintainer records it, the agent of the old policy."""
    agent = by if getattr(by, "is_agent", False) else case.policy.agent
    if agent is None:
        return
    points_award(
        agent=agent,
        kind=RENEWAL_KIND,
        subject_id=case.pk,
        points=renewal_points(premium),
        premium=premium,
        reason=_("Renewal of %(policy)s") % {"policy": case.policy},
    )


@transaction.atomic
def renewal_renew(*, case: RenewalCase, by, number: str, vehicles=None, **fields) -> Policy:
    """The client renews: the new policy is created linked to the old one (policy_create),
    and policies.services.policy_renewed wins the case (renewal_policy_renewed)."""
    case = _lock_case(case.pk)
    if case.status not in CLOSABLE:
        raise ValidationError(_("This renewal is already closed."))
    old = case.policy
    if vehicles is None:
        vehicles = renewal_terms(old=old)["vehicles"]
    return policy_create(
        by=by, holder=old.holder, previous_policy=old, vehicles=vehicles or [], number=number,
        agent=old.holder.owner or old.agent, **fields,
    )  # fmt: skip


@transaction.atomic
def renewal_policy_renewed(*, old: Policy, new: Policy, by) -> None:
    """The hook every renewal ends in (registered with policies.renewing.on_policy_renewed in
    RenewalsConfig.ready): the case of the old policy is won with the new one, its open
    touches close as renewed, the agent earns the points and the client's timeline says so.
    A case lost or lapsed is won all the same: the client did renew. A policy with no case
    (renewed before its ladder began) has nothing to close."""
    case_id = RenewalCase.objects.filter(policy=old).values_list("pk", flat=True).first()
    if case_id is None:
        return
    case = _lock_case(case_id)
    if case.status == CaseStatus.WON:
        if case.new_policy_id == new.pk:
            return
        raise ValidationError(
            _("%(old)s was already renewed as %(new)s.") % {"old": old, "new": case.new_policy}
        )
    if case.status == CaseStatus.CANCELLED:
        return
    case.status = CaseStatus.WON
    case.new_policy = new
    case.outcome_reason, case.lost_to, case.lost_why = "", None, ""
    case.quoted_premium = case.quoted_premium or new.premium
    case.closed_at = timezone.now()
    case.closed_by = by
    case.save()
    _touches_renewed(case, by=by)
    _award_points(case=case, by=by, premium=new.premium)
    interaction_log(
        client=old.holder, by=by, channel="call", message=timeline.RENEWED,
        params={"old": str(old), "new": str(new), "result": RENEWED.code},
    )  # fmt: skip


def _touches_renewed(case: RenewalCase, *, by) -> None:
    """The case is won: the touch in the renewing agent's own call list ends with "renewed"
    recorded like every other result (workqueue.services.item_record_result: a result row, an
    attempt; the renew page, or the renewal quote's buy page, is where that result is
    recorded), once for the case: a second touch of it (rungs caught up), or one in someone
    else's queue (another agent's, the maintainers'), closes with the result named, as the
    work is over. The case and its touches are locked already (_lock_case), in the order a
    result logged on a touch takes."""
    open_touches = WorkItem.objects.filter(
        kind=RENEWAL_KIND, subject_id=case.pk, status=ItemStatus.OPEN
    )
    mine = open_touches.filter(agent=by, queue=Queue.AGENT).order_by("pk").first()
    if mine is not None:
        item_record_result(item=mine, by=by, result=RENEWED.code, page=True)
    _close_items(case, result=RENEWED.code)


@transaction.atomic
def renewal_quote(*, case: RenewalCase, by):
    """ "Interested": open the renewal quotation, the same insurer at last year's premium
    first; the agent adds the alternatives for the same cover. The case keeps its quotation:
    asking again opens the same one while it is open."""
    case = _lock_case(case.pk, related=("quotation",))
    if case.quotation is not None and case.quotation.status == QuotationStatus.OPEN:
        return case.quotation
    old = case.policy
    case.quotation = quotation_create(
        client=old.holder,
        by=by,
        line=old.line,
        description=_("Renewal of %(policy)s") % {"policy": old},
        renews=old,
        kind=QuotationKind.RENEWAL,
        quotes=[
            {
                "insurer": old.insurer,
                "premium": case.last_premium,
                "currency": old.currency,
                "coverage": old.coverage,
                "valid_until": max(old.end_date, timezone.localdate() + timedelta(days=1)),
            }
        ],
    )
    case.save(update_fields=["quotation"])
    return case.quotation
