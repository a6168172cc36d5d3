"""The import engine: upload, map, dry run, commit in chunks.

It knows files, mappings, rows and errors; what a report's rows mean is the report kind's own
code (``imports.expiry`` for expiry lists; collection reports will add theirs). Rows are parsed
and validated in memory and written a chunk at a time with bulk statements, never a query per
row. Each chunk commits in its own transaction together with the job's progress, under a lock
that serialises imports, so a crash or a killed worker leaves whole chunks only, and running
the job again (or resuming it) reaches the same result: rows already written read as
unchanged.
"""

import hashlib
import json
import pickle
import tempfile
from collections import Counter

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from brokerage.celery import enqueue_on_commit, requeue_stale

from . import expiry
from .errors import render
from .fields import FIELDS_BY_KIND, suggest_mapping
from .models import ColumnMapping, ImportJob, JobStatus, ReportKind, RowError, RowLevel
from .parsing import json_value
from .reader import ReportError, open_table

# What each report kind's rows mean: ReadContext, parse_row(row, raw, headers, context),
# classify(records, insurer), apply(outcome, by=...), and Issue. Collection reports will
# register theirs.
REPORT_KINDS = {ReportKind.EXPIRY: expiry}

CHUNK = 5000
PREVIEW_ROWS = 20
LOCK_KEY = 7_203_114  # pg_advisory_xact_lock key shared by every import commit


def job_create(*, insurer, by, name: str, data: bytes, kind: str = ReportKind.EXPIRY):
    """Store an uploaded report as a new job, after checking its size and what it is."""
    if len(data) > settings.IMPORT_MAX_BYTES:
        raise ReportError(
            _("The file is %(mb)d MB; the limit is %(limit)d MB.")
            % {"mb": len(data) // 2**20, "limit": settings.IMPORT_MAX_BYTES // 2**20}
        )
    table, rows = open_table(data, name, kind)  # refuses what is not a readable report
    total = sum(1 for _row in rows)
    mapping = ColumnMapping.objects.filter(insurer=insurer, kind=kind).first()
    columns = _usable(mapping.columns, table.headers) if mapping else {}
    if not columns:
        columns = suggest_mapping(table.headers, kind)
    job = ImportJob(
        kind=kind, insurer=insurer, original_name=name[:255], size=len(data),
        sha256=hashlib.sha256(data).hexdigest(), uploaded_by=by, columns=columns,
        sheet=table.sheet[:100], header_row=table.header_row, total_rows=total,
    )  # fmt: skip
    job.file.save(name[:100] or "report", ContentFile(data), save=False)
    job.save()
    return job, table


def _usable(columns: dict, headers: list[str]) -> dict:
    """A saved mapping, kept to the columns this file has."""
    present = set(headers)
    return {f: h for f, h in columns.items() if h in present}


def missing_required(columns: dict, kind: str) -> list[str]:
    return [str(f.label) for f in FIELDS_BY_KIND[kind] if f.required and f.name not in columns]


@transaction.atomic
def mapping_save(*, job: ImportJob, by, columns: dict) -> ImportJob:
    """The maintainer's mapping for this file, saved for the insurer's next reports."""
    known = {f.name for f in FIELDS_BY_KIND[job.kind]}
    columns = {f: h for f, h in columns.items() if f in known and h}
    job.columns = columns
    job.status = JobStatus.UPLOADED
    job.save(update_fields=["columns", "status"])
    ColumnMapping.objects.update_or_create(
        insurer=job.insurer, kind=job.kind, defaults={"columns": columns, "updated_by": by}
    )
    return job


def commit_queue(*, job_id: int) -> bool:
    """Queue the commit of a previewed job (or resume a failed one) once: the job is claimed
    with a conditional update, so a double click (or two maintainers) queues one task."""
    from .tasks import import_commit_task

    waiting = [JobStatus.PREVIEWED, JobStatus.FAILED]
    claimed = ImportJob.objects.filter(pk=job_id, status__in=waiting).update(
        status=JobStatus.QUEUED, queued_at=timezone.now()
    )
    if claimed:
        # The job says "queued" whatever the broker answers; with the broker down the request
        # still succeeds and import_requeue_stale sends the task once it is back.
        enqueue_on_commit(import_commit_task, job_id)
    return bool(claimed)


def import_requeue_stale() -> int:
    """Re-enqueue the commit of jobs still queued after TASK_REQUEUE_AFTER_MINUTES (the broker
    was down when they were queued, or lost their task). Returns how many were sent."""
    from .tasks import import_commit_task

    return requeue_stale(
        ImportJob.objects.filter(status=JobStatus.QUEUED),
        import_commit_task,
        created_field="uploaded_at",
    )


def import_claim(*, job_id: int, redelivered: bool = False) -> bool:
    """Claim a queued job for the task about to commit it (queued → running, one conditional
    update), so a task delivered twice, or re-sent by the sweep while the first still runs,
    commits once. A job left running by a worker that died is taken over only by the broker's
    redelivery of that same task (acks late), which resumes after the last chunk written."""
    claimed = ImportJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING
    )
    if claimed:
        return True
    return redelivered and ImportJob.objects.filter(pk=job_id, status=JobStatus.RUNNING).exists()


