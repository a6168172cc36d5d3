"""The import engine: upload, map, dry run, commit in chunks.

It knows files, mappings, rows and errors; what a report's rows mean is the report kind's own
code (``imports.expiry`` for expiry lists; collection reports will add theirs). Rows are read
from the stored file as they are consumed, parsed and validated a chunk at a time and written
with bulk statements, never a query per row; the policy keys seen so far are kept in a
temporary table of the import's database session (``imports.keys``), so an import's memory
does not grow with the file.

The upload only stores the file and reads its first rows (header and a sample for the mapping
page); the dry run and the commit run in Celery tasks and report their progress on the job.
The dry run keeps its result as data (counts, row errors, the first rows as mapped); the commit
reads the file again. Each chunk commits in its own transaction together with the job's
progress, under a lock that serialises imports, so a crash or a killed worker leaves whole
chunks only, and running the job again (or resuming it) reaches the same result: rows already
written read as unchanged.
"""

import datetime
import gc
import hashlib
import itertools
import logging
import multiprocessing
import operator
import pickle
import queue
import tempfile
import threading
import traceback
from collections import Counter
from contextlib import contextmanager
from decimal import Decimal

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from brokerage.celery import enqueue_on_commit, requeue_stale
from brokerage.core.beside import BesideQueue, beside

from . import collections, expiry
from .errors import render
from .fields import FIELDS_BY_KIND, missing_fields, suggest_mapping
from .keys import KeyStore
from .models import (
    DISCARDABLE,
    ColumnMapping,
    ImportJob,
    JobStatus,
    ReportKind,
    RowError,
    RowLevel,
)
from .parsing import json_value
from .reader import ReportError, open_table, read_table, sheets_forget

logger = logging.getLogger(__name__)

# What each report kind's rows mean: ReadContext, parse_row(row, raw, headers, context),
# classify(records, insurer), apply(outcome, by=...), and Issue; optionally Totals
# (which rows are the report's totals, skipped), prepare_read(context, columns),
# duplicate_issue(record, first row, columns) (a row repeating an earlier row's key),
# preview_row(record) (a dry run's first rows), COUNTS (the kind's verdicts → the job's
# created/updated/unchanged) and finish(job) (the job's summary once committed, instead of the
# expiry list's difference of policies; its apply then takes job=), and follow(ids) with
# followed(outcome) (the work that follows a committed chunk's rows, on a second connection
# while the next chunk is written: see commit). A classified outcome may carry ``issues``:
# rows that contradict what Cartera holds, reported and not applied.
REPORT_KINDS = {ReportKind.EXPIRY: expiry, ReportKind.COLLECTIONS: collections}
EXPIRY_COUNTS = {"new": "created", "updated": "updated", "unchanged": "unchanged"}

CHUNK = 5000
# The first chunk is read and parsed alone, before anything can be written: a small one starts
# the writing (and the follow-ups on the second core) sooner. 5,000 rows took the parser
# 0.2 s at the start of every import, with the database idle.
FIRST_CHUNK = 1000
# Reports of more rows than this are parsed in a second process while this one writes.
PARSE_IN_CHILD = True
PARSE_IN_CHILD_FROM = 2 * CHUNK
# The cyclic garbage collector runs after every this many chunks (``_gc_chunk_done``).
GC_EVERY_CHUNKS = 10
PREVIEW_ROWS = 20
SAMPLE_ROWS = 5  # the file's first rows shown on the mapping page
CHANGES_KEPT = 1000  # changed policies listed on the job (all are counted)
LOCK_KEY = 7_203_114  # pg_advisory_xact_lock key shared by every import commit
# pg_advisory_xact_lock(UPLOAD_LOCK, hashtext(insurer, kind, user, file's hash)): one upload
# of the same file at a time (a key pair: a space apart from LOCK_KEY's single key).
UPLOAD_LOCK = 7_203_115


@contextmanager
def _opened(job: ImportJob):
    """The job's stored file for the reader: its path on the local disk (FileSystemStorage),
    else an open binary file from the storage (an S3 bucket: several machines share it). Never
    its bytes in memory. Another storage's ``path()`` may name no file on this machine."""
    if isinstance(job.file.storage, FileSystemStorage):
        yield job.file.path
    else:
        with job.file.open("rb") as handle:
            yield handle


