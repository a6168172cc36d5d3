"""What a payment-due result means for the instalment, and what a payment means for the
payment-due work (issue 15):

- "promised to pay" records a ``PaymentPromise``; a promise not kept by its date is broken by
  the morning run, which brings the item back the day after (``billing.jobs``);
- "policy to cancel" puts the policy on the managers' at-risk list (one open entry per policy);
- a payment that settles an instalment closes its open payment items, keeps its open promises
  (or marks them broken when paid after the date promised) and takes its policy off the at-risk
  list; registered with ``billing.payments.register_paid_hook`` in BillingConfig.ready;
- a manager decides an at-risk policy: cancel it (its future instalments are cancelled with
  it) or keep it in force.

Only ``workqueue.services`` writes work items: this module calls it.
"""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, OuterRef, Subquery, Value, When
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from brokerage.core.bulk import AnyOf, update_with_history
from clients.services import client_log_call_result
from policies.models import PolicyStatus
from policies.services import policy_cancel
from workqueue.models import ItemStatus
from workqueue.results import MAX_FAILED_ATTEMPTS
from workqueue.services import item_create, items_close

from . import timeline
from .kind import PAID, PAYMENT_KIND, PROMISED, REFUSES, TO_CANCEL
from .models import (
    OPEN_STATUSES,
    CancellationRisk,
    Instalment,
    InstalmentStatus,
    PaymentPromise,
    PromiseStatus,
    RiskSource,
    RiskStatus,
)

# How far ahead a promise to pay may be.
PROMISE_MAX_DAYS = 60


def promise_date_problem(promised_on: date | None, today: date) -> str:
    if promised_on is None:
        return _("Give the date the client promised to pay by.")
    if promised_on < today:
        return _("The promised date cannot be in the past.")
    if promised_on > today + timedelta(days=PROMISE_MAX_DAYS):
        return _("A promise to pay can be at most %(days)d days ahead.") % {
            "days": PROMISE_MAX_DAYS
        }
    return ""


def payment_handle_result(*, item, result, by, note, details, failed_attempts) -> None:
    """Runs inside the result's transaction (workqueue.services.item_record_result). Every
    result goes on the client's timeline; the last allowed failed attempt marks the client's
    contact inaccurate, as for renewals."""
    instalment = Instalment.objects.select_related("policy__holder", "policy__insurer").get(
        pk=item.subject_id
    )
    if result == PROMISED.code:
        problem = promise_date_problem(details.get("promised_on"), timezone.localdate())
        if problem:
            raise ValidationError({"promised_on": problem})
        PaymentPromise.objects.create(
            instalment=instalment, promised_on=details["promised_on"], made_by=by, note=note[:255]
        )
    elif result == REFUSES.code:
        if not note.strip():
            raise ValidationError({"note": _("Say why the client refuses to pay.")})
    elif result == TO_CANCEL.code:
        risk_open(instalment=instalment, source=RiskSource.AGENT, by=by, note=note)
    policy = instalment.policy
    client_log_call_result(
        client=policy.holder, by=by, message=timeline.RESULT,
        params={
            "policy": f"{policy.insurer} {policy.number}", "result": result,
            "instalment": f"{instalment.number}/{instalment.count}", "note": note or "",
        },
        inaccurate=failed_attempts >= MAX_FAILED_ATTEMPTS,
    )  # fmt: skip


def risk_open(*, instalment: Instalment, source: str, by=None, note: str = "") -> CancellationRisk:
    """Put the instalment's policy on the at-risk list, unless it is there already (then that
    entry is returned)."""
    existing = CancellationRisk.objects.filter(
        policy_id=instalment.policy_id, status=RiskStatus.OPEN
    ).first()
    if existing is not None:
        return existing
    risk = CancellationRisk(
        policy_id=instalment.policy_id, instalment=instalment, source=source,
        opened_on=timezone.localdate(), note=note[:255],
    )  # fmt: skip
    risk._history_user = by
    try:
        with transaction.atomic():
            risk.save()
    except IntegrityError:
        # Opened at the same moment by someone else (or the morning run): that one it is.
        return CancellationRisk.objects.get(policy_id=instalment.policy_id, status=RiskStatus.OPEN)
    return risk


def payment_paid_hook(*, payment, instalments) -> None:
    """Close what a payment settles (see the module's docstring)."""
    paid = [i.pk for i in instalments if i.status == InstalmentStatus.PAID]
    if not paid:
        return
    items_close(kind=PAYMENT_KIND, subject_ids=paid, result=PAID.code)
    promises = PaymentPromise.objects.filter(instalment_id__in=paid, status=PromiseStatus.OPEN)
    promises.filter(promised_on__gte=payment.paid_on).update(
        status=PromiseStatus.KEPT, settled_on=payment.paid_on
    )
    promises.update(status=PromiseStatus.BROKEN, settled_on=payment.paid_on)
    now = timezone.now()
    for risk in CancellationRisk.objects.filter(instalment_id__in=paid, status=RiskStatus.OPEN):
        risk.status, risk.decided_at = RiskStatus.PAID, now
        risk.decided_by = payment.recorded_by
        risk._history_user = payment.recorded_by
        risk.save(update_fields=["status", "decided_at", "decided_by"])


