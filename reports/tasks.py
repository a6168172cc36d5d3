from celery import shared_task

from .models import DashboardPrint, PrintStatus
from .printing import print_render, print_requeue_stale


@shared_task(name="reports.tasks.dashboard_print_task", acks_late=True)
def dashboard_print_task(print_id: int) -> dict:
    """Print the dashboard; delivered twice, the second delivery finds it done."""
    printed = DashboardPrint.objects.select_related("user").get(pk=print_id)
    try:
        printed = print_render(printed)
    except Exception as exc:
        DashboardPrint.objects.filter(pk=print_id).update(
            status=PrintStatus.FAILED, message=str(exc)[:2000]
        )
        raise
    return {"print": printed.pk, "status": printed.status}


@shared_task(name="reports.tasks.print_requeue_stale_task")
def print_requeue_stale_task() -> int:
    return print_requeue_stale()