def _chunks(job: ImportJob):
    """The report's rows parsed a chunk at a time: yields (records, issues) and keeps only the
    policy keys seen (to refuse a duplicate row), so memory does not grow with the file."""
    with job.file.open("rb") as handle:
        data = handle.read()
    table, rows = open_table(data, job.original_name, job.kind)
    missing = missing_required(job.columns, job.kind)
    if missing:
        raise ReportError(
            _("Map these columns first: %(fields)s.") % {"fields": ", ".join(missing)}
        )
    kind = REPORT_KINDS[job.kind]
    index = {h: i for i, h in enumerate(table.headers) if h}
    positions = {f: index[h] for f, h in job.columns.items() if h in index}
    seen: dict[str, int] = {}
    records, issues = [], []
    context = kind.ReadContext.of(job.insurer)
    for number, cells in rows:
        raw = {f: (cells[i] if i < len(cells) else None) for f, i in positions.items()}
        record, row_issues = kind.parse_row(number, raw, job.columns, context)
        if record is not None and record.warnings:
            issues.extend(record.warnings)
        if row_issues:
            issues.extend(row_issues)
        elif record.key in seen:
            issues.append(
                kind.Issue(number, job.columns["policy_number"], record.policy["number"],
                           render("duplicate_policy", {"row": seen[record.key]}),
                           "duplicate_policy", {"row": seen[record.key]})
            )  # fmt: skip
        else:
            seen[record.key] = number
            records.append(record)
        if len(records) == CHUNK:
            yield records, issues
            records, issues = [], []
    yield records, issues


def _save_issues(job: ImportJob, issues) -> None:
    RowError.objects.filter(job=job).delete()
    RowError.objects.bulk_create(
        [
            RowError(job=job, row=i.row, column=str(i.column)[:255], value=str(i.value)[:255],
                     reason=str(i.reason)[:500], code=getattr(i, "code", ""),
                     params=getattr(i, "params", None) or {},
                     level=getattr(i, "level", RowLevel.ERROR))
            for i in issues
        ],
        batch_size=2000,
    )  # fmt: skip


def _error_count(issues) -> int:
    """The rows kept out (warnings are on rows that were imported)."""
    return sum(1 for i in issues if getattr(i, "level", RowLevel.ERROR) == RowLevel.ERROR)


def _parsed_name(job: ImportJob) -> str:
    """Where the dry run keeps the rows it parsed, for the commit of the same file and mapping
    (a changed mapping gives another name, so the commit parses again)."""
    digest = hashlib.sha256(
        (job.sha256 + json.dumps(job.columns, sort_keys=True)).encode()
    ).hexdigest()[:16]
    return f"imports/parsed/{job.pk}-{digest}.pickle"


def _source(job: ImportJob):
    """The parsed chunks: those the dry run kept (written by this application, for this file
    and mapping), else parsed from the file again."""
    name = _parsed_name(job)
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as handle:
            while True:
                try:
                    yield pickle.load(handle)  # noqa: S301 - our own file, see _parsed_name
                except EOFError:
                    return
    yield from _chunks(job)


def dry_run(job: ImportJob) -> ImportJob:
    """What a commit would do, changing nothing but the job: the counts, every error with its
    row, column, value and reason, and the first rows as mapped. The parsed rows are kept for
    the commit, which then only classifies and writes."""
    counts: Counter = Counter()
    kind = REPORT_KINDS[job.kind]
    all_issues, preview = [], []
    kept = tempfile.TemporaryFile()
    for records, issues in _chunks(job):
        pickle.dump((records, issues), kept, protocol=pickle.HIGHEST_PROTOCOL)
        all_issues.extend(issues)
        if len(preview) < PREVIEW_ROWS:
            preview.extend(records[: PREVIEW_ROWS - len(preview)])
        if records:
            counts.update(kind.classify(records, job.insurer).verdicts.values())
    _save_issues(job, all_issues)
    job.created, job.updated = counts["new"], counts["updated"]
    job.unchanged, job.errors = counts["unchanged"], _error_count(all_issues)
    job.total_rows = sum(counts.values()) + job.errors
    job.preview = {
        "fields": list(job.columns),
        "rows": [
            {"row": r.row, **{k: json_value(v) for k, v in {**r.policy, **r.client}.items()}}
            for r in preview
        ],
    }
    name = _parsed_name(job)
    if default_storage.exists(name):
        default_storage.delete(name)
    kept.seek(0)
    default_storage.save(name, File(kept))
    kept.close()
    job.status = JobStatus.PREVIEWED
    job.save()
    return job


