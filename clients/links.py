"""Links to reach a client, shared by every app that shows a client to call (the renewal and
quote follow-up cards)."""

from django.conf import settings
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from brokerage.core.markup import fmt
from brokerage.core.reversing import pk_url

# A number's text by everything it is written from (its digits, extension and leading zeros,
# and the raw input an invalid number is shown as): formatting one costs some 50 µs (the
# validity check and the pattern), and a call list shows the same numbers page after page.
_PHONE_TEXTS: dict[tuple, str] = {}


def phone_text(number) -> str:
    """A phone number as the pages show it (``PHONENUMBER_DEFAULT_FORMAT``), or "" when there is
    none. A stored number formats itself on each ``str()`` (and on each truth test): a call list
    writes it once with this, and the same number is formatted once per process."""
    if number is None or isinstance(number, str):
        return number or ""
    key = (
        number.raw_input,
        number.country_code,
        number.national_number,
        number.extension,
        number.italian_leading_zero,
        number.number_of_leading_zeros,
        settings.PHONENUMBER_DEFAULT_FORMAT,
    )
    text = _PHONE_TEXTS.get(key)
    if text is None:
        if len(_PHONE_TEXTS) > 100_000:
            _PHONE_TEXTS.clear()
        text = _PHONE_TEXTS[key] = str(number)
    return text


def whatsapp_url(number) -> str:
    """A wa.me link for a phone number (digits only), or "" when there is none."""
    digits = "".join(ch for ch in phone_text(number) if ch.isdigit())
    return f"https://wa.me/{digits}" if digits else ""


def call_links(client) -> tuple[str, str]:
    """The client's phone as shown and the WhatsApp link (their WhatsApp number, else their
    phone), each number formatted once."""
    phone = phone_text(client.phone)
    return phone, whatsapp_url(phone_text(client.whatsapp) or phone)


# What a call card reads of a client (``call_contact_html``, the maintainers' cards, the exports):
# a context loads only these (``.only(*call_client_fields("policy__holder__"))``), and the two
# numbers as their stored text (``stored_numbers``), not parsed into objects as each row is read.
CALL_CLIENT_FIELDS = (
    "display_name", "kind", "is_key", "contact_inaccurate", "email", "phone_as_written"
)  # fmt: skip


def call_client_fields(prefix: str = "") -> list[str]:
    """``only()``'s names of what a call card reads of a client reached through ``prefix``."""
    return [prefix + name for name in CALL_CLIENT_FIELDS]


def stored_numbers(prefix: str = "") -> dict:
    """Annotations with a client's phone and WhatsApp number as stored (their text, E.164), for
    ``stored_call_links``: parsing a number as the row is read costs some 25 µs, and a call
    list reads two a card."""
    from django.db.models import TextField
    from django.db.models.functions import Cast

    return {
        "call_phone": Cast(prefix + "phone", TextField()),
        "call_whatsapp": Cast(prefix + "whatsapp", TextField()),
    }


_STORED_TEXTS: dict[tuple, str] = {}


def stored_phone_text(stored, field: str = "phone") -> str:
    """``phone_text(client.<field>)`` from the number's stored text: the field reads it (as a
    row would be read) once per process and text."""
    key = (stored, field, settings.PHONENUMBER_DEFAULT_REGION, settings.PHONENUMBER_DEFAULT_FORMAT)
    text = _STORED_TEXTS.get(key)
    if text is None:
        from .models import Client

        if len(_STORED_TEXTS) > 100_000:
            _STORED_TEXTS.clear()
        model_field = Client._meta.get_field(field)
        text = _STORED_TEXTS[key] = phone_text(model_field.from_db_value(stored, None, None))
    return text


def stored_call_links(row) -> tuple[str, str]:
    """``call_links(client)`` for a row annotated with ``stored_numbers``."""
    phone = stored_phone_text(row.call_phone, "phone")
    return phone, whatsapp_url(stored_phone_text(row.call_whatsapp, "whatsapp") or phone)


def call_contact_html(client, phone: str = "", whatsapp_url: str = "") -> SafeString:
    """Who to call on a call-list card: the client (linked to the file, key and inaccurate
    badges) and how to reach them (``phone`` and ``whatsapp_url`` as ``call_links`` writes
    them). The same HTML as a template, written in Python: a call list shows fifty."""
    badges = ""
    if client.is_key:
        badges += fmt(' <span class="badge text-bg-warning">{}</span>', _("Key client"))
    if client.contact_inaccurate:
        badges += fmt(' <span class="badge text-bg-danger">{}</span>', _("Contact inaccurate"))
    if phone:
        reach = fmt('<a href="tel:{0}" data-testid="tel-link">{0}</a>', phone)
    else:
        reach = fmt('<span class="text-body-secondary">{}</span>', _("No phone"))
    if whatsapp_url:
        reach += fmt(
            ' · <a href="{}" target="_blank" rel="noopener noreferrer" '
            'data-testid="whatsapp-link">WhatsApp</a>',
            whatsapp_url,
        )
    if client.email:
        reach += fmt(' · <a href="mailto:{0}" data-testid="email-link">{0}</a>', client.email)
    return fmt(
        '<div class="fw-semibold"><a href="{}" data-testid="item-client">{}</a>{}</div>\n'
        '<div class="small">{}</div>',
        pk_url("clients:detail")(client.pk),
        client.display_name,
        SafeString(badges),  # (safe: escaped above)
        SafeString(reach),  # (safe: escaped above)
    )
