"""The one search box of the client list.

Clients match by name (trigram index on PostgreSQL), phone, national or tax ID here; apps above
``clients`` (policies: number, plate, VIN) register matchers that return client ids, so this
app never imports them. Each matcher runs one query, so a search runs a fixed number.
"""

from collections.abc import Callable

import phonenumbers
from django.conf import settings
from django.db.models import Q
from django.db.models.lookups import Exact

from .models import id_key, id_key_expression

MAX_IDS_PER_MATCHER = 500

_MATCHERS: list[Callable[[str], list[int]]] = []


def register_matcher(matcher: Callable[[str], list[int]]) -> None:
    if matcher not in _MATCHERS:
        _MATCHERS.append(matcher)


def compact(text: str) -> str:
    """Upper case without spaces, dashes or dots: how IDs, plates and VINs are stored."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def as_phone(text: str) -> str | None:
    digits = sum(ch.isdigit() for ch in text)
    if digits < 7 or any(ch.isalpha() for ch in text):
        return None
    try:
        number = phonenumbers.parse(text, settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def search_q(text: str, *, matchers: bool = True) -> Q:
    """Clients matching the text; ``matchers=False`` leaves out the registered matchers (a
    page that matches policies, plates and VINs on its own rows)."""
    text = " ".join(text.split())
    code = compact(text)
    phone = as_phone(text)
    # A phone number (digits and separators, no letter) is no one's name: leaving the name out
    # leaves PostgreSQL plain index look-ups, where "name contains 55 7409 3521" made it walk
    # the whole book in name order (1.4 s at 430,000 clients).
    condition = Q() if phone else Q(display_name__icontains=text)
    if code:
        # IDs compared in normal form, on the expression indexes (the duplicate checks' too).
        key = id_key(code)
        condition |= Q(Exact(id_key_expression("national_id"), key)) | Q(
            Exact(id_key_expression("tax_id"), key)
        )
    if phone:
        condition |= Q(phone=phone) | Q(phone_other=phone) | Q(whatsapp=phone)
    ids: set[int] = set()
    for matcher in _MATCHERS if matchers else ():
        ids.update(matcher(text))
    if ids:
        condition |= Q(pk__in=sorted(ids))
    return condition
