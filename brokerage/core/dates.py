"""Days and moments in the brokerage's time zone (settings.TIME_ZONE)."""

from datetime import date, datetime, time
from functools import lru_cache

from django.utils import timezone
from django.utils.formats import date_format, get_format


def day_start(day: date) -> datetime:
    """The first moment of ``day`` in local time (a range of days ends before the next one's)."""
    return timezone.make_aware(datetime.combine(day, time.min))


# The format characters a day's short form uses in the languages shipped (m/d/Y, d/m/Y,
# Y年n月j日): written with plain integer formatting instead of Django's general date formatter,
# which costs some 40 µs a date (a call list shows hundreds). Any other character of a
# format sends the whole format to Django's formatter.
_DAY_PARTS = {
    "d": lambda d: f"{d.day:02d}",
    "j": lambda d: str(d.day),
    "m": lambda d: f"{d.month:02d}",
    "n": lambda d: str(d.month),
    "Y": lambda d: f"{d.year:04d}",
    "y": lambda d: f"{d.year % 100:02d}",
}


@lru_cache(maxsize=32)
def _day_format(fmt: str) -> tuple | None:
    parts, escaped = [], False
    for char in fmt:
        if escaped:
            parts.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in _DAY_PARTS:
            parts.append(_DAY_PARTS[char])
        elif char.isascii() and char.isalpha():
            return None  # a name of a month or a weekday: Django's formatter writes it
        else:
            parts.append(char)
    return tuple(parts)


def short_date(value) -> str:
    """``value|date:"SHORT_DATE_FORMAT"`` in the active language, the same text, faster. A
    moment is shown on its local day."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    parts = _day_format(get_format("SHORT_DATE_FORMAT"))
    if parts is None:
        return date_format(value, "SHORT_DATE_FORMAT")
    return "".join(part if isinstance(part, str) else part(value) for part in parts)


def short_date_writer():
    """``short_date`` for many days in the active language (a payment history's dozen on each
    card): the language's format is looked up once, not at each day."""
    parts = _day_format(get_format("SHORT_DATE_FORMAT"))
    if parts is None:
        return short_date

    def write(value) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, datetime):
            value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
        return "".join(part if isinstance(part, str) else part(value) for part in parts)

    return write
