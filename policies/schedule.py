"""Instalments of a policy's premium, by payment frequency."""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

from dateutil.relativedelta import relativedelta

from .models import PaymentFrequency

MONTHS_BETWEEN = {
    PaymentFrequency.MONTHLY: 1,
    PaymentFrequency.QUARTERLY: 3,
    PaymentFrequency.SEMIANNUAL: 6,
    PaymentFrequency.ANNUAL: 12,
}


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
    dues = []
    due = start
    while due < end:
        dues.append(due)
        due = start + relativedelta(months=step * len(dues))
    dues = dues or [start]
    share = (premium / len(dues)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    first = premium - share * (len(dues) - 1)
    return [
        Instalment(number=i + 1, due_on=d, amount=first if i == 0 else share)
        for i, d in enumerate(dues)
    ]
