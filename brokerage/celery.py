"""The Celery application and its beat schedule.

Tasks are "just another interface": each takes ids, loads, and calls one service. Beat scans
for what is due rather than scheduling far-future ETAs, so a job that was down catches up.
"""

import logging
import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokerage.settings")

app = Celery("cartera")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)

# Publishing gives up quickly when the broker is down: the row already says the work is pending.
_PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


def enqueue(task, *args) -> bool:
    """Send ``task(*args)`` to the broker. If the broker cannot be reached the error is logged
    and False returned, never raised: the caller's row stays pending (queued) and a beat sweep
    re-enqueues it once the broker is back."""
    from kombu.exceptions import OperationalError

    try:
        task.apply_async(args=args, retry=True, retry_policy=_PUBLISH_RETRY)
    except (OperationalError, OSError) as exc:
        logger.warning("Broker unreachable, %s%r left for the sweep: %s", task.name, args, exc)
        return False
    return True


def enqueue_on_commit(task, *args) -> None:
    """Enqueue once the current transaction commits (at once outside one), without failing the
    request when the broker is down (see ``enqueue``)."""
    from django.db import transaction

    transaction.on_commit(lambda: enqueue(task, *args))


def requeue_stale(queued, task, *, created_field: str, limit: int = 100) -> int:
    """Send ``task`` again for the rows of ``queued`` (a queryset of rows waiting for their
    task, with a ``queued_at``) queued more than TASK_REQUEUE_AFTER_MINUTES ago: the broker was
    down when they were queued, or lost the task. Rows from before ``queued_at`` existed go by
    ``created_field``. A row sent again is stamped, so the next sweep waits a full period.
    Returns how many were sent; the task claims its row, so a duplicate does nothing."""
    from datetime import timedelta

    from django.conf import settings
    from django.db.models import Q
    from django.utils import timezone

    cutoff = timezone.now() - timedelta(minutes=settings.TASK_REQUEUE_AFTER_MINUTES)
    stale = Q(queued_at__lt=cutoff) | Q(queued_at__isnull=True, **{f"{created_field}__lt": cutoff})
    sent = 0
    for pk in list(queued.filter(stale).order_by("pk").values_list("pk", flat=True)[:limit]):
        if enqueue(task, pk):
            queued.filter(pk=pk).update(queued_at=timezone.now())
            sent += 1
    return sent


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
    # Re-enqueue import commits and dashboard prints whose task never reached a worker.
    "imports-requeue-stale": {
        "task": "imports.tasks.import_requeue_stale_task",
        "schedule": crontab(minute="*/5"),
    },
    "reports-requeue-stale-prints": {
        "task": "reports.tasks.print_requeue_stale_task",
        "schedule": crontab(minute="*/5"),
    },
    "renewals-morning": {
        "task": "renewals.tasks.renewals_morning_task",
        "schedule": _morning(),
    },
    # Claims whose client was not contacted within 10 minutes (the task scheduled at report
    # time escalates them; this sweep catches any it missed). Escalated at most once.
    "claims-escalate-due": {
        "task": "claims.tasks.claims_escalate_due_task",
        "schedule": crontab(minute="*"),
    },
    "policies-expire-quotes": {
        "task": "policies.tasks.quotes_expire_task",
        "schedule": crontab(hour=0, minute=30),
    },
    # A service case for each client whose life or health policies lost their agent (seed
    # 003's orphan policies), opened once; before the morning run puts them on call lists.
    "servicing-open-orphan-cases": {
        "task": "servicing.tasks.service_cases_open_orphans_task",
        "schedule": crontab(hour=5, minute=30),
    },
}
