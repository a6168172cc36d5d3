"""A year of renewal history for ``manage.py seed_demo``.

Every demo policy that ended in the last 13 months gets its closed renewal case: won when a
later policy renews it (status "renewed"), lapsed or lost when it lapsed, lost when it expired
(about 45 % of those to another insurer, the rest for price, service, a sold vehicle, a refusal
or an unreachable client). Cases closed in the last 60 days carry the agent's touches as the
morning job would have queued them (same kind and key, so the job does not queue them again),
done with a result that fits the outcome, most of them by the 17:00 cutoff of the day after
hand-out; every won case carries the agent's points as ``renewal_points`` awards them.

Policies are read in pk order with a server-side cursor and the rows are written a chunk at a
time (COPY on PostgreSQL, ``bulk_create`` elsewhere), so the step runs in constant memory.
Everything random comes from ``ctx.rng``: the same seed gives the same history.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import islice
from time import monotonic

from dateutil.relativedelta import relativedelta
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from brokerage.core.bulk import insert_rows
from brokerage.core.demo import DemoContext
from clients.demo import Weighted, demo_today
from policies.demo import ES_INSURERS, ZH_INSURERS
from policies.models import Currency, Insurer, Line, Policy, PolicyStatus
from workqueue.models import ItemStatus, Queue
from workqueue.results import CALL_BACK, NO_ANSWER, SWITCHED_OFF, WRONG_NUMBER
from workqueue.services import items_load_worked, queue_tables_analyze

from .kind import DECLINED, INTERESTED, RENEWAL_KIND, RENEWED, RENEWED_ELSEWHERE, VEHICLE_SOLD
from .ladder_services import ladder_save
from .ladders import DEFAULT_RUNGS
from .models import CaseStatus, ClientType, CompetitorWhy, Grade, Ladder, LostReason, RenewalCase
from .services import renewal_points

CHUNK = 5_000  # policies read, and their cases written, at a time
HISTORY_MONTHS = 13  # policies that ended this far back get their case
WORK_DAYS = 60  # cases closed this recently carry the agent's touches
ELSEWHERE_SHARE = 0.45  # expired policies renewed with another insurer
LAPSED_CASE_SHARE = 0.5  # lapsed policies whose case lapsed (the others were lost first)
GRADED_SHARE = 0.85
TWO_TOUCHES_SHARE = 0.5
ON_TIME_SHARE = 0.85  # touches with a result by 17:00 of the day after hand-out
QUOTED_SHARE = {CaseStatus.LOST: 0.4, CaseStatus.LAPSED: 0.15}

GRADES = {
    CaseStatus.WON: Weighted([(Grade.A, 45), (Grade.B, 35), (Grade.C, 15), (Grade.D, 5)]),
    CaseStatus.LOST: Weighted([(Grade.A, 5), (Grade.B, 15), (Grade.C, 35), (Grade.D, 45)]),
    CaseStatus.LAPSED: Weighted([(Grade.B, 10), (Grade.C, 35), (Grade.D, 55)]),
}
CLIENT_TYPES = Weighted(
    [(ClientType.PRICE, 45), (ClientType.SERVICE, 25), (ClientType.INDIFFERENT, 30)]
)
# Why an expired or lapsed policy was lost, other than renewed elsewhere (a vehicle is sold
# only on an auto policy).
EXPIRED_REASONS = {
    True: Weighted(
        [
            (LostReason.PRICE, 30),
            (LostReason.SERVICE, 15),
            (LostReason.VEHICLE_SOLD, 20),
            (LostReason.DECLINED, 20),
            (LostReason.UNREACHABLE, 15),
        ]
    ),
    False: Weighted(
        [
            (LostReason.PRICE, 35),
            (LostReason.SERVICE, 20),
            (LostReason.DECLINED, 25),
            (LostReason.UNREACHABLE, 20),
        ]
    ),
}
LAPSED_REASONS = {
    True: Weighted(
        [
            (LostReason.PRICE, 25),
            (LostReason.SERVICE, 10),
            (LostReason.VEHICLE_SOLD, 15),
            (LostReason.DECLINED, 20),
            (LostReason.UNREACHABLE, 30),
        ]
    ),
    False: Weighted(
        [
            (LostReason.PRICE, 30),
            (LostReason.SERVICE, 15),
            (LostReason.DECLINED, 20),
            (LostReason.UNREACHABLE, 35),
        ]
    ),
}
COMPETITOR_WHY = Weighted(
    [
        (CompetitorWhy.PRICE, 50),
        (CompetitorWhy.COVER, 15),
        (CompetitorWhy.SERVICE, 10),
        (CompetitorWhy.RELATIONSHIP, 20),
        (CompetitorWhy.OTHER, 5),
    ]
)
UNREACHED = Weighted(
    [
        (NO_ANSWER.code, 60),
        (SWITCHED_OFF.code, 30),
        (WRONG_NUMBER.code, 10),
    ]
)
# The result logged on the touch that closed the case.
FINAL_RESULTS = {
    LostReason.RENEWED_ELSEWHERE: RENEWED_ELSEWHERE.code,
    LostReason.PRICE: DECLINED.code,
    LostReason.SERVICE: DECLINED.code,
    LostReason.DECLINED: DECLINED.code,
    LostReason.VEHICLE_SOLD: VEHICLE_SOLD.code,
}
EARLIER_RESULTS = {
    CaseStatus.WON: Weighted(
        [
            (INTERESTED.code, 40),
            (CALL_BACK.code, 35),
            (NO_ANSWER.code, 25),
        ]
    ),
    CaseStatus.LOST: Weighted(
        [
            (CALL_BACK.code, 40),
            (NO_ANSWER.code, 35),
            (INTERESTED.code, 15),
            (SWITCHED_OFF.code, 10),
        ]
    ),
    CaseStatus.LAPSED: UNREACHED,
}
NOTES = {
    CALL_BACK.code: "Pide que le llamen más tarde / 客户要求稍后回电",
    INTERESTED.code: "Quiere la cotización por WhatsApp / 需要报价",
}


def _chunks(iterable, size: int):
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def default_ladder(ctx: DemoContext) -> Ladder:
    """The default ladder; the design card's 30/25/15 preset (as migration 0002 makes it) saved
    as the default through ``ladder_save`` if there is none."""
    ladder = Ladder.objects.filter(is_default=True).first()
    if ladder is not None:
        return ladder
    managers = ctx.data.get("managers") or [None]
    ladder = ladder_save(
        ladder=Ladder.objects.filter(code="design-card").first(),
        by=managers[0],
        name="30 / 25 / 15 days",
        code="design-card",
        is_default=True,
        rungs=DEFAULT_RUNGS,
    )
    if not ladder.preset:  # the preset, as migration 0002 makes it: named in the reader's words
        Ladder.objects.filter(pk=ladder.pk).update(preset="design-card")
        ladder.preset = "design-card"
    return ladder


class _Competitors:
    """Another insurer for a client who left: one the demo book uses for the same currency and
    line, else for the same currency, else any other."""

    def __init__(self):
        self.codes = dict(Insurer.objects.order_by("pk").values_list("pk", "code"))
        by_code = {code: pk for pk, code in self.codes.items()}
        self.by_line: dict[tuple[str, str], list[int]] = {}
        self.by_currency: dict[str, list[int]] = {}
        for currency, picks in ((Currency.MXN, ES_INSURERS), (Currency.CNY, ZH_INSURERS)):
            every: list[int] = []
            for line, weighted in picks.items():
                ids = [by_code[code] for code in weighted.items if code in by_code]
                self.by_line[currency, line] = ids
                every += [pk for pk in ids if pk not in every]
            self.by_currency[currency] = every
        self.cache: dict[tuple, list[int]] = {}

    def candidates(self, currency: str, line: str, insurer_id: int) -> list[int]:
        key = (currency, line, insurer_id)
        if key not in self.cache:
            for pool in (
                self.by_line.get((currency, line), []),
                self.by_currency.get(currency, []),
                list(self.codes),
            ):
                others = [pk for pk in pool if pk != insurer_id]
                if others:
                    break
            self.cache[key] = others
        return self.cache[key]


class _History:
    def __init__(self, ctx: DemoContext, ladder: Ladder):
        self.rng = ctx.rng
        self.today = demo_today(ctx)
        self.now = timezone.now()
        self.tz = timezone.get_current_timezone()  # looked up once: it costs per call
        self.ladder = ladder
        self.rungs = sorted(ladder.rungs, key=lambda r: -r["days"])  # farthest first
        self.open_days = ladder.max_days  # the morning job opens a case this far ahead
        self.competitors = _Competitors()
        self.counts = dict.fromkeys(
            ("cases", "won", "lost", "elsewhere", "lapsed", "items", "late", "points"), 0
        )

    # --- when -----------------------------------------------------------------------------

    def at(self, day: date, minutes: int) -> datetime:
        """``minutes`` after local midnight of ``day`` (never in the small hours, so never in
        a daylight-saving gap)."""
        return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=self.tz)

    def rung_on(self, end: date, day: date) -> dict:
        """The ladder's latest rung that had fallen due on ``day`` (the first one if none)."""
        latest = self.rungs[0]
        for rung in self.rungs:
            if end - timedelta(days=rung["days"]) <= day:
                latest = rung
        return latest

    def timing(self, *, hand: date | None = None, done: date | None = None) -> dict:
        """When a touch was handed out and done, from its hand-out day or from the day it was
        done: handed out between 08:00 and 09:00; most results logged the same day or the
        next before 17:00 (the cutoff), the rest after it."""
        rng = self.rng
        handed = 8 * 60 + rng.randrange(60)
        late = rng.random() >= ON_TIME_SHARE
        if not late:
            lag = 0 if rng.random() < 0.6 else 1
            minutes = rng.randint(handed + 15 if lag == 0 else 9 * 60, 17 * 60 - 1)
        elif rng.random() < 0.5:
            lag, minutes = 1, rng.randint(17 * 60 + 1, 19 * 60)
        else:
            lag, minutes = 2, rng.randint(9 * 60, 18 * 60)
        if hand is None:
            hand = done - timedelta(days=lag)
        else:
            done = hand + timedelta(days=lag)
        return {
            "hand": hand,
            "handed_out_at": self.at(hand, handed),
            "done_day": done,
            "done_at": self.at(done, minutes),
            "late": late,
        }

    def business_time(self, day: date) -> datetime:
        return self.at(day, self.rng.randint(9 * 60, 18 * 60))

    def clamp(self, day: date, end: date) -> date:
        """A day after the case opened and before today."""
        return max(end - timedelta(days=self.open_days - 1), min(day, self.today - timedelta(1)))

    # --- what -----------------------------------------------------------------------------

    def case(self, row, renewal) -> dict | None:
        """The case row of a past policy (notes in "_" keys for the touches and points)."""
        rng = self.rng
        pk, status, end, premium, currency, line, insurer_id, agent_id, number, name = row
        case = {
            "policy_id": pk,
            "ladder_id": self.ladder.pk,
            "end_date": end,
            "last_premium": premium,
            "opened_on": end - timedelta(days=self.open_days),
            "_agent": agent_id,
            "_title": f"{name} · {number}",
            "_policy": f"{self.competitors.codes.get(insurer_id, '').upper()} {number}",
        }
        if status == PolicyStatus.RENEWED:
            if renewal is None:
                return None  # renewed by nothing we can see: no case rather than a wrong one
            new_pk, new_premium, written_on = renewal
            day = written_on or end - timedelta(days=rng.randrange(10))
            case.update(
                status=CaseStatus.WON,
                new_policy_id=new_pk,
                quoted_premium=new_premium,  # as renewal_renew records it
                _day=self.clamp(day, end),
                _final=RENEWED.code,
                _premium=new_premium,
            )
        elif status == PolicyStatus.LAPSED and rng.random() < LAPSED_CASE_SHARE:
            lapsed = self.at(end + timedelta(days=1), 6 * 60 + rng.randrange(5))  # the morning job
            case.update(
                status=CaseStatus.LAPSED,
                lapsed_at=lapsed,
                _day=self.clamp(end - timedelta(days=rng.randint(1, 12)), end),
                _final=UNREACHED.pick(rng),
            )
            # Handed to the maintainers once it had lapsed 48 hours, by a later morning job.
            handed_over = lapsed + timedelta(days=2, minutes=1 + rng.randrange(10))
            if handed_over <= self.now:
                case["handed_over_at"] = handed_over
        else:
            auto = line == Line.AUTO
            if status == PolicyStatus.LAPSED:
                reason = LAPSED_REASONS[auto].pick(rng)
            elif rng.random() < ELSEWHERE_SHARE:
                reason = LostReason.RENEWED_ELSEWHERE
            else:
                reason = EXPIRED_REASONS[auto].pick(rng)
            if reason == LostReason.RENEWED_ELSEWHERE:
                others = self.competitors.candidates(currency, line, insurer_id)
                if others:
                    case.update(lost_to_id=rng.choice(others), lost_why=COMPETITOR_WHY.pick(rng))
                else:
                    reason = LostReason.PRICE
            case.update(
                status=CaseStatus.LOST,
                outcome_reason=reason,
                _day=self.clamp(end + timedelta(days=rng.randint(-12, 5)), end),
                _final=FINAL_RESULTS.get(reason) or UNREACHED.pick(rng),
            )
        status = case["status"]
        if status != CaseStatus.WON and rng.random() < QUOTED_SHARE[status]:
            change = Decimal(rng.randint(95, 118)) / 100
            case["quoted_premium"] = (premium * change).quantize(Decimal("0.01"))
        if rng.random() < GRADED_SHARE:
            case["grade"] = GRADES[status].pick(rng)
            reason = case.get("outcome_reason")
            if reason == LostReason.PRICE:
                case["client_type"] = ClientType.PRICE
            elif reason == LostReason.SERVICE:
                case["client_type"] = ClientType.SERVICE
            else:
                case["client_type"] = CLIENT_TYPES.pick(rng)
        day = case["_day"]
        case["stage"] = self.rung_on(end, day)["stage"]
        touches = []
        if agent_id is not None and day >= self.today - timedelta(days=WORK_DAYS):
            touches = self.touches(case, end, day)
        case["_touches"] = touches
        if status != CaseStatus.LAPSED:
            case["closed_at"] = touches[-1]["done_at"] if touches else self.business_time(day)
            case["closed_by_id"] = agent_id
        return case

    def touches(self, case: dict, end: date, day: date) -> list[dict]:
        """The agent's touches on the case: the one done on ``day`` with the final result,
        sometimes an earlier one at a farther rung."""
        rng = self.rng
        final = self.timing(done=day)
        rung = self.rung_on(end, final["hand"])
        # Due the day it was worked (a call-back moves an item's day).
        final.update(rung=rung["days"], due_on=final["hand"], result=case["_final"])
        touches = [final]
        farther = [r for r in self.rungs if r["days"] > rung["days"]]
        if farther and rng.random() < TWO_TOUCHES_SHARE:
            days = rng.choice(farther)["days"]
            due = max(end - timedelta(days=days), case["opened_on"])
            earlier = self.timing(hand=due)
            if earlier["done_at"] < final["handed_out_at"]:
                result = EARLIER_RESULTS[case["status"]].pick(rng)
                earlier.update(rung=days, due_on=due, result=result)
                touches.insert(0, earlier)
        return touches