def _cell_text(value) -> str:
    """A cell as the mapping page shows it."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime) and not value.time():
        return value.date().isoformat()
    if isinstance(value, datetime.date | datetime.time | Decimal):
        return str(json_value(value))
    return str(value)


def _read_sample(job: ImportJob, sheet: str | None):
    """Read the header and first rows (all the request reads of the file) into the job."""
    with _opened(job) as source:
        table = read_table(source, job.original_name, job.kind, limit=SAMPLE_ROWS, sheet=sheet)
    job.sheet, job.header_row = table.sheet[:100], table.header_row
    job.sample = {
        "sheets": table.sheets,
        "headers": table.headers,
        "rows": [[number, [_cell_text(c) for c in cells]] for number, cells in table.rows],
    }
    mapping = ColumnMapping.objects.filter(insurer=job.insurer, kind=job.kind).first()
    columns = _usable(mapping.columns, table.headers) if mapping else {}
    job.columns = columns or suggest_mapping(table.headers, job.kind)
    return table


def _check_size(size: int) -> None:
    if size > settings.IMPORT_MAX_BYTES:
        raise ReportError(
            _("The file is %(mb)d MB; the limit is %(limit)d MB.")
            % {"mb": size // 2**20, "limit": settings.IMPORT_MAX_BYTES // 2**20}
        )


def _sha256(upload) -> str:
    digest = hashlib.sha256()
    for block in upload.chunks():
        digest.update(block)
    return digest.hexdigest()


def job_upload(*, insurer, by, name: str, file, kind: str = ReportKind.EXPIRY):
    """A report uploaded on the imports page: a new job, unless the same user already
    uploaded the same file (same content) for the same insurer and report and that import is
    neither committed nor discarded, in which case it is that job (two clicks, two tabs, or
    the same upload sent twice at once make one job). Returns (job, created)."""
    _check_size(file.size)
    sha256 = _sha256(file)
    with transaction.atomic():
        # Held until the new job is committed: the second of two uploads at once waits here,
        # then finds the first one's job.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                [UPLOAD_LOCK, f"{insurer.pk}:{kind}:{by.pk}:{sha256}"],
            )
        earlier = (
            ImportJob.objects.filter(insurer=insurer, kind=kind, uploaded_by=by, sha256=sha256)
            .exclude(status__in=[JobStatus.DONE, JobStatus.DISCARDED])
            .order_by("-pk")
            .first()
        )
        if earlier is not None:
            return earlier, False
        job, _table = job_create(
            insurer=insurer, by=by, name=name, file=file, kind=kind, sha256=sha256
        )
        return job, True


class NotDiscardable(Exception):
    """The import was committed (or a task is at work on it): it cannot be discarded."""


def job_discard(*, job: ImportJob, by) -> ImportJob:
    """Take a never-committed import off the list: its stored file is deleted, and so is what
    was read from it (first rows, dry run's rows and row errors: clients' data); the job keeps
    who uploaded and who discarded it, and when. A conditional update, so a commit queued at
    the same instant and the discard cannot both happen."""
    now = timezone.now()
    with transaction.atomic():
        discarded = ImportJob.objects.filter(pk=job.pk, status__in=DISCARDABLE).update(
            status=JobStatus.DISCARDED, discarded_by=by, discarded_at=now, sample={},
            preview={}, message="", file="",
        )  # fmt: skip
        if not discarded:
            raise NotDiscardable(job.pk)
        RowError.objects.filter(job=job).delete()
        name = job.file.name
        if name:
            storage = job.file.storage
            transaction.on_commit(lambda: storage.delete(name))
    job.refresh_from_db()
    return job


def job_create(
    *, insurer, by, name: str, data: bytes | None = None, file=None,
    kind: str = ReportKind.EXPIRY, sha256: str = "",
):  # fmt: skip
    """Store an uploaded report (``file``, a Django File such as the upload, or ``data``) as a
    new job, after checking its size and what it is; only its first rows are read here."""
    upload = file if file is not None else ContentFile(data or b"")
    size = upload.size
    _check_size(size)
    job = ImportJob(
        kind=kind, insurer=insurer, original_name=name[:255], size=size,
        sha256=sha256 or _sha256(upload), uploaded_by=by,
    )  # fmt: skip
    job.file.save(name[:100] or "report", upload, save=False)
    mapping = ColumnMapping.objects.filter(insurer=insurer, kind=kind).first()
    try:
        table = _read_sample(job, mapping.sheet if mapping else None)
    except Exception:
        job.file.delete(save=False)  # refused (not a readable report): keep nothing
        raise
    job.save()
    return job, table


def sample_load(job: ImportJob) -> ImportJob:
    """The first rows of a job uploaded before they were kept on upload (read once)."""
    columns = job.columns
    _read_sample(job, job.sheet or None)
    job.columns = columns or job.columns
    job.save(update_fields=["sheet", "header_row", "sample", "columns"])
    return job


def sheet_choose(*, job: ImportJob, sheet: str) -> ImportJob:
    """Read the report from another of its workbook's sheets (its header and first rows); the
    choice is saved for the insurer with the mapping."""
    if sheet not in job.sample.get("sheets", []):
        raise ReportError(_("The file has no sheet “%(sheet)s”.") % {"sheet": sheet})
    _read_sample(job, sheet)
    if job.sheet != sheet:
        raise ReportError(
            _(
                "No header row found in the sheet “%(sheet)s”: its first rows name none of the "
                "columns Cartera knows (such as “Policy No”, “Póliza”, “保单号”)."
            )
            % {"sheet": sheet}
        )
    job.status, job.preview, job.message = JobStatus.UPLOADED, {}, ""
    job.save(update_fields=["sheet", "header_row", "sample", "columns", "status", "preview",
                            "message"])  # fmt: skip
    return job


def _usable(columns: dict, headers: list[str]) -> dict:
    """A saved mapping, kept to the columns this file has."""
    present = set(headers)
    return {f: h for f, h in columns.items() if h in present}


def missing_required(columns: dict, kind: str) -> list[str]:
    return [str(f.label) for f in missing_fields(columns, kind)]


@transaction.atomic
def mapping_save(*, job: ImportJob, by, columns: dict) -> ImportJob:
    """The maintainer's mapping for this file, saved for the insurer's next reports (with the
    sheet, when the workbook has several)."""
    known = {f.name for f in FIELDS_BY_KIND[job.kind]}
    columns = {f: h for f, h in columns.items() if f in known and h}
    job.columns = columns
    job.status, job.message = JobStatus.UPLOADED, ""
    job.save(update_fields=["columns", "status", "message"])
    defaults = {"columns": columns, "updated_by": by}
    if len(job.sample.get("sheets", [])) > 1:
        defaults["sheet"] = job.sheet
    ColumnMapping.objects.update_or_create(insurer=job.insurer, kind=job.kind, defaults=defaults)
    return job


def dry_run_queue(*, job_id: int) -> bool:
    """Queue the dry run of a mapped job once (uploaded → dry run queued, a conditional
    update). With the broker down the job stays queued and the sweep sends it later."""
    from .tasks import import_dry_run_task

    claimed = ImportJob.objects.filter(pk=job_id, status=JobStatus.UPLOADED).update(
        status=JobStatus.CHECK_QUEUED, queued_at=timezone.now(), rows_done=0, message=""
    )
    if claimed:
        enqueue_on_commit(import_dry_run_task, job_id)
    return bool(claimed)


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
    """Re-enqueue the dry runs and commits of jobs still queued after
    TASK_REQUEUE_AFTER_MINUTES (the broker was down when they were queued, or lost their
    task). Returns how many were sent."""
    from .tasks import import_commit_task, import_dry_run_task

    return requeue_stale(
        ImportJob.objects.filter(status=JobStatus.CHECK_QUEUED),
        import_dry_run_task,
        created_field="uploaded_at",
    ) + requeue_stale(
        ImportJob.objects.filter(status=JobStatus.QUEUED),
        import_commit_task,
        created_field="uploaded_at",
    )


def _claim(job_id: int, queued: str, running: str, redelivered: bool) -> bool:
    claimed = ImportJob.objects.filter(pk=job_id, status=queued).update(status=running)
    if claimed:
        return True
    return redelivered and ImportJob.objects.filter(pk=job_id, status=running).exists()


def import_claim(*, job_id: int, redelivered: bool = False) -> bool:
    """Claim a queued job for the task about to commit it (queued → running, one conditional
    update), so a task delivered twice, or re-sent by the sweep while the first still runs,
    commits once. A job left running by a worker that died is taken over only by the broker's
    redelivery of that same task (acks late), which resumes after the last chunk written."""
    return _claim(job_id, JobStatus.QUEUED, JobStatus.RUNNING, redelivered)


def dry_run_claim(*, job_id: int, redelivered: bool = False) -> bool:
    """The same claim for the dry run's task (dry run queued → running)."""
    return _claim(job_id, JobStatus.CHECK_QUEUED, JobStatus.CHECKING, redelivered)


