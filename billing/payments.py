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
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Model
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from brokerage.accounts.models import User
from brokerage.core.bulk import AnyOf
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


# --- Many payments at once (an insurer's collection report) ----------------------------------
#
# ``payments_record_many`` records a batch of payments, one instalment each, in a fixed number
# of queries whatever the batch's size: the same rules and the same rows as ``payment_record``
# (payments and their history, allocations, the instalments' new paid amount, status and paid
# date with their history, what the hooks close), but read, checked and written set-based.

# Called as hook(payments=[...], instalments=[...]) once per batch, inside its transaction, with
# the payments recorded and the instalments they changed. Each is the batch form of one of
# PAID_HOOKS (its ``batch_of``): that hook is not called per payment for a batch. A PAID_HOOK
# without a batch form is called once per payment of the batch.
PAID_MANY_HOOKS: list[PaidHook] = []


def register_paid_many_hook(hook: PaidHook, *, replaces: PaidHook) -> PaidHook:
    """Call ``hook`` once per batch of payments recorded by ``payments_record_many`` instead of
    calling ``replaces`` (a PAID_HOOK) for each of them."""
    hook.batch_of = replaces
    if hook not in PAID_MANY_HOOKS:
        PAID_MANY_HOOKS.append(hook)
    return hook


@dataclass(frozen=True)
class PaymentSpec:
    """One payment of a batch: ``amount`` paid by ``client`` (a Client or its pk) towards one
    of their instalments (an Instalment or its pk)."""

    client: Client | int
    instalment: Instalment | int
    amount: Decimal
    currency: str
    method: str
    paid_on: date
    reference: str = ""
    token: uuid.UUID | None = None


@dataclass
class PaymentRecorded:
    """What became of a spec: its payment (new, or already recorded with its token), or the
    ``error`` (a ValidationError by field, as ``payment_record`` raises it) that refused it."""

    payment: Payment | None = None
    error: ValidationError | None = None
    already: bool = False  # recorded before with the spec's token

    @property
    def reason(self) -> str:
        return " ".join(self.error.messages) if self.error is not None else ""


def _pk(value) -> int:
    return value.pk if isinstance(value, Model) else int(value)


def _spec_errors(spec: PaymentSpec, amount: Decimal, today: date, methods: frozenset) -> dict:
    """What payment_record refuses before it looks at the instalments."""
    errors = {}
    if not amount.is_finite() or amount < CENT:
        errors["amount"] = _("The amount must be at least 0.01.")
    elif amount != amount.quantize(CENT):
        errors["amount"] = _("The amount cannot have more than two decimals.")
    if spec.method not in PaymentMethod.values:
        errors["method"] = _("Choose a payment method.")
    if len(spec.reference.strip()) > 100:
        errors["reference"] = _("The reference cannot be longer than 100 characters.")
    if spec.paid_on > today:
        errors["paid_on"] = _("The payment date cannot be in the future.")
    elif spec.paid_on < EARLIEST_PAYMENT:
        errors["paid_on"] = _("The payment date cannot be before %(date)s.") % {
            "date": date_format(EARLIEST_PAYMENT, "DATE_FORMAT")
        }
    return errors


def _instalment_error(spec, amount, instalment, client_id) -> dict:
    """What payment_record refuses once the (locked) instalment is read; ``instalment`` carries
    what earlier specs of the batch paid on it."""
    if (
        instalment is None
        or instalment.policy_holder != client_id
        or instalment.status not in OPEN_STATUSES
    ):
        return {"instalments": _("An instalment chosen is no longer open for this client.")}
    if instalment.currency != spec.currency:
        return {
            "currency": _("The instalments chosen are owed in another currency than the payment's.")
        }
    outstanding = instalment.outstanding
    if outstanding <= 0:
        return {"amount": _("Nothing is owed in %(currency)s.") % {"currency": spec.currency}}
    if amount > outstanding:
        return {
            "amount": _(
                "The amount is more than what is owed (%(owed)s %(currency)s): "
                "an overpayment is not recorded. Record the amount owed or choose more "
                "instalments."
            )
            % {
                "owed": number_format(outstanding, 2, force_grouping=True),
                "currency": spec.currency,
            }
        }
    return {}


