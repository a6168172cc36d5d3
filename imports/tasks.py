from celery import shared_task
from django.utils import translation

from brokerage.core.retry import retry_on_deadlock

from .models import ImportJob, JobStatus
from .reader import ReportError
from .services import commit, dry_run, dry_run_claim, import_claim, import_requeue_stale


def _redelivered(task) -> bool:
    return bool((task.request.delivery_info or {}).get("redelivered"))


@shared_task(name="imports.tasks.import_dry_run_task", acks_late=True, bind=True)
def import_dry_run_task(self, job_id: int) -> dict:
    """Count, parse and classify a mapped report without writing it (the dry run), with its
    progress on the job. Claims its job first, like the commit, so a second delivery is a
    no-op. A file that cannot be read, or a mapping that misses a required column, sends the
    job back to its mapping with the reason."""
    if not dry_run_claim(job_id=job_id, redelivered=_redelivered(self)):
        job = ImportJob.objects.get(pk=job_id)
        return {"job": job.pk, "status": job.status}
    job = ImportJob.objects.select_related("uploaded_by").get(pk=job_id)
    try:
        # Row errors are stored rendered too (for the log): in the uploader's language.
        with translation.override(job.uploaded_by.language or None):
            job = dry_run(job)
    except ReportError as exc:
        ImportJob.objects.filter(pk=job_id).update(
            status=JobStatus.UPLOADED, message=str(exc)[:2000], rows_done=0
        )
        return {"job": job_id, "status": JobStatus.UPLOADED, "message": str(exc)}
    except Exception as exc:
        ImportJob.objects.filter(pk=job_id).update(
            status=JobStatus.UPLOADED, message=str(exc)[:2000], rows_done=0
        )
        raise
    return {"job": job.pk, "created": job.created, "updated": job.updated, "errors": job.errors}


@retry_on_deadlock
def _commit_resuming(job_id: int) -> ImportJob:
    """The commit, run again from the job as stored when PostgreSQL failed a chunk's
    transaction to break a deadlock (brokerage.core.retry): the chunks written stay written,
    the commit resumes after them."""
    return commit(ImportJob.objects.get(pk=job_id))


@shared_task(name="imports.tasks.import_commit_task", acks_late=True, bind=True)
def import_commit_task(self, job_id: int) -> dict:
    """Commit an import. The task claims its job first, so a second delivery (or the sweep's
    re-send) while it runs, or once it is done, is a no-op; redelivered after a killed worker,
    it resumes after the last chunk written."""
    if not import_claim(job_id=job_id, redelivered=_redelivered(self)):
        job = ImportJob.objects.get(pk=job_id)
        return {"job": job.pk, "status": job.status}
    try:
        job = _commit_resuming(job_id)
    except Exception as exc:
        ImportJob.objects.filter(pk=job_id).update(status=JobStatus.FAILED, message=str(exc)[:2000])
        raise
    return {"job": job.pk, "created": job.created, "updated": job.updated, "errors": job.errors}


@shared_task(name="imports.tasks.import_requeue_stale_task")
def import_requeue_stale_task() -> int:
    return import_requeue_stale()
