"""Vehicle identification numbers (ISO 3779)."""

import re
from operator import mul

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
# The check digit (9th character) is mandatory for vehicles made for North America (WMI
# starting 1-5, which includes Mexico's 3) and for China (L, GB 16735).
_CHECK_DIGIT_REGIONS = set("12345L")
# Seventeen characters a VIN may use: the common case, checked in one match (an import checks
# 100,000 VINs); any other VIN goes through the character loop that says what is wrong.
_WELL_FORMED = re.compile("[0-9A-HJ-NPR-Z]{17}")


def normalize_vin(value: str) -> str:
    return "".join((value or "").split()).upper()


def vin_check_digit(vin: str) -> str:
    if len(vin) != len(_WEIGHTS):
        raise ValueError("a VIN has 17 characters")
    total = sum(map(mul, map(_VALUES.__getitem__, vin), _WEIGHTS))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def validate_vin(value: str) -> None:
    """A VIN's length, characters and check digit; the error carries its ``params`` (imports
    store them and render the message in each reader's language)."""
    vin = normalize_vin(value)
    if _WELL_FORMED.fullmatch(vin) is None:
        _check_characters(vin)
    if vin[0] in _CHECK_DIGIT_REGIONS:
        expected = vin_check_digit(vin)
        if vin[8] != expected:
            raise ValidationError(
                _(
                    "The check digit (9th character) is “%(got)s” but should be “%(expected)s”:"
                    " a character of this VIN is wrong. Check it against the vehicle registration."
                ),
                code="vin_check_digit",
                params={"got": vin[8], "expected": expected},
            )


def _check_characters(vin: str) -> None:
    """The error of a VIN that is not 17 characters a VIN may use."""
    if len(vin) != 17:
        raise ValidationError(
            _("A VIN has 17 characters; this one has %(count)d."),
            code="vin_length",
            params={"count": len(vin)},
        )
    for position, ch in enumerate(vin, start=1):
        if ch in "IOQ":
            raise ValidationError(
                _(
                    "Character %(position)d is “%(char)s”: the letters I, O and Q are never used"
                    " in a VIN (did you mean 1 or 0?)."
                ),
                code="vin_character",
                params={"position": position, "char": ch},
            )
        if ch not in _VALUES:
            raise ValidationError(
                _("Character %(position)d is “%(char)s”, which cannot appear in a VIN."),
                code="vin_character",
                params={"position": position, "char": ch},
            )