def instalments_calls_close(*, instalment_ids) -> int:
    """Close the open payment calls of instalments that are no longer owed (cancelled with
    their policy, or dropped by a re-plan)."""
    return items_close(
        kind=PAYMENT_KIND, subject_ids=list(instalment_ids), status=ItemStatus.CANCELLED
    )


def policy_cancelled(*, policy, by) -> None:
    """A policy cancelled (on its page, or by a manager from the at-risk list): no more calls
    about its instalments, and it leaves the at-risk list."""
    instalments_calls_close(
        instalment_ids=Instalment.objects.filter(policy=policy).values_list("pk", flat=True)
    )
    now = timezone.now()
    for risk in CancellationRisk.objects.filter(policy=policy, status=RiskStatus.OPEN):
        risk.status, risk.decided_by, risk.decided_at = RiskStatus.CANCELLED, by, now
        risk._history_user = by
        risk.save(update_fields=["status", "decided_by", "decided_at"])


def payment_balance_call(*, item, payment) -> None:
    """A payment logged from a call that leaves the call's instalment still owing (a part
    payment, or money that went to an older instalment first): the call is done ("paid"), and
    the balance gets a call of its own the next day, on the same agent's list."""
    instalment = Instalment.objects.select_related("policy__holder").get(pk=item.subject_id)
    if instalment.status not in OPEN_STATUSES:
        return
    item_create(
        kind=PAYMENT_KIND, subject_id=instalment.pk, key=f"balance-{payment.pk}",
        title=item.title, due_on=timezone.localdate() + timedelta(days=1), agent=item.agent_id,
        queue=item.queue, priority=item.priority,
    )  # fmt: skip


# --- The managers' decision -----------------------------------------------------------------


@transaction.atomic
def risk_decide(
    *, risk: CancellationRisk, by, decision: str, note: str = "", on: date | None = None
) -> CancellationRisk:
    """Cancel the policy (``decision="cancel"``, effective ``on``; its future instalments are
    cancelled with it) or keep it in force (``"keep"``, with why). Decided once: a second
    decision, or one on a policy no longer active, is refused."""
    risk = CancellationRisk.objects.select_for_update().select_related("policy").get(pk=risk.pk)
    if risk.status != RiskStatus.OPEN:
        raise ValidationError(
            _("This policy was already decided: %(status)s.")
            % {"status": risk.get_status_display().lower()}
        )
    note = (note or "").strip()
    if decision == "cancel":
        # Read before the cancellation cancels the instalments due after its date.
        owed = list(
            Instalment.objects.filter(policy=risk.policy, status__in=OPEN_STATUSES).values_list(
                "pk", flat=True
            )
        )
        if risk.policy.status != PolicyStatus.ACTIVE:
            raise ValidationError(
                _("The policy is no longer active (%(status)s): there is nothing to cancel.")
                % {"status": risk.policy.get_status_display().lower()}
            )
        # The calls end as the manager's decision, before the cancellation's hooks run.
        items_close(kind=PAYMENT_KIND, subject_ids=owed, result=TO_CANCEL.code)
        policy_cancel(
            policy=risk.policy, by=by, on=on or timezone.localdate(),
            reason=note or _("Not paid: instalment due on %(due)s.") % {
                "due": date_format(risk.instalment.due_on, "SHORT_DATE_FORMAT")
            },
        )  # fmt: skip
        risk.status = RiskStatus.CANCELLED
    elif decision == "keep":
        if not note:
            raise ValidationError({"note": _("Say why the policy is kept in force.")})
        risk.status = RiskStatus.KEPT
    else:
        raise ValidationError(_("Choose to cancel the policy or to keep it."))
    risk.decided_by, risk.decided_at = by, timezone.now()
    risk.note = note[:255]
    risk._history_user = by
    risk.save(update_fields=["status", "decided_by", "decided_at", "note"])
    return risk


def payments_paid_hook(*, payments, instalments) -> None:
    """``payment_paid_hook`` for a batch of payments (``billing.payments.payments_record_many``,
    one recorder), set-based: the instalments now paid get their payment items closed, their
    open promises kept (paid by the date promised) or broken, and their open at-risk entry
    closed as paid, each with its history row."""
    paid = [i.pk for i in instalments if i.status == InstalmentStatus.PAID]
    if not paid:
        return
    by = payments[0].recorded_by if payments else None
    items_close(kind=PAYMENT_KIND, subject_ids=paid, result=PAID.code)
    paid_on = Subquery(Instalment.objects.filter(pk=OuterRef("instalment_id")).values("paid_on"))
    PaymentPromise.objects.filter(
        AnyOf(F("instalment_id"), paid), status=PromiseStatus.OPEN
    ).update(
        status=Case(
            When(promised_on__gte=paid_on, then=Value(PromiseStatus.KEPT)),
            default=Value(PromiseStatus.BROKEN),
        ),
        settled_on=paid_on,
    )
    update_with_history(
        CancellationRisk,
        values={
            "status": RiskStatus.PAID, "decided_at": timezone.now(),
            "decided_by_id": by.pk if by is not None else None,
        },
        where="instalment_id = ANY(%s::bigint[]) AND status = %s",
        params=[paid, RiskStatus.OPEN], by=by, touch=None,
    )  # fmt: skip
