import datetime
import io
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from PIL import Image

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from brokerage.notifications.models import Message, Status
from clients.models import (
    Client,
    ClientDocument,
    ClientKind,
    ClientStatus,
    ContactPerson,
    DocumentKind,
    Interaction,
)
from clients.services import (
    client_book_reassign,
    client_create,
    client_reassign,
    client_update,
    contact_person_add,
    document_upload,
    interaction_log,
)
from clients.tests.factories import ClientFactory, CorporateClientFactory

pytestmark = pytest.mark.django_db


def _png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def _pdf_bytes() -> bytes:
    """A one-page PDF with a correct cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


# --- client_create --------------------------------------------------------------------------


def test_it_creates_an_individual_client(agent):
    client = client_create(
        by=agent,
        kind=ClientKind.INDIVIDUAL,
        first_name=" Ana ",
        last_name="López",
        national_id=" lopa800101mdfxxx01 ",
        language="es",
    )

    client.refresh_from_db()
    assert client.display_name == "Ana López"
    assert client.national_id == "LOPA800101MDFXXX01"
    assert client.created_by == agent
    assert client.status == ClientStatus.PROSPECT
    record = client.history.get()
    assert record.history_type == "+"
    assert record.history_user == agent


def test_it_creates_a_corporate_client_with_contacts(agent):
    client = client_create(
        by=agent,
        kind=ClientKind.CORPORATE,
        legal_name="Transportes del Bajío S.A. de C.V.",
        tax_id="tbj010101ab1",
        contacts=[{"name": "Luis Pérez", "position": "Director de flota"}],
    )

    assert client.display_name == "Transportes del Bajío S.A. de C.V."
    assert client.tax_id == "TBJ010101AB1"
    assert list(client.contacts.values_list("name", flat=True)) == ["Luis Pérez"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": ClientKind.INDIVIDUAL, "first_name": " ", "last_name": ""}, "last_name"),
        ({"kind": ClientKind.CORPORATE, "first_name": "Ana", "legal_name": "  "}, "legal_name"),
    ],
)
def test_it_requires_a_name(agent, fields, field):
    with pytest.raises(ValidationError) as excinfo:
        client_create(by=agent, **fields)

    assert field in excinfo.value.message_dict
    assert not Client.objects.exists()


def test_it_stores_a_phone_typed_locally_in_e164(agent):
    client = client_create(
        by=agent, first_name="Ana", phone="55 1234 5678", whatsapp="(55) 8765-4321"
    )

    assert client.phone.as_e164 == "+525512345678"
    stored = Client.objects.get(pk=client.pk)
    assert stored.phone.as_e164 == "+525512345678"
    assert stored.whatsapp.as_e164 == "+525587654321"
    # What the column holds (PHONENUMBER_DB_FORMAT), whatever str() shows on screen.
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, whatsapp FROM clients_client WHERE id = %s", [client.pk])
        assert cursor.fetchone() == ("+525512345678", "+525587654321")
    assert Client.objects.filter(phone="+525512345678").get() == client


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"phone": "12"}, "phone"),
        ({"whatsapp": "12"}, "whatsapp"),
        ({"email": "ana@"}, "email"),
        ({"birthday": timezone.localdate() + datetime.timedelta(days=1)}, "birthday"),
        ({"language": "fr"}, "language"),
    ],
)
def test_it_refuses_invalid_details(agent, fields, field):
    with pytest.raises(ValidationError) as excinfo:
        client_create(by=agent, first_name="Ana", **fields)

    assert field in excinfo.value.message_dict
    assert not Client.objects.exists()


def test_it_accepts_a_birthday_of_today(agent):
    client = client_create(by=agent, first_name="Ana", birthday=timezone.localdate())
    assert client.birthday == timezone.localdate()


def test_it_makes_the_creating_agent_the_owner(agent):
    client = client_create(by=agent, first_name="Ana")
    assert Client.objects.get(pk=client.pk).owner == agent


def test_it_leaves_a_client_created_by_a_maintainer_unowned(maintainer):
    client = client_create(by=maintainer, first_name="Ana")
    assert Client.objects.get(pk=client.pk).owner is None


def test_it_keeps_an_owner_chosen_by_the_creator(agent, manager):
    client = client_create(by=manager, first_name="Ana", owner=agent)
    assert Client.objects.get(pk=client.pk).owner == agent


def test_it_refuses_unknown_fields(agent):
    with pytest.raises(ValueError, match="display_name"):
        client_create(by=agent, first_name="Ana", display_name="Hacked")


def test_it_validates_the_contacts_given_with_a_new_client(agent):
    with pytest.raises(ValidationError):
        client_create(
            by=agent,
            kind=ClientKind.CORPORATE,
            legal_name="Grupo Ejemplo",
            contacts=[{"name": "Luis Pérez", "email": "not-an-email", "phone": "12"}],
        )
    assert not Client.objects.exists()
    assert not ContactPerson.objects.exists()


# --- client_update and history ----------------------------------------------------------


def test_it_records_who_changed_what(agent, manager):
    client = client_create(by=agent, first_name="Ana", last_name="López", email="ana@example.com")

    client_update(
        client=client, by=manager, data={"email": "ana.lopez@example.com", "last_name": "Ruiz"}
    )

    client.refresh_from_db()
    assert client.display_name == "Ana Ruiz"
    record = client.history.first()
    assert record.history_type == "~"
    assert record.history_user == manager
    delta = record.diff_against(record.prev_record)
    changes = {c.field: (c.old, c.new) for c in delta.changes}
    assert changes == {
        "email": ("ana@example.com", "ana.lopez@example.com"),
        "last_name": ("López", "Ruiz"),
    }
    assert record.prev_record.history_user == agent


def test_it_validates_an_update_and_keeps_the_old_values(agent):
    client = client_create(by=agent, first_name="Ana", email="ana@example.com")

    with pytest.raises(ValidationError) as excinfo:
        client_update(client=client, by=agent, data={"email": "nope", "first_name": "Eva"})

    assert "email" in excinfo.value.message_dict
    stored = Client.objects.get(pk=client.pk)
    assert (stored.email, stored.first_name) == ("ana@example.com", "Ana")
    assert client.history.count() == 1


def test_it_sets_co_agents_on_update(agent):
    other = UserFactory(roles=["agent"])
    client = client_create(by=agent, first_name="Ana")

    client_update(client=client, by=agent, data={"is_key": True}, co_agents=[other])

    assert list(client.co_agents.all()) == [other]
    assert not Client.objects.get(pk=client.pk).needs_second_contact


# --- interactions and contacts ----------------------------------------------------------


def test_it_logs_an_interaction_on_the_timeline(agent):
    client = ClientFactory(owner=agent)

    interaction = interaction_log(
        client=client, by=agent, channel="call", summary="Quiere cotizar su auto", result="quote"
    )

    assert list(client.interactions.all()) == [interaction]
    assert interaction.user == agent
    assert interaction.direction == "out"
    assert abs(interaction.occurred_at - timezone.now()) < datetime.timedelta(seconds=10)


def test_it_refuses_an_interaction_in_the_future(agent):
    client = ClientFactory(owner=agent)

    with pytest.raises(ValidationError) as excinfo:
        interaction_log(
            client=client,
            by=agent,
            channel="call",
            summary="…",
            occurred_at=timezone.now() + datetime.timedelta(hours=1),
        )

    assert "occurred_at" in excinfo.value.message_dict
    assert not Interaction.objects.exists()


def test_it_refuses_an_unknown_channel(agent):
    client = ClientFactory(owner=agent)

    with pytest.raises(ValidationError) as excinfo:
        interaction_log(client=client, by=agent, channel="pigeon", summary="…")

    assert "channel" in excinfo.value.message_dict
    assert not Interaction.objects.exists()


def test_it_adds_a_contact_person(agent):
    client = CorporateClientFactory(owner=agent)

    contact = contact_person_add(
        client=client, by=agent, name="Luis Pérez", position="Compras", phone="55 1111 2222"
    )

    assert list(client.contacts.all()) == [contact]
    assert ContactPerson.objects.get().phone.as_e164 == "+525511112222"


def test_it_refuses_a_contact_person_with_a_bad_email(agent):
    client = CorporateClientFactory(owner=agent)

    with pytest.raises(ValidationError) as excinfo:
        contact_person_add(client=client, by=agent, name="Luis", email="luis@")

    assert "email" in excinfo.value.message_dict
    assert not ContactPerson.objects.exists()


# --- documents ----------------------------------------------------------------------------


def test_it_keeps_a_png(agent, media):
    client = ClientFactory(owner=agent)
    data = _png_bytes()

    document = document_upload(
        client=client,
        by=agent,
        kind=DocumentKind.NATIONAL_ID,
        upload=SimpleUploadedFile("ine.png", data, content_type="application/octet-stream"),
    )

    document.refresh_from_db()
    assert document.content_type == "image/png"
    assert document.original_name == "ine.png"
    assert document.size == len(data)
    assert document.uploaded_by == agent
    assert document.stored_name.endswith(".png")
    assert document.file.name.startswith(f"clients/{client.pk}/")
    stored = media / document.file.name
    assert stored.read_bytes() == data


def test_it_reads_the_type_from_the_content_not_the_name(agent, media):
    client = ClientFactory(owner=agent)
    data = _pdf_bytes()

    document = document_upload(
        client=client,
        by=agent,
        kind=DocumentKind.ANNUAL_REPORT,
        upload=SimpleUploadedFile("informe.png", data, content_type="image/png"),
    )

    assert document.content_type == "application/pdf"
    assert document.stored_name.endswith(".pdf")
    assert (media / document.file.name).read_bytes() == data


@pytest.mark.parametrize(
    "data",
    [
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 300,  # Windows EXE
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 300,  # zip
        b"Nombre: Ana Lopez\nCURP: LOPA800101MDFXXX01\n",  # plain text
    ],
    ids=["exe", "zip", "text"],
)
def test_it_refuses_a_file_whose_content_is_not_pdf_jpeg_or_png(agent, media, data):
    client = ClientFactory(owner=agent)

    with pytest.raises(ValidationError) as excinfo:
        document_upload(
            client=client,
            by=agent,
            kind=DocumentKind.NATIONAL_ID,
            upload=SimpleUploadedFile("id.pdf", data, content_type="application/pdf"),
        )

    assert excinfo.value.message_dict["file"] == [
        "Only PDF, JPEG and PNG files can be kept; this file's content is not one of them, "
        "whatever its name says."
    ]
    assert ClientDocument.objects.count() == 0
    assert _files_under(media) == []


def test_it_refuses_a_file_over_the_limit(agent, media, settings):
    settings.CLIENT_DOCUMENT_MAX_BYTES = 1024
    client = ClientFactory(owner=agent)
    data = _pdf_bytes() + b"%" + b"x" * 1200

    with pytest.raises(ValidationError) as excinfo:
        document_upload(
            client=client,
            by=agent,
            kind=DocumentKind.OTHER,
            upload=SimpleUploadedFile("big.pdf", data),
        )

    assert "the limit is" in excinfo.value.message_dict["file"][0]
    assert ClientDocument.objects.count() == 0
    assert _files_under(media) == []


def test_it_accepts_a_file_exactly_at_the_limit(agent, media, settings):
    data = _png_bytes()
    settings.CLIENT_DOCUMENT_MAX_BYTES = len(data)
    client = ClientFactory(owner=agent)

    document_upload(
        client=client, by=agent, kind=DocumentKind.OTHER, upload=SimpleUploadedFile("a.png", data)
    )

    assert ClientDocument.objects.count() == 1


def test_it_refuses_an_empty_file(agent, media):
    client = ClientFactory(owner=agent)

    with pytest.raises(ValidationError) as excinfo:
        document_upload(
            client=client,
            by=agent,
            kind=DocumentKind.OTHER,
            upload=SimpleUploadedFile("a.pdf", b""),
        )

    assert excinfo.value.message_dict["file"] == ["The file is empty."]
    assert ClientDocument.objects.count() == 0


def test_it_refuses_an_unknown_document_kind_and_writes_no_file(agent, media):
    client = ClientFactory(owner=agent)

    with pytest.raises(ValidationError) as excinfo:
        document_upload(
            client=client,
            by=agent,
            kind="passport_photo",
            upload=SimpleUploadedFile("a.png", _png_bytes()),
        )

    assert "kind" in excinfo.value.message_dict
    assert ClientDocument.objects.count() == 0
    assert _files_under(media) == []


# --- reassignment -------------------------------------------------------------------------


@pytest.fixture
def agent(db, manager):
    """The owner agent, in a team the ``manager`` leads: who may reassign a client is decided
    by its owner's team."""
    return UserFactory(roles=["agent"], team=TeamFactory(manager=manager))


