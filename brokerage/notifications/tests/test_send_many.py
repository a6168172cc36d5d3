"""Messages queued in bulk (a morning's payment reminders): stored at once, written in the
recipient's language by the worker that sends them, each sent once."""

import pytest
from django.core import mail

from brokerage.notifications.models import Message, Status
from brokerage.notifications.services import notification_deliver, notifications_send_many
from brokerage.notifications.tasks import notification_deliver_many_task

pytestmark = pytest.mark.django_db

CONTEXT = {"name": "Ana López", "agent": "Luis Pérez"}


def spec(**overrides):
    return {"channel": "email", "to": "ana@example.com", "template": "welcome",
            "context": CONTEXT, "language": "es", **overrides}  # fmt: skip


def test_they_are_stored_unwritten_and_a_bad_recipient_is_left_out(django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        stored = notifications_send_many(
            [spec(), spec(to="not an address"), spec(channel="whatsapp", to="+5215512345678")]
        )
    assert stored[1] is None
    assert [m.body for m in (stored[0], stored[2])] == ["", ""]
    assert Message.objects.count() == 2


def test_the_worker_writes_each_in_its_language_and_sends_it_once(settings):
    first, second = notifications_send_many([spec(), spec(to="li@example.com", language="en")])
    notification_deliver_many_task([first.pk, second.pk])
    notification_deliver_many_task([first.pk, second.pk])  # delivered twice: sent once
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == Status.SENT
    assert "Ana López" in first.body and first.subject and first.body != second.body
    assert len(mail.outbox) == 2
    assert notification_deliver(message_id=first.pk) is None
