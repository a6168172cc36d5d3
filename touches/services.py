"""The touch settings' one writer: the rows a maintainer saves on the touches page."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .defaults import DEFAULTS
from .models import GREETINGS, TouchKind, TouchMode, TouchSetting

MAX_DAYS = 365


@transaction.atomic
def touch_settings_save(*, rows: list[dict], by=None) -> list[TouchSetting]:
    """Save each kind's setting (kind, enabled, days, mode, priority), with history. Greetings
    go on the day (their days are 0 whatever is posted). Kinds not in ``rows`` keep theirs."""
    errors = []
    for row in rows:
        if row["kind"] not in TouchKind.values:
            errors.append(_("Unknown touch: %(kind)s.") % {"kind": row["kind"]})
        elif row["mode"] not in TouchMode.values:
            errors.append(_("Choose how each touch is made."))
        elif row["kind"] not in GREETINGS and not 0 <= int(row.get("days") or 0) <= MAX_DAYS:
            errors.append(_("Days are from 0 to %(max)d.") % {"max": MAX_DAYS})
        elif not 0 <= int(row.get("priority") or 0) <= 100:
            errors.append(_("Priority is from 0 to 100."))
    if errors:
        raise ValidationError(errors)
    current = {s.kind: s for s in TouchSetting.objects.select_for_update()}
    saved = []
    for row in rows:
        setting = current.get(row["kind"]) or TouchSetting(kind=row["kind"])
        setting.enabled = bool(row.get("enabled"))
        setting.days = 0 if row["kind"] in GREETINGS else int(row.get("days") or 0)
        setting.mode = row["mode"]
        setting.priority = int(row.get("priority") or 0)
        setting._history_user = by
        setting.save()
        saved.append(setting)
    return saved


def touch_settings_default() -> list[TouchSetting]:
    """Put the seeds' settings back (every kind)."""
    return touch_settings_save(rows=[{"kind": k, **v} for k, v in DEFAULTS.items()])
