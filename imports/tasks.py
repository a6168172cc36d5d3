from celery import shared_task

from .models import ImportJob, JobStatus
from .services import commit, import_requeue_stale


@shared_task(name="imports.tasks.import_commit_task", acks_late=True)
def import_commit_task(job_id: int) -> dict:
    """Commit an import. Delivered twice or after a killed worker, it resumes after the last
    chunk written; a job already done is left alone."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status == JobStatus.DONE:
        return {"job": job.pk, "status": job.status}
    try:
        job = commit(job)
    except Exception as exc:
        ImportJob.objects.filter(pk=job_id).update(status=JobStatus.FAILED, message=str(exc)[:2000])
        raise
    return {"job": job.pk, "created": job.created, "updated": job.updated, "errors": job.errors}


@shared_task(name="imports.tasks.import_requeue_stale_task")
def import_requeue_stale_task() -> int:
    return import_requeue_stale()
