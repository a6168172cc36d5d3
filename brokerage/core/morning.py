"""The morning run's record of what it has done each day (issue 18).

Each part of the morning run that reads the whole book (the renewals, the payments, the service
touches) runs through ``morning_part``: the part's row for the day (``MorningRun``, unique per
part and day) is inserted in the same transaction as the part's work, before it. A second run
of the same day finds the row and returns at once without reading the book; a run beside it
waits on the row's insert until the first commits, then finds it. A part that fails rolls its
row back with its work, so the next run does it.

What changes during a day: payments and results only take work away (the next morning sees
them); a policy created by hand, an end date edited, a client's new phone wait for the next
morning, whose windows catch up every rung and touch missed (the parts are idempotent and
catch up by design). An import that brought policies reopens the day (``morning_day_reopen``:
the renewals' own after-import task does so), and ``force`` runs a part again whatever its row
says (``manage.py run_morning_jobs --force``).
"""

from collections.abc import Callable
from datetime import date
from typing import TypeVar

from django.db import connection, transaction
from django.utils import timezone

from .models import MorningRun
from .retry import retry_on_deadlock
from .sql import SqlNames

T = TypeVar("T")


def _claim(part: str, day: date, *, force: bool, now) -> int | None:
    """Insert the part's row for the day; the row's id, or None when it was there (with
    ``force``, the row is taken again)."""
    m = SqlNames(MorningRun)
    again = (
        f"DO UPDATE SET {m.started_at} = EXCLUDED.{m.started_at}, {m.finished_at} = NULL"
        if force
        else "DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {m.table} ({m.part}, {m.day}, {m.started_at}, {m.report})
            VALUES (%s, %s, %s, '{{}}')
            ON CONFLICT ({m.part}, {m.day}) {again}
            RETURNING {m.id}
            """,  # noqa: S608 - names from the model's _meta, values are placeholders
            [part, day, now],
        )
        row = cursor.fetchone()
    return row[0] if row else None


@retry_on_deadlock
def morning_part(
    *, part: str, day: date, work: Callable[[], T], summary: Callable[[T], dict] | None = None,
    force: bool = False,
) -> T | None:  # fmt: skip
    """Run ``work()`` as ``part`` of ``day``'s morning run, once: returns its result, or None
    when the part was already done that day (and ``force`` is not set). ``summary`` turns the
    result into the figures kept on the row."""
    with transaction.atomic():
        claimed = _claim(part, day, force=force, now=timezone.now())
        if claimed is None:
            return None
        result = work()
        MorningRun.objects.filter(pk=claimed).update(
            finished_at=timezone.now(), report=summary(result) if summary else {}
        )
        return result


def morning_part_done(*, part: str, day: date) -> MorningRun | None:
    return MorningRun.objects.filter(part=part, day=day).first()


def morning_part_last(*, part: str, before: date) -> MorningRun | None:
    """The last run of ``part`` that ran to its end on a day before ``before``: the watermark
    of a part that reads only what changed since (the renewals)."""
    return (
        MorningRun.objects.filter(part=part, day__lt=before, finished_at__isnull=False)
        .order_by("-day")
        .first()
    )


def morning_day_reopen(*, day: date | None = None) -> int:
    """Forget what the morning run did on ``day`` (default today): its next run that day does
    every part again. Returns how many parts were forgotten."""
    deleted, _ = MorningRun.objects.filter(day=day or timezone.localdate()).delete()
    return deleted