def _lock() -> None:
    """One chunk writes at a time, whichever import it belongs to. The chunk's new names go
    to the trigram index's pending list (a larger one than the default): merged once, at the
    end of the import, rather than a few hundred rows at a time."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        cursor.execute("SET LOCAL gin_pending_list_limit = '64MB'")


def _merge_pending_index_entries() -> None:
    """Merge the GIN indexes' pending lists of the tables an import writes (searches read a
    pending list row by row until it is merged)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam "
            "WHERE a.amname = 'gin' AND i.indrelid = ANY(%s::regclass[])",
            [["clients_client", "policies_policy", "policies_vehicle"]],
        )


def commit(job: ImportJob, *, by=None, progress=None) -> ImportJob:
    """Write the report, a chunk per transaction (with the job's progress in the same
    transaction). Resumes after the last chunk written; rows written before read as
    unchanged, so a re-run reaches the same state."""
    by = by or job.uploaded_by
    kind = REPORT_KINDS[job.kind]
    resumed = job.status != JobStatus.DONE and job.rows_done > 0
    job.status, job.started_at = JobStatus.RUNNING, job.started_at or timezone.now()
    job.save(update_fields=["status", "started_at"])
    counts = Counter(new=job.created, updated=job.updated, unchanged=job.unchanged)
    all_changes = dict(job.diff.get("changed", {})) if resumed else {}
    if not resumed:
        counts, job.rows_done = Counter(), 0
    already = job.rows_done  # records written by the chunks of an earlier, interrupted run
    written, keys, all_issues = 0, [], []
    for records, issues in _source(job):
        all_issues.extend(issues)
        keys.extend(r.key for r in records)
        if written + len(records) <= already:
            written += len(records)
            continue
        with transaction.atomic():
            _lock()
            outcome = kind.classify(records, job.insurer)
            kind.apply(outcome, by=by)
            counts.update(outcome.verdicts.values())
            all_changes.update(outcome.changes)
            written += len(records)
            job.rows_done = written
            job.created, job.updated = counts["new"], counts["updated"]
            job.unchanged = counts["unchanged"]
            job.diff = {"changed": all_changes}
            job.save(update_fields=["rows_done", "created", "updated", "unchanged", "diff"])
        if written == 10 * CHUNK:
            _refresh_statistics()  # the tables grew a lot: keep the lookups on their indexes
        if progress:
            progress(job)
    _merge_pending_index_entries()
    _save_issues(job, all_issues)
    job.errors = _error_count(all_issues)
    job.policy_keys = sorted(keys)
    job.diff = _diff(job, keys, all_changes)
    job.rows_done = job.total_rows = written + job.errors
    job.status, job.finished_at = JobStatus.DONE, timezone.now()
    job.save()
    name = _parsed_name(job)
    transaction.on_commit(lambda: default_storage.delete(name))
    # Policies entering their ladder get their renewal case and touches: the renewals job
    # runs as its own task once this commit is in.
    enqueue_on_commit(_renewals_task())
    return job


def _diff(job: ImportJob, keys: list[str], changes) -> dict:
    """Since the last import of this insurer: new policies, changed ones, and those that were
    in the last list and are not in this one."""
    previous = (
        ImportJob.objects.filter(
            insurer=job.insurer, kind=job.kind, status=JobStatus.DONE, finished_at__isnull=False
        )
        .exclude(pk=job.pk)
        .order_by("-finished_at")
        .only("policy_keys")
        .first()
    )
    before = set(previous.policy_keys) if previous else set()
    now = set(keys)
    return {
        "previous": previous.pk if previous else None,
        "new": sorted(now - before)[:1000],
        "new_count": len(now - before),
        "changed": changes,
        "gone": sorted(before - now)[:1000],
        "gone_count": len(before - now),
    }


def _renewals_task():
    from renewals.tasks import renewals_open_task

    return renewals_open_task


def _refresh_statistics() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE clients_client, policies_policy, policies_vehicle")