def seed_renewal_history(ctx: DemoContext) -> None:
    """Closed renewal cases for the policies that ended in the last 13 months, the agents'
    touches on the recent ones and the points of every renewal won."""
    started = monotonic()
    history = _History(ctx, default_ladder(ctx))
    today = history.today
    since = today - relativedelta(months=HISTORY_MONTHS)
    counts = history.counts
    past = (
        Policy.objects.filter(
            end_date__gte=since,
            end_date__lt=today,
            status__in=[PolicyStatus.RENEWED, PolicyStatus.LAPSED, PolicyStatus.EXPIRED],
            renewal_case__isnull=True,
        )
        # The policy renewing it (first one if several) comes in the same row.
        .order_by("pk", "renewals__pk")
        .values_list(
            "pk", "status", "end_date", "premium", "currency", "line", "insurer_id", "agent_id",
            "number", "holder__display_name", "renewals__pk", "renewals__premium",
            "renewals__written_on",
        )
    )  # fmt: skip
    last = None
    for chunk in _chunks(past.iterator(chunk_size=CHUNK), CHUNK):
        cases = []
        for row in chunk:
            if row[0] == last:
                continue  # a second renewal of the same policy
            last = row[0]
            case = history.case(row[:10], row[10:] if row[10] is not None else None)
            if case is not None:
                cases.append(case)
        insert_rows(RenewalCase, cases)
        _write_work(history, cases)
        for case in cases:
            counts["cases"] += 1
            counts[case["status"]] += 1
            counts["elsewhere"] += case.get("outcome_reason") == LostReason.RENEWED_ELSEWHERE
        del chunk, cases
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(RenewalCase._meta.db_table)}")
    queue_tables_analyze()
    ctx.write(
        f"renewal history: {counts['cases']} closed cases ({counts['won']} won, "
        f"{counts['lost']} lost of which {counts['elsewhere']} to another insurer, "
        f"{counts['lapsed']} lapsed), {counts['items']} touches done "
        f"({counts['late']} after the cutoff), {counts['points']} points awards "
        f"in {monotonic() - started:.1f} s"
    )


