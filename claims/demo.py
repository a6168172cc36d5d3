"""A year of claims for ``manage.py seed_demo`` (issue 16), so that the claims pages and the
managers' Claims view have realistic figures from the first morning.

- About one policy in ``POLICIES_PER_CLAIM`` had a claim in the last year, reported on a day
  drawn over the year; a few more were reported this morning (one waiting for its first
  contact, one escalated because nobody called, one already contacted). A status no claim
  reached by chance (a small book) gets a claim of its own.
- The first contact is made within 10 minutes for most claims (``LATE_SHARE`` are late:
  escalated to the manager at the deadline, contacted later).
- Each claim then walks the claims path (first contact, assessment, documents, with the
  insurer, approved in full or in part or denied, in repair, settled, closed; some withdrawn
  on the way), each step some days after the last, and stops at the step whose day has not
  come yet: old claims are mostly settled or closed, recent ones still open. Each status
  reached is a ``ClaimStatusChange`` with its date.
- Amounts: claimed on every claim, assessed once the insurer decided (unless denied), settled
  only on settled and closed claims that were not denied, in the policy's currency.

- Repairs (seed 004's referral report): a few repair shops, most of them partners working
  with one to three insurers; a claim that went into repair or was settled (a vehicle
  repaired: collision, glass, fire or flood, third party) was referred to a partner shop
  (``PARTNER_SHARE``; one of its insurer's when there is one) or repaired elsewhere, with a
  reason drawn; recorded when it went into repair (else at settlement); the repair amount
  known on most of them (the report falls back to the settled, else the assessed amount).
- Documents: the checklist complete (received on paper) on every claim that reached
  "documents complete", part of it received on the claims contacted that did not.
- Call-backs after settlement: most claims settled more than a day ago were called back one
  to three days after, with a satisfaction drawn mostly high (a few low scores).

Set-based: the policies are read in one query, the claims written with their history rows
(``bulk_create_with_history``) and the status changes in batches of ``BATCH``. Every draw
comes from ``ctx.rng``: the same seed gives the same claims. Nothing is added to a book that
already has claims.
"""

import random
from datetime import datetime, time, timedelta
from decimal import Decimal
from time import monotonic

from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from brokerage.core.demo import DemoContext
from clients.demo import demo_today
from policies.models import Currency, Insurer, Policy

from .models import (
    CONTACT_WITHIN,
    Claim,
    ClaimDocument,
    ClaimKind,
    ClaimStatus,
    ClaimStatusChange,
    DocumentState,
    OutsideReason,
    RepairPlace,
    RepairShop,
    checklist_for,
)

POLICIES_PER_CLAIM = 12
BATCH = 2000
LATE_SHARE = 0.12
WITHDRAWN_SHARE = 0.05
REASON = "demo"
S = ClaimStatus
# (kind, weight, typical amount claimed in MXN)
KINDS = [
    (ClaimKind.COLLISION, 40, 35000), (ClaimKind.GLASS, 18, 6000),
    (ClaimKind.THEFT, 8, 180000), (ClaimKind.FIRE_FLOOD, 6, 90000),
    (ClaimKind.INJURY, 8, 60000), (ClaimKind.THIRD_PARTY, 14, 45000),
    (ClaimKind.OTHER, 6, 15000),
]  # fmt: skip
# Pesos per unit of each currency, to scale the amounts.
RATES = {Currency.MXN: 1, Currency.USD: 18, Currency.CNY: 2.5}
# Days from one status to the next: (status, shortest, longest).
STEPS = [
    (S.IN_ASSESSMENT, 0.2, 2), (S.DOCUMENTS_COMPLETE, 2, 15), (S.WITH_INSURER, 1, 5),
    ("decision", 5, 30), (S.IN_REPAIR, 1, 5), (S.SETTLED, 5, 30), (S.CLOSED, 3, 20),
]  # fmt: skip
PARTNER_SHARE = 0.7
CALLBACK_SHARE = 0.85
# (score, weight) of the satisfaction after settlement.
SCORES = [(5, 45), (4, 30), (3, 12), (2, 8), (1, 5)]
# (reason, weight) of a repair elsewhere.
REASONS = [
    (OutsideReason.CLIENT_CHOICE, 35), (OutsideReason.DEALER, 30), (OutsideReason.TOO_FAR, 10),
    (OutsideReason.INSURER_NETWORK, 15), (OutsideReason.TOTAL_LOSS, 5), (OutsideReason.OTHER, 5),
]  # fmt: skip
OTHER_NOTES = ["Taller de un familiar", "Lo repara él mismo", "Taller cerca de su trabajo"]
# (name, address, phone, brands, partner)
SHOPS = [
    ("Carrocerías del Valle", "Av. Coyoacán 1435, Del Valle, CDMX", "+525556881200",
     "Nissan, Toyota, Honda", True),
    ("Autopintura Coyoacán", "Av. Universidad 1900, Coyoacán, CDMX", "+525556594410",
     "", True),
    ("Hojalatería y Pintura Tlalpan", "Calz. de Tlalpan 3020, CDMX", "+525556773380",
     "Volkswagen, Seat, Chevrolet", True),
    ("Cristales Express Insurgentes", "Av. Insurgentes Sur 2375, CDMX", "+525555504020",
     "", True),
    ("Taller Querétaro Centro", "Av. Constituyentes 120, Querétaro", "+524422151100",
     "Nissan, Kia, Hyundai", True),
    ("Agencia Nissan Sur", "Periférico Sur 5530, CDMX", "+525554480000", "Nissan", False),
    ("Toyota Universidad (agencia)", "Av. Universidad 1330, CDMX", "+525553380700",
     "Toyota", False),
    ("Taller Mecánico Hermanos Ruiz", "Calle Norte 45 #12, CDMX", "+525557890123", "", False),
]  # fmt: skip
SHOP_NOTES = "demo"
PLACES = [
    "Av. Insurgentes Sur y Eje 7, CDMX", "Periférico Sur, Tlalpan, CDMX",
    "Calz. de Tlalpan 1200, CDMX", "Av. Constituyentes, Querétaro",
    "Carretera México–Puebla km 32", "Av. Vallarta 3000, Zapopan", "Estacionamiento de su casa",
]  # fmt: skip


