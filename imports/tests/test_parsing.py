"""The report parsers, by example and by property (hypothesis)."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from imports.parsing import parse_amount, parse_date, parse_phone, parse_text

DATES = st.dates(min_value=date(1950, 1, 1), max_value=date(2099, 12, 31))


@pytest.mark.parametrize(
    "value",
    [
        "2026-12-01", "2026/12/01", "01/12/2026", "1/12/2026", "01-12-2026", "1.12.2026",
        "01/12/26", "2026年12月1日", "2026 年 12 月 1 日", 46357, 46357.0, "46357",
        datetime(2026, 12, 1, 0, 0), date(2026, 12, 1), "2026-12-01 00:00:00",
    ],
)  # fmt: skip
def test_it_reads_the_five_date_shapes(value):
    assert parse_date(value) == date(2026, 12, 1)


@pytest.mark.parametrize(
    "value,message",
    [
        ("", "empty"), ("31/02/2026", "Not a real date"), ("next week", "Not a date"),
        (46357.5, "Not a date"), (-3, "Not a date"), (True, "Not a date"),
        ("2026-13-01", "Not a real date"),
    ],
)  # fmt: skip
def test_it_refuses_what_is_not_a_date(value, message):
    with pytest.raises(ValueError, match=message):
        parse_date(value)


@given(DATES)
def test_every_date_survives_every_shape(day):
    shapes = [
        day.isoformat(),
        day.strftime("%d/%m/%Y"),
        day.strftime("%d.%m.%Y"),
        f"{day.year}年{day.month}月{day.day}日",
        (day - date(1899, 12, 30)).days,
        datetime(day.year, day.month, day.day),
    ]
    assert {parse_date(shape) for shape in shapes} == {day}


@pytest.mark.parametrize(
    "value,expected",
    [
        ("12,500.50", "12500.50"), ("12.500,50", "12500.50"), ("$ 12 500", "12500.00"),
        ("¥12,500", "12500.00"), ("12500 MXN", "12500.00"), ("MX$1,250,000.00", "1250000.00"),
        ("1.250.000", "1250000.00"), ("12,5", "12.50"), ("0", "0.00"), (12500.5, "12500.50"),
        (0.1 + 0.2, "0.30"), (12500, "12500.00"), ("3 499,99 €", "3499.99"), ("1,234", "1234.00"),
    ],
)  # fmt: skip
def test_it_reads_amounts_with_separators_and_currency_signs(value, expected):
    assert parse_amount(value) == Decimal(expected)


@pytest.mark.parametrize("value", ["", "abc", "-100", "(100)", "12,50,0.3x", True])
def test_it_refuses_what_is_not_an_amount(value):
    with pytest.raises(ValueError):
        parse_amount(value)


@given(st.decimals(min_value=0, max_value=Decimal("99999999.99"), places=2))
def test_every_amount_survives_every_style(amount):
    whole, cents = f"{amount:.2f}".split(".")
    grouped = f"{int(whole):,}"
    styles = [
        f"{grouped}.{cents}",
        f"{grouped.replace(',', '.')},{cents}",
        f"$ {grouped}.{cents}",
        f"{grouped}.{cents} MXN",
        f"¥{grouped}.{cents}",
        f"{grouped.replace(',', ' ')},{cents} €",
    ]
    assert {parse_amount(style) for style in styles} == {amount}


@pytest.mark.parametrize(
    "value",
    ["55 1234 5678", "(55) 1234-5678", "+52 55 1234 5678", "0052 55 1234 5678", 5512345678.0,
     "+525512345678", "55-1234-5678"],
)  # fmt: skip
def test_it_reads_phones_in_local_or_international_form(value):
    assert parse_phone(value, "MX") == "+525512345678"


@given(st.integers(min_value=10_000_000, max_value=99_999_999))
def test_every_mexico_city_number_reads_the_same_in_every_form(n):
    local = f"55{n:08d}"
    forms = [local, f"55 {n // 10000:04d} {n % 10000:04d}", f"+52 {local}", f"0052{local}",
             float(local)]  # fmt: skip
    assert {parse_phone(form, "MX") for form in forms} == {f"+52{local}"}


@pytest.mark.parametrize("value", ["", "12", "not a phone", "+52 55 1234"])
def test_it_refuses_what_is_not_a_phone(value):
    with pytest.raises(ValueError):
        parse_phone(value, "MX")


def test_text_cells_lose_the_float_tail_of_numbers():
    assert parse_text(123456.0) == "123456"
    assert parse_text("  HDI   0042 ") == "HDI 0042"
    assert parse_text(None) == ""
