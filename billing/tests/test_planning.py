"""The plan of a premium: amounts add up, due dates step by calendar months from the start."""

import calendar
from datetime import date, timedelta
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from billing.planning import plan, replan, split
from policies.models import PaymentFrequency, policy_date_problems
from policies.schedule import ScheduleTooLong

PER_YEAR = {
    PaymentFrequency.MONTHLY: 12,
    PaymentFrequency.QUARTERLY: 4,
    PaymentFrequency.SEMIANNUAL: 2,
    PaymentFrequency.ANNUAL: 1,
}

premiums = st.decimals(
    min_value=Decimal("0.00"), max_value=Decimal("9999999999.99"), places=2,
    allow_nan=False, allow_infinity=False,
)  # fmt: skip
frequencies = st.sampled_from(list(PaymentFrequency))
starts = st.dates(min_value=date(1900, 1, 1), max_value=date(2189, 12, 31))


@st.composite
def terms(draw):
    start = draw(starts)
    days = draw(st.integers(min_value=1, max_value=3652))
    end = start + timedelta(days=days)
    if end > start + relativedelta(years=10):
        end = start + relativedelta(years=10)
    return start, end


@given(premium=premiums, frequency=frequencies, term=terms())
def test_amounts_add_up_to_the_premium_in_cents(premium, frequency, term):
    start, end = term
    instalments = plan(premium, "MXN", frequency, start, end)
    amounts = [amount for _, _, amount in instalments]
    assert sum(amounts) == premium
    assert all(a == a.quantize(Decimal("0.01")) and a >= 0 for a in amounts)
    # Equal shares; the cents that do not divide go to the first.
    assert len(set(amounts[1:])) <= 1
    if len(amounts) > 1:
        assert 0 <= amounts[0] - amounts[1] < Decimal("0.01") * len(amounts)


@given(frequency=frequencies, term=terms())
def test_due_dates_step_by_months_from_the_start_never_past_the_end(frequency, term):
    start, end = term
    instalments = plan(Decimal("1000.00"), "MXN", frequency, start, end)
    step = 12 // PER_YEAR[frequency]
    assert [n for n, _, _ in instalments] == list(range(1, len(instalments) + 1))
    for number, due_on, _ in instalments:
        months = step * (number - 1)
        expected = start + relativedelta(months=months)
        assert due_on == expected < end
        # The start's day, or the month's last day when the month is shorter.
        last = calendar.monthrange(due_on.year, due_on.month)[1]
        assert due_on.day == min(start.day, last)
    # Every period starting before the end has its instalment: the next one would not.
    following = start + relativedelta(months=step * len(instalments))
    assert following >= end


@pytest.mark.parametrize(
    ("frequency", "count"),
    [("monthly", 12), ("quarterly", 4), ("semiannual", 2), ("annual", 1)],
)
def test_a_year_has_its_frequency_s_instalments(frequency, count):
    start = date(2025, 3, 15)
    assert len(plan(Decimal("1200.00"), "MXN", frequency, start, date(2026, 3, 15))) == count


def test_a_31_january_start_falls_due_at_the_end_of_february_then_on_the_31st():
    dues = [d for _, d, _ in plan(Decimal("1200"), "MXN", "monthly", date(2024, 1, 31),
                                  date(2025, 1, 31))]  # fmt: skip
    assert dues[:4] == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30)]
    dues = [d for _, d, _ in plan(Decimal("1200"), "MXN", "monthly", date(2025, 1, 31),
                                  date(2026, 1, 31))]  # fmt: skip
    assert dues[1:3] == [date(2025, 2, 28), date(2025, 3, 31)]


def test_short_and_long_terms_get_the_periods_that_start_before_their_end():
    start = date(2025, 1, 10)
    assert len(plan(Decimal("100"), "MXN", "quarterly", start, date(2025, 4, 10))) == 1
    assert len(plan(Decimal("100"), "MXN", "quarterly", start, date(2025, 4, 11))) == 2
    assert len(plan(Decimal("100"), "MXN", "annual", start, date(2027, 1, 10))) == 2


def test_the_remainder_goes_to_the_first_instalment():
    amounts = [a for _, _, a in plan(Decimal("100.00"), "MXN", "quarterly",
                                     date(2025, 1, 1), date(2026, 1, 1))]  # fmt: skip
    assert amounts == [Decimal("25.00")] * 4
    amounts = [a for _, _, a in plan(Decimal("100.00"), "MXN", "monthly",
                                     date(2025, 1, 1), date(2026, 1, 1))]  # fmt: skip
    assert amounts == [Decimal("8.37")] + [Decimal("8.33")] * 11
    assert split(Decimal("0.05"), 3) == [Decimal("0.03"), Decimal("0.01"), Decimal("0.01")]


def test_a_term_longer_than_ten_years_is_refused_not_looped_over():
    start = date(1900, 1, 1)
    assert policy_date_problems(start=start, end=date(2200, 12, 31))["end_date"][0] == (
        "term_too_long"
    )
    with pytest.raises(ScheduleTooLong):
        plan(Decimal("100"), "MXN", "monthly", start, date(2200, 12, 31))


@given(
    premium=premiums,
    frequency=frequencies,
    term=terms(),
    data=st.data(),
)
def test_a_replan_keeps_settled_instalments_and_still_adds_up(premium, frequency, term, data):
    start, end = term
    first = plan(Decimal("5000.00"), "MXN", "monthly", start, end)
    paid = data.draw(st.sets(st.sampled_from([n for n, _, _ in first]), max_size=4))
    kept = {n: (d, a) for n, d, a in first if n in paid}
    planned, count = replan(premium=premium, frequency=frequency, start=start, end=end, kept=kept)
    kept_total = sum((a for _, a in kept.values()), Decimal("0.00"))
    assert not {p.number for p in planned} & set(kept)
    if premium > kept_total:
        assert sum(p.amount for p in planned) + kept_total == premium
    else:
        assert planned == []
    assert count == max([*(p.number for p in planned), *kept], default=0)
    assert all(p.due_on < end for p in planned)
