from celery import shared_task

from .jobs import renewals_morning_job


@shared_task(name="renewals.tasks.renewals_morning_task")
def renewals_morning_task() -> dict:
    report = renewals_morning_job()
    return {
        "day": report.day.isoformat(),
        "cases_opened": report.cases_opened,
        "items_created": report.total_items,
        "policies_lapsed": report.policies_lapsed,
        "cases_handed_over": report.cases_handed_over,
    }
