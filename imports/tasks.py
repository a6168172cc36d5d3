from celery import shared_task

from .models import ImportJob, JobStatus
from .services import commit, import_claim, import_requeue_stale


@shared_task(name="imports.tasks.import_commit_task", acks_late=True, bind=True)
def import_commit_task(self, job_id: int) -> dict:
    """Commit an import. The task claims its job first, so a second delivery (or the sweep's
    re-send) while it runs, or once it is done, is a no-op; redelivered after a killed worker,
    it resumes after the last chunk written."""
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    if not import_claim(job_id=job_id, redelivered=redelivered):
        job = ImportJob.objects.get(pk=job_id)
        return {"job": job.pk, "status": job.status}
    job = ImportJob.objects.get(pk=job_id)
    try:
        job = commit(job)
    except Exception as exc:
        ImportJob.objects.filter(pk=job_id).update(status=JobStatus.FAILED, message=str(exc)[:2000])
        raise
    return {"job": job.pk, "created": job.created, "updated": job.updated, "errors": job.errors}


@shared_task(name="imports.tasks.import_requeue_stale_task")
def import_requeue_stale_task() -> int:
    return import_requeue_stale()
