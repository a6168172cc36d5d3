"""The outbox through a real Celery worker on the Redis broker."""

import time

import pytest
from celery.contrib.testing.worker import start_worker

from brokerage.notifications.models import Message, Status
from brokerage.notifications.services import notification_send

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def real_worker(celery_live):
    celery_live.control.purge()
    with start_worker(celery_live, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield


def _wait_for(predicate, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_a_real_worker_sends_the_message(real_worker):
    message = notification_send(
        channel="whatsapp",
        to="+5215512345678",
        template="welcome",
        context={"name": "Ana", "agent": "Luis"},
    )
    assert _wait_for(lambda: Message.objects.get(pk=message.pk).status == Status.SENT)
    message.refresh_from_db()
    assert message.attempts == 1
