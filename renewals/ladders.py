"""Renewal ladders: the days before expiry at which a case is touched, with a stage for each."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# The design card: reminders at 30, 25 and 15 days (seed 000 renews 15 days before, quoting
# last year's premium with the same insurer first).
DEFAULT_RUNGS = [
    {"days": 30, "stage": "reminder"},
    {"days": 25, "stage": "reminder"},
    {"days": 15, "stage": "quote"},
]

# Seed 004, the dealer channel: 续保提醒 → 洽谈 → 确认 → 攻坚 → 坚持 → 失效提醒.
DEALER_RUNGS = [
    {"days": 60, "stage": "reminder"},
    {"days": 55, "stage": "reminder"},
    {"days": 45, "stage": "negotiation"},
    {"days": 40, "stage": "negotiation"},
    {"days": 30, "stage": "confirmation"},
    {"days": 25, "stage": "confirmation"},
    {"days": 15, "stage": "push"},
    {"days": 10, "stage": "push"},
    {"days": 7, "stage": "persist"},
    {"days": 3, "stage": "persist"},
    {"days": 0, "stage": "lapse_notice"},
]

MESSAGE_CHANNELS = {"", "email", "whatsapp"}


def validate_rungs(rungs) -> list[dict]:
    """Refuse a ladder with no rung, duplicate or negative days; return it sorted, farthest
    rung first."""
    if not isinstance(rungs, list) or not rungs:
        raise ValidationError(_("A ladder needs at least one rung."))
    seen = set()
    clean = []
    for rung in rungs:
        try:
            days = int(rung["days"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError(_("Each rung needs a whole number of days.")) from exc
        if days < 0:
            raise ValidationError(
                _("A rung cannot be %(days)d days before expiry: days must be zero or more.")
                % {"days": days}
            )
        if days in seen:
            raise ValidationError(_("The ladder has %(days)d days twice.") % {"days": days})
        if days > 180:
            raise ValidationError(_("A rung can be at most 180 days before expiry."))
        seen.add(days)
        message = rung.get("message", "") or ""
        if message not in MESSAGE_CHANNELS:
            raise ValidationError(_("Unknown message channel: %(c)s.") % {"c": message})
        stage = str(rung.get("stage", "")).strip() or "reminder"
        clean.append({"days": days, "stage": stage[:30], "message": message})
    return sorted(clean, key=lambda r: -r["days"])
