"""Writes to quotes, policies and vehicles. Every write records who made it."""

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from brokerage.accounts.models import User
from brokerage.core.bulk import bulk_set_with_history
from clients.models import Client, ClientStatus
from clients.search import compact
from clients.services import client_log_call_result
from workqueue.models import ItemStatus, WorkItem
from workqueue.results import MAX_FAILED_ATTEMPTS
from workqueue.services import item_create, item_record_result, items_close

from . import hooks
from .kind import BOUGHT, NOT_INTERESTED, QUOTE_FOLLOW_UP, THINKING
from .models import (
    Insurer,
    Line,
    LostReason,
    Policy,
    PolicyStatus,
    Quotation,
    QuotationStatus,
    Quote,
    QuoteStatus,
    Vehicle,
)
from .renewing import run_renewed_hooks
from .timeline import FOLLOW_UP_RESULT
from .validators import normalize_vin

POLICY_FIELDS = {
    "number", "insurer", "line", "coverage", "premium", "currency", "payment_frequency",
    "start_date", "end_date", "agent", "general_conditions",
}  # fmt: skip
VEHICLE_FIELDS = {
    "make", "model", "year", "vin", "plate", "use", "inspection_due", "licence_expiry",
}  # fmt: skip


@transaction.atomic
def insurer_save(
    *,
    name: str,
    code: str,
    preferred: bool = False,
    active: bool = True,
    country: str = "",
    currency: str = "",
    client_language: str = "",
    grace_days: int | None = None,
    payment_instructions: str = "",
    insurer: Insurer | None = None,
) -> Insurer:
    """Create or change an insurer. Only one insurer is preferred at a time. Country, currency
    and clients' language say how its reports are read (blank: the brokerage's own); the grace
    period and how to pay serve collections (None keeps the grace period as it is)."""
    insurer = insurer or Insurer()
    insurer.name, insurer.code = name, code.strip().lower()
    insurer.preferred, insurer.active = preferred, active
    insurer.country, insurer.currency = country.upper(), currency
    insurer.client_language = client_language
    if grace_days is not None:
        insurer.grace_days = grace_days
    insurer.payment_instructions = payment_instructions.strip()
    insurer.full_clean()
    insurer.save()
    if preferred:
        Insurer.objects.exclude(pk=insurer.pk).filter(preferred=True).update(preferred=False)
    return insurer


MARKET_NAME_MAX = 100  # a competitor's name as the agent types it


