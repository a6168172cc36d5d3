"""Links to reach a client, shared by every app that shows a client to call (the renewal and
quote follow-up cards)."""


def phone_text(number) -> str:
    """A phone number as the pages show it (``PHONENUMBER_DEFAULT_FORMAT``), or "" when there is
    none. A stored number formats itself on each ``str()`` (and on each truth test): a call list
    writes it once with this."""
    if number is None or isinstance(number, str):
        return number or ""
    return str(number)


def whatsapp_url(number) -> str:
    """A wa.me link for a phone number (digits only), or "" when there is none."""
    digits = "".join(ch for ch in phone_text(number) if ch.isdigit())
    return f"https://wa.me/{digits}" if digits else ""


def call_links(client) -> tuple[str, str]:
    """The client's phone as shown and the WhatsApp link (their WhatsApp number, else their
    phone), each number formatted once."""
    phone = phone_text(client.phone)
    return phone, whatsapp_url(phone_text(client.whatsapp) or phone)