def test_it_reassigns_a_client_and_tells_them_by_email(agent, manager):
    new_agent = UserFactory(roles=["agent"], first_name="Luis", last_name="Pérez", phone="5550")
    client = ClientFactory(owner=agent, email="ana@example.com", language="es")

    client_reassign(client=client, to=new_agent, by=manager)

    client.refresh_from_db()
    assert client.owner == new_agent
    record = client.history.first()
    assert record.history_user == manager
    assert record.history_change_reason == "reassigned"
    assert record.owner_id == new_agent.pk
    assert record.prev_record.owner_id == agent.pk
    message = Message.objects.get()
    assert (message.channel, message.to) == ("email", "ana@example.com")
    assert message.template == "agent_changed"
    assert message.language == "es"
    assert message.created_by == manager
    assert message.context["agent"] == "Luis Pérez"
    assert "Luis Pérez" in message.body and "Luis Pérez" in message.subject


def test_it_writes_to_the_client_in_their_language(agent, manager):
    new_agent = UserFactory(roles=["agent"])
    client = ClientFactory(owner=agent, email="ana@example.com", language="es")

    client_reassign(client=client, to=new_agent, by=manager)

    message = Message.objects.get()
    assert message.language == "es"
    assert "insurance adviser" not in message.body
    assert "insurance adviser" not in message.subject


