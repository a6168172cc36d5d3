"""Signed-in pages, files and exports are never stored by a browser or a shared cache, and
every file that leaves Cartera (document, policy PDF) is recorded like an export."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from brokerage.core.models import ExportRecord
from clients.services import document_upload
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@pytest.fixture
def book(agent):
    holder = ClientFactory(owner=agent)
    policy = PolicyFactory(holder=holder)
    document = document_upload(
        client=holder, by=agent, kind="other",
        upload=SimpleUploadedFile("ine.pdf", PDF, content_type="application/pdf"),
    )  # fmt: skip
    return holder, policy, document


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_it_marks_signed_in_pages_files_and_exports_no_store(client, agent, maintainer, book):
    holder, policy, document = book
    client.force_login(agent)
    for url in (
        reverse("accounts:profile"),
        reverse("clients:detail", args=[holder.pk]),
        reverse("policies:detail", args=[policy.pk]),
        reverse("clients:document_download", args=[document.pk]),
        reverse("policies:pdf", args=[policy.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert _no_store(response), url
        assert "private" in response["Cache-Control"], url
    client.force_login(maintainer)
    response = client.get(reverse("clients:export"))
    assert response.status_code == 200
    assert _no_store(response)


def test_it_leaves_anonymous_pages_alone(client):
    response = client.get(reverse("password_reset"))
    assert response.status_code == 200
    assert not _no_store(response)


def test_it_records_a_document_download(client, agent, book):
    holder, policy, document = book
    client.force_login(agent)
    response = client.get(reverse("clients:document_download", args=[document.pk]))
    assert b"".join(response.streaming_content) == PDF
    record = ExportRecord.objects.get()
    assert record.user == agent
    assert record.what == "client document"
    assert record.filters == {"document": document.pk, "client": holder.pk}
    assert record.rows == 1


def test_it_records_a_policy_pdf(client, agent, book):
    holder, policy, document = book
    client.force_login(agent)
    response = client.get(reverse("policies:pdf", args=[policy.pk]))
    assert response["Content-Type"] == "application/pdf"
    record = ExportRecord.objects.get()
    assert record.user == agent
    assert record.what == "policy pdf"
    assert record.filters == {"policy": policy.pk, "client": holder.pk}


def test_a_refused_download_records_nothing(client, agent, book):
    holder, policy, document = book
    client.force_login(agent.__class__.objects.create(username="outsider"))
    assert client.get(reverse("clients:document_download", args=[document.pk])).status_code == 404
    assert client.get(reverse("policies:pdf", args=[policy.pk])).status_code == 404
    assert not ExportRecord.objects.exists()
