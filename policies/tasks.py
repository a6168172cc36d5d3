from celery import shared_task

from .services import quotes_expire


@shared_task(name="policies.tasks.quotes_expire_task")
def quotes_expire_task() -> int:
    return quotes_expire()
