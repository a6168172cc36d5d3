"""A damaged file of an allowed type (a PDF or a photo cut short on its way) is refused with a
clear reason on the file field, and nothing is kept; a whole one is kept. Every file is built
here: a PDF by weasyprint, images by Pillow."""

import io
import random

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from weasyprint import HTML

from clients.models import ClientDocument, DocumentKind
from clients.services import document_upload
from clients.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _pdf() -> bytes:
    return HTML(string="<h1>Credencial para votar</h1><p>Ana López</p>").write_pdf()


def _image(fmt: str) -> bytes:
    """A photo-like image (noise: every part of the file matters to its pixels)."""
    rng = random.Random(7)
    image = Image.frombytes("RGB", (96, 64), bytes(rng.randrange(256) for _ in range(96 * 64 * 3)))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def _cut(data: bytes) -> bytes:
    """The file as an upload that stopped two thirds of the way."""
    return data[: len(data) * 2 // 3]


def _upload(client, agent, name: str, data: bytes):
    return document_upload(
        client=client, by=agent, kind=DocumentKind.NATIONAL_ID,
        upload=SimpleUploadedFile(name, data, content_type="application/octet-stream"),
    )  # fmt: skip


@pytest.mark.parametrize(("name", "build", "mime"), [
    ("ine.pdf", _pdf, "application/pdf"),
    ("ine.jpg", lambda: _image("JPEG"), "image/jpeg"),
    ("ine.png", lambda: _image("PNG"), "image/png"),
])  # fmt: skip
def test_it_keeps_a_whole_file(agent, media, name, build, mime):
    data = build()
    document = _upload(ClientFactory(owner=agent), agent, name, data)
    assert document.content_type == mime
    assert (media / document.file.name).read_bytes() == data


@pytest.mark.parametrize(("name", "build", "words"), [
    ("ine.pdf", _pdf, "This PDF is damaged or incomplete"),
    ("ine.jpg", lambda: _image("JPEG"), "This image is damaged or incomplete"),
    ("ine.png", lambda: _image("PNG"), "This image is damaged or incomplete"),
])  # fmt: skip
def test_it_refuses_a_file_cut_short_and_keeps_nothing(agent, media, name, build, words):
    with pytest.raises(ValidationError) as excinfo:
        _upload(ClientFactory(owner=agent), agent, name, _cut(build()))
    (message,) = excinfo.value.message_dict["file"]
    assert message.startswith(words) and "upload the new file" in message
    assert not ClientDocument.objects.exists()
    assert not [p for p in media.rglob("*") if p.is_file()]


def test_it_keeps_a_jpeg_with_data_after_its_end(agent, media):
    """Some cameras write more after the image's end marker: the image is whole."""
    data = _image("JPEG") + b"\x00" * 64 + b"camera trailer"
    document = _upload(ClientFactory(owner=agent), agent, "ine.jpg", data)
    assert document.content_type == "image/jpeg"


def test_it_refuses_a_jpeg_that_stops_right_before_its_end(agent, media):
    with pytest.raises(ValidationError) as excinfo:
        _upload(ClientFactory(owner=agent), agent, "ine.jpg", _image("JPEG")[:-2])
    assert "damaged" in excinfo.value.message_dict["file"][0]


def test_the_upload_page_says_why_on_the_file_field(client, agent, media):
    holder = ClientFactory(owner=agent)
    client.force_login(agent)
    response = client.post(
        reverse("clients:document_upload", args=[holder.pk]),
        {"kind": "national_id", "file": SimpleUploadedFile("ine.pdf", _cut(_pdf()))},
        follow=True,
    )
    assert response.status_code == 200
    assert "This PDF is damaged or incomplete" in response.content.decode()
    assert not ClientDocument.objects.exists()
