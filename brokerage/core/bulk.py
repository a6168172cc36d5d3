"""Setting one field on many rows, with history, fast.

Django's ``bulk_update`` writes one ``CASE WHEN id = … THEN …`` per row; building that takes
seconds for a few thousand rows. When the rows take only a handful of distinct values (a new
owner agent, a status), one ``UPDATE … WHERE id IN (…)`` per value is far cheaper. The
history rows come from django-simple-history's ``bulk_history_create``, so bulk paths stay in
the history like single saves.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.utils import timezone

BATCH = 5000


def bulk_set_with_history(
    objects: Iterable, *, field: str, by=None, reason: str = "", touch: str | None = "updated_at"
) -> int:
    """Write each object's current value of ``field`` (objects already carry their new value),
    grouped by value, and record one history row per object. ``touch`` names a timestamp
    field to stamp with now (None for none). Returns the number of rows written."""
    objects = list(objects)
    if not objects:
        return 0
    model = type(objects[0])
    now = timezone.now()
    attname = model._meta.get_field(field).attname
    groups: dict[object, list[int]] = defaultdict(list)
    for obj in objects:
        if touch:
            setattr(obj, touch, now)
        groups[getattr(obj, attname)].append(obj.pk)
    changes = {touch: now} if touch else {}
    for value, pks in groups.items():
        for start in range(0, len(pks), BATCH):
            model._base_manager.filter(pk__in=pks[start : start + BATCH]).update(
                **{attname: value}, **changes
            )
    model.history.bulk_history_create(
        objects, batch_size=1000, update=True, default_user=by, default_change_reason=reason,
        default_date=now,
    )  # fmt: skip
    return len(objects)
