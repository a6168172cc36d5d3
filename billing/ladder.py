"""The payment-due ladder's one writer: the rungs a manager saves on its page."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import CollectionRung, RungAction


@transaction.atomic
def collection_ladder_save(*, rungs: list[dict], by=None) -> list[CollectionRung]:
    """Replace the ladder with ``rungs`` (each: days, action, priority, active). Two rungs on
    the same day are refused; a ladder with no call leaves every payment to the clients'
    reminders, which is allowed. Items already created keep their rung."""
    days = [int(r["days"]) for r in rungs]
    repeated = sorted({d for d in days if days.count(d) > 1})
    if repeated:
        raise ValidationError(
            _("Two rungs on the same day: %(days)s.") % {"days": ", ".join(map(str, repeated))}
        )
    for rung in rungs:
        if rung["action"] not in RungAction.values:
            raise ValidationError(_("Choose what each rung does."))
    list(CollectionRung.objects.select_for_update())  # one save at a time
    CollectionRung.objects.exclude(days__in=days).delete()
    saved = []
    for rung in rungs:
        obj, _created = CollectionRung.objects.update_or_create(
            days=int(rung["days"]),
            defaults={
                "action": rung["action"],
                "priority": int(rung.get("priority") or 0),
                "active": bool(rung.get("active")),
            },
        )
        saved.append(obj)
    return sorted(saved, key=lambda r: r.days)


# Seed 000's ladder (the data migration billing/0003 writes the same on a new database).
DEFAULT_RUNGS = (
    {"days": -7, "action": RungAction.MESSAGE, "priority": 40, "active": True},
    {"days": -1, "action": RungAction.MESSAGE, "priority": 45, "active": True},
    {"days": 0, "action": RungAction.CALL, "priority": 60, "active": True},
    {"days": 3, "action": RungAction.CALL, "priority": 80, "active": True},
    {"days": 15, "action": RungAction.CALL, "priority": 90, "active": True},
)


def collection_ladder_default() -> list[CollectionRung]:
    """Put seed 000's ladder back."""
    return collection_ladder_save(rungs=[dict(r) for r in DEFAULT_RUNGS])
