import pytest
from django.db import OperationalError

pytestmark = pytest.mark.django_db


def test_it_reports_eager_tasks(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "eager"}


def test_it_reports_a_live_broker(client, celery_live):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


def test_it_answers_503_when_the_broker_is_down(client, celery_live):
    celery_live.conf.update(broker_url="redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "error"


def test_it_answers_503_when_the_database_is_down(client, monkeypatch):
    from brokerage.core import views

    class DeadCursor:
        def __enter__(self):
            raise OperationalError("connection refused")

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(views.connection, "cursor", lambda: DeadCursor())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "error", "broker": "eager"}


def test_it_needs_no_sign_in_and_is_not_cached(client):
    response = client.get("/healthz")
    assert "no-cache" in response["Cache-Control"]
