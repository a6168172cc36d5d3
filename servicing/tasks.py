"""The orphans' sweep as a Celery task: a service case for each client whose life or health
policies have no active agent (servicing.services.service_cases_open_orphans opens each once,
so a run twice, or two at once, changes nothing the second time)."""

from celery import shared_task

from .services import service_cases_open_orphans


@shared_task(name="servicing.tasks.service_cases_open_orphans_task")
def service_cases_open_orphans_task() -> int:
    return len(service_cases_open_orphans())
