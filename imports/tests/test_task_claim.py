"""The import sweep re-sends by when a job was queued (not by upload), and the commit task
claims its job (queued → running) so a second delivery commits nothing (issue 13, item 17)."""

import datetime

import pytest
from django.utils import timezone

from brokerage.accounts.tests.factories import UserFactory
from imports import tasks
from imports.models import ImportJob, JobStatus
from imports.services import commit_queue, dry_run, import_requeue_stale, job_create
from imports.tasks import import_commit_task
from imports.tests.conftest import row, workbook
from policies.models import Policy

pytestmark = pytest.mark.django_db

LONG_AGO = datetime.timedelta(hours=3)


@pytest.fixture
def queued(hdi):
    job, _table = job_create(insurer=hdi, by=UserFactory(roles=["maintainer"]),
                             name="vencimientos.xlsx", data=workbook([row(1), row(2)]))  # fmt: skip
    dry_run(job)
    assert commit_queue(job_id=job.pk)  # on_commit not run here: no task sent
    return ImportJob.objects.get(pk=job.pk)


@pytest.fixture
def commits(monkeypatch):
    calls = []
    original = tasks.commit

    def counted(job, **kwargs):
        calls.append(job.pk)
        return original(job, **kwargs)

    monkeypatch.setattr(tasks, "commit", counted)
    return calls


def test_it_does_not_resend_an_old_upload_queued_just_now(queued):
    ImportJob.objects.filter(pk=queued.pk).update(uploaded_at=timezone.now() - LONG_AGO)
    assert import_requeue_stale() == 0
    assert ImportJob.objects.get(pk=queued.pk).status == JobStatus.QUEUED


def test_it_resends_a_job_queued_long_ago_and_waits_a_full_period_after(queued, commits):
    ImportJob.objects.filter(pk=queued.pk).update(queued_at=timezone.now() - LONG_AGO)
    assert import_requeue_stale() == 1  # eager here: the task runs at once
    assert commits == [queued.pk] and ImportJob.objects.get(pk=queued.pk).status == "done"


def test_it_refreshes_queued_at_when_the_sweep_resends(queued, monkeypatch):
    from brokerage import celery

    monkeypatch.setattr(celery, "enqueue", lambda task, *args: True)  # sent, not run
    ImportJob.objects.filter(pk=queued.pk).update(queued_at=timezone.now() - LONG_AGO)
    assert import_requeue_stale() == 1
    assert ImportJob.objects.get(pk=queued.pk).queued_at > timezone.now() - LONG_AGO / 2
    assert import_requeue_stale() == 0  # re-sent just now: not again at the next sweep


def test_it_commits_once_when_the_task_is_delivered_twice(queued, commits):
    import_commit_task(queued.pk)
    import_commit_task(queued.pk)
    job = ImportJob.objects.get(pk=queued.pk)
    assert commits == [queued.pk] and job.status == JobStatus.DONE and job.created == 2
    assert Policy.objects.count() == 2


def test_it_leaves_a_job_another_task_is_running_alone(queued, commits):
    ImportJob.objects.filter(pk=queued.pk).update(status=JobStatus.RUNNING)
    result = import_commit_task(queued.pk)
    assert commits == [] and result["status"] == JobStatus.RUNNING
    assert not Policy.objects.exists()


def test_it_resumes_a_running_job_when_the_broker_redelivers_its_task(queued, commits):
    # The worker running it died; acks late, the broker hands the same task to another.
    ImportJob.objects.filter(pk=queued.pk).update(status=JobStatus.RUNNING)
    import_commit_task.push_request(delivery_info={"redelivered": True})
    try:
        import_commit_task(queued.pk)
    finally:
        import_commit_task.pop_request()
    assert commits == [queued.pk] and ImportJob.objects.get(pk=queued.pk).status == "done"
