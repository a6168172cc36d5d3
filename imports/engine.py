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
from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import expiry
from .fields import FIELDS_BY_KIND, suggest_mapping
from .models import ColumnMapping, ImportJob, JobStatus, ReportKind, RowError
from .reader import ReportError, Table, read_table

# What each report kind's rows mean: parse_row(row, raw, headers), classify(records,
# insurer), apply(outcome, by=...), and Issue. Collection reports will register theirs.
REPORT_KINDS = {ReportKind.EXPIRY: expiry}

CHUNK = 2000
PREVIEW_ROWS = 20
LOCK_KEY = 7_203_114  # pg_advisory_xact_lock key shared by every import commit


@dataclass
class Prepared:
    table: Table
    columns: dict[str, str]
    records: list
    issues: list


def job_create(*, insurer, by, name: str, data: bytes, kind: str = ReportKind.EXPIRY):
    """Store an uploaded report as a new job, after checking its size and what it is."""
    if len(data) > settings.IMPORT_MAX_BYTES:
        raise ReportError(
            _("The file is %(mb)d MB; the limit is %(limit)d MB.")
            % {"mb": len(data) // 2**20, "limit": settings.IMPORT_MAX_BYTES // 2**20}
        )
    table = read_table(data, name, kind)  # refuses what is not a readable report
    mapping = ColumnMapping.objects.filter(insurer=insurer, kind=kind).first()
    columns = _usable(mapping.columns, table.headers) if mapping else {}
    if not columns:
        columns = suggest_mapping(table.headers, kind)
    job = ImportJob(
        kind=kind, insurer=insurer, original_name=name[:255], size=len(data),
        sha256=hashlib.sha256(data).hexdigest(), uploaded_by=by, columns=columns,
        sheet=table.sheet[:100], header_row=table.header_row, total_rows=len(table.rows),
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


def _prepare(job: ImportJob) -> Prepared:
    with job.file.open("rb") as handle:
        data = handle.read()
    table = read_table(data, job.original_name, job.kind)
    missing = missing_required(job.columns, job.kind)
    if missing:
        raise ReportError(
            _("Map these columns first: %(fields)s.") % {"fields": ", ".join(missing)}
        )
    kind = REPORT_KINDS[job.kind]
    index = {h: i for i, h in enumerate(table.headers) if h}
    positions = {f: index[h] for f, h in job.columns.items() if h in index}
    records, issues = [], []
    seen: dict[str, int] = {}
    for number, cells in table.rows:
        raw = {f: (cells[i] if i < len(cells) else None) for f, i in positions.items()}
        record, row_issues = kind.parse_row(number, raw, job.columns)
        if row_issues:
            issues.extend(row_issues)
            continue
        if record.key in seen:
            issues.append(
                kind.Issue(number, job.columns["policy_number"], record.policy["number"],
                             _("The same policy as row %(row)d.") % {"row": seen[record.key]})
            )  # fmt: skip
            continue
        seen[record.key] = number
        records.append(record)
    return Prepared(table=table, columns=positions, records=records, issues=issues)


def _save_issues(job: ImportJob, issues) -> None:
    RowError.objects.filter(job=job).delete()
    RowError.objects.bulk_create(
        [
            RowError(job=job, row=i.row, column=str(i.column)[:255], value=str(i.value)[:255],
                     reason=str(i.reason)[:500])
            for i in issues
        ],
        batch_size=2000,
    )  # fmt: skip


def dry_run(job: ImportJob) -> ImportJob:
    """What a commit would do, changing nothing but the job: the counts, every error with its
    row, column, value and reason, and the first rows as mapped."""
    prepared = _prepare(job)
    counts: Counter = Counter()
    kind = REPORT_KINDS[job.kind]
    for start in range(0, len(prepared.records), CHUNK):
        outcome = kind.classify(prepared.records[start : start + CHUNK], job.insurer)
        counts.update(outcome.verdicts.values())
    _save_issues(job, prepared.issues)
    job.created, job.updated = counts["new"], counts["updated"]
    job.unchanged, job.errors = counts["unchanged"], len(prepared.issues)
    job.total_rows = len(prepared.table.rows)
    job.preview = {
        "fields": list(job.columns),
        "rows": [
            {"row": r.row, **{k: _plain(v) for k, v in {**r.policy, **r.client}.items()}}
            for r in prepared.records[:PREVIEW_ROWS]
        ],
    }
    job.status = JobStatus.PREVIEWED
    job.save()
    return job


def _plain(value):
    """A value for the JSON preview: dates as ISO text, money as its decimal text."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def commit(job: ImportJob, *, by=None, progress=None) -> ImportJob:
    """Write the report, a chunk per transaction (with the job's progress in the same
    transaction). Resumes after the last chunk written; rows written before read as
    unchanged, so a re-run reaches the same state."""
    by = by or job.uploaded_by
    prepared = _prepare(job)
    job.status, job.started_at = JobStatus.RUNNING, job.started_at or timezone.now()
    job.total_rows = len(prepared.records)  # progress counts the rows that get written
    job.save(update_fields=["status", "started_at", "total_rows"])
    counts = Counter(new=job.created, updated=job.updated, unchanged=job.unchanged)
    if job.rows_done == 0:
        counts = Counter()
    all_changes = dict(job.diff.get("changed", {})) if job.rows_done else {}
    records = prepared.records
    kind = REPORT_KINDS[job.kind]
    done_records = _records_done(job, prepared)
    for start in range(done_records, len(records), CHUNK):
        chunk = records[start : start + CHUNK]
        with transaction.atomic():
            _lock()
            outcome = kind.classify(chunk, job.insurer)
            kind.apply(outcome, by=by)
            counts.update(outcome.verdicts.values())
            all_changes.update(outcome.changes)
            job.rows_done = start + len(chunk)
            job.created, job.updated = counts["new"], counts["updated"]
            job.unchanged = counts["unchanged"]
            job.diff = {"changed": all_changes}
            job.save(update_fields=["rows_done", "created", "updated", "unchanged", "diff"])
        if start == done_records and len(records) - start > 10 * CHUNK:
            _refresh_statistics()  # the tables grew a lot: keep the lookups on their indexes
        if progress:
            progress(job)
    _save_issues(job, prepared.issues)
    job.errors = len(prepared.issues)
    job.policy_keys = sorted(r.key for r in records)
    job.diff = _diff(job, records, all_changes)
    job.total_rows = job.rows_done = len(prepared.table.rows)
    job.status, job.finished_at = JobStatus.DONE, timezone.now()
    job.save()
    # Policies entering their ladder get their renewal case and touches: the renewals job
    # runs as its own task once this commit is in.
    transaction.on_commit(lambda: _renewals_task().delay())
    return job


def _records_done(job: ImportJob, prepared: Prepared) -> int:
    """How many records the chunks already committed hold (a resumed job)."""
    if job.status == JobStatus.DONE:
        return 0
    return min(job.rows_done, len(prepared.records))


def _diff(job: ImportJob, records, changes) -> dict:
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
    keys = {r.key: r.policy["number"] for r in records}
    before = set(previous.policy_keys) if previous else set()
    return {
        "previous": previous.pk if previous else None,
        "new": sorted(number for key, number in keys.items() if key not in before)[:1000],
        "new_count": sum(1 for key in keys if key not in before),
        "changed": changes,
        "gone": sorted(before - set(keys))[:1000],
        "gone_count": len(before - set(keys)),
    }


def _renewals_task():
    from renewals.tasks import renewals_open_task

    return renewals_open_task


def _refresh_statistics() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE clients_client, policies_policy, policies_vehicle")