@transaction.atomic
def insurer_market_get_or_create(*, name: str, by: User | None = None) -> Insurer:
    """The insurer called ``name`` (case and spacing ignored), or a new market-only one
    (contracted=False: a competitor, never offered where a policy is written) with a
    generated unique code. Two agents typing the same new name at once get one insurer."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("Type the insurer's name.")})
    if "\x00" in name:
        raise ValidationError({"name": _("Null characters are not allowed.")})
    if len(name) > MARKET_NAME_MAX:
        raise ValidationError({"name": _("At most %(max)d characters.") % {"max": MARKET_NAME_MAX}})
    with connection.cursor() as cursor:  # one creator per name at a time (until commit)
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"insurer:{name.lower()}"])
    found = Insurer.objects.filter(name__iexact=name).order_by("-contracted", "pk").first()
    if found is not None:
        return found
    base = slugify(name)[:14].strip("-") or "market"
    taken = set(Insurer.objects.filter(code__startswith=base).values_list("code", flat=True))
    code, n = base, 1
    while code in taken:
        n += 1
        code = f"{base}-{n}"
    insurer = Insurer(name=name, code=code, contracted=False, preferred=False, active=True)
    insurer.full_clean()
    insurer.save()
    return insurer


def _normalise_vehicle(vehicle: Vehicle) -> None:
    vehicle.vin = normalize_vin(vehicle.vin)
    vehicle.plate = "".join(ch for ch in vehicle.plate.upper() if ch.isalnum())


def _validate_policy(policy: Policy) -> None:
    policy.number = " ".join((policy.number or "").split()).upper()
    policy.number_key = compact(policy.number)
    errors = {}
    if policy.start_date and policy.end_date and policy.end_date <= policy.start_date:
        errors["end_date"] = _("The end date must be after the start date.")
    if policy.premium is not None and policy.premium < Decimal("0"):
        errors["premium"] = _("The premium cannot be negative.")
    if errors:
        raise ValidationError(errors)
    policy.full_clean(validate_unique=False, validate_constraints=False)


def _save_policy(policy: Policy) -> None:
    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError as exc:
        if "policy_number_per_insurer" in str(exc):
            raise ValidationError(
                {
                    "number": _("%(insurer)s already has a policy numbered %(number)s.")
                    % {"insurer": policy.insurer, "number": policy.number}
                }
            ) from exc
        raise


def _add_vehicles(policy: Policy, vehicles: Sequence[dict], by: User) -> list[Vehicle]:
    if vehicles and policy.line != Line.AUTO:
        raise ValidationError(_("Only auto policies carry vehicles."))
    saved = []
    for index, data in enumerate(vehicles):
        unknown = set(data) - VEHICLE_FIELDS
        if unknown:
            raise ValueError(f"unknown vehicle fields: {sorted(unknown)}")
        vehicle = Vehicle(policy=policy, **data)
        _normalise_vehicle(vehicle)
        try:
            vehicle.full_clean(exclude=["policy"])
        except ValidationError as exc:
            if len(vehicles) == 1:
                raise
            raise ValidationError(
                {f"vehicle_{index + 1}_{k}": v for k, v in exc.message_dict.items()}
            ) from exc
        vehicle._history_user = by
        vehicle.save()
        saved.append(vehicle)
    return saved


@transaction.atomic
def policy_create(
    *,
    by: User,
    holder: Client,
    vehicles: Sequence[dict] = (),
    previous_policy: Policy | None = None,
    source_quote: Quote | None = None,
    **fields,
) -> Policy:
    unknown = set(fields) - POLICY_FIELDS
    if unknown:
        raise ValueError(f"policy_create got unknown fields: {sorted(unknown)}")
    policy = Policy(
        holder=holder, previous_policy=previous_policy, source_quote=source_quote,
        written_on=timezone.localdate(), **fields,
    )  # fmt: skip
    if policy.agent_id is None:
        policy.agent = holder.owner
    _validate_policy(policy)
    policy._history_user = by
    _save_policy(policy)
    _add_vehicles(policy, vehicles, by)
    if holder.status != ClientStatus.ACTIVE:
        holder.status = ClientStatus.ACTIVE
        holder._history_user = by
        holder.save(update_fields=["status", "updated_at"])
    hooks.run_created(policy=policy, by=by)
    if previous_policy is not None:
        policy_renewed(old=previous_policy, new=policy, by=by)
    return policy


# pg_advisory_xact_lock key between the work that follows policies once they are written (their
# renewal cases and touches, their instalments: ``shared``) and the bulk writes that reach such
# work on policies other than their own (an import chunk that renews or reassigns policies of
# an earlier chunk: exclusive). See ``policy_followers_lock``.
FOLLOWERS_LOCK = 7_203_115


def policy_followers_lock(*, shared: bool) -> None:
    """Held until the transaction ends. A job that opens cases or plans instalments for
    policies takes it shared, before it reads them; an import chunk that renews or reassigns
    policies an earlier chunk wrote takes it exclusive, before it writes anything. Without it
    the two could each miss the other's uncommitted rows: a case opened on a policy that was
    being renewed would stay open (nothing would win it), an instalment or touch being written
    while its client changed owner would stay with the old one. With it, whichever comes second
    reads what the first committed. The exclusive taker holds no row lock yet when it waits, so
    the two never wait on each other."""
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [FOLLOWERS_LOCK])


@transaction.atomic
def policy_renewed(*, old: Policy, new: Policy, by: User | None) -> None:
    """``new`` continues ``old``: the one place every renewal ends (the renew button, a renewal
    quote bought, an import showing the new term). The old policy is marked renewed and the
    apps that follow policies hear of it (policies.renewing.on_policy_renewed: renewals wins
    the case, closes its work, awards the points and writes the timeline)."""
    if new.previous_policy_id != old.pk:
        new.previous_policy = old
        new._history_user = by
        new.save(update_fields=["previous_policy", "updated_at"])
    if old.status in RUNNING:
        old.status = PolicyStatus.RENEWED
        old._history_user = by
        old.save(update_fields=["status", "updated_at"])
    run_renewed_hooks(old=old, new=new, by=by)


@transaction.atomic
def policy_update(*, policy: Policy, by: User, data: dict) -> Policy:
    unknown = set(data) - POLICY_FIELDS
    if unknown:
        raise ValueError(f"policy_update got unknown fields: {sorted(unknown)}")
    before = {field: getattr(policy, field) for field in hooks.TERM_FIELDS}
    for field, value in data.items():
        setattr(policy, field, value)
    _validate_policy(policy)
    policy._history_user = by
    _save_policy(policy)
    changed = {field for field, value in before.items() if getattr(policy, field) != value}
    hooks.run_terms_changed(policy=policy, by=by, changed=changed)
    return policy


@transaction.atomic
def vehicle_save(
    *, policy: Policy, by: User, data: dict, vehicle: Vehicle | None = None
) -> Vehicle:
    if policy.line != Line.AUTO:
        raise ValidationError(_("Only auto policies carry vehicles."))
    vehicle = vehicle or Vehicle(policy=policy)
    for field, value in data.items():
        if field not in VEHICLE_FIELDS:
            raise ValueError(f"unknown vehicle field {field!r}")
        setattr(vehicle, field, value)
    _normalise_vehicle(vehicle)
    vehicle.full_clean(exclude=["policy"])
    vehicle._history_user = by
    vehicle.save()
    return vehicle


@transaction.atomic
def policy_cancel(*, policy: Policy, by: User, reason: str, on: date) -> Policy:
    """Cancel a policy with the insurer: a reason and a date are required."""
    errors = {}
    if policy.status != PolicyStatus.ACTIVE:
        raise ValidationError(
            _("Only an active policy can be cancelled; this one is %(status)s.")
            % {"status": policy.get_status_display().lower()}
        )
    if not (reason or "").strip():
        errors["reason"] = _("Say why the policy is cancelled.")
    if on is None:
        errors["on"] = _("Give the date the cancellation takes effect.")
    elif on < policy.start_date or on > policy.end_date:
        errors["on"] = _("The cancellation date must fall within the policy's validity.")
    if errors:
        raise ValidationError(errors)
    policy.status = PolicyStatus.CANCELLED
    policy.cancelled_on = on
    policy.cancel_reason = reason.strip()
    policy._history_user = by
    policy._change_reason = "cancelled"
    policy.save(update_fields=["status", "cancelled_on", "cancel_reason", "updated_at"])
    hooks.run_cancelled(policy=policy, by=by, on=on)
    return policy


@transaction.atomic
def policy_reinstate(
    *, policy: Policy, by: User, reason: str, end_date: date | None = None
) -> Policy:
    """A lapsed policy back in force (复效, rehabilitación: the insurer accepted the client's
    reinstatement): active again, in its history with who and when and ``reason``. A policy
    whose term has ended needs the new ``end_date`` the insurer set (else the morning job would
    lapse it again); a changed end date re-plans what depends on it. The apps that opened
    lapsed work on the policy close it (``hooks.on_policy_reinstated``)."""
    policy = Policy.objects.select_for_update().get(pk=policy.pk)
    if policy.status != PolicyStatus.LAPSED:
        raise ValidationError(
            _("Only a lapsed policy can be reinstated; this one is %(status)s.")
            % {"status": policy.get_status_display().lower()}
        )
    today = timezone.localdate()
    changed = set()
    if end_date is not None and end_date != policy.end_date:
        if end_date < today or end_date <= policy.start_date:
            raise ValidationError(
                {"end_date": _("The new end date must be today or later, after the start date.")}
            )
        policy.end_date = end_date
        changed.add("end_date")
    if policy.end_date < today:
        raise ValidationError(
            {"end_date": _("The policy ended on %(end)s: give the end date the insurer set on "
                           "reinstating it.") % {"end": policy.end_date.isoformat()}}
        )  # fmt: skip
    policy.status = PolicyStatus.ACTIVE
    policy._history_user = by
    policy._change_reason = reason[:100]
    policy.save(update_fields=["status", "end_date", "updated_at"])
    hooks.run_terms_changed(policy=policy, by=by, changed=changed)
    hooks.run_reinstated(policy=policy, by=by)
    return policy


# --- Quotes -------------------------------------------------------------------------------

QUOTE_FIELDS = {"insurer", "premium", "currency", "coverage", "valid_until"}


def _build_quote(quotation: Quotation, data: dict) -> Quote:
    unknown = set(data) - QUOTE_FIELDS
    if unknown:
        raise ValueError(f"unknown quote fields: {sorted(unknown)}")
    quote = Quote(quotation=quotation, **data)
    if quote.premium is not None and quote.premium < 0:
        raise ValidationError({"premium": _("The premium cannot be negative.")})
    quote.full_clean(exclude=["quotation"])
    return quote


@transaction.atomic
def quotation_create(
    *,
    client: Client,
    by: User,
    line: str,
    description: str,
    quotes: Sequence[dict],
    renews: Policy | None = None,
    kind: str = "",
) -> Quotation:
    """One need of a client, with the quotes of one or more insurers to compare; ``renews`` is
    the policy whose renewal is quoted (the quote bought then renews it)."""
    if not quotes:
        raise ValidationError(_("Add at least one quote."))
    quotation = Quotation(
        client=client, line=line, description=description, created_by=by, renews=renews,
        kind=kind,
    )  # fmt: skip
    quotation.full_clean()
    quotation.save()
    for data in quotes:
        quote = _build_quote(quotation, data)
        quote._history_user = by
        quote.save()
    return quotation


@transaction.atomic
def quote_add(*, quotation: Quotation, by: User, **data) -> Quote:
    if quotation.status != QuotationStatus.OPEN:
        raise ValidationError(_("This quotation is closed."))
    quote = _build_quote(quotation, data)
    quote._history_user = by
    quote.save()
    return quote


def _close_follow_ups(quotation: Quotation, result: str = "") -> None:
    """End the quotation's open follow-ups: cancelled (moot), or done with ``result`` (the
    client bought)."""
    status = ItemStatus.DONE if result else ItemStatus.CANCELLED
    items_close(kind=QUOTE_FOLLOW_UP, subject_ids=[quotation.pk], result=result, status=status)


@transaction.atomic
def quotation_schedule_follow_up(*, quotation: Quotation, by: User, on: date) -> WorkItem:
    """A prospect who does not buy keeps the quotes and gets a call on ``on``."""
    if on < timezone.localdate():
        raise ValidationError({"on": _("A follow-up cannot be in the past.")})
    client = quotation.client
    quotation.follow_up_on = on
    quotation.save(update_fields=["follow_up_on"])
    _close_follow_ups(quotation)
    return item_create(
        kind=QUOTE_FOLLOW_UP, subject_id=quotation.pk, key=on.isoformat(),
        title=f"{client.display_name}: {quotation.description}", agent=client.owner, due_on=on,
        reopen=True,
    )  # fmt: skip


@transaction.atomic
def quotation_reopen(*, quotation: Quotation, by: User) -> Quotation:
    """A prospect who declined every quote wants new ones (the follow-up call's "re-quoted"):
    the lost quotation opens again, since quotes are added only to an open quotation. A
    follow-up still pending is moot: the agent is working the quotation again."""
    quotation = Quotation.objects.select_for_update().get(pk=quotation.pk)
    if quotation.status != QuotationStatus.LOST:
        raise ValidationError(_("Only a quotation that was not bought can be reopened."))
    quotation.status = QuotationStatus.OPEN
    quotation.follow_up_on = None
    quotation.lost_reason, quotation.lost_note = "", ""
    quotation.save(update_fields=["status", "follow_up_on", "lost_reason", "lost_note"])
    _close_follow_ups(quotation)
    return quotation


def quote_follow_up_handle_result(*, item, result, by, note, details, failed_attempts) -> None:
    """The quote follow-up kind's result handler (registered in PoliciesConfig.ready), run in
    the result's transaction: the call goes on the client's timeline, and the failed attempt
    that sends the item to the maintainers marks the client's contact inaccurate. "Declined"
    declines the open quotes with the reason; "still thinking" books the next call."""
    quotation = Quotation.objects.select_related("client").get(pk=item.subject_id)
    if result == NOT_INTERESTED.code:
        quotation_decline_all(
            quotation=quotation, by=by, reason=details.get("reason", ""), note=note
        )
    elif result == THINKING.code:
        quotation_schedule_follow_up(quotation=quotation, by=by, on=details["on"])
    client = quotation.client
    client_log_call_result(
        client=client, by=by, message=FOLLOW_UP_RESULT,
        params={
            "quotation": quotation.description, "renews": quotation.renews_label,
            "result": result, "note": note or "",
        },
        inaccurate=failed_attempts >= MAX_FAILED_ATTEMPTS,
    )  # fmt: skip


@transaction.atomic
def quotation_decline_all(
    *, quotation: Quotation, by: User, reason: str, note: str = ""
) -> Quotation:
    """The prospect declines (the follow-up's "declined"): the open quotes are declined, the
    quotation is lost with the reason, and no further follow-up is booked."""
    quotation = Quotation.objects.select_for_update().get(pk=quotation.pk)
    if reason not in LostReason.values:
        raise ValidationError({"reason": _("Say why the client declined.")})
    if quotation.status == QuotationStatus.WON:
        raise ValidationError(_("The client already bought this quotation."))
    open_quotes = list(quotation.quotes.filter(status=QuoteStatus.OPEN))
    for quote in open_quotes:
        quote.status = QuoteStatus.DECLINED
    if open_quotes:
        bulk_update_with_history(open_quotes, Quote, ["status"], default_user=by)
    quotation.status = QuotationStatus.LOST
    quotation.lost_reason, quotation.lost_note = reason, (note or "").strip()[:255]
    quotation.follow_up_on = None
    quotation.save(update_fields=["status", "lost_reason", "lost_note", "follow_up_on"])
    _close_follow_ups(quotation)
    return quotation


@transaction.atomic
def quote_decline(*, quote: Quote, by: User) -> Quote:
    if quote.status != QuoteStatus.OPEN:
        raise ValidationError(_("Only an open quote can be declined."))
    quote.status = QuoteStatus.DECLINED
    quote._history_user = by
    quote.save(update_fields=["status"])
    quotation = quote.quotation
    if not quotation.quotes.filter(status=QuoteStatus.OPEN).exists():
        quotation.status = QuotationStatus.LOST
        quotation.save(update_fields=["status"])
        quotation_schedule_follow_up(
            quotation=quotation,
            by=by,
            on=timezone.localdate() + timedelta(days=settings.QUOTE_FOLLOW_UP_DAYS),
        )
    return quote


@transaction.atomic
def quote_accept(
    *,
    quote: Quote,
    by: User,
    number: str,
    start_date: date,
    end_date: date,
    payment_frequency: str,
    general_conditions: str = "",
    vehicles: Sequence[dict] = (),
) -> Policy:
    """The client buys: the quote becomes a policy; the other quotes are declined. A renewal
    quotation's policy renews the policy it quoted (policy_renewed). The quotation's follow-up
    ends as bought (``_follow_ups_bought``)."""
    # The follow-ups first, then the quote: the order a result logged on the follow-up takes
    # (its item, then the quotation), so that accepting and declining at once never deadlock.
    quotation_id = Quote.objects.values_list("quotation_id", flat=True).get(pk=quote.pk)
    list(
        WorkItem.objects.select_for_update()
        .filter(kind=QUOTE_FOLLOW_UP, subject_id=quotation_id, status=ItemStatus.OPEN)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    quote = (
        Quote.objects.select_for_update(of=("self",))
        .select_related("quotation__client", "quotation__renews")
        .get(pk=quote.pk)
    )
    if quote.status != QuoteStatus.OPEN:
        raise ValidationError(_("Only an open quote can be accepted."))
    quotation = quote.quotation
    policy = policy_create(
        by=by,
        holder=quotation.client,
        source_quote=quote,
        previous_policy=quotation.renews,
        vehicles=vehicles,
        number=number,
        insurer=quote.insurer,
        line=quotation.line,
        coverage=quote.coverage,
        premium=quote.premium,
        currency=quote.currency,
        payment_frequency=payment_frequency,
        start_date=start_date,
        end_date=end_date,
        general_conditions=general_conditions,
    )
    quote.status = QuoteStatus.ACCEPTED
    quote._history_user = by
    quote.save(update_fields=["status"])
    others = list(quotation.quotes.filter(status=QuoteStatus.OPEN).exclude(pk=quote.pk))
    for other in others:
        other.status = QuoteStatus.DECLINED
    if others:
        bulk_update_with_history(others, Quote, ["status"], default_user=by)
    quotation.status = QuotationStatus.WON
    quotation.save(update_fields=["status"])
    _follow_ups_bought(quotation, by=by)
    return policy


def _follow_ups_bought(quotation: Quotation, *, by: User) -> None:
    """The client bought: the follow-up in the seller's own queue ends with "bought" recorded
    like every other result (a result row, the call on the client's timeline): the quotation
    page is where that result is recorded. A follow-up in someone else's queue (another
    agent's, the maintainers') closes with the result named, as the work is over."""
    mine = WorkItem.objects.filter(
        kind=QUOTE_FOLLOW_UP, subject_id=quotation.pk, status=ItemStatus.OPEN, agent=by
    ).order_by("pk")
    for item in mine:
        item_record_result(item=item, by=by, result=BOUGHT.code, page=True)
    _close_follow_ups(quotation, result=BOUGHT.code)


def quotes_expire(*, today: date | None = None) -> int:
    """Mark open quotes past their validity expired (a daily beat job)."""
    today = today or timezone.localdate()
    stale = list(Quote.objects.filter(status=QuoteStatus.OPEN, valid_until__lt=today)[:10000])
    for quote in stale:
        quote.status = QuoteStatus.EXPIRED
    if stale:
        bulk_update_with_history(stale, Quote, ["status"], default_change_reason="expired")
    return len(stale)


# Statuses in which a policy is still worked by the client's agent (renewal, collection).
RUNNING = (PolicyStatus.ACTIVE, PolicyStatus.EXPIRED, PolicyStatus.LAPSED)


def policies_follow_new_owner(*, clients: Sequence[Client], by: User) -> int:
    """A reassigned client's running policies go to the new owner agent (history kept)."""
    owners = {client.pk: client.owner_id for client in clients}
    # Whole rows: the history records copy every field (a deferred one would cost a query).
    policies = list(Policy.objects.filter(holder_id__in=list(owners), status__in=RUNNING))
    moved = [p for p in policies if p.agent_id != owners[p.holder_id]]
    for policy in moved:
        policy.agent_id = owners[policy.holder_id]
    return bulk_set_with_history(moved, field="agent", by=by, reason="client reassigned")
