"""Writes to instalments: a policy's plan, re-planned when the policy changes, and cancelled
with it. (Payments and their allocations are written by ``billing.payments``.)

A settled instalment (anything paid on it, or paid or waived) is never touched: a re-plan
spreads what is left of the premium over the other periods. ``instalments_plan_missing`` is the
set-based twin of ``instalments_plan`` for imports, the demo and the morning catch-up: one
statement plans every policy that has no instalment, whatever their number.
"""

from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from brokerage.core.sql import id_array
from policies.models import (
    POLICY_FIRST_DAY,
    POLICY_LAST_DAY,
    POLICY_MAX_TERM_YEARS,
    Policy,
    PolicyStatus,
    policy_date_problems,
)
from policies.services import policy_followers_lock

from .models import Instalment, InstalmentStatus
from .planning import replan
from .work import instalments_calls_close, policy_cancelled

# Statuses a re-plan may rewrite or drop when nothing is paid on them.
REPLANNABLE = (
    InstalmentStatus.PENDING,
    InstalmentStatus.OVERDUE,
    InstalmentStatus.CANCELLED,
)


def _settled(instalment: Instalment) -> bool:
    return instalment.paid_amount > 0 or instalment.status not in REPLANNABLE


@transaction.atomic
def instalments_plan(policy: Policy, by=None, *, reason: str = "planned") -> list[Instalment]:
    """Write the policy's instalments from its premium, frequency and dates: the first plan, or
    a re-plan after a change. Settled instalments keep their number, date and amounts; the
    others are rewritten in place (same row, history of the change), added or dropped. A
    cancelled policy or one with dates out of bounds is left as it is. Returns the policy's
    instalments, in order."""
    existing = list(Instalment.objects.select_for_update().filter(policy=policy).order_by("number"))
    cancelled = policy.status == PolicyStatus.CANCELLED
    if (cancelled and existing) or policy_date_problems(
        start=policy.start_date, end=policy.end_date
    ):
        return existing
    settled = {i.number: i for i in existing if _settled(i)}
    open_by_number = {i.number: i for i in existing if i.number not in settled}
    planned, count = replan(
        premium=policy.premium,
        frequency=policy.payment_frequency,
        start=policy.start_date,
        end=policy.end_date,
        kept={n: (i.due_on, i.amount) for n, i in settled.items()},
    )
    now = timezone.now()
    new, changed = [], []
    for period in planned:
        instalment = open_by_number.pop(period.number, None)
        if instalment is None:
            new.append(
                Instalment(
                    policy=policy,
                    number=period.number,
                    count=count,
                    due_on=period.due_on,
                    amount=period.amount,
                    currency=policy.currency,
                )  # fmt: skip
            )
            continue
        values = {
            "count": count, "due_on": period.due_on, "amount": period.amount,
            "currency": policy.currency, "status": InstalmentStatus.PENDING,
        }  # fmt: skip
        if any(getattr(instalment, k) != v for k, v in values.items()):
            for field, value in values.items():
                setattr(instalment, field, value)
            changed.append(instalment)
    # Settled ones keep their money and dates; only the plan's size they are part of follows.
    recount = [i for i in settled.values() if i.count != count]
    for instalment in recount:
        instalment.count = count
    if open_by_number:  # their calls go with them
        instalments_calls_close(instalment_ids=[i.pk for i in open_by_number.values()])
    for instalment in open_by_number.values():  # periods the new plan no longer has
        instalment._history_user = by
        instalment._change_reason = reason
        instalment.delete()
    if changed:
        bulk_update_with_history(
            changed, Instalment, ["count", "due_on", "amount", "currency", "status"],
            default_user=by, default_change_reason=reason, default_date=now,
        )  # fmt: skip
    if recount:
        bulk_update_with_history(
            recount, Instalment, ["count"], default_user=by, default_change_reason=reason,
            default_date=now,
        )  # fmt: skip
    if new:
        bulk_create_with_history(
            new, Instalment, default_user=by, default_change_reason=reason, default_date=now
        )
    if cancelled and policy.cancelled_on is not None:  # planned late: as the SQL plan does
        instalments_cancel_future(policy, policy.cancelled_on, by=by)
    return list(Instalment.objects.filter(policy=policy).order_by("number"))


