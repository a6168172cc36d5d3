"""Recording a client's payment against their instalments (issue 15, "Payments and receipts").

``payment_record`` is the one writer of payments and of what they change on instalments:

- The money goes to the instalments chosen, or, when none are chosen, to the client's open
  instalments in the payment's currency, oldest due date first. Each instalment takes at most
  what it still owes, so one payment may settle several instalments and an instalment may be
  paid in parts (partial payments are allowed).
- An overpayment is refused. A payment larger than what the chosen (or open) instalments still
  owe raises a ``ValidationError`` on ``amount`` that says how much is owed: Cartera keeps no
  credit balance, so no money is ever held silently against a future instalment. The person
  recording it corrects the amount or chooses more instalments.
- The instalments are locked (``SELECT … FOR UPDATE``, in primary-key order so that two
  payments never wait on each other crosswise) before what they owe is read: two payments
  recorded at once for the same instalment are applied one after the other, and the second is
  refused if the first left too little owing.
- A ``token`` (the form's hidden UUID) makes the call idempotent: a double click or a retried
  POST returns the payment already recorded with that token instead of recording it twice (the
  unique index on ``Payment.token`` decides between two requests that arrive at once).
- Every instalment changed is saved with its history (who recorded the payment, and when).
- ``PAID_HOOKS`` are called inside the same transaction with the payment and the instalments it
  settled or part-settled: the payment-due work kind registers there to close its open items.
"""

import uuid
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from brokerage.accounts.models import User
from clients.models import Client

from .models import (
    CENT,
    OPEN_STATUSES,
    Allocation,
    Instalment,
    InstalmentStatus,
    Payment,
    PaymentMethod,
)

ZERO = Decimal("0.00")
EARLIEST_PAYMENT = date(1900, 1, 1)

# Called as hook(payment=..., instalments=[...]) inside the payment's transaction, with the
# instalments the payment changed (their new paid_amount and status already saved). A hook that
# raises rolls the payment back.
PaidHook = Callable[..., None]
PAID_HOOKS: list[PaidHook] = []


def register_paid_hook(hook: PaidHook) -> PaidHook:
    """Call ``hook`` for every payment recorded from now on (usable as a decorator)."""
    if hook not in PAID_HOOKS:
        PAID_HOOKS.append(hook)
    return hook


def open_instalments(*, client: Client):
    """The client's instalments still owed (of the policies they hold), oldest due first."""
    return (
        Instalment.objects.filter(policy__holder=client, status__in=OPEN_STATUSES)
        .select_related("policy", "policy__insurer")
        .order_by("due_on", "policy_id", "number", "pk")
    )


def _status_after(instalment: Instalment) -> str:
    """An open or paid instalment's status from what is paid on it (a payment recorded or
    voided)."""
    if instalment.paid_amount >= instalment.amount:
        return InstalmentStatus.PAID
    # An overdue instalment paid in part is still overdue: its paid amount shows the part.
    if instalment.status == InstalmentStatus.OVERDUE:
        return InstalmentStatus.OVERDUE
    return InstalmentStatus.PARTLY_PAID if instalment.paid_amount > 0 else InstalmentStatus.PENDING


def can_void_payments(user) -> bool:
    """Voiding undoes money received: a manager or a CRM maintainer does it, not the agent who
    recorded the payment (who asks one of them)."""
    return user is not None and (
        user.has_perm("accounts.manage_team") or user.has_perm("accounts.distribute_work")
    )


@transaction.atomic
def payment_record(
    *,
    client: Client,
    by: User | None,
    amount: Decimal,
    currency: str,
    method: str,
    paid_on: date,
    reference: str = "",
    instalments: Iterable[Instalment] | None = None,
    token: uuid.UUID | None = None,
) -> Payment:
    """Record ``amount`` paid by ``client`` and allocate it (see the module's docstring).

    Returns the new payment, or the one already recorded with ``token``. Raises
    ``ValidationError`` (by field) when the amount is not positive, the method or currency is
    unknown, a chosen instalment is not an open one of this client or is in another currency,
    or the amount is more than what is owed.
    """
    amount = Decimal(amount)
    if token is not None:
        existing = Payment.objects.filter(token=token).first()
        if existing is not None:
            return existing
    errors = {}
    if not amount.is_finite() or amount < CENT:
        errors["amount"] = _("The amount must be at least 0.01.")
    elif amount != amount.quantize(CENT):
        errors["amount"] = _("The amount cannot have more than two decimals.")
    if method not in PaymentMethod.values:
        errors["method"] = _("Choose a payment method.")
    if paid_on > timezone.localdate():
        errors["paid_on"] = _("The payment date cannot be in the future.")
    elif paid_on < EARLIEST_PAYMENT:
        errors["paid_on"] = _("The payment date cannot be before %(date)s.") % {
            "date": date_format(EARLIEST_PAYMENT, "DATE_FORMAT")
        }
    if errors:
        raise ValidationError(errors)

    payment = Payment(
        client=client, amount=amount, currency=currency, method=method, paid_on=paid_on,
        reference=reference.strip(), recorded_by=by, token=token,
    )  # fmt: skip
    payment.full_clean(exclude=["token"])
    payment._history_user = by
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError:
        # The same token was recorded by a request that committed first: that payment it is.
        if token is not None:
            existing = Payment.objects.filter(token=token).first()
            if existing is not None:
                return existing
        raise

    chosen = None if instalments is None else sorted({i.pk for i in instalments})
    targets = _lock_targets(client=client, currency=currency, chosen=chosen)
    outstanding = sum((i.outstanding for i in targets), ZERO)
    if outstanding == 0:
        raise ValidationError(
            {"amount": _("Nothing is owed in %(currency)s.") % {"currency": currency}}
        )
    if amount > outstanding:
        raise ValidationError(
            {
                "amount": _(
                    "The amount is more than what is owed (%(owed)s %(currency)s): "
                    "an overpayment is not recorded. Record the amount owed or choose more "
                    "instalments."
                )
                % {
                    "owed": number_format(outstanding, 2, force_grouping=True),
                    "currency": currency,
                }
            }
        )

    left = amount
    changed = []
    allocations = []
    for instalment in targets:
        if left <= 0:
            break
        share = min(left, instalment.outstanding)
        if share <= 0:
            continue
        left -= share
        instalment.paid_amount += share
        instalment.status = _status_after(instalment)
        if instalment.status == InstalmentStatus.PAID:
            instalment.paid_on = paid_on
        instalment._history_user = by
        instalment.save(update_fields=["paid_amount", "status", "paid_on"])
        allocations.append(Allocation(payment=payment, instalment=instalment, amount=share))
        changed.append(instalment)
    Allocation.objects.bulk_create(allocations)
    for hook in list(PAID_HOOKS):
        hook(payment=payment, instalments=changed)
    return payment