WHATSAPP, PHONE = "+525511112222", "+525533334444"


@pytest.mark.parametrize(
    ("details", "channel", "to"),
    [
        ({"email": "", "whatsapp": WHATSAPP, "phone": PHONE}, "whatsapp", WHATSAPP),
        ({"email": "", "whatsapp": "", "phone": PHONE}, "sms", PHONE),
    ],
)
def test_it_tells_a_client_without_email_by_phone(agent, manager, details, channel, to):
    client = ClientFactory(owner=agent, **details)

    client_reassign(client=client, to=UserFactory(roles=["agent"]), by=manager)

    message = Message.objects.get()
    assert (message.channel, message.to) == (channel, to)


def test_it_reassigns_a_client_without_contact_details_silently(agent, manager):
    client = ClientFactory(owner=agent, email="", whatsapp="", phone="")
    new_agent = UserFactory(roles=["agent"])

    client_reassign(client=client, to=new_agent, by=manager)

    assert Client.objects.get(pk=client.pk).owner == new_agent
    assert not Message.objects.exists()


def test_it_sends_the_message_once_the_reassignment_commits(
    agent, manager, django_capture_on_commit_callbacks
):
    client = ClientFactory(owner=agent, email="ana@example.com")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client_reassign(client=client, to=UserFactory(roles=["agent"]), by=manager)

    assert len(callbacks) == 1
    assert Message.objects.get().status == Status.SENT
    assert [m.to for m in mail.outbox] == [["ana@example.com"]]