@transaction.atomic
def instalments_cancel_future(policy: Policy, on: date, by=None) -> int:
    """The policy is cancelled from ``on``: its open instalments due after that day are
    cancelled (those already paid, in part or in full, stay as they are). Returns how many."""
    cancelled = list(
        Instalment.objects.select_for_update()
        .filter(policy=policy, due_on__gt=on, paid_amount=0)
        .filter(Q(status=InstalmentStatus.PENDING) | Q(status=InstalmentStatus.OVERDUE))
    )
    for instalment in cancelled:
        instalment.status = InstalmentStatus.CANCELLED
    if cancelled:
        bulk_update_with_history(
            cancelled, Instalment, ["status"], default_user=by,
            default_change_reason="policy cancelled", default_date=timezone.now(),
        )  # fmt: skip
    return len(cancelled)


# --- Set-based ----------------------------------------------------------------------------

# Months between due dates, as SQL.
_STEP = """CASE p.payment_frequency WHEN 'monthly' THEN 1 WHEN 'quarterly' THEN 3
           WHEN 'semiannual' THEN 6 ELSE 12 END"""

_PLAN_MISSING = f"""
WITH policy AS (
    SELECT p.id, p.premium, p.currency, p.status, p.cancelled_on, p.start_date, p.end_date,
           p.agent_id, p.insurer_id, p.line, p.holder_id,
           {_STEP} AS step,
           (EXTRACT(YEAR FROM p.end_date) - EXTRACT(YEAR FROM p.start_date))::int * 12
           + EXTRACT(MONTH FROM p.end_date)::int - EXTRACT(MONTH FROM p.start_date)::int
               AS months
    FROM policies_policy p
    WHERE p.premium > 0
      AND p.start_date >= %(first)s AND p.end_date <= %(last)s
      AND p.end_date > p.start_date
      AND p.end_date <= p.start_date + make_interval(years => %(years)s)
      {{bounds}}
      AND {{missing}}
    -- Sorted, so that every policy is checked before the first instalment is written: a
    -- nested loop re-reading the instalments' table for each policy (the planner's choice when
    -- its statistics say empty) would also read the pages this statement is filling, and
    -- grow with the square of the plan (100,000 policies: over 10 minutes). In policy order the
    -- instalments' (policy, number) index and the policies' checks are written in order too.
    ORDER BY p.id
),
counted AS (
    -- Due dates are start + k months (PostgreSQL's date + months clamps to the month's end, as
    -- relativedelta does) for k = 0, step, 2 step… up to the months between the start's and
    -- the end's calendar months: they grow with k, and all but the last fall in a month before
    -- the end's, so only the last can miss the end (same month, not an earlier day). Their
    -- count needs no window over the rows.
    SELECT policy.*,
           policy.months / policy.step + 1
           - CASE WHEN (policy.start_date
                        + make_interval(months => policy.months / policy.step * policy.step)
                       )::date >= policy.end_date
                  THEN 1 ELSE 0 END AS count
    FROM policy
),
numbered AS (
    SELECT counted.*, k.months_on / counted.step + 1 AS number,
           (counted.start_date + make_interval(months => k.months_on))::date AS due_on
    FROM counted
    CROSS JOIN LATERAL generate_series(0, (counted.count - 1) * counted.step, counted.step)
        AS k(months_on)
),
inserted AS (
    INSERT INTO billing_instalment
        (policy_id, number, count, due_on, amount, currency, status, paid_amount, paid_on,
         agent_id, insurer_id, line, holder_id)
    -- The policy's report dimensions copied here, not by the insert trigger once per row
    -- (it runs for rows with no holder).
    SELECT n.id, n.number, n.count, n.due_on,
           CASE WHEN n.number = 1
                THEN n.premium - trunc(n.premium / n.count, 2) * (n.count - 1)
                ELSE trunc(n.premium / n.count, 2) END,
           n.currency,
           CASE WHEN n.status = 'cancelled' AND n.due_on > n.cancelled_on
                THEN 'cancelled' ELSE 'pending' END,
           0, NULL,
           n.agent_id, n.insurer_id, n.line, n.holder_id
    FROM numbered n
    ON CONFLICT (policy_id, number) DO NOTHING
    RETURNING *
)
INSERT INTO billing_historicalinstalment
    ({{columns}}, history_date, history_type, history_change_reason, history_user_id)
SELECT {{columns}}, %(now)s, '+', %(reason)s, %(user)s FROM inserted
"""


