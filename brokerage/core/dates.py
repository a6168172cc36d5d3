"""Days and moments in the brokerage's time zone (settings.TIME_ZONE)."""

from datetime import date, datetime, time

from django.utils import timezone


def day_start(day: date) -> datetime:
    """The first moment of ``day`` in local time (a range of days ends before the next one's)."""
    return timezone.make_aware(datetime.combine(day, time.min))
