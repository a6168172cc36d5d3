"""Shared fixtures. The suite runs on PostgreSQL and a real Redis; it says so in its header."""

import pytest
from django.conf import settings


def _database_line() -> str:
    db = settings.DATABASES["default"]
    where = f"{db.get('HOST') or 'socket'}:{db.get('PORT') or ''}/{db.get('NAME')}"
    return f"database: PostgreSQL at {where} (tests use test_{db.get('NAME')})"


def pytest_report_header(config):
    return [_database_line(), f"broker: {settings.CELERY_BROKER_URL}"]


@pytest.fixture(autouse=True)
def _english_and_fresh_cache(settings):
    """Each test starts in English with an empty cache (axes and sessions use it)."""
    from django.core.cache import cache
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    translation.activate("en")
    cache.clear()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _media_in_tmp_path(settings, tmp_path):
    """Uploaded files land in the test's own temporary folder, never in the project's media."""
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def agent(db):
    from brokerage.accounts.tests.factories import UserFactory

    return UserFactory(roles=["agent"])


@pytest.fixture
def manager(db):
    from brokerage.accounts.tests.factories import UserFactory

    return UserFactory(roles=["manager"])


@pytest.fixture
def maintainer(db):
    from brokerage.accounts.tests.factories import UserFactory

    return UserFactory(roles=["maintainer"])


@pytest.fixture
def cartera_admin(db):
    from brokerage.accounts.tests.factories import UserFactory

    return UserFactory(roles=["admin"])


@pytest.fixture
def celery_live(settings):
    """Send tasks to the real Redis broker instead of running them eagerly."""
    from brokerage.celery import app

    assert settings.CELERY_BROKER_URL.startswith("redis://")
    previous = {"task_always_eager": app.conf.task_always_eager, "broker_url": app.conf.broker_url}
    app.conf.update(task_always_eager=False)
    yield app
    app.conf.update(**previous)
