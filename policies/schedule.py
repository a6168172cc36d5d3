"""Instalments of a policy's premium, by payment frequency."""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

from dateutil.relativedelta import relativedelta

from .models import POLICY_MAX_TERM_YEARS, PaymentFrequency

MONTHS_BETWEEN = {
    PaymentFrequency.MONTHLY: 1,
    PaymentFrequency.QUARTERLY: 3,
    PaymentFrequency.SEMIANNUAL: 6,
    PaymentFrequency.ANNUAL: 12,
}


# The longest schedule drawn: a policy's longest term, paid monthly. A longer one (a row written
# before the dates were bounded) is refused rather than looped over.
MAX_SCHEDULE_MONTHS = 12 * POLICY_MAX_TERM_YEARS


class ScheduleTooLong(ValueError):
    """The policy's term is longer than any schedule Cartera draws."""


@dataclass(frozen=True)
class Instalment:
    number: int
    due_on: date
    amount: Decimal


def instalment_schedule(
    *, premium: Decimal, frequency: str, start: date, end: date
) -> list[Instalment]:
    """Split the premium into equal instalments due from the start date; the cents that do not
    divide go on the first instalment, so the instalments add up to the premium exactly."""
    step = MONTHS_BETWEEN[frequency]
    months = (end.year - start.year) * 12 + end.month - start.month
    if months > MAX_SCHEDULE_MONTHS:
        raise ScheduleTooLong(start, end)
    # No due date is computed past the end's month, so none overflows the calendar either.
    dues = [start + relativedelta(months=k) for k in range(0, max(months, 0) + 1, step)]
    dues = [due for due in dues if due < end] or [start]
    share = (premium / len(dues)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    first = premium - share * (len(dues) - 1)
    return [
        Instalment(number=i + 1, due_on=d, amount=first if i == 0 else share)
        for i, d in enumerate(dues)
    ]


@dataclass(frozen=True)
class ScheduleLine:
    """One line of the instalment table a policy prints: a written instalment with its status,
    or, for a policy not yet planned, the computed one (no status)."""

    number: int
    count: int
    due_on: date
    amount: Decimal
    currency: str
    status: str = ""  # the status's label, in the reader's language
    paid_amount: Decimal | None = None


def policy_schedule(policy) -> list[ScheduleLine]:
    """The policy's instalments as written (by billing, which policies does not import: the
    reverse relation ``policy.instalments`` is enough), else its computed plan. One query."""
    written = list(policy.instalments.order_by("number"))
    if written:
        return [
            ScheduleLine(
                number=i.number,
                count=i.count,
                due_on=i.due_on,
                amount=i.amount,
                currency=i.currency,
                status=i.get_status_display(),
                paid_amount=i.paid_amount,
            )  # fmt: skip
            for i in written
        ]
    computed = instalment_schedule(
        premium=policy.premium, frequency=policy.payment_frequency,
        start=policy.start_date, end=policy.end_date,
    )  # fmt: skip
    return [
        ScheduleLine(
            number=i.number,
            count=len(computed),
            due_on=i.due_on,
            amount=i.amount,
            currency=policy.currency,
        )  # fmt: skip
        for i in computed
    ]
