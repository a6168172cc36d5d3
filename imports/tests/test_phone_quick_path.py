"""A phone is read once per distinct number, and a plain national number is checked against
its region's patterns without the full parse (issue 14, part 3): it must read exactly as the
full parse reads it, valid or not."""

import random

import phonenumbers
import pytest
from phonenumbers import PhoneNumberType

from imports import parsing
from imports.errors import RowProblem

KINDS = (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.TOLL_FREE,
         PhoneNumberType.PREMIUM_RATE, PhoneNumberType.VOIP, PhoneNumberType.UAN)  # fmt: skip


def _full_parse(text: str, region: str) -> str:
    """What parse_phone answered before the quick path: E.164, or the error's code."""
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return "phone_not_a_phone"
    if not phonenumbers.is_valid_number(number):
        return "phone_invalid"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _read(text: str, region: str) -> str:
    try:
        return parsing.parse_phone(text, region)
    except RowProblem as exc:
        return exc.code


def _near_valid(region: str, rng: random.Random):
    """The region's example numbers with a few digits changed, one dropped or one added, some
    written with spaces and dashes."""
    for kind in KINDS:
        example = phonenumbers.example_number_for_type(region, kind)
        if example is None:
            continue
        base = phonenumbers.national_significant_number(example)
        for _n in range(40):
            digits = list(base)
            for _change in range(rng.randint(0, 2)):
                digits[rng.randrange(len(digits))] = rng.choice("0123456789")
            text = "".join(digits)
            text = rng.choice((text, text[:-1], text + "7", f"{text[:3]} {text[3:6]}-{text[6:]}"))
            yield text


@pytest.mark.parametrize("region", ["MX", "CN", "ES", "CO", "US", "GB", "IT", "AR"])
def test_the_quick_path_reads_every_number_as_the_full_parse(region):
    rng = random.Random(region)
    quick = 0
    for text in _near_valid(region, rng):
        parsing._phone.cache_clear()
        quick += parsing._national_e164(text, region) is not None
        assert _read(text, region) == _full_parse(text, region), text
    if region in ("MX", "CN", "ES", "CO"):
        assert quick > 0  # the quick path is taken for these regions' plain numbers


def test_bench_like_mexican_and_chinese_numbers_take_the_quick_path():
    assert parsing._national_e164("55 1234 5678", "MX") == "+525512345678"
    assert parsing._national_e164("138 0013 8000", "CN") == "+8613800138000"
    # Prefixed, international or not valid as written: left to the full parse.
    assert parsing._national_e164("+52 55 1234 5678", "MX") is None
    assert parsing._national_e164("010 1234 5678", "CN") is None
    assert parsing._national_e164("12345", "MX") is None
    assert parsing.parse_phone("0052 55 1234 5678", "MX") == "+525512345678"
