"""Media go through Django's storage API only, so that several web and worker machines can
share one storage (MEDIA_STORAGE=s3): with a storage that is not the local disk as default, a
client document, an imported report and a dashboard PDF are stored, read back and downloaded
with nothing written under MEDIA_ROOT (each test's own temporary folder, conftest.py)."""

import io
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from moto import mock_aws
from PIL import Image

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from clients.models import ClientDocument, DocumentKind
from clients.tests.factories import ClientFactory
from imports.models import ImportJob, JobStatus
from imports.tests.conftest import row, workbook
from policies.models import Policy
from reports.models import DashboardPrint, PrintStatus

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BUCKET = "cartera-media"


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def _files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


@pytest.fixture
def in_memory(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    assert type(default_storage._wrapped).__name__ != "FileSystemStorage"
    yield default_storage
    assert _files_under(tmp_path) == []


@pytest.fixture
def s3_bucket(settings, tmp_path, monkeypatch):
    """An S3 bucket served in memory by moto, set as the default storage the way
    MEDIA_STORAGE=s3 sets it (brokerage/settings.py)."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {"bucket_name": BUCKET, "location": "media", "default_acl": None,
                            "file_overwrite": False, "max_memory_size": 5 * 1024 * 1024},
            },
        }  # fmt: skip
        yield s3
    assert _files_under(tmp_path) == []


@pytest.fixture
def forked_parser(monkeypatch):
    """Every import of more than the sample's rows is parsed in the forked parser process,
    which opens the report from the storage itself; yields the names of the processes
    started."""
    from imports import services

    started, real = [], services._forking

    class Context:
        def __init__(self, context):
            self.Pipe = context.Pipe
            self.context = context

        def Process(self, **kwargs):  # noqa: N802 - multiprocessing's name
            started.append(kwargs["name"])
            return self.context.Process(**kwargs)

    monkeypatch.setattr(services, "PARSE_IN_CHILD_FROM", 0)
    monkeypatch.setattr(services, "_forking", lambda: Context(real()))
    return started


def _keys(s3) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def _upload_document(client):
    agent = UserFactory(roles=["agent"])
    holder = ClientFactory(owner=agent)
    client.force_login(agent)
    data = _png()
    client.post(f"/clients/{holder.pk}/documents/", {
        "kind": DocumentKind.NATIONAL_ID, "description": "INE",
        "file": SimpleUploadedFile("ine.png", data, "image/png"),
    })  # fmt: skip
    return ClientDocument.objects.get(client=holder), data


def test_it_keeps_a_client_document_in_a_storage_that_is_not_the_disk(client, in_memory):
    document, data = _upload_document(client)
    assert in_memory.exists(document.file.name)
    response = client.get(f"/clients/documents/{document.pk}/")
    assert b"".join(response.streaming_content) == data


def test_it_imports_a_report_kept_in_a_storage_that_is_not_the_disk(
    client, in_memory, django_capture_on_commit_callbacks, forked_parser
):
    from policies.tests.factories import InsurerFactory

    hdi = InsurerFactory(name="HDI Seguros", code="hdi")
    maintainer = UserFactory(roles=["maintainer"])
    client.force_login(maintainer)
    data = workbook([row(n) for n in range(1, 8)])
    upload = SimpleUploadedFile("vencimientos.xlsx", data, XLSX)
    client.post("/imports/", {"insurer": hdi.pk, "file": upload})
    job = ImportJob.objects.get()
    assert in_memory.exists(job.file.name)
    form = client.get(f"/imports/{job.pk}/mapping/").context["form"]
    assert form["policy_number"].initial == "No. de Póliza"  # the header read from the storage
    posted = {name: form[name].initial or "" for name in form.fields}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{job.pk}/mapping/", posted)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{job.pk}/commit/")
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and Policy.objects.count() == 7
    assert forked_parser == [f"import-{job.pk}-parse"] * 2  # the dry run and the commit
    # The next import's difference reads this one's keys back from the storage.
    assert in_memory.exists(f"imports/keys/{job.pk}.txt")


def test_it_prints_the_dashboard_into_a_storage_that_is_not_the_disk(
    client, in_memory, django_capture_on_commit_callbacks
):
    manager = UserFactory(roles=["manager"])
    TeamFactory(manager=manager)
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):  # the print's task
        client.post("/reports/prints/", {"start": "2026-01-01", "end": "2026-12-31"})
    printed = DashboardPrint.objects.get()
    assert printed.status == PrintStatus.DONE and in_memory.exists(printed.file.name)
    response = client.get(f"/reports/prints/{printed.pk}/download/")
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_it_keeps_a_client_document_in_an_s3_bucket(client, s3_bucket):
    document, data = _upload_document(client)
    assert _keys(s3_bucket) == [f"media/{document.file.name}"]
    response = client.get(f"/clients/documents/{document.pk}/")
    assert b"".join(response.streaming_content) == data


def test_it_imports_a_report_kept_in_an_s3_bucket(
    client, s3_bucket, django_capture_on_commit_callbacks, forked_parser
):
    from policies.tests.factories import InsurerFactory

    hdi = InsurerFactory(name="HDI Seguros", code="hdi")
    client.force_login(UserFactory(roles=["maintainer"]))
    data = workbook([row(n) for n in range(1, 8)])
    upload = SimpleUploadedFile("vencimientos.xlsx", data, XLSX)
    client.post("/imports/", {"insurer": hdi.pk, "file": upload})
    job = ImportJob.objects.get()
    form = client.get(f"/imports/{job.pk}/mapping/").context["form"]
    posted = {name: form[name].initial or "" for name in form.fields}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{job.pk}/mapping/", posted)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{job.pk}/commit/")
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and Policy.objects.count() == 7
    assert forked_parser == [f"import-{job.pk}-parse"] * 2  # the dry run and the commit
    assert set(_keys(s3_bucket)) == {f"media/{job.file.name}", f"media/imports/keys/{job.pk}.txt"}


def _settings_of(env: dict) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AWS_"))}
    base.update({"DEBUG": "true", "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/cartera",
                 "DJANGO_SETTINGS_MODULE": "brokerage.settings", **env})  # fmt: skip
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.STORAGES['default']['BACKEND'], s.STORAGES['default'].get('OPTIONS', {}), "
        "sorted(s.DATABASES), s.REPORTS_DATABASE, "
        "[d['DISABLE_SERVER_SIDE_CURSORS'] for d in s.DATABASES.values()])"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=base, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


def test_the_environment_chooses_the_media_storage_and_the_replica():
    plain = _settings_of({})
    assert plain.stdout.startswith("django.core.files.storage.FileSystemStorage")
    assert "['default'] default [False]" in plain.stdout
    s3 = _settings_of({
        "MEDIA_STORAGE": "s3", "AWS_STORAGE_BUCKET_NAME": "cartera-media",
        "S3_ENDPOINT_URL": "http://minio:9000",
        "DATABASE_REPLICA_URL": "postgres://reader@replica:5432/cartera",
        "DISABLE_SERVER_SIDE_CURSORS": "true",  # behind pgbouncer in transaction mode
    })  # fmt: skip
    assert s3.stdout.startswith("storages.backends.s3.S3Storage"), s3.stderr
    assert "'bucket_name': 'cartera-media'" in s3.stdout
    assert "'endpoint_url': 'http://minio:9000'" in s3.stdout
    assert "['default', 'replica'] replica [True, True]" in s3.stdout
    no_bucket = _settings_of({"MEDIA_STORAGE": "s3"})
    assert no_bucket.returncode != 0 and "needs AWS_STORAGE_BUCKET_NAME" in no_bucket.stderr
    wrong = _settings_of({"MEDIA_STORAGE": "ftp"})
    assert wrong.returncode != 0 and "MEDIA_STORAGE is 'ftp'" in wrong.stderr
    assert "Traceback" not in wrong.stderr
