"""Files attached to the outbox's e-mails: loaded by the source's registered loader when the
message is sent; a message naming a source nobody registered fails (and says why) rather than
going out without its attachment; WhatsApp and SMS carry none."""

import pytest
from django.core import mail

from brokerage.notifications import attachments
from brokerage.notifications.models import Status
from brokerage.notifications.services import notification_deliver, notification_send

pytestmark = pytest.mark.django_db

CONTEXT = {"name": "Ana López", "agent": "Luis Pérez"}


@pytest.fixture
def source():
    attachments.register(
        "tests.note", lambda pk: (f"note-{pk}.pdf", b"%%PDF %d" % pk, "application/pdf")
    )
    yield "tests.note"
    attachments._loaders.pop("tests.note", None)


def _send(spec, channel="email", to="ana@example.com"):
    message = notification_send(
        channel=channel, to=to, template="welcome",
        context={**CONTEXT, "attachments": spec}, language="es",
    )  # fmt: skip
    return notification_deliver(message_id=message.pk)


def test_it_attaches_the_files_its_loader_gives(source):
    message = _send([{"source": source, "id": 7}])
    assert message.status == Status.SENT
    [email] = mail.outbox
    assert email.attachments == [("note-7.pdf", b"%PDF 7", "application/pdf")]


def test_a_message_naming_an_unknown_source_fails_and_says_why():
    message = _send([{"source": "nobody.registered", "id": 1}])
    assert message.status == Status.FAILED
    assert "nobody.registered" in message.error
    assert mail.outbox == []


def test_whatsapp_carries_no_attachment(source):
    message = _send([{"source": source, "id": 7}], channel="whatsapp", to="+525512345678")
    assert message.status == Status.SENT and mail.outbox == []