@transaction.atomic
def payment_void(*, payment: Payment, by: User | None, reason: str) -> None:
    """Undo a payment recorded by mistake: what it allocated is taken off its instalments (their
    status and paid date follow what is left paid) and the payment is deleted. Its history keeps
    it, with who voided it and why; a cancelled or waived instalment keeps its status."""
    if not can_void_payments(by):
        raise PermissionDenied(_("A manager or a CRM maintainer voids payments."))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the payment is voided.")})
    allocations = {a.instalment_id: a.amount for a in payment.allocations.all()}
    locked = Instalment.objects.select_for_update().filter(pk__in=allocations).order_by("pk")
    for instalment in locked:
        instalment.paid_amount = max(instalment.paid_amount - allocations[instalment.pk], ZERO)
        if instalment.status in OPEN_STATUSES or instalment.status == InstalmentStatus.PAID:
            instalment.status = _status_after(instalment)
        if instalment.status != InstalmentStatus.PAID:
            instalment.paid_on = None
        instalment._history_user = by
        instalment._change_reason = reason[:100]
        instalment.save(update_fields=["paid_amount", "status", "paid_on"])
    payment._history_user = by
    payment._change_reason = reason[:100]
    payment.delete()


def _lock_targets(*, client: Client, currency: str, chosen: list[int] | None) -> list:
    """The instalments to pay, locked in primary-key order, then in the order they are paid."""
    qs = Instalment.objects.filter(policy__holder=client, status__in=OPEN_STATUSES)
    if chosen is not None:
        if not chosen:
            raise ValidationError({"instalments": _("Choose at least one instalment.")})
        qs = qs.filter(pk__in=chosen)
    else:
        qs = qs.filter(currency=currency)
    locked = list(qs.select_for_update(of=("self",)).order_by("pk"))
    if chosen is not None:
        if len(locked) != len(chosen):
            raise ValidationError(
                {"instalments": _("An instalment chosen is no longer open for this client.")}
            )
        if any(i.currency != currency for i in locked):
            raise ValidationError(
                {
                    "currency": _(
                        "The instalments chosen are owed in another currency than the payment's."
                    )
                }
            )
    return sorted(locked, key=lambda i: (i.due_on, i.policy_id, i.number, i.pk))


def payment_allocations(*, payment: Payment) -> list[Allocation]:
    """What the payment settled, with each instalment's policy and insurer."""
    return list(
        payment.allocations.select_related("instalment__policy__insurer").order_by(
            "instalment__due_on", "instalment__policy_id", "instalment__number"
        )
    )


def payments_visible_to(user: User):
    """Payments of the clients the user may see (clients.Client.objects.visible_to)."""
    return Payment.objects.filter(client__in=Client.objects.visible_to(user).values("pk"))


def payment_for_user(*, user: User, pk: int) -> Payment:
    """The payment, or 404 if the user may not see its client."""
    return get_object_or_404(
        payments_visible_to(user).select_related("client", "recorded_by"), pk=pk
    )


def policy_instalments(*, policy) -> list[Instalment]:
    """The policy's instalments in order (one query), for its page."""
    return list(Instalment.objects.filter(policy=policy).order_by("number", "pk"))


def policy_payments(*, policy) -> list[Payment]:
    """The payments that settled any of the policy's instalments, newest first (one query)."""
    return list(
        Payment.objects.filter(
            pk__in=Allocation.objects.filter(instalment__policy=policy).values("payment_id")
        ).select_related("recorded_by")
    )
