"""The policy PDF renders through the one per-process WeasyPrint lock (brokerage.core.pdf):
runserver and threaded gunicorn serve requests in threads, and Pango crashes the process when
two threads lay text out at once (issue 13, item 12)."""

import threading

import pytest

from brokerage.core import pdf
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory

pytestmark = pytest.mark.django_db


class _Recording:
    def __init__(self):
        self.lock, self.entered = threading.Lock(), 0

    def __enter__(self):
        self.lock.acquire()
        self.entered += 1

    def __exit__(self, *exc):
        self.lock.release()


def test_it_renders_the_policy_pdf_under_the_rendering_lock(client, agent, monkeypatch):
    recording = _Recording()
    monkeypatch.setattr(pdf, "_render_lock", recording)
    policy = PolicyFactory(holder=ClientFactory(owner=agent))
    client.force_login(agent)
    response = client.get(f"/policies/{policy.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert recording.entered == 1
