"""An import's memory does not grow with the file (issue 14, part 2): archives checked member
by member, a workbook's sheet bounded before it is loaded, CSV files read row by row, the
dry run in a Celery task with its progress, and a CSV of 2,000,000 rows through the tasks'
path with the process's memory measured."""

import csv
import datetime
import io
import os
import threading
import zipfile

import pytest
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from imports import expiry, reader, services
from imports.models import ImportJob, JobStatus, RowError
from imports.reader import ReportError, read_table
from imports.services import commit_queue, dry_run_queue, import_requeue_stale, job_create
from imports.tasks import import_commit_task
from imports.tests.conftest import HEADER, row, workbook
from policies.models import Policy

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _bomb_among_padding() -> bytes:
    """A workbook-looking archive whose one member expands 1,000 times, hidden among members
    of random bytes that do not compress: the archive as a whole looks like a normal ratio."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" * (40 * 2**20))
        for n in range(3):
            archive.writestr(f"xl/media/image{n}.png", os.urandom(2 * 2**20))
    return buffer.getvalue()


def test_a_bomb_member_among_padding_is_refused(hdi, maintainer, settings):
    data = _bomb_among_padding()
    expanded = 40 * 2**20 + 6 * 2**20
    assert expanded / len(data) < settings.IMPORT_MAX_RATIO  # the old whole-file check passed
    with pytest.raises(ReportError, match="compressed"):
        job_create(insurer=hdi, by=maintainer, name="bomb.xlsx", data=data)
    assert not ImportJob.objects.exists()


def test_a_sheet_too_large_to_load_is_refused_before_loading(hdi, maintainer, settings):
    data = workbook([row(n) for n in range(1, 400)])
    settings.IMPORT_MAX_SHEET_BYTES = 2**16
    with pytest.raises(ReportError, match="“Sheet” unpacks to .* save it as CSV"):
        job_create(insurer=hdi, by=maintainer, name="big.xlsx", data=data)


def test_a_damaged_workbook_is_a_message_on_upload(hdi, maintainer):
    data = workbook([row(1)])
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as damaged:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/workbook.xml":
                content = content[: len(content) // 2]
            damaged.writestr(item, content)
    with pytest.raises(ReportError, match="The workbook is damaged"):
        job_create(insurer=hdi, by=maintainer, name="v.xlsx", data=out.getvalue())


def test_a_latin1_byte_far_down_a_utf8_looking_csv_is_read_as_latin1(tmp_path):
    path = tmp_path / "report.csv"
    with path.open("wb") as out:
        out.write(b"Poliza,Asegurado,Vencimiento,Prima\n")
        for n in range(20_000):  # well past the first bytes the encoding is decided on
            out.write(f"HDI-{n},Cliente {n},2026-12-01,100\n".encode())
        out.write("HDI-X,José Núñez,2026-12-01,100\n".encode("latin-1"))
    table = read_table(str(path), "report.csv")
    assert table.rows[-1][1][1] == "José Núñez"


def test_the_mapping_page_shows_the_rows_read_on_upload_without_parsing_again(
    client, hdi, maintainer, monkeypatch
):
    client.force_login(maintainer)
    data = workbook([row(1), row(2)])
    client.post("/imports/", {"insurer": hdi.pk, "file": SimpleUploadedFile("r.xlsx", data, XLSX)})
    job = ImportJob.objects.get()
    assert job.sample["headers"][:2] == HEADER[:2]
    assert [number for number, _cells in job.sample["rows"]] == [3, 4]

    def refuse(*args, **kwargs):
        raise AssertionError("the mapping page parsed the file")

    monkeypatch.setattr(reader, "open_table", refuse)
    monkeypatch.setattr(services, "open_table", refuse)
    monkeypatch.setattr(services, "read_table", refuse)
    for _visit in range(2):
        page = client.get(f"/imports/{job.pk}/mapping/").content.decode()
        assert "HDI-00002" in page


def test_the_dry_run_runs_as_a_task_with_its_progress(
    client, hdi, maintainer, django_capture_on_commit_callbacks, monkeypatch
):
    client.force_login(maintainer)
    data = workbook([row(n) for n in range(1, 8)] + [row(8, **{"Prima Total": "n/a"})])
    client.post("/imports/", {"insurer": hdi.pk, "file": SimpleUploadedFile("r.xlsx", data, XLSX)})
    job = ImportJob.objects.get()
    assert job.total_rows == 0  # nothing counted in the request
    form = client.get(f"/imports/{job.pk}/mapping/").context["form"]
    posted = {n: form[n].initial or "" for n in form.fields}
    # The request queues the dry run and answers; the task has not run yet.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(f"/imports/{job.pk}/mapping/", posted)
    assert response["Location"] == f"/imports/{job.pk}/"
    job.refresh_from_db()
    assert job.status == JobStatus.CHECK_QUEUED and len(callbacks) == 1
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'data-testid="import-progress"' in page
    assert (
        'data-testid="dry-run-running"'
        in client.get(f"/imports/{job.pk}/mapping/").content.decode()
    )
    # While it runs, the progress partial says how far it is (chunks of 3 rows here).
    monkeypatch.setattr(services, "CHUNK", 3)
    seen = []

    def watch(job_arg, **kwargs):
        return original(job_arg, progress=lambda j: seen.append(_progress_of(client, j)))

    original = services.dry_run
    monkeypatch.setattr("imports.tasks.dry_run", watch)
    callbacks[0]()
    assert seen[0] == ("checking", "Dry run: 3 of 8 rows read.")
    job.refresh_from_db()
    assert job.status == JobStatus.PREVIEWED and (job.created, job.errors) == (7, 1)
    assert job.rows_done == 0 and job.total_rows == 8
    response = client.get(f"/imports/{job.pk}/progress/")
    assert response.status_code == 204 and response["HX-Refresh"] == "true"


def _progress_of(client, job):
    html = client.get(f"/imports/{job.pk}/progress/").content.decode()
    text = html.split('data-testid="dry-run-progress">')[1].split("Nothing")[0].strip()
    return ImportJob.objects.get(pk=job.pk).status, " ".join(text.split())


def test_a_dry_run_that_cannot_read_the_file_goes_back_to_the_mapping(
    client, hdi, maintainer, django_capture_on_commit_callbacks
):
    client.force_login(maintainer)
    header = [h for h in HEADER if h != "Prima Total"]
    data = workbook([[v for h, v in zip(HEADER, row(1), strict=True) if h != "Prima Total"]],
                    header=header)  # fmt: skip
    client.post("/imports/", {"insurer": hdi.pk, "file": SimpleUploadedFile("r.xlsx", data, XLSX)})
    job = ImportJob.objects.get()
    services.mapping_save(job=job, by=maintainer, columns=job.columns)
    with django_capture_on_commit_callbacks(execute=True):
        assert dry_run_queue(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.UPLOADED and "Premium" in job.message
    page = client.get(f"/imports/{job.pk}/mapping/").content.decode()
    assert 'data-testid="dry-run-stopped"' in page


def test_a_dry_run_queued_while_the_broker_was_down_is_sent_by_the_sweep(hdi, maintainer):
    job, _table = job_create(insurer=hdi, by=maintainer, name="r.xlsx", data=workbook([row(1)]))
    services.mapping_save(job=job, by=maintainer, columns=job.columns)
    assert dry_run_queue(job_id=job.pk)  # on_commit not run: the task never reached a broker
    assert not dry_run_queue(job_id=job.pk)  # queued once
    assert import_requeue_stale() == 0  # queued just now: its task may be on its way
    ImportJob.objects.filter(pk=job.pk).update(
        queued_at=timezone.now() - datetime.timedelta(hours=1)
    )
    assert import_requeue_stale() == 1  # eager here: the task runs at once
    job.refresh_from_db()
    assert job.status == JobStatus.PREVIEWED and job.created == 1


ROWS = int(os.environ.get("IMPORT_MEMORY_TEST_ROWS", "2000000"))
REAL_ROWS = 20_000
MEMORY_BOUND = 150 * 2**20  # the old code held the whole file and every row: over 2 GB at 2M


def _write_csv(path, rows: int, *, bad_every: int = 0, repeat_every: int = 0) -> None:
    """A CSV report written a row at a time (never held in memory): every ``bad_every``-th row
    has an unreadable premium, every ``repeat_every``-th repeats the first row's policy."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["Reporte de vencimientos"])
        writer.writerow(HEADER)
        line = (
            "HDI-{number:07d},Cliente {n} Pérez,,55 1234 {phone:04d},01/12/2025,01/12/2030,"
            '"{premium}",Autos,,ABC{phone:04d},Nissan,Versa,2022\n'
        )
        for n in range(rows):
            number = 0 if repeat_every and n and n % repeat_every == 0 else n
            premium = "n/a" if bad_every and n % bad_every == 1 else "$12,500.00"
            out.write(line.format(number=number, n=n, phone=n % 10000, premium=premium))