def _write_work(history: _History, cases: list[dict]) -> None:
    """The touches (one logged result each) and the points of a chunk of inserted cases."""
    items, points = [], []
    reason = _("Renewal of %(policy)s")
    for case in cases:
        agent_id = case["_agent"]
        for touch in case["_touches"]:
            result = touch["result"]
            callback_at = None
            if result == CALL_BACK.code:
                # The preferred windows: 9:30-11:00 or 15:30-17:00, the next day.
                start = history.rng.choice((9 * 60 + 30, 15 * 60 + 30))
                minutes = start + 15 * history.rng.randrange(6)
                callback_at = history.at(touch["done_day"] + timedelta(days=1), minutes)
            items.append(
                {
                    "kind": RENEWAL_KIND,
                    "subject_id": case["id"],
                    "key": f"rung-{touch['rung']}",
                    "title": case["_title"][:255],
                    "agent_id": agent_id,
                    "queue": Queue.AGENT,
                    "due_on": touch["due_on"],
                    "priority": 100 - touch["rung"],
                    "status": ItemStatus.DONE,
                    "attempts": 1,
                    "result": result,
                    "callback_at": callback_at,
                    "handed_out_at": touch["handed_out_at"],
                    "done_at": touch["done_at"],
                    "created_at": touch["handed_out_at"],
                    "_note": NOTES.get(result, ""),
                }
            )
            history.counts["late"] += touch["late"]
        if case["status"] == CaseStatus.WON and agent_id is not None:
            premium = case["_premium"]
            points.append(
                {
                    "agent_id": agent_id,
                    "kind": RENEWAL_KIND,
                    "subject_id": case["id"],
                    "points": renewal_points(premium),
                    "premium": premium,
                    "reason": (reason % {"policy": case["_policy"]})[:255],
                    "awarded_at": case["closed_at"],
                }
            )
    items_load_worked(items=items, points=points)
    history.counts["items"] += len(items)
    history.counts["points"] += len(points)
