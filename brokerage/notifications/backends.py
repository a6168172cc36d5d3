"""Delivery backends. Each takes a Message and sends it, or raises DeliveryError.

Which backend serves a channel is a setting (NOTIFICATION_BACKENDS), so a brokerage can plug
in its SMS or WhatsApp provider without touching the outbox.
"""

import requests
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils.module_loading import import_string

from .attachments import message_attachments


class DeliveryError(Exception):
    pass


class BaseBackend:
    def send(self, message) -> None:
        raise NotImplementedError


class OutboxOnlyBackend(BaseBackend):
    """Keeps the message in the outbox and sends nothing: the default for SMS and WhatsApp
    until a provider is configured."""

    def send(self, message) -> None:
        return None


class EmailBackend(BaseBackend):
    """Sends through Django's e-mail backend (EMAIL_URL)."""

    def send(self, message) -> None:
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            headers={"X-Cartera-Message": str(message.pk)},
        )
        if message.html_body:
            email.attach_alternative(message.html_body, "text/html")
        for filename, content, mimetype in message_attachments(message):
            email.attach(filename, content, mimetype)
        try:
            email.send(fail_silently=False)
        except Exception as exc:  # noqa: BLE001 - SMTP and socket errors vary
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc


class WebhookBackend(BaseBackend):
    """Posts the message as JSON to NOTIFICATION_WEBHOOK_URL (an SMS or WhatsApp gateway)."""

    def send(self, message) -> None:
        url = settings.NOTIFICATION_WEBHOOK_URL
        if not url:
            raise DeliveryError("NOTIFICATION_WEBHOOK_URL is not set.")
        headers = {"Content-Type": "application/json"}
        if settings.NOTIFICATION_WEBHOOK_TOKEN:
            headers["Authorization"] = f"Bearer {settings.NOTIFICATION_WEBHOOK_TOKEN}"
        payload = {
            "id": message.pk,
            "channel": message.channel,
            "to": message.to,
            "subject": message.subject,
            "body": message.body,
            "language": message.language,
        }
        try:
            response = requests.post(
                url, json=payload, headers=headers, timeout=settings.NOTIFICATION_WEBHOOK_TIMEOUT
            )
        except requests.RequestException as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 300:
            raise DeliveryError(f"HTTP {response.status_code}: {response.text[:500]}")


def backend_for(channel: str) -> tuple[str, BaseBackend]:
    path = settings.NOTIFICATION_BACKENDS[channel]
    return path, import_string(path)()