def test_it_drops_the_new_owner_from_the_co_agents(agent, manager):
    new_agent = UserFactory(roles=["agent"])
    third = UserFactory(roles=["agent"])
    client = ClientFactory(owner=agent, co_agents=[new_agent, third])

    client_reassign(client=client, to=new_agent, by=manager)

    assert set(client.co_agents.all()) == {third}


def test_it_does_nothing_when_the_owner_does_not_change(agent, manager):
    client = ClientFactory(owner=agent)

    client_reassign(client=client, to=agent, by=manager)

    assert client.history.count() == 1
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "target",
    [
        lambda: UserFactory(roles=["agent"], is_active=False),
        lambda: UserFactory(roles=["maintainer"]),
        lambda: UserFactory(roles=["manager"]),
    ],
    ids=["inactive-agent", "maintainer", "manager"],
)
def test_it_reassigns_only_to_an_active_agent(agent, manager, target):
    client = ClientFactory(owner=agent, email="ana@example.com")
    to = target()

    with pytest.raises(ValidationError, match="is not an active agent"):
        client_reassign(client=client, to=to, by=manager)

    assert Client.objects.get(pk=client.pk).owner == agent
    assert client.history.count() == 1
    assert not Message.objects.exists()


def test_it_spreads_a_departing_agents_book_evenly(agent, manager):
    receivers = UserFactory.create_batch(3, roles=["agent"])
    clients = ClientFactory.create_batch(9, owner=agent)
    clients.append(ClientFactory(owner=agent, email="", whatsapp="", phone=""))
    someone_elses = ClientFactory(owner=receivers[0])

    counts = client_book_reassign(from_agent=agent, to_agents=receivers, by=manager, seed=7)

    assert sorted(counts.values()) == [3, 3, 4]
    assert set(counts) == {r.pk for r in receivers}
    assert not Client.objects.filter(owner=agent).exists()
    for receiver in receivers:
        owned = Client.objects.filter(owner=receiver).exclude(pk=someone_elses.pk)
        assert owned.count() == counts[receiver.pk]
    for client in clients:
        record = client.history.first()
        assert record.history_type == "~"
        assert record.history_user == manager
        assert record.history_change_reason == "book reassigned"
        assert record.owner_id == Client.objects.get(pk=client.pk).owner_id
        assert record.prev_record.owner_id == agent.pk
    assert someone_elses.history.count() == 1
    messages = Message.objects.filter(template="agent_changed")
    assert messages.count() == 9
    assert {m.to for m in messages} == {c.email for c in clients[:9]}
    assert {m.created_by_id for m in messages} == {manager.pk}
    for client in clients[:9]:
        owner = Client.objects.get(pk=client.pk).owner
        assert messages.get(to=client.email).context["agent"] == str(owner)


