from celery import shared_task
from django.db import connection, transaction

from billing.services import instalments_plan_catch_up, instalments_plan_missing
from brokerage.core.beside import beside
from brokerage.core.morning import morning_day_reopen
from brokerage.core.retry import retry_on_deadlock
from workqueue.tasks import distribution_task

from .jobs import renewals_open_and_queue, renewals_open_for
from .morning import PAYMENTS, RENEWALS, TOUCHES, morning_run


@shared_task(name="renewals.tasks.renewals_morning_task")
def renewals_morning_task() -> dict:
    """The morning run: renewals, then payments due, then the service touches, then the
    hand-out of the items nobody owns (one beat schedule for every pipeline). A part already
    done today (the beat delivered twice, a run by hand) is not run again: it is listed in
    ``already_done`` and counts nothing here (its record keeps what it did)."""
    run = morning_run()
    if not run.did_nothing:
        # A run that found every part done made nothing new to hand out (the distribution
        # already ran after the first; imports hand out their own items).
        transaction.on_commit(distribution_task.delay)
    renewals, payments, touches = (run.figures(p) for p in (RENEWALS, PAYMENTS, TOUCHES))
    return {
        "day": run.day.isoformat(),
        "already_done": sorted(run.done_before),
        "instalments_planned": run.instalments_planned,
        "cases_opened": renewals.get("cases_opened", 0),
        "items_created": renewals.get("items_created", 0),
        "policies_lapsed": renewals.get("policies_lapsed", 0),
        "cases_handed_over": renewals.get("cases_handed_over", 0),
        "messages_queued": renewals.get("messages_queued", 0),
        "instalments_overdue": payments.get("marked_overdue", 0),
        "payment_items_created": payments.get("items_created", 0),
        "payment_reminders_queued": payments.get("reminders_queued", 0),
        "promises_broken": payments.get("promises_broken", 0),
        "policies_at_risk": payments.get("risks_opened", 0),
        "service_calls": {str(k): n for k, n in touches.get("calls", {}).items()},
        "service_messages": {str(k): n for k, n in touches.get("messages", {}).items()},
        "service_calls_cancelled": touches.get("cancelled", 0),
    }


@shared_task(name="renewals.tasks.renewals_open_task")
@retry_on_deadlock
def renewals_open_task() -> dict:
    """After an import: open the cases of policies that entered their ladder (or had already
    ended: a lapse list) and queue their due touches, lapse those past their end, then hand
    out the touches nobody owns (all idempotent). The import has followed its chunks up as it
    wrote them (``renewals_follow_imported``): this finds their cases, touches and instalments
    done and does what that head start missed (the lapses too).
    Today's morning run is reopened: run again today, it does every part again for the
    policies the import brought.

    The imported policies' instalments are planned at the same time, on a second connection
    (brokerage.core.beside): the plan reads none of what the renewals write (a lapsed policy
    is planned as any other), so each takes a core of its own."""
    plan = beside(instalments_plan_catch_up, name="instalments-plan")
    try:
        report = renewals_open_and_queue()
    finally:
        planned = plan.join()  # the imported policies (written just now)
    # The imported policies may fall in today's windows of the other parts (a payment due, a
    # vehicle's inspection): the morning run's next run today does every part again.
    morning_day_reopen()
    transaction.on_commit(distribution_task.delay)
    return {
        "instalments_planned": planned,
        "cases_opened": report.cases_opened,
        "items_created": report.total_items,
        "policies_lapsed": report.policies_lapsed,
    }


@retry_on_deadlock
def renewals_follow_imported(policy_ids: list[int]) -> dict:
    """An import chunk's policies, just committed, followed up while the import writes the
    next chunks (imports.services.commit, beside it): their renewal cases and due touches,
    the lapse of those past their end, and their instalments. A head start:
    ``renewals_open_task``, queued by the commit's end, still does all of it for every
    imported policy, and finds these done.

    One transaction: the followers' lock (taken shared by each part) is held until all of it
    is in, so that a chunk renewing or reassigning these policies waits for the whole of it,
    as ``policy_followers_lock`` says; each statement committed on its own let such a chunk
    in between the cases and their touches (and ran without the job's ``work_mem``, which is
    set for a transaction). Its commit does not wait for the WAL to reach the disk, as an
    import chunk's does not (``imports.services._lock``): lost in a crash, it is done again
    by the renewals task that ends the resumed import."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
        report = renewals_open_for(policy_ids)
        planned = instalments_plan_missing(policy_ids=policy_ids)
    return {
        "instalments_planned": planned,
        "cases_opened": report.cases_opened,
        "items_created": report.total_items,
        "policies_lapsed": report.policies_lapsed,
    }
