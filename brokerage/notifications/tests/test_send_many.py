"""Messages queued in bulk (a morning's payment reminders): stored at once, written in the
recipient's language by the worker that sends them, each sent once."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.template import engines

from brokerage.notifications.models import Message, Status
from brokerage.notifications.services import (
    _revived,
    _stored,
    notification_deliver,
    notifications_send_many,
)
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


def test_a_message_written_when_sent_formats_its_dates_and_amounts_as_when_queued():
    """Read back from the database, the context's day, moment and amount are formatted by the
    templates as they were when queued (JSON keeps them as strings)."""
    context = {
        "due_on": dt.date(2026, 12, 24),
        "at": dt.datetime(2026, 12, 3, 9, 30, tzinfo=dt.UTC),
        "amount": Decimal("1500.50"),
        "name": "2026-12-24",  # a string that looks like a day stays a string
    }
    stored = Message.objects.create(
        channel="email", to="a@example.com", template="welcome", context=_stored(context),
        language="en", body="",
    )  # fmt: skip
    back = _revived(Message.objects.get(pk=stored.pk).context)
    assert back == context
    template = engines["django"].from_string("{{ due_on|date:'Y/m/d' }} {{ amount|floatformat:2 }}")
    assert template.render(back) == "2026/12/24 1500.50"


def test_a_message_stored_before_types_were_kept_still_gets_its_days():
    assert _revived({"due_on": "2026-12-24", "note": "2026-12-24"}) == {
        "due_on": dt.date(2026, 12, 24),
        "note": "2026-12-24",
    }
