"""Countries by their ISO 3166 code (an insurer's country: the region its reports' phones are
read in), named in the reader's language from the names phonenumbers ships for its regions."""

import phonenumbers
from django.utils.translation import get_language
from phonenumbers.geodata.locale import LOCALE_DATA

# The regions a phone number can be read in, e.g. "CN", "MX", "US".
COUNTRY_CODES = tuple(sorted(phonenumbers.SUPPORTED_REGIONS))


def country_name(code: str, language: str | None = None) -> str:
    """The country's name in ``language`` (default: the active one), English when phonenumbers
    has none in that language, the code itself for an unknown code."""
    code = (code or "").upper()
    names = LOCALE_DATA.get(code, {})
    language = (language or get_language() or "en").split("-")[0].lower()
    return _resolve(names, language) or _resolve(names, "aa") or _UNNAMED.get(code, code)


# Regions phonenumbers names in no language.
_UNNAMED = {"AC": "Ascension Island", "TA": "Tristan da Cunha", "XK": "Kosovo"}


def _resolve(names: dict, language: str) -> str:
    """The name in ``language`` ("aa": English); "*xx" means "as in language xx"."""
    name = names.get(language, "")
    for _step in range(3):
        if not name.startswith("*"):
            return name
        name = names.get(name[1:], "")
    return ""


def country_choices(language: str | None = None) -> list[tuple[str, str]]:
    """(code, "Name (code)") for every region, by name in the reader's language."""
    choices = [(code, f"{country_name(code, language)} ({code})") for code in COUNTRY_CODES]
    return sorted(choices, key=lambda choice: choice[1].casefold())