class _PeakRss:
    """The process's resident memory above where it was at the start, sampled in a thread
    (it counts what C libraries allocate too: the database driver, calamine)."""

    def __enter__(self):
        self.base = self.peak = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())

    def _sample(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._rss())

    @staticmethod
    def _rss() -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    @property
    def grown(self) -> int:
        return self.peak - self.base


def _upload_and_map(path, hdi, maintainer):
    with path.open("rb") as handle:
        job, _table = job_create(insurer=hdi, by=maintainer, name=path.name, file=File(handle))
    services.mapping_save(job=job, by=maintainer, columns=job.columns)
    return job


@pytest.fixture
def quick_rows(monkeypatch):
    """Rows read into records without the per-row work of the expiry kind (phones, dates,
    the database lookups of classify, some hundred microseconds a row): the engine's own
    memory (file, reader, chunks, duplicate keys, row errors, preview) is what grows with the
    file, and 2,000,000 rows then fit in the test's time."""

    def parse_row(number, raw, headers, context):
        if raw.get("premium") == "n/a":
            issue = expiry.Issue(number, headers["premium"], "n/a", "Not an amount: n/a.")
            return None, [issue]
        policy = {"number": raw["policy_number"], "premium": raw.get("premium")}
        return expiry.Record(number, raw["policy_number"], policy, {}, None), []

    def classify(records, insurer):
        return expiry.Outcome(verdicts={r.row: "new" for r in records})

    monkeypatch.setattr(expiry, "parse_row", parse_row)
    monkeypatch.setattr(expiry, "classify", classify)


