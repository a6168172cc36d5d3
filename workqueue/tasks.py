from celery import shared_task

from .distribution import distribution_run


@shared_task(name="workqueue.tasks.distribution_task")
def distribution_task() -> dict:
    """The morning hand-out of the items nobody owns (run after the morning jobs)."""
    plan = distribution_run()
    return {
        "run": plan.run.pk,
        "handed_out": len(plan.lines),
        "unassigned": plan.unassigned,
        "skipped": len(plan.skipped),
    }
