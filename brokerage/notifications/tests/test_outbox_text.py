"""The outbox shows what was sent: the subject of an e-mail, the text of an SMS or WhatsApp
message (never the name of its template)."""

import pytest
from django.urls import reverse

from brokerage.notifications.services import notification_send

pytestmark = pytest.mark.django_db

CONTEXT = {"name": "Ana López", "agent": "Luis Pérez"}


def _cell(html: str, pk: int) -> str:
    row = html.split(f'data-message="{pk}"')[1].split("</tr>")[0]
    return row.split('data-testid="message-text"')[1].split("</td>")[0]


@pytest.mark.parametrize(
    ("channel", "to"), [("whatsapp", "+5215512345678"), ("sms", "+5215512345678")]
)
def test_it_shows_the_text_of_a_message_without_subject(client, maintainer, channel, to):
    message = notification_send(channel=channel, to=to, template="welcome", context=CONTEXT)
    client.force_login(maintainer)
    cell = _cell(client.get(reverse("notifications:outbox")).content.decode(), message.pk)
    assert "Hello Ana López, I am Luis Pérez, your insurance adviser." in cell
    assert "welcome" not in cell


def test_it_shows_the_subject_of_an_email_and_its_text_below(client, maintainer):
    message = notification_send(
        channel="email", to="ana@example.com", template="welcome", context=CONTEXT
    )
    client.force_login(maintainer)
    cell = _cell(client.get(reverse("notifications:outbox")).content.decode(), message.pk)
    assert "<summary>Welcome to our brokerage, Ana López</summary>" in cell
    assert "Hello Ana López" in cell
