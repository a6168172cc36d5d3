"""The Celery application and its beat schedule.

Tasks are "just another interface": each takes ids, loads, and calls one service. Beat scans
for what is due rather than scheduling far-future ETAs, so a job that was down catches up.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokerage.settings")

app = Celery("cartera")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _morning():
    # Read from the environment like settings.MORNING_JOB_HOUR (settings are not loaded yet).
    return crontab(
        hour=int(os.environ.get("MORNING_JOB_HOUR", "6")),
        minute=int(os.environ.get("MORNING_JOB_MINUTE", "0")),
    )


app.conf.beat_schedule = {
    # Re-enqueue outbox messages whose delivery task was lost (broker restart, crash).
    "notifications-requeue-stale": {
        "task": "brokerage.notifications.tasks.notification_requeue_stale_task",
        "schedule": crontab(minute="*/5"),
    },
    "renewals-morning": {
        "task": "renewals.tasks.renewals_morning_task",
        "schedule": _morning(),
    },
    "policies-expire-quotes": {
        "task": "policies.tasks.quotes_expire_task",
        "schedule": crontab(hour=0, minute=30),
    },
}