def _size_saver(job: ImportJob):
    """``on_size`` for ``_chunks``: the job's row count for its progress bar, from the
    workbook's sheet (already loaded to read it), else counted in the file."""

    def save(size_hint: int | None) -> None:
        job.total_rows = size_hint if size_hint is not None else _count_rows(job)
        job.save(update_fields=["total_rows", "rows_done"])

    return save


def _count_rows(job: ImportJob) -> int:
    """The report's data rows (for the progress bar): a workbook's sheet says, a CSV file is
    counted row by row."""
    with _opened(job) as source:
        table, rows = open_table(source, job.original_name, job.kind, sheet=job.sheet or None)
        if table.size_hint is not None:
            return table.size_hint
        return sum(1 for _row in rows)


@contextmanager
def _gc_paused():
    """The cyclic garbage collector off while a chunk is read and parsed: its records, issues
    and their dicts make no reference cycles, yet the thousands of them kept until the chunk
    is sent made it walk the process's objects again and again (a fifth of the parser's CPU).
    A cycle made meanwhile is collected once it runs again, after the chunk."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@contextmanager
def _gc_by_chunk():
    """The cyclic garbage collector run between chunks (``_gc_chunk_done``) instead of by its
    allocation counts. Those counts made it walk each chunk's records, rows and outcome while
    they were in use, and walk again every object alive when the import started (Django's,
    the app's modules, their caches): 1,500 collections and 2 s of the importing process's
    CPU in a 100,000-row import. Now the objects alive at the start are frozen (out of its
    reach, then back), and a chunk's objects, freed by their reference counts once it is
    written, are gone before it looks; any cycle they made is collected then (after every
    ``GC_EVERY_CHUNKS``-th chunk; the last chunks' once the collector is given back). The
    forked parser process does the same (``_parser_process``)."""
    enabled = gc.isenabled()
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


def _gc_chunk_done(chunks: int) -> None:
    """After every ``GC_EVERY_CHUNKS``-th chunk, its objects dropped: all those made since the
    import started examined, and the few cycles the chunks left collected (about fifty
    objects a chunk: Django's closures and classes). A collection of the young objects after
    each chunk also walked the next chunk's records, which the importing process receives
    beside the writing (``_Receiver``): 5–11 ms a chunk, for those fifty objects."""
    if chunks % GC_EVERY_CHUNKS == 0:
        gc.collect()


def _parsed(job: ImportJob, kind, context, between=None):
    """Read the report and parse it a chunk at a time: yields ("table", size hint, whether a
    hint comes later) once, then ("chunk", records, issues, rows read so far) per chunk, and
    ("size", size hint) once after a chunk when the hint was not known at first but comes
    later (a workbook whose sheet declares no size: calamine, loading it beside the first
    chunks, tells). Touches no database (it may run in the parser process, see
    ``_parsed_chunks``). ``between()`` is called once a chunk's consumer asks for the next,
    before it is read, with nothing here holding the chunk (the parser process collects its
    garbage then: at the consumer's side of the ``yield`` the chunk's 29,000 objects, still
    held here, were walked at every collection)."""
    with _opened(job) as source:
        table, rows = open_table(source, job.original_name, job.kind, sheet=job.sheet or None)
        yield "table", table.size_hint, table.size_later is not None
        size_later = table.size_later if table.size_hint is None else None
        index = {h: i for i, h in enumerate(table.headers) if h}
        positions = [(f, index[h]) for f, h in job.columns.items() if h in index]
        # A row that has every mapped cell takes them at once; a shorter row one by one.
        fields, picks = [f for f, _i in positions], [i for _f, i in positions]
        cells_of = operator.itemgetter(*picks) if len(picks) > 1 else None  # a tuple of cells
        width_needed = max(picks) + 1 if cells_of is not None else None
        parse_row, columns = kind.parse_row, job.columns
        totals = kind.Totals() if hasattr(kind, "Totals") else None  # a totals row is skipped
        read = 0
        size = getattr(kind, "CHUNK", CHUNK)  # a kind whose rows cost more reads fewer at once
        first = min(size, FIRST_CHUNK)
        while True:
            with _gc_paused():  # not across the yield: the chunk's consumer runs with it
                batch = list(itertools.islice(rows, first if read == 0 else size))
                if not batch:
                    return
                read += len(batch)
                parsed, issues = [], []
                for number, cells in batch:
                    width = len(cells)
                    if cells_of is not None and width >= width_needed:
                        raw = dict(zip(fields, cells_of(cells), strict=True))
                    else:
                        raw = {f: (cells[i] if i < width else None) for f, i in positions}
                    if totals is not None and totals.skip(raw):
                        continue
                    record, row_issues = parse_row(number, raw, columns, context)
                    if record is not None and record.warnings:
                        issues.extend(record.warnings)
                    if row_issues:
                        issues.extend(row_issues)
                    else:
                        parsed.append(record)
                del batch
            yield "chunk", parsed, issues, read
            parsed = issues = record = raw = row_issues = cells = None
            if size_later is not None and (hint := size_later()) is not None:
                yield "size", hint
                size_later = None
            if between is not None:
                between()


class ParserDied(RuntimeError):
    """The parser process ended without saying why (killed), or with an error that could
    not be sent as it was (its text is the message)."""


def _parser_process(job: ImportJob, kind, context, out) -> None:
    """The parser process (forked). Its database connections are the parent's: never used
    here, and dropped without closing them (psycopg leaves alone a connection opened by
    another process). An error is sent to the parent, which raises it."""
    for alias in connections:
        connections[alias].connection = None
    # The garbage collector runs between the chunks sent, as in the importing process
    # (_gc_by_chunk): what the fork brought is frozen (never walked here, and its pages not
    # copied by the collector's bookkeeping), and a chunk's records, gone by their reference
    # counts once sent, are not walked while they are made. By allocation counts, it walked
    # them at each chunk's end (half a second of the parser's CPU at 100,000 rows). It runs
    # between chunks (``_parsed``'s ``between``): the one sent gone, the next not read yet.
    gc.freeze()
    gc.disable()
    sent = itertools.count(1)
    try:
        for message in _parsed(job, kind, context, between=lambda: _gc_chunk_done(next(sent))):
            out.send(message)
            message = None
        out.send(("end",))
    except BaseException as exc:  # noqa: BLE001 - every error goes to the parent
        try:
            pickle.dumps(exc)
        except Exception:  # noqa: BLE001 - an error that cannot travel goes as its text
            exc = ParserDied("".join(traceback.format_exception(exc)))
        out.send(("error", exc))
    finally:
        out.close()


def _forking():
    """The fork context when a parser process may be started here, else None (a platform
    without fork, or a daemonic process, which may have no children)."""
    if not PARSE_IN_CHILD or multiprocessing.current_process().daemon:
        return None
    try:
        return multiprocessing.get_context("fork")
    except ValueError:  # pragma: no cover - a platform without fork
        return None


class _Receiver:
    """The parser's next message received (unpickled) by a thread of its own while the
    importing thread waits for the database to write the chunk before: a chunk's 5,000
    records took a second of that thread's CPU at 100,000 rows, every chunk waiting for it.
    It holds one message ahead at most (with the one in the pipe and the one in use, memory
    stays bounded). Started after the fork: a process is best forked while it runs one
    thread. ``next()`` gives the messages in order; a parser that ended without its last
    message gives ("died",)."""

    def __init__(self, receive):
        self._receive = receive
        self._ready: queue.Queue = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="import-receive", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                message = self._receive.recv()
            except (EOFError, OSError):
                message = ("died",)
            except BaseException as exc:  # noqa: BLE001 - raised in the importing thread
                message = ("error", exc)
            while not self._stop.is_set():
                try:
                    self._ready.put(message, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if message[0] in ("end", "error", "died"):
                return

    def next(self):
        return self._ready.get()

    def stop(self) -> None:
        """Once the parser has ended (its end of the pipe closed): the thread returns."""
        self._stop.set()
        self._thread.join()


def _parsed_chunks(job: ImportJob, kind, context, *, ahead: bool = False):
    """The messages of ``_parsed``, produced in a second process while this one classifies
    and writes the chunks before (parsing is half the work of an import). The pipe holds one
    message at a time (the parser waits for this process to take it), so memory stays
    bounded; an error in the parser is raised here. Reports of a couple of chunks or less
    are parsed in this process. ``ahead``: the next message is received by a thread while
    this one writes (``_Receiver``; for a caller that keeps the garbage collector off while
    it runs, as the commit does, so that unpickling a chunk does not start collections)."""
    forking = _forking()
    small = len(job.sample.get("rows") or []) < SAMPLE_ROWS  # all of it fits the sample
    if forking is None or small or (job.total_rows and job.total_rows <= PARSE_IN_CHILD_FROM):
        yield from _parsed(job, kind, context)
        return
    receive, send = forking.Pipe(duplex=False)
    process = forking.Process(
        target=_parser_process, args=(job, kind, context, send), name=f"import-{job.pk}-parse"
    )
    process.start()
    send.close()
    sheets_forget()  # a sheet kept from the sample (reader.sheets_kept): the parser has it now
    receiver = _Receiver(receive) if ahead else None
    try:
        while True:
            if receiver is not None:
                message = receiver.next()
            else:
                try:
                    message = receive.recv()
                except EOFError:
                    message = ("died",)
            if message[0] == "died":
                process.join(timeout=5)
                raise ParserDied(f"The parser process ended (exit code {process.exitcode}).")
            if message[0] == "error":
                raise message[1]
            if message[0] == "end":
                return
            yield message
    finally:
        if process.is_alive():
            process.terminate()
        process.join()
        if receiver is not None:
            receiver.stop()  # the parser gone, its end of the pipe is closed: recv returns
        receive.close()


def _chunks(job: ImportJob, seen: KeyStore, on_size=None, *, ahead: bool = False):
    """The report's rows read from the file and parsed a chunk at a time: yields (records,
    issues, rows read so far). A row repeating the policy of an earlier row is an error; the
    keys seen are kept in ``seen`` (a temporary table), so memory does not grow with the file.
    ``on_size(rows)`` is called once the report is open, with its size when known."""
    missing = missing_required(job.columns, job.kind)
    if missing:
        raise ReportError(
            _("Map these columns first: %(fields)s.") % {"fields": ", ".join(missing)}
        )
    kind = REPORT_KINDS[job.kind]
    context = kind.ReadContext.of(job.insurer)
    if hasattr(kind, "prepare_read"):
        kind.prepare_read(context, job.columns)  # what parsing reads from the database
    messages = _parsed_chunks(job, kind, context, ahead=ahead)
    while True:
        with _gc_paused():  # a chunk's records unpickled from the parser process
            message = next(messages, None)
        if message is None:
            break
        if message[0] == "table":
            _table, hint, later = message
            if on_size is not None and (hint is not None or not later):
                on_size(hint)  # else the size comes in a "size" message
            continue
        if message[0] == "size":
            if on_size is not None:
                on_size(message[1])
            continue
        _chunk, parsed, issues, read = message
        first = {}
        for record in parsed:
            first.setdefault(record.key, record.row)
        earlier = seen.record(first.items())  # the keys of earlier chunks, with their rows
        records = []
        for record in parsed:
            row = earlier.get(record.key)
            if row is None and first[record.key] != record.row:
                row = first[record.key]
            if row is not None and hasattr(kind, "duplicate_issue"):
                issues.append(kind.duplicate_issue(record, row, job.columns))
            elif row is not None:
                issues.append(
                    kind.Issue(record.row, job.columns["policy_number"],
                               record.policy["number"],
                               render("duplicate_policy", {"row": row}),
                               "duplicate_policy", {"row": row})
                )  # fmt: skip
            else:
                records.append(record)
        yield records, issues, read


def _save_issues(job: ImportJob, issues) -> None:
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
    """The rows kept out (a row with three errors is one row; warnings are on rows that were
    imported)."""
    return len({i.row for i in issues if getattr(i, "level", RowLevel.ERROR) == RowLevel.ERROR})


def dry_run(job: ImportJob, *, progress=None) -> ImportJob:
    """What a commit would do, changing nothing but the job: the counts, every error with its
    row, column, value and reason, and the first rows as mapped, kept as data on the job (the
    commit reads the file again). ``progress(job)`` is called after each chunk."""
    counts: Counter = Counter()
    kind = REPORT_KINDS[job.kind]
    errors, preview = 0, []
    RowError.objects.filter(job=job).delete()
    job.rows_done = 0
    with KeyStore() as seen:
        for records, issues, read in _chunks(job, seen, on_size=_size_saver(job)):
            _save_issues(job, issues)
            errors += _error_count(issues)
            if len(preview) < PREVIEW_ROWS:
                preview.extend(records[: PREVIEW_ROWS - len(preview)])
            if records:
                outcome = kind.classify(records, job.insurer)
                counts.update(outcome.verdicts.values())
                conflicts = getattr(outcome, "issues", ())
                _save_issues(job, conflicts)
                errors += _error_count(conflicts)
            job.rows_done = read
            job.save(update_fields=["rows_done"])
            if progress:
                progress(job)
    _set_counts(job, kind, counts)
    job.errors = errors
    job.total_rows = sum(counts.values()) + job.errors
    job.preview = {
        "fields": list(job.columns),
        # How cells that do not say were read (phones' region, currency, clients' language).
        "read_as": dict(vars(kind.ReadContext.of(job.insurer))),
        "rows": [_preview_row(kind, r) for r in preview],
        "counts": dict(counts),
    }
    job.rows_done = 0  # the commit's progress starts from nothing
    job.status = JobStatus.PREVIEWED
    job.save()
    return job


def _counts_of(kind) -> dict[str, str]:
    """The kind's verdicts → the job's counters."""
    return getattr(kind, "COUNTS", EXPIRY_COUNTS)


def _set_counts(job: ImportJob, kind, counts: Counter) -> None:
    for verdict, name in _counts_of(kind).items():
        setattr(job, name, counts[verdict])


def _preview_row(kind, record) -> dict:
    if hasattr(kind, "preview_row"):
        return kind.preview_row(record)
    fields = {**record.policy, **record.client}
    return {"row": record.row, **{k: json_value(v) for k, v in fields.items()}}


def _lock() -> None:
    """One chunk writes at a time, whichever import it belongs to. The chunk's new names go
    to the trigram index's pending list (a larger one than the default): merged a chunk at a
    time by the chunk's follow-ups, on their own connection (``expiry.follow``), and what is
    left at the end of the import, rather than a few hundred rows at a time by the writing
    connection. A chunk's commit does not wait for its WAL to reach the disk: should the
    server crash in that instant, the chunk is lost together with the job's progress written
    in the same transaction, and the resumed job writes it again; the job's end is saved with
    a normal commit, which flushes every chunk's WAL before it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        cursor.execute("SET LOCAL gin_pending_list_limit = '64MB'")
        cursor.execute("SET LOCAL synchronous_commit = off")


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


@contextmanager
def _closing(ahead):
    """Wait for the follow-ups of the chunks written (all of them once the chunks are done;
    after an error, the one under way only)."""
    if ahead is None:
        yield
        return
    try:
        yield
    except BaseException:
        ahead.close(drop=True)
        raise
    ahead.close()


def commit(job: ImportJob, *, by=None, progress=None) -> ImportJob:
    """Write the report, read again from the file, a chunk per transaction (with the job's
    progress in the same transaction). Resumes after the last chunk written; rows written
    before read as unchanged, so a re-run reaches the same state."""
    by = by or job.uploaded_by
    kind = REPORT_KINDS[job.kind]
    resumed = job.status != JobStatus.DONE and job.rows_done > 0
    job.status, job.started_at = JobStatus.RUNNING, job.started_at or timezone.now()
    job.save(update_fields=["status", "started_at"])
    counts = Counter({verdict: getattr(job, name) for verdict, name in _counts_of(kind).items()})
    all_changes = dict(job.diff.get("changed", {})) if resumed else {}
    changed = job.diff.get("changed_count", len(all_changes)) if resumed else 0
    if not resumed:
        counts, job.rows_done = Counter(), 0
    # No dry run before (the shell command): the rows are counted for the progress.
    on_size = None if job.total_rows else _size_saver(job)
    already = job.rows_done  # records written by the chunks of an earlier, interrupted run
    written, errors, chunks_written = 0, 0, 0
    RowError.objects.filter(job=job).delete()
    # Each committed chunk's policies are followed up (kind.follow: renewal cases, touches,
    # instalments) on a second connection while the next chunks are written.
    ahead = None
    if hasattr(kind, "follow"):
        ahead = BesideQueue(kind.follow, name=f"import-{job.pk}-follow")
    with _gc_by_chunk(), KeyStore() as seen, _closing(ahead), _statistics() as refresh:
        for records, issues, _read in _chunks(job, seen, on_size=on_size, ahead=True):
            _save_issues(job, issues)
            errors += _error_count(issues)
            if written + len(records) <= already:
                written += len(records)
                if hasattr(kind, "finish") and records:
                    # Written by the interrupted run: its conflicts are reported again.
                    conflicts = kind.classify(records, job.insurer).issues
                    _save_issues(job, conflicts)
                    errors += _error_count(conflicts)
                continue
            with transaction.atomic():
                _lock()
                outcome = kind.classify(records, job.insurer)
                # A kind that sums the job up at the end (finish) keeps what it applied per job.
                kind.apply(outcome, by=by, **({"job": job} if hasattr(kind, "finish") else {}))
                conflicts = getattr(outcome, "issues", ())
                _save_issues(job, conflicts)
                errors += _error_count(conflicts)
                counts.update(outcome.verdicts.values())
                changed += len(outcome.changes)
                for number, fields in outcome.changes.items():
                    if len(all_changes) < CHANGES_KEPT:
                        all_changes[number] = fields
                written += len(records)
                job.rows_done = written
                _set_counts(job, kind, counts)
                job.diff = {"changed": all_changes, "changed_count": changed}
                job.save(update_fields=["rows_done", "created", "updated", "unchanged", "diff"])
            if ahead is not None:
                ahead.put(kind.followed(outcome))
            if written >= 10 * CHUNK and not hasattr(kind, "finish"):
                refresh()  # the tables grew a lot: keep the lookups on their indexes (once)
            if progress:
                progress(job)
            records = issues = outcome = None  # the chunk's objects go, by their counts
            chunks_written += 1
            _gc_chunk_done(chunks_written)
        job.errors = errors
        if hasattr(kind, "finish"):
            job.finished_at = timezone.now()
            job.diff = {**kind.finish(job), "counts": dict(counts)}
        else:
            _merge_pending_index_entries()
            job.diff = {**_diff(job, seen), "changed": all_changes, "changed_count": changed}
            _save_keys(job, seen)
    job.policy_keys = []  # kept in the job's keys file (see _keys_name)
    # Every row once: a collection report's conflicts are records read and not applied.
    applied = sum(counts.values()) if hasattr(kind, "finish") else written
    job.rows_done = job.total_rows = applied + job.errors
    job.status, job.finished_at = JobStatus.DONE, job.finished_at or timezone.now()
    job.save()
    if not hasattr(kind, "finish"):
        # Policies entering their ladder get their renewal case and touches: the renewals job
        # runs as its own task once this commit is in.
        enqueue_on_commit(_renewals_task())
    return job


def _keys_name(job_pk: int) -> str:
    return f"imports/keys/{job_pk}.txt"


def _save_keys(job: ImportJob, seen: KeyStore) -> None:
    """The imported policy keys, one a line in order, for the next import's difference."""
    name = _keys_name(job.pk)
    with tempfile.TemporaryFile() as out:
        for key in seen.sorted_keys():
            out.write(key.encode() + b"\n")
        out.seek(0)
        if default_storage.exists(name):
            default_storage.delete(name)
        default_storage.save(name, File(out))


def _stored_keys(job: ImportJob):
    """A done job's policy keys: its keys file, or (jobs imported before it) its JSON list."""
    name = _keys_name(job.pk)
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as handle:
            for line in handle:
                if line.strip():
                    yield line.rstrip(b"\n").decode()
    else:
        yield from job.policy_keys


def _diff(job: ImportJob, seen: KeyStore) -> dict:
    """Since the last import of this insurer: new policies and those that were in the last
    list and are not in this one (the first thousand of each, and how many)."""
    previous = (
        ImportJob.objects.filter(
            insurer=job.insurer, kind=job.kind, status=JobStatus.DONE, finished_at__isnull=False
        )
        .exclude(pk=job.pk)
        .order_by("-finished_at")
        .only("pk", "policy_keys")
        .first()
    )
    seen.load_other(_stored_keys(previous) if previous else ())
    compared = seen.compare(limit=1000)
    # Matched by their normal form ("GNP90001"); listed as the reports wrote them ("GNP-90001").
    numbers = _policy_numbers(job.insurer, compared["new"] + compared["gone"])
    for side in ("new", "gone"):
        compared[side] = [numbers.get(key, key) for key in compared[side]]
    return {"previous": previous.pk if previous else None, **compared}


def _policy_numbers(insurer, keys: list[str]) -> dict[str, str]:
    """{normal form: the policy's number as stored, as its report wrote it} for the insurer's
    policies of these keys (a key of a policy since deleted stays as it is)."""
    from policies.models import Policy

    found = Policy.objects.filter(insurer=insurer, number_key__in=keys).order_by("pk")
    return dict(found.values_list("number_key", "number"))


def _renewals_task():
    from renewals.tasks import renewals_open_task

    return renewals_open_task


# The rows ANALYZE samples per table in the middle of an import, in hundreds (PostgreSQL's
# statistics target): a tenth of the server's default. The refresh is there for the planner
# to count the rows the chunks wrote (and keep the lookups on their indexes), which a sample
# of 3,000 rows tells as well as one of 30,000; it took 0.35 CPU-seconds at 100,000 rows
# instead of 0.04. Autovacuum samples the tables again at the server's target afterwards
# (the rows written after this refresh exceed its threshold).
MIDWAY_STATISTICS_TARGET = 10


def _refresh_statistics() -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('default_statistics_target', %s, true)",
                       [str(MIDWAY_STATISTICS_TARGET)])  # fmt: skip
        cursor.execute("ANALYZE clients_client, policies_policy, policies_vehicle")


@contextmanager
def _statistics():
    """``refresh()`` for the loop: the planner's statistics of the tables an import writes,
    refreshed on a connection of its own while the next chunks are written (its sampling took
    half a second of the importing backend, which every other chunk waited for), and waited
    for at the end. A failed refresh costs the import nothing: autovacuum refreshes them
    later."""
    running = []

    def refresh() -> None:
        if not running:
            running.append(beside(_refresh_statistics, name="import-statistics"))

    try:
        yield refresh
    finally:
        for work in running:
            try:
                work.join()
            except DatabaseError:
                logger.warning("refreshing the statistics after an import's chunks failed",
                               exc_info=True)  # fmt: skip
