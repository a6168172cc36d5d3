"""Reading the values insurers put in their reports: dates in five shapes, amounts with
thousands separators and currency signs, phones in local or international form.

Each parser takes what the spreadsheet reader gives (a string, a number, a date) and returns
the clean value or raises ``ValueError`` with a message for the row's error report.
"""

import functools
import re
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import phonenumbers
from django.conf import settings
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

from .errors import RowProblem

# Excel's day zero (the 1900 date system, with Lotus's leap-year bug folded in).
EXCEL_EPOCH = date(1899, 12, 30)
EXCEL_MIN, EXCEL_MAX = 1, 2_958_465  # 1900-01-01 … 9999-12-31

_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_CJK = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$")
_SERIAL = re.compile(r"^\d{1,7}(?:\.0+)?$")


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_date(value) -> date:
    """A date from an Excel date cell, an Excel serial number, ``2026-12-01``,
    ``01/12/2026`` (day first, as in Mexico, Spain and China's day-first exports),
    ``1.12.26`` or ``2026年12月1日``."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise RowProblem("date_not_a_date", value=value)
    if isinstance(value, int | float | Decimal):
        return _from_serial(value)
    text = str(value).strip()
    if not text:
        raise RowProblem("date_empty")
    for pattern, order in ((_ISO, "ymd"), (_CJK, "ymd"), (_DMY, "dmy")):
        match = pattern.match(text)
        if match:
            parts = dict(zip(order, (int(g) for g in match.groups()), strict=True))
            year = parts["y"]
            if year < 100:
                year += 2000
            try:
                return date(year, parts["m"], parts["d"])
            except ValueError as exc:
                raise RowProblem("date_not_real", value=text) from exc
    if _SERIAL.match(text):
        return _from_serial(Decimal(text))
    raise RowProblem("date_unknown_shape", value=text)


def _from_serial(number) -> date:
    whole = int(number)
    if number != whole or not EXCEL_MIN <= whole <= EXCEL_MAX:
        raise RowProblem("date_not_a_date", value=number)
    return EXCEL_EPOCH + timedelta(days=whole)


_CURRENCY = re.compile(r"(?i)(mx\$|us\$|rmb|mxn|usd|eur|cny|\$|€|¥|￥|元|pesos?)")


def parse_amount(value) -> Decimal:
    """An amount of money, never a float: ``12,500.50``, ``12.500,50``, ``$ 12 500``,
    ``¥12,500``, ``12500 MXN``. Negative amounts are refused (premiums are not)."""
    if isinstance(value, bool):
        raise RowProblem("amount_not_an_amount", value=value)
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        # The spreadsheet stored a binary float: its shortest repr is what the user typed.
        amount = Decimal(repr(value))
    elif isinstance(value, Decimal):
        amount = value
    else:
        amount = _amount_from_text(str(value))
    if amount < 0:
        raise RowProblem("amount_negative", value=value)
    if amount >= Decimal("1e10"):
        raise RowProblem("amount_too_large", value=value)
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# The common shapes of an amount written as text, read at once: "12500", "12500.5",
# "$12,500.50", "1,250,000": ASCII digits, thousands in groups of three after a comma, up to
# two decimals after a dot. The general reading below gives the same amount for each.
_PLAIN_AMOUNT = re.compile(r"\$?([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)((?:\.[0-9]{1,2})?)")


def _amount_from_text(text: str) -> Decimal:
    plain = _PLAIN_AMOUNT.fullmatch(text)
    if plain is not None:
        whole, fraction = plain.groups()
        return Decimal(whole.replace(",", "") + fraction)
    raw = text
    text = _CURRENCY.sub("", text).replace("\u00a0", " ").replace("'", "").strip()
    negative = text.startswith("-") or (text.startswith("(") and text.endswith(")"))
    text = text.strip("()-+ ").replace(" ", "")
    if not text:
        raise RowProblem("amount_empty")
    if not re.fullmatch(r"[\d.,]+", text):
        raise RowProblem("amount_not_an_amount", value=raw)
    comma, dot = text.rfind(","), text.rfind(".")
    if comma >= 0 and dot >= 0:
        # Both: the last one is the decimal mark.
        decimal_mark = "," if comma > dot else "."
    elif comma >= 0:
        # Only commas: "12,500" and "1,250,000" are thousands; "12,5" and "12,50" decimals.
        groups = text.split(",")
        decimal_mark = "," if len(groups) == 2 and len(groups[1]) != 3 else None
    elif text.count(".") > 1:
        decimal_mark = None  # "1.250.000"
    else:
        decimal_mark = "."
    thousands = {",": ".", ".": ",", None: ",."}[decimal_mark]
    for mark in thousands:
        text = text.replace(mark, "")
    if decimal_mark == ",":
        text = text.replace(",", ".")
    if decimal_mark is None:
        text = text.replace(",", "").replace(".", "")
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise RowProblem("amount_not_an_amount", value=raw) from exc
    return -amount if negative else amount


def parse_phone(value, region: str | None = None) -> str:
    """A phone number in E.164 (``+525512345678``) from ``55 1234 5678``,
    ``(55) 1234-5678``, ``+52 55 1234 5678``, ``0052…`` or a number cell."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if not text:
        raise RowProblem("phone_empty")
    region = region or settings.PHONENUMBER_DEFAULT_REGION
    e164 = _phone(text, region)
    if e164 is None:
        raise RowProblem("phone_not_a_phone", value=value)
    if not e164.startswith("+"):
        raise RowProblem("phone_invalid", value=value)
    return e164