def payments_record_many(*, specs: list[PaymentSpec], by: User | None) -> list[PaymentRecorded]:
    """Record each spec's payment (see ``payment_record``), in a fixed number of queries.

    One ``PaymentRecorded`` per spec, in their order. A spec is refused alone (its ``error``,
    nothing written for it) for what ``payment_record`` refuses: an amount below 0.01 or with
    more than two decimals, an unknown method, a date in the future, an instalment that is not
    an open one of the client, another currency, more than what is owed. Specs paying the same
    instalment are applied in their order. A spec whose token is already recorded returns that
    payment (``already``); the instalments are locked (primary-key order) before the tokens and
    what is owed are read, so two batches with the same tokens recorded at once record each
    payment once. All or nothing for the specs accepted. Each instalment changed gets one
    history row for the batch (its values after the batch's payments), by ``by``.
    """
    specs = list(specs)
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                return _record_many(specs, by)
        except IntegrityError:
            # A token recorded meanwhile by a payment_record on another instalment: read again.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _record_many(specs: list[PaymentSpec], by: User | None) -> list[PaymentRecorded]:
    results = [PaymentRecorded() for _spec in specs]
    if not specs:
        return results
    today = timezone.localdate()
    instalment_ids = sorted({_pk(s.instalment) for s in specs})
    # 1. Lock the instalments named, primary-key order (with their policy's holder).
    locked = {
        i.pk: i
        for i in Instalment.objects.select_for_update(of=("self",))
        .filter(AnyOf(F("pk"), instalment_ids))
        .annotate(policy_holder=F("policy__holder_id"))
        .order_by("pk")
    }
    # 2. The tokens already recorded (read under the locks: a batch that recorded them first
    # has committed by now).
    tokens = [s.token for s in specs if s.token is not None]
    existing = {}
    if tokens:
        existing = {p.token: p for p in Payment.objects.filter(token__in=tokens)}
    payments: list[Payment] = []
    shares: list[tuple[int, Instalment]] = []  # (index in payments, instalment)
    changed: dict[int, Instalment] = {}
    seen_tokens: dict[uuid.UUID, int] = {}
    methods = frozenset(PaymentMethod.values)
    for n, spec in enumerate(specs):
        result = results[n]
        if spec.token is not None and spec.token in existing:
            result.payment, result.already = existing[spec.token], True
            continue
        if spec.token is not None and spec.token in seen_tokens:
            # The same token twice in the batch: recorded once, by the first.
            result.payment, result.already = payments[seen_tokens[spec.token]], True
            continue
        amount = Decimal(spec.amount)
        client_id = _pk(spec.client)
        instalment = locked.get(_pk(spec.instalment))
        errors = _spec_errors(spec, amount, today, methods) or _instalment_error(
            spec, amount, instalment, client_id
        )
        if errors:
            result.error = ValidationError(errors)
            continue
        instalment.paid_amount += amount
        instalment.status = _status_after(instalment)
        if instalment.status == InstalmentStatus.PAID:
            instalment.paid_on = spec.paid_on
        changed[instalment.pk] = instalment
        payment = Payment(
            client_id=client_id, amount=amount, currency=spec.currency, method=spec.method,
            paid_on=spec.paid_on, reference=spec.reference.strip(), recorded_by=by,
            token=spec.token,
        )  # fmt: skip
        if spec.token is not None:
            seen_tokens[spec.token] = len(payments)
        shares.append((len(payments), instalment))
        payments.append(payment)
        result.payment = payment
    if not payments:
        return results
    now = timezone.now()
    # 3. The payments, their history and their allocations.
    _payments_write(payments, [instalment.pk for _n, instalment in shares], by=by, now=now)
    # 5. The instalments' new paid amount, status and paid date, with a history row each.
    instalments = list(changed.values())
    _instalments_write(instalments, by=by, now=now)
    # 6. The hooks: each batch form once, a hook without one per payment.
    batched = {getattr(hook, "batch_of", None) for hook in PAID_MANY_HOOKS}
    single = [hook for hook in PAID_HOOKS if hook not in batched]
    if single:
        for n, instalment in shares:
            for hook in single:
                hook(payment=payments[n], instalments=[instalment])
    for hook in list(PAID_MANY_HOOKS):
        hook(payments=payments, instalments=instalments)
    return results


