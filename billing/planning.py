"""A policy's premium split into instalments, computed (nothing is written here).

The split is the one the policy PDF has always printed (``policies.schedule``): one instalment
per period of the payment frequency that starts before the policy ends, due dates stepping by
calendar months from the start date (each one computed from the start, so a 31 January start
falls due on 28/29 February, then 31 March), amounts in cents adding up exactly to the premium,
the cents that do not divide on the first. ``billing.services`` writes it, and its set-based
twin (``instalments_plan_missing``) computes the same plan in SQL.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

from policies.schedule import MONTHS_BETWEEN, instalment_schedule

CENT = Decimal("0.01")

__all__ = ["MONTHS_BETWEEN", "Period", "plan", "replan", "split"]


def plan(
    premium: Decimal, currency: str, frequency: str, start: date, end: date
) -> list[tuple[int, date, Decimal]]:
    """(number, due date, amount) of each instalment of a premium. The dates must be a policy's
    valid dates (``policies.models.policy_date_problems``): a longer term is refused
    (``policies.schedule.ScheduleTooLong``), never looped over."""
    premium = Decimal(premium).quantize(CENT)
    return [
        (i.number, i.due_on, i.amount)
        for i in instalment_schedule(premium=premium, frequency=frequency, start=start, end=end)
    ]


def split(total: Decimal, count: int) -> list[Decimal]:
    """``total`` in ``count`` shares of whole cents adding up to it, the remainder on the first."""
    if count <= 0:
        return []
    share = (total / count).quantize(CENT, rounding=ROUND_DOWN)
    return [total - share * (count - 1)] + [share] * (count - 1)


@dataclass(frozen=True)
class Period:
    number: int
    due_on: date
    amount: Decimal


def replan(
    *,
    premium: Decimal,
    frequency: str,
    start: date,
    end: date,
    kept: dict[int, tuple[date, Decimal]],
) -> tuple[list[Period], int]:
    """The plan of a policy some of whose instalments are settled and never change (``kept``:
    number -> (due date, amount)): the premium less what the kept ones carry, spread over the
    periods of the new plan whose numbers are not kept (remainder on the first of them). When
    none is left but money is still owed, one instalment numbered after the last carries it,
    due on the later of the plan's last due date and the last kept one. Nothing is owed past
    the premium: an amount kept beyond it plans no instalment. Returns the instalments to
    hold besides the kept ones and the plan's count (the highest number)."""
    periods = plan(premium, "", frequency, start, end)
    premium = Decimal(premium).quantize(CENT)
    left = premium - sum((amount for _, amount in kept.values()), Decimal("0.00"))
    free = [(number, due_on) for number, due_on, _ in periods if number not in kept]
    if left <= 0:
        planned = []
    elif free:
        planned = [
            Period(number, due_on, amount)
            for (number, due_on), amount in zip(free, split(left, len(free)), strict=True)
        ]
    else:
        last_due = max([periods[-1][1], *(due_on for due_on, _ in kept.values())])
        planned = [Period(max(kept) + 1, last_due, left)]
    numbers = [p.number for p in planned] + list(kept)
    return planned, max(numbers, default=0)
