from celery import shared_task

from .services import notification_deliver, notification_requeue_stale


@shared_task(name="brokerage.notifications.tasks.notification_deliver_task")
def notification_deliver_task(message_id: int) -> str:
    message = notification_deliver(message_id=message_id)
    return message.status if message else "skipped"


@shared_task(name="brokerage.notifications.tasks.notification_deliver_many_task")
def notification_deliver_many_task(message_ids: list[int]) -> dict:
    """Send a batch of queued messages (``notifications_send_many``), each claimed as one."""
    statuses: dict[str, int] = {}
    for message_id in message_ids:
        message = notification_deliver(message_id=message_id)
        status = message.status if message else "skipped"
        statuses[status] = statuses.get(status, 0) + 1
    return statuses


@shared_task(name="brokerage.notifications.tasks.notification_requeue_stale_task")
def notification_requeue_stale_task() -> int:
    return notification_requeue_stale()