# Separators people write between a number's digits (the quick path reads nothing else).
_PHONE_SEPARATORS = str.maketrans("", "", " -().\u00a0")


@functools.lru_cache(maxsize=16384)
def _phone(text: str, region: str) -> str | None:
    """E.164 for a valid number, "" for one that parses but is not valid, None for text that
    is not a phone number at all. Once per distinct text and region (a report repeats the
    numbers of families and companies); a plain national number goes the quick way."""
    quick = _national_e164(text, region)
    if quick:
        return quick
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# The kinds of number the library's validity check accepts (a number is valid when the
# region's general pattern and one of these match it), in its order.
_NUMBER_KINDS = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager",
                 "uan", "voicemail", "fixed_line", "mobile")  # fmt: skip


def _desc_fits(desc, length: int) -> bool:
    if desc is None or not desc.national_number_pattern:
        return False
    return not desc.possible_length or length in desc.possible_length


@functools.lru_cache(maxsize=256)
def _region_rules(region: str):
    """(country code, what a national prefix looks like, {length: (general pattern, pattern of
    every kind of number of that length)}) of a region whose country code no other region
    shares, else None (the full parse decides). The same patterns and lengths the library
    checks one kind at a time, joined into one expression per length."""
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None or len(COUNTRY_CODE_TO_REGION_CODE.get(metadata.country_code, ())) != 1:
        return None
    prefix = metadata.national_prefix_for_parsing or metadata.national_prefix
    by_length = {}
    for length in range(4, 16):
        if not _desc_fits(metadata.general_desc, length):
            continue
        kinds = [getattr(metadata, kind) for kind in _NUMBER_KINDS]
        patterns = [d.national_number_pattern for d in kinds if _desc_fits(d, length)]
        if patterns:
            by_length[length] = (
                re.compile(metadata.general_desc.national_number_pattern),
                re.compile("|".join(f"(?:{p})" for p in patterns)),
            )
    return metadata.country_code, re.compile(prefix) if prefix else None, by_length


def _national_e164(text: str, region: str) -> str | None:
    """The quick path: digits and separators only, no country code, no national or
    international prefix, valid for the region as they stand. Then the full parse would read
    the same digits as the national number (it strips nothing from a number that is valid as
    written), so its E.164 is the country code and the digits. Anything else: None."""
    digits = text.translate(_PHONE_SEPARATORS)
    if not (4 <= len(digits) <= 15 and digits.isascii() and digits.isdigit()) or digits[0] == "0":
        return None
    rules = _region_rules(region)
    if rules is None:
        return None
    country_code, prefix, by_length = rules
    if prefix is not None and prefix.match(digits):
        return None
    patterns = by_length.get(len(digits))
    if patterns is None or not (patterns[0].fullmatch(digits) and patterns[1].fullmatch(digits)):
        return None
    return f"+{country_code}{digits}"


def parse_text(value) -> str:
    """Text as the cell shows it: numbers stored as floats lose their ``.0``."""
    if value.__class__ is str:  # most cells: the general case's last line, at once
        return " ".join(value.split())
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return " ".join(str(value).split())


def memoised(parser, size: int = 4096):
    """``parser`` computed once per distinct cell value (and type: 1, 1.0 and True differ):
    a report repeats its dates, amounts, lines, currencies, makes and models on row after row.
    The values it returns are immutable; a value it refuses is refused again each time."""
    return functools.lru_cache(maxsize=size, typed=True)(parser)


def json_value(value):
    """A parsed value for JSON (previews, diffs): dates as ISO text, money as decimal text."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value
