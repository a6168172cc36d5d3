"""Links to reach a client, shared by every app that shows a client to call (the renewal and
quote follow-up cards)."""


def whatsapp_url(number) -> str:
    """A wa.me link for a phone number (digits only), or "" when there is none."""
    digits = "".join(ch for ch in str(number or "") if ch.isdigit())
    return f"https://wa.me/{digits}" if digits else ""
