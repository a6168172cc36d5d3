from celery import shared_task
from django.db import transaction

from billing.jobs import collections_morning_job
from billing.services import instalments_plan_catch_up
from touches.jobs import touches_morning_job
from workqueue.tasks import distribution_task

from .jobs import renewals_morning_job, renewals_open_and_queue


@shared_task(name="renewals.tasks.renewals_morning_task")
def renewals_morning_task() -> dict:
    """The morning run: renewals, then payments due, then the service touches, then the
    hand-out of the items nobody owns (one beat schedule for every pipeline)."""
    report = renewals_morning_job()
    planned = instalments_plan_catch_up()  # any policy of the last days still unplanned
    payments = collections_morning_job(day=report.day)
    touches = touches_morning_job(day=report.day)
    transaction.on_commit(distribution_task.delay)
    return {
        "day": report.day.isoformat(),
        "instalments_planned": planned,
        "cases_opened": report.cases_opened,
        "items_created": report.total_items,
        "policies_lapsed": report.policies_lapsed,
        "cases_handed_over": report.cases_handed_over,
        "messages_queued": report.messages_queued,
        "instalments_overdue": payments.marked_overdue,
        "payment_items_created": payments.total_items,
        "payment_reminders_queued": payments.reminders_queued,
        "promises_broken": payments.promises_broken,
        "policies_at_risk": payments.risks_opened,
        "service_calls": {str(k): n for k, n in touches.calls.items()},
        "service_messages": {str(k): n for k, n in touches.messages.items()},
        "service_calls_cancelled": touches.cancelled,
    }


@shared_task(name="renewals.tasks.renewals_open_task")
def renewals_open_task() -> dict:
    """After an import: open the cases of policies that entered their ladder (or had already
    ended: a lapse list) and queue their due touches, lapse those past their end, then hand
    out the touches nobody owns (all idempotent)."""
    report = renewals_open_and_queue()
    planned = instalments_plan_catch_up()  # the imported policies (written just now)
    transaction.on_commit(distribution_task.delay)
    return {
        "instalments_planned": planned,
        "cases_opened": report.cases_opened,
        "items_created": report.total_items,
        "policies_lapsed": report.policies_lapsed,
    }