def test_it_reassigns_a_book_with_clients_reachable_only_by_phone(agent, manager):
    receiver = UserFactory(roles=["agent"])
    ClientFactory(owner=agent)
    ClientFactory(owner=agent, email="", whatsapp=WHATSAPP, phone="")
    ClientFactory(owner=agent, email="", whatsapp="", phone=PHONE)

    client_book_reassign(from_agent=agent, to_agents=[receiver], by=manager)

    assert Client.objects.filter(owner=receiver).count() == 3
    phones = Message.objects.exclude(channel="email").values_list("channel", "to")
    assert set(phones) == {("whatsapp", WHATSAPP), ("sms", PHONE)}


def test_it_never_gives_the_book_back_to_the_departing_agent(agent, manager):
    other = UserFactory(roles=["agent"])
    ClientFactory.create_batch(3, owner=agent)

    counts = client_book_reassign(from_agent=agent, to_agents=[agent, other], by=manager)

    assert counts == {other.pk: 3}
    assert Client.objects.filter(owner=other).count() == 3


def test_it_removes_receivers_from_the_co_agents_of_their_new_clients(agent, manager):
    receiver = UserFactory(roles=["agent"])
    client = ClientFactory(owner=agent, co_agents=[receiver])

    client_book_reassign(from_agent=agent, to_agents=[receiver], by=manager, notify=False)

    assert Client.objects.get(pk=client.pk).owner == receiver
    assert not client.co_agents.exists()
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "target",
    [
        lambda: UserFactory(roles=["agent"], is_active=False),
        lambda: UserFactory(roles=["maintainer"]),
    ],
    ids=["inactive-agent", "maintainer"],
)
def test_it_refuses_a_book_reassignment_to_a_non_agent(agent, manager, target):
    ClientFactory.create_batch(2, owner=agent)
    receivers = [UserFactory(roles=["agent"]), target()]

    with pytest.raises(ValidationError, match="Not active agents"):
        client_book_reassign(from_agent=agent, to_agents=receivers, by=manager)

    assert Client.objects.filter(owner=agent).count() == 2
    assert not Message.objects.exists()


def test_it_needs_someone_to_receive_the_book(agent, manager):
    ClientFactory(owner=agent)

    with pytest.raises(ValidationError, match="at least one other agent"):
        client_book_reassign(from_agent=agent, to_agents=[agent], by=manager)


def test_it_marks_book_reassigned_clients_as_updated(agent, manager):
    long_ago = timezone.now() - datetime.timedelta(days=30)
    client = ClientFactory(owner=agent)
    Client.objects.filter(pk=client.pk).update(updated_at=long_ago)

    client_book_reassign(from_agent=agent, to_agents=[UserFactory(roles=["agent"])], by=manager)

    assert Client.objects.get(pk=client.pk).updated_at > long_ago