def _payments_write(payments: list[Payment], instalment_ids: list[int], *, by, now) -> None:
    """Insert the payments (each allocated in full to its instalment), a history row each and
    their allocations: their ids drawn from the sequence in one query, then one statement
    (INSERT … RETURNING into the historical table, and the allocations), so that no row goes
    through the ORM's per-object preparation."""
    history = Payment.history.model
    quote = connection.ops.quote_name
    extra = ("history_id", "history_date", "history_type", "history_change_reason",
             "history_user_id")  # fmt: skip
    columns = ", ".join(
        quote(f.column) for f in history._meta.concrete_fields if f.attname not in extra
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT array_agg(nextval(pg_get_serial_sequence(%s, 'id'))) "
            "FROM generate_series(1, %s)",
            [Payment._meta.db_table, len(payments)],
        )
        ids = cursor.fetchone()[0]
        for payment, pk in zip(payments, ids, strict=True):
            payment.pk, payment.recorded_at = pk, now
        sql = f"""
            WITH new AS (
                SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::numeric[], %s::text[],
                                     %s::text[], %s::text[], %s::date[], %s::uuid[],
                                     %s::bigint[])
                    AS new (id, client_id, amount, currency, method, reference, paid_on, token,
                            instalment_id)
            ), inserted AS (
                INSERT INTO {quote(Payment._meta.db_table)}
                    (id, client_id, amount, currency, method, reference, paid_on, token,
                     recorded_by_id, recorded_at)
                SELECT id, client_id, amount, currency, method, reference, paid_on, token, %s, %s
                FROM new
                RETURNING *
            ), history AS (
                INSERT INTO {quote(history._meta.db_table)}
                    ({columns}, history_date, history_type, history_change_reason,
                     history_user_id)
                SELECT {columns}, %s, '+', NULL, %s FROM inserted
            )
            INSERT INTO {quote(Allocation._meta.db_table)} (payment_id, instalment_id, amount)
            SELECT id, instalment_id, amount FROM new
        """  # noqa: S608 - names from the models' _meta, values are placeholders
        by_id = by.pk if by is not None else None
        cursor.execute(
            sql,
            [
                ids, [p.client_id for p in payments], [p.amount for p in payments],
                [p.currency for p in payments], [str(p.method) for p in payments],
                [p.reference for p in payments], [p.paid_on for p in payments],
                [p.token for p in payments], instalment_ids, by_id, now, now, by_id,
            ],
        )  # fmt: skip


def _instalments_write(instalments: list[Instalment], *, by: User | None, now) -> None:
    """Write each instalment's paid_amount, status and paid_on and one history row each, in one
    statement (UPDATE … FROM the new values RETURNING the rows into the historical table)."""
    history = Instalment.history.model
    quote = connection.ops.quote_name
    table = quote(Instalment._meta.db_table)
    extra = ("history_id", "history_date", "history_type", "history_change_reason",
             "history_user_id")  # fmt: skip
    columns = ", ".join(
        quote(f.column) for f in history._meta.concrete_fields if f.attname not in extra
    )
    sql = f"""
        WITH new AS (
            SELECT * FROM unnest(%s::bigint[], %s::numeric[], %s::text[], %s::date[])
                AS new (id, paid_amount, status, paid_on)
        ), changed AS (
            UPDATE {table} SET paid_amount = new.paid_amount, status = new.status,
                               paid_on = new.paid_on
            FROM new WHERE {table}.id = new.id
            RETURNING {table}.*
        )
        INSERT INTO {quote(history._meta.db_table)}
            ({columns}, history_date, history_type, history_change_reason, history_user_id)
        SELECT {columns}, %s, '~', NULL, %s FROM changed
    """  # noqa: S608 - names from the models' _meta, values are placeholders
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                [i.pk for i in instalments], [i.paid_amount for i in instalments],
                [str(i.status) for i in instalments], [i.paid_on for i in instalments],
                now, by.pk if by is not None else None,
            ],
        )  # fmt: skip
