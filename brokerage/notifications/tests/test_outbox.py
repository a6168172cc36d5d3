import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from brokerage.notifications.backends import BaseBackend, DeliveryError
from brokerage.notifications.models import Message, Status
from brokerage.notifications.services import (
    notification_deliver,
    notification_requeue_stale,
    notification_retry,
    notification_send,
)

pytestmark = pytest.mark.django_db(transaction=True)

CONTEXT = {"name": "Ana López", "agent": "Luis Pérez"}


class FailingBackend(BaseBackend):
    def send(self, message):
        raise DeliveryError("gateway said no")


class ExplodingBackend(BaseBackend):
    def send(self, message):
        raise RuntimeError("bug in a provider library")


class CountingBackend(BaseBackend):
    sent: list = []

    def send(self, message):
        CountingBackend.sent.append(message.pk)


def test_an_email_is_stored_then_sent_through_django_mail():
    message = notification_send(
        channel="email", to="ana@example.com", template="welcome", context=CONTEXT
    )
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.sent_at is not None and message.attempts == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ana@example.com"]
    assert mail.outbox[0].subject == "Welcome to our brokerage, Ana López"
    assert "Luis Pérez" in mail.outbox[0].body


def test_it_renders_in_the_recipients_language():
    message = notification_send(
        channel="whatsapp", to="+5215512345678", template="welcome", context=CONTEXT, language="es"
    )
    assert message.body.startswith("Hola, Ana López")
    message = notification_send(
        channel="sms", to="+8613800138000", template="welcome", context=CONTEXT, language="zh-hans"
    )
    assert "Ana López" in message.body and "您好" in message.body


def test_sms_and_whatsapp_default_to_the_outbox_only():
    message = notification_send(
        channel="sms", to="+5215512345678", template="welcome", context=CONTEXT
    )
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.backend.endswith("OutboxOnlyBackend")
    assert mail.outbox == []


def test_a_failing_backend_marks_the_message_failed_and_keeps_it(settings):
    settings.NOTIFICATION_BACKENDS = {
        **settings.NOTIFICATION_BACKENDS,
        "sms": "brokerage.notifications.tests.test_outbox.FailingBackend",
        "whatsapp": "brokerage.notifications.tests.test_outbox.ExplodingBackend",
    }
    sms = notification_send(channel="sms", to="+5215512345678", template="welcome", context=CONTEXT)
    wa = notification_send(
        channel="whatsapp", to="+5215512345678", template="welcome", context=CONTEXT
    )
    sms.refresh_from_db()
    wa.refresh_from_db()
    assert sms.status == Status.FAILED and sms.error == "gateway said no"
    assert wa.status == Status.FAILED and "RuntimeError: bug in a provider library" in wa.error
    assert Message.objects.count() == 2


def test_a_failed_message_can_be_sent_again(settings):
    settings.NOTIFICATION_BACKENDS = {
        **settings.NOTIFICATION_BACKENDS,
        "sms": "brokerage.notifications.tests.test_outbox.FailingBackend",
    }
    message = notification_send(
        channel="sms", to="+5215512345678", template="welcome", context=CONTEXT
    )
    settings.NOTIFICATION_BACKENDS = {
        **settings.NOTIFICATION_BACKENDS,
        "sms": "brokerage.notifications.backends.OutboxOnlyBackend",
    }
    message.refresh_from_db()
    notification_retry(message=message)
    message.refresh_from_db()
    assert message.status == Status.SENT and message.error == "" and message.attempts == 2
    with pytest.raises(ValidationError):
        notification_retry(message=message)


def test_a_task_delivered_twice_sends_once(settings):
    settings.NOTIFICATION_BACKENDS = {
        **settings.NOTIFICATION_BACKENDS,
        "sms": "brokerage.notifications.tests.test_outbox.CountingBackend",
    }
    CountingBackend.sent = []
    message = notification_send(
        channel="sms", to="+5215512345678", template="welcome", context=CONTEXT
    )
    assert notification_deliver(message_id=message.pk) is None
    assert CountingBackend.sent == [message.pk]


@pytest.mark.parametrize(
    ("channel", "to"),
    [
        ("email", "not-an-address"),
        ("sms", "5512345678"),
        ("whatsapp", "+52 55 1234"),
        ("fax", "+5215512345678"),
    ],
)
def test_it_refuses_a_bad_recipient_and_stores_nothing(channel, to):
    with pytest.raises(ValidationError):
        notification_send(channel=channel, to=to, template="welcome", context=CONTEXT)
    assert Message.objects.count() == 0


def test_it_requeues_messages_whose_task_was_lost(settings):
    from datetime import timedelta

    from django.utils import timezone

    message = Message.objects.create(
        channel="sms", to="+5215512345678", template="welcome", body="Hola", status=Status.QUEUED
    )
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(hours=1))
    fresh = Message.objects.create(
        channel="sms", to="+5215512345679", template="welcome", body="Hola", status=Status.QUEUED
    )
    assert notification_requeue_stale() == 1
    message.refresh_from_db()
    fresh.refresh_from_db()
    assert message.status == Status.SENT
    assert fresh.status == Status.QUEUED


class _Hook(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append((json.loads(body), self.headers.get("Authorization")))
        self.send_response(_Hook.status)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook(settings):
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Hook.received = []
    _Hook.status = 200
    settings.NOTIFICATION_WEBHOOK_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.NOTIFICATION_WEBHOOK_TOKEN = "s3cret"
    settings.NOTIFICATION_BACKENDS = {
        **settings.NOTIFICATION_BACKENDS,
        "whatsapp": "brokerage.notifications.backends.WebhookBackend",
    }
    yield _Hook
    server.shutdown()


def test_the_webhook_backend_posts_json(webhook):
    message = notification_send(
        channel="whatsapp", to="+5215512345678", template="welcome", context=CONTEXT, language="es"
    )
    message.refresh_from_db()
    assert message.status == Status.SENT
    payload, auth = webhook.received[0]
    assert auth == "Bearer s3cret"
    assert payload["to"] == "+5215512345678" and payload["channel"] == "whatsapp"
    assert payload["id"] == message.pk and payload["body"].startswith("Hola, Ana")


def test_a_webhook_error_fails_the_message_with_the_status(webhook):
    webhook.status = 500
    message = notification_send(
        channel="whatsapp", to="+5215512345678", template="welcome", context=CONTEXT
    )
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.error.startswith("HTTP 500")


def test_an_unreachable_webhook_fails_the_message(settings):
    settings.NOTIFICATION_WEBHOOK_URL = "http://127.0.0.1:1/send"
    settings.NOTIFICATION_BACKENDS = {
        **settings.NOTIFICATION_BACKENDS,
        "sms": "brokerage.notifications.backends.WebhookBackend",
    }
    message = notification_send(
        channel="sms", to="+5215512345678", template="welcome", context=CONTEXT
    )
    message.refresh_from_db()
    assert message.status == Status.FAILED and "ConnectionError" in message.error
