from celery import shared_task

from .models import DashboardPrint, PrintStatus
from .printing import print_claim, print_render, print_requeue_stale


@shared_task(name="reports.tasks.dashboard_print_task", acks_late=True, bind=True)
def dashboard_print_task(self, print_id: int) -> dict:
    """Print the dashboard. The task claims its print first, so a second delivery (or the
    sweep's re-send) while it runs, or once it is done, is a no-op; redelivered after a killed
    worker, it prints again."""
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    if not print_claim(print_id=print_id, redelivered=redelivered):
        printed = DashboardPrint.objects.get(pk=print_id)
        return {"print": printed.pk, "status": printed.status}
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
