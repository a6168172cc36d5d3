"""The seeds' touch settings (the data migration touches/0002 writes the same rows): a
thank-you call 3 days after a new policy (seed 004, 7), the plate endorsement 15 days after
the policy starts (seed 004; a month for imported cars, which Cartera cannot tell apart), the
return visit (回访, seed 001, 八) a week after issuance, vehicle inspection and licence
reminders 15 days before their dates, and birthday and holiday greetings by message on the
day."""

from .models import TouchKind, TouchMode

DEFAULTS = {
    TouchKind.THANK_YOU: {"enabled": True, "days": 3, "mode": TouchMode.CALL, "priority": 30},
    TouchKind.PLATE: {"enabled": True, "days": 15, "mode": TouchMode.CALL, "priority": 40},
    TouchKind.RETURN_VISIT: {"enabled": True, "days": 7, "mode": TouchMode.CALL, "priority": 20},
    TouchKind.INSPECTION: {"enabled": True, "days": 15, "mode": TouchMode.CALL, "priority": 25},
    TouchKind.LICENCE: {"enabled": True, "days": 15, "mode": TouchMode.CALL, "priority": 25},
    TouchKind.BIRTHDAY: {"enabled": True, "days": 0, "mode": TouchMode.MESSAGE, "priority": 10},
    TouchKind.HOLIDAY: {"enabled": True, "days": 0, "mode": TouchMode.MESSAGE, "priority": 10},
}