def test_a_csv_of_two_million_rows_is_dry_run_by_the_task_in_bounded_memory(
    hdi, maintainer, tmp_path, django_capture_on_commit_callbacks, quick_rows, settings
):
    settings.IMPORT_MAX_BYTES = 2**30  # over 200 MB: past the upload limit, not the engine's
    path = tmp_path / "two-million.csv"
    _write_csv(path, ROWS, bad_every=100_000, repeat_every=500_000)
    repeats = (ROWS - 1) // 500_000
    bad = len(range(1, ROWS, 100_000))
    with _PeakRss() as memory:
        job = _upload_and_map(path, hdi, maintainer)
        with django_capture_on_commit_callbacks(execute=True):
            assert dry_run_queue(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.PREVIEWED, job.message
    assert (job.created, job.errors) == (ROWS - bad - repeats, bad + repeats)
    assert job.total_rows == ROWS and RowError.objects.filter(job=job).count() == job.errors
    assert RowError.objects.filter(job=job, code="duplicate_policy").count() == repeats
    assert memory.grown < MEMORY_BOUND, f"{memory.grown / 2**20:.0f} MB"
    print(f"2M rows: memory grew {memory.grown / 2**20:.0f} MB")  # noqa: T201 - with -s


def test_a_csv_is_dry_run_and_committed_by_the_tasks_in_bounded_memory(
    hdi, maintainer, tmp_path, django_capture_on_commit_callbacks
):
    path = tmp_path / "report.csv"
    _write_csv(path, REAL_ROWS, bad_every=1000)
    with _PeakRss() as memory:
        job = _upload_and_map(path, hdi, maintainer)
        with django_capture_on_commit_callbacks(execute=True):
            dry_run_queue(job_id=job.pk)
        job.refresh_from_db()
        assert (job.status, job.errors) == (JobStatus.PREVIEWED, REAL_ROWS // 1000)
        assert commit_queue(job_id=job.pk)
        import_commit_task(job.pk)  # the task the commit queued (its renewals job is not run)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.created == REAL_ROWS - REAL_ROWS // 1000
    assert Policy.objects.count() == job.created
    assert job.diff["new_count"] == job.created and len(job.diff["new"]) == 1000
    assert memory.grown < MEMORY_BOUND, f"{memory.grown / 2**20:.0f} MB"