def seed_claims(ctx: DemoContext) -> None:
    """Claims of the last year on the demo's policies (see the module's docstring)."""
    started = monotonic()
    rng = ctx.rng
    if Claim.objects.exists():
        ctx.write("claims: the book already has claims; none added")
        return
    today = demo_today(ctx)
    now = timezone.make_aware(datetime.combine(today, time(9, 30)))
    year_ago = today - timedelta(days=365)
    policies = list(
        Policy.objects.filter(agent__isnull=False, start_date__lte=today, end_date__gte=year_ago)
        .order_by("pk")
        .values_list("pk", "agent_id", "currency", "holder__display_name", "start_date",
                     "end_date", "insurer_id")
    )  # fmt: skip
    if not policies:
        ctx.write("claims: no policy with an agent; none added")
        return
    chosen = sorted(rng.sample(policies, max(3, len(policies) // POLICIES_PER_CLAIM)))
    plans = [_plan(rng, policy, _in_term(rng, policy, now, 365), now) for policy in chosen]
    # This morning's, on policies in force: one waiting for its contact, one escalated, one
    # contacted in time.
    in_force = [p for p in chosen if p[5] >= today] or chosen
    for policy, minutes, contact in zip(
        (in_force * 3)[-3:], (3, 40, 25), (None, None, 6), strict=True
    ):
        plans.append(_plan(rng, policy, now - timedelta(minutes=minutes), now, contact=contact))
    # A small book may miss a status by chance: a claim more for each, drawn until it lands
    # there (bounded; the same draws for the same seed).
    reached = {claim.status for claim, _steps in plans}
    for status in ClaimStatus.values:
        for _attempt in range(400 if status not in reached else 0):
            policy = rng.choice(chosen)
            claim, steps = _plan(rng, policy, _in_term(rng, policy, now, 120), now)
            if claim.status == status:
                plans.append((claim, steps))
                break
    claims, changes = [], []
    for claim, steps in plans:
        claims.append(claim)
        changes.append(steps)
    shops = _shops(rng)
    insurer_of = {policy[0]: policy[6] for policy in chosen}
    repairs = sum(
        _repair(rng, claim, steps, shops, insurer_of[claim.policy_id], now)
        for claim, steps in plans
    )
    called_back = sum(_callback(rng, claim, steps, now) for claim, steps in plans)
    for start in range(0, len(claims), BATCH):
        bulk_create_with_history(
            claims[start : start + BATCH], Claim, batch_size=BATCH,
            default_change_reason=REASON, default_date=now,
        )  # fmt: skip
    rows = [
        ClaimStatusChange(claim_id=claim.pk, status=status, at=at, by_id=claim.agent_id)
        for claim, steps in zip(claims, changes, strict=True)
        for status, at in steps
    ]  # fmt: skip
    ClaimStatusChange.objects.bulk_create(rows, batch_size=BATCH)
    documents = _documents(random.Random(f"claims-documents-{ctx.seed}"), plans, now)
    for start in range(0, len(documents), BATCH):
        bulk_create_with_history(
            documents[start : start + BATCH], ClaimDocument, batch_size=BATCH,
            default_change_reason=REASON, default_date=now,
        )  # fmt: skip
    ctx.write(
        f"claims: {len(claims)} claims of the last year, {len(rows)} status changes, "
        f"{len(documents)} documents received, {repairs} repairs at {len(shops)} shops, "
        f"{called_back} call-backs in {monotonic() - started:.1f} s"
    )


def _documents(rng, plans, now: datetime) -> list[ClaimDocument]:
    """The checklist as each claim's path left it (received on paper, no file): every item
    once the claim reached "documents complete"; before that, after the first contact, some
    of them (the rest still missing, for "Request missing documents"). Drawn from their own
    generator: the other demo data stays what the seed made it."""
    rows = []
    for claim, steps in plans:
        reached = dict(steps)
        contact = reached.get(S.FIRST_CONTACT)
        if contact is None or claim.agent_id is None:
            continue
        complete = reached.get(S.DOCUMENTS_COMPLETE)
        for item in checklist_for(claim.kind, claim.injured):
            if complete is None and rng.random() < 0.5:
                continue
            at = complete or min(contact + timedelta(hours=rng.randint(1, 72)), now)
            rows.append(ClaimDocument(
                claim_id=claim.pk, item=item, state=DocumentState.RECEIVED, changed_at=at,
                changed_by_id=claim.agent_id,
            ))  # fmt: skip
    return rows


def _shops(rng) -> list[RepairShop]:
    """The directory's shops (created once, with history), each partner working with one to
    three of the insurers; their insurers in ``works_with`` (ids). A fixed number of
    statements."""
    shops = list(RepairShop.objects.prefetch_related("insurers").order_by("pk"))
    if shops:
        for shop in shops:
            shop.works_with = {insurer.pk for insurer in shop.insurers.all()}
        return shops
    shops = bulk_create_with_history(
        [RepairShop(name=name, address=address, phone=phone, brands=brands, partner=partner,
                    notes=SHOP_NOTES) for name, address, phone, brands, partner in SHOPS],
        RepairShop, default_change_reason=REASON,
    )  # fmt: skip
    insurers = list(
        Insurer.objects.filter(contracted=True).order_by("pk").values_list("pk", flat=True)
    )
    links = []
    for shop in shops:
        shop.works_with = set()
        if shop.partner and insurers:
            shop.works_with = set(rng.sample(insurers, min(len(insurers), rng.randint(1, 3))))
            links += [RepairShop.insurers.through(repairshop_id=shop.pk, insurer_id=insurer)
                      for insurer in sorted(shop.works_with)]  # fmt: skip
    RepairShop.insurers.through.objects.bulk_create(links)
    return shops


_VEHICLE_REPAIRS = (ClaimKind.COLLISION, ClaimKind.GLASS, ClaimKind.FIRE_FLOOD,
                    ClaimKind.THIRD_PARTY)  # fmt: skip


def _repair(rng, claim: Claim, steps, shops, insurer_id, now: datetime) -> int:
    """Where a claim's vehicle was repaired, if it went into repair or was settled (see the
    module's docstring); 1 if one was recorded."""
    reached = dict(steps)
    at = reached.get(S.IN_REPAIR) or reached.get(S.SETTLED)
    if at is None or claim.kind not in _VEHICLE_REPAIRS or S.DENIED in reached:
        return 0
    partners = [shop for shop in shops if shop.partner]
    others = [shop for shop in shops if not shop.partner]
    if partners and rng.random() < PARTNER_SHARE:
        theirs = [shop for shop in partners if insurer_id in shop.works_with]
        claim.repair_place = RepairPlace.PARTNER
        claim.repair_shop = rng.choice(theirs or partners)
    else:
        claim.repair_place = RepairPlace.ELSEWHERE
        reason = rng.choices(REASONS, weights=[r[1] for r in REASONS])[0][0]
        claim.outside_reason = reason
        if reason == OutsideReason.OTHER:
            claim.outside_reason_note = rng.choice(OTHER_NOTES)
        if reason in (OutsideReason.DEALER, OutsideReason.INSURER_NETWORK) and others:
            claim.repair_shop = rng.choice(others)
        elif reason != OutsideReason.TOTAL_LOSS and rng.random() < 0.5:
            claim.repair_shop_name = "Taller particular"
    base = claim.amount_assessed or claim.amount_claimed
    if base is not None and rng.random() < 0.75:
        claim.repair_amount = (base * Decimal(str(round(rng.uniform(0.85, 1.05), 2)))).quantize(
            Decimal("0.01")
        )
    claim.repair_recorded_at = min(at + timedelta(hours=rng.uniform(1, 30)), now)
    claim.repair_recorded_by_id = claim.agent_id
    return 1


def _callback(rng, claim: Claim, steps, now: datetime) -> int:
    """The call-back after settlement of a claim settled more than a day ago (most of them);
    1 if made."""
    settled = dict(steps).get(S.SETTLED)
    if settled is None or claim.settled_by_id is None or rng.random() >= CALLBACK_SHARE:
        return 0
    at = settled + timedelta(days=rng.uniform(1, 3))
    if at > now:
        return 0
    claim.called_back_at, claim.called_back_by_id = at, claim.agent_id
    claim.satisfaction = rng.choices(SCORES, weights=[w for _s, w in SCORES])[0][0]
    return 1


def _in_term(rng, policy, now: datetime, days: int) -> datetime:
    """A moment of the last ``days`` days while ``policy`` was in force (its term ends on its
    end date; the claims are reported by ``now``)."""
    start, end = policy[4], policy[5]
    first = max(now - timedelta(days=days), timezone.make_aware(datetime.combine(start, time(8))))
    last = min(now - timedelta(minutes=30), timezone.make_aware(datetime.combine(end, time(20))))
    if last <= first:
        return last
    return first + (last - first) * rng.random()


def _plan(rng, policy, reported: datetime, now: datetime, contact=False):
    """A claim reported at ``reported`` on ``policy`` and the statuses it reached by ``now``
    with their dates. ``contact``: minutes to the first contact (None: not made yet; False:
    drawn)."""
    policy_id, agent_id, currency, holder = policy[:4]
    kind, _weight, typical = rng.choices(KINDS, weights=[k[1] for k in KINDS])[0]
    reported = reported.replace(microsecond=0)
    due = reported + CONTACT_WITHIN
    claimed = _amount(rng, typical, currency)
    claim = Claim(
        policy_id=policy_id, agent_id=agent_id, reported_by_id=agent_id, reported_at=reported,
        occurred_at=reported - timedelta(hours=rng.uniform(0.5, 48)),
        place=rng.choice(PLACES), kind=kind, injured=kind == ClaimKind.INJURY,
        reporter_name=holder[:150], currency=currency, amount_claimed=claimed,
        contact_due_at=due, status=S.REPORTED, status_changed_at=reported,
    )  # fmt: skip
    steps = [(S.REPORTED, reported)]
    if contact is False:
        late = rng.random() < LATE_SHARE
        contact = rng.uniform(11, 180) if late else rng.uniform(0.5, 9.5)
    if contact is None or reported + timedelta(minutes=contact) > now:
        if due < now:
            claim.escalated_at = due + timedelta(minutes=1)
        return claim, steps
    at = reported + timedelta(seconds=round(contact * 60))
    if at > due:
        claim.escalated_at = due + timedelta(minutes=1)
    claim.first_contact_at, claim.first_contact_by_id = at, agent_id
    steps.append((S.FIRST_CONTACT, at))
    withdraw_at = len(STEPS) if rng.random() >= WITHDRAWN_SHARE else rng.randrange(0, 3)
    denied = False
    for index, (status, shortest, longest) in enumerate(STEPS):
        at = at + timedelta(days=rng.uniform(shortest, longest))
        if at > now:
            break
        if index == withdraw_at:
            steps.append((S.WITHDRAWN, at))
            break
        if status == "decision":
            draw = rng.random()
            status = S.DENIED if draw < 0.1 else S.PARTLY_APPROVED if draw < 0.3 else S.APPROVED
            denied = status == S.DENIED
            if not denied:
                share = Decimal("1") if status == S.APPROVED else Decimal(rng.randint(40, 90))
                share = share if share == 1 else share / 100
                claim.amount_assessed = (claimed * share).quantize(Decimal("0.01"))
        elif status == S.IN_REPAIR and (denied or kind not in _REPAIRED):
            continue
        elif status == S.SETTLED and denied:
            continue
        elif status == S.SETTLED:
            claim.amount_settled = claim.amount_assessed
            claim.settled_by_id = agent_id
        steps.append((status, at))
    claim.status, claim.status_changed_at = steps[-1]
    return claim, steps


_REPAIRED = (ClaimKind.COLLISION, ClaimKind.GLASS, ClaimKind.FIRE_FLOOD)


def _amount(rng, typical: int, currency: str) -> Decimal:
    pesos = typical * rng.uniform(0.3, 2.0)
    return Decimal(str(round(pesos / RATES.get(currency, 1), -1))).quantize(Decimal("0.01"))