# The morning catch-up reads the policies written in this window: every older one was planned
# when it was written, after its import, or by an earlier morning.
CATCH_UP_WINDOW = timedelta(days=7)


def instalments_plan_catch_up() -> int:
    """The morning's catch-up: plan any policy of the last ``CATCH_UP_WINDOW`` still without
    instalments (a hook or an import task that failed)."""
    return instalments_plan_missing(created_since=timezone.now() - CATCH_UP_WINDOW)


def instalments_plan_missing(
    *, by=None, reason: str = "planned", policy_id_from: int | None = None,
    created_since=None, policy_ids: list[int] | None = None,
) -> int:  # fmt: skip
    """Plan, in one statement, every policy that has no instalment (imported ones, the demo's,
    any a failed hook missed): the same plan as ``instalments_plan``, with a history row each.
    Policies with no premium or dates out of bounds are left out. Safe to run twice, or twice
    at once. Returns the number of instalments written.

    Bounds, for callers that know where the unplanned policies are (each leaves the others
    unread): ``policy_id_from``, the lowest id of the policies just written (an import's);
    ``created_since``, a time before which every policy was planned (the morning catch-up
    since its last run); ``policy_ids``, these policies only (an import's chunk).

    It takes the followers' lock shared (policies.services.policy_followers_lock): an import
    chunk that reassigns the policies it plans waits for the plan, then moves its instalments
    too."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in Instalment._meta.concrete_fields)
    bounds = []
    if policy_id_from is not None:
        bounds.append("AND p.id >= %(policy_id_from)s")
    if created_since is not None:
        bounds.append("AND p.created_at >= %(created_since)s")
    if policy_ids is not None:
        bounds.append("AND p.id = ANY(%(policy_ids)s::bigint[])")
    # Whether the policy has instalments already: for the given policies (an import's chunk)
    # one probe of the (policy, number) index each, the LIMIT keeping it a subquery the
    # planner cannot turn into a join. As an anti join it hashed every instalment in the
    # table for each chunk, those of the chunks before it too (its statistics not yet
    # counting them): a scan per chunk that grew with the report. (Should the planner, the
    # table looking empty, probe by scanning it while the statement fills it, the cost is
    # bounded by the chunk's 5,000 policies, not the square of a whole plan as above.)
    missing = (
        "NOT EXISTS (SELECT 1 FROM (SELECT 1 FROM billing_instalment i"
        " WHERE i.policy_id = p.id LIMIT 1) AS x)"
        if policy_ids is not None
        else "NOT EXISTS (SELECT 1 FROM billing_instalment i WHERE i.policy_id = p.id)"
    )
    sql = (
        _PLAN_MISSING.replace("{columns}", columns)
        .replace("{bounds}", " ".join(bounds))
        .replace("{missing}", missing)
    )
    params = {
        "first": POLICY_FIRST_DAY, "last": POLICY_LAST_DAY, "years": POLICY_MAX_TERM_YEARS,
        "now": timezone.now(), "reason": reason, "user": by.pk if by is not None else None,
        "policy_id_from": policy_id_from, "created_since": created_since,
        "policy_ids": id_array(policy_ids or ()),
    }  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        policy_followers_lock(shared=True)
        # The planner's guess of the due dates per policy (hundreds: it cannot see the
        # series' bounds) would buy a JIT compilation that costs more than the statement
        # (a second at 100,000 policies): off for this statement, then as it was.
        cursor.execute("SELECT current_setting('jit'), set_config('jit', 'off', true)")
        (jit, _off) = cursor.fetchone()
        cursor.execute(sql, params)
        written = cursor.rowcount
        cursor.execute("SELECT set_config('jit', %s, true)", [jit])
        return written


# --- What billing hears of policies (registered in BillingConfig.ready) ---------------------


def policy_created_hook(*, policy: Policy, by) -> None:
    instalments_plan(policy, by)


def policy_terms_changed_hook(*, policy: Policy, by, changed: set[str]) -> None:
    instalments_plan(policy, by, reason="re-planned")


def policy_cancelled_hook(*, policy: Policy, by, on: date) -> None:
    instalments_cancel_future(policy, on, by=by)
    policy_cancelled(policy=policy, by=by)
