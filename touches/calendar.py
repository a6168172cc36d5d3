"""Whose day it is, and which holidays fall on it (greetings, issue 17).

Cartera keeps no time zone or country per client. A client's **country** is read from their
phone number (else their WhatsApp): its international calling code, among the countries whose
holidays Cartera greets (``COUNTRY_TIME_ZONES``: Mexico and China to start); any other number,
or none, is the brokerage's country (``PHONENUMBER_DEFAULT_REGION``, the setting
``PHONE_DEFAULT_REGION``). A client's **day** is their country's: the brokerage's own time zone
(``TIME_ZONE``) for clients of the brokerage's country, the country's main time zone for the
others. The morning run, at the brokerage's morning, greets each client for the day it is
where they are: a client in Shanghai of a brokerage in Mexico City is greeted at 20:00 of their
day, one in Mexico City of a brokerage in Shanghai at 16:00 of theirs (the day before the
brokerage's).

Holidays come from the ``holidays`` package (public holidays, without observed and substitute
days off), named in the client's language when the package has it."""

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
import phonenumbers
from django.conf import settings
from django.utils.text import slugify

# The countries greeted with their own calendar and day, and each one's main time zone.
COUNTRY_TIME_ZONES = {"MX": "America/Mexico_City", "CN": "Asia/Shanghai"}

# Cartera's languages → the holidays package's.
HOLIDAY_LANGUAGES = {"en": "en_US", "es": "es", "zh-hans": "zh_CN"}


def home_country() -> str:
    return (settings.PHONENUMBER_DEFAULT_REGION or "MX").upper()


def countries() -> list[str]:
    """The countries a client can be of: the greeted ones and the brokerage's."""
    return sorted({*COUNTRY_TIME_ZONES, home_country()})


def time_zone(country: str) -> ZoneInfo:
    if country == home_country() or country not in COUNTRY_TIME_ZONES:
        return ZoneInfo(settings.TIME_ZONE)
    return ZoneInfo(COUNTRY_TIME_ZONES[country])


def local_days(now: datetime) -> dict[str, date]:
    """Each country's day at ``now``."""
    return {country: now.astimezone(time_zone(country)).date() for country in countries()}


def country_sql(column_phone: str, column_whatsapp: str) -> tuple[str, list]:
    """SQL (and its parameters) for a client's country from their stored E.164 numbers."""
    number = f"COALESCE(NULLIF({column_phone}, ''), NULLIF({column_whatsapp}, ''), '')"
    cases, params = [], []
    for country in countries():
        if country == home_country():
            continue
        cases.append(f"WHEN {number} LIKE %s THEN %s")
        params += [f"+{phonenumbers.country_code_for_region(country)}%", country]
    if not cases:
        return "%s", [home_country()]
    return f"(CASE {' '.join(cases)} ELSE %s END)", [*params, home_country()]


@dataclass(frozen=True)
class Holiday:
    country: str
    day: date
    name: str  # in English: the occasion's key

    @property
    def occasion(self) -> str:
        return f"{self.day.year}-{slugify(self.name)}"[:120]


# The package's calendars are computed, not read from the database: every process computes the
# same, so keeping a few per process (country, year, language) is safe.
@lru_cache(maxsize=64)
def _calendar(country: str, year: int, language: str):
    try:
        return holidays.country_holidays(country, years=year, observed=False, language=language)
    except NotImplementedError:  # a country the package does not know: no holidays
        return {}


def holiday_on(country: str, day: date) -> Holiday | None:
    """The public holiday of ``country`` on ``day``, if any (a substitute day off is not)."""
    name = _calendar(country, day.year, "en_US").get(day)
    if not name:
        return None
    names = [n for n in name.split("; ") if not n.startswith("Day off")]
    if not names:
        return None
    return Holiday(country=country, day=day, name=names[0])


def holiday_name(holiday: Holiday, language: str) -> str:
    """The holiday's name in ``language`` (a Cartera language code), English when the package
    has none in it."""
    wanted = HOLIDAY_LANGUAGES.get(language, "en_US")
    calendar = _calendar(holiday.country, holiday.day.year, "en_US")
    if wanted in getattr(calendar, "supported_languages", ()):
        name = _calendar(holiday.country, holiday.day.year, wanted).get(holiday.day) or ""
        names = [n for n in name.split("; ") if n]
        if names:
            english = [n for n in calendar.get(holiday.day).split("; ")]
            index = english.index(holiday.name) if holiday.name in english else 0
            return names[min(index, len(names) - 1)]
    return holiday.name
