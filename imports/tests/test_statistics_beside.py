"""Issue 14: once an import has written ten chunks, the planner's statistics of the tables it
writes are refreshed on a connection of their own while the next chunks are written (the
importing connection waited half a second for them); a refresh that fails costs the import
nothing."""

import logging
import threading

import pytest
from django.db import DatabaseError, connection

from imports import services
from imports.services import commit
from imports.tests.conftest import row, workbook
from imports.tests.test_services import _job
from policies.models import Policy


@pytest.mark.django_db(transaction=True)
def test_the_refresh_runs_on_its_own_connection_while_the_chunks_go_on(hdi, maint, monkeypatch):
    monkeypatch.setattr(services, "CHUNK", 2)
    monkeypatch.setattr(services, "PARSE_IN_CHILD", False)
    seen = []
    original = services._refresh_statistics

    def refresh():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            seen.append((threading.current_thread().name, cursor.fetchone()[0]))
        original()

    monkeypatch.setattr(services, "_refresh_statistics", refresh)
    job = commit(_job(hdi, maint, workbook([row(n) for n in range(1, 26)])))
    assert (job.created, job.errors) == (25, 0)
    assert Policy.objects.count() == 25
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        importing = cursor.fetchone()[0]
    [(thread, backend)] = seen  # once, after the tenth chunk
    assert thread == "import-statistics" and backend != importing


@pytest.mark.django_db
def test_a_refresh_that_fails_is_logged_and_the_import_goes_on(hdi, maint, monkeypatch, caplog):
    monkeypatch.setattr(services, "CHUNK", 2)
    monkeypatch.setattr(services, "PARSE_IN_CHILD", False)

    def refresh():
        raise DatabaseError("canceling statement due to lock timeout")

    monkeypatch.setattr(services, "_refresh_statistics", refresh)
    with caplog.at_level(logging.WARNING, logger="imports.services"):
        job = commit(_job(hdi, maint, workbook([row(n) for n in range(1, 23)])))
    assert (job.created, job.errors) == (22, 0)
    assert Policy.objects.count() == 22
    assert "refreshing the statistics" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_the_midway_refresh_samples_at_a_tenth_of_the_target_and_leaves_the_setting_alone(hdi):
    """The planner learns the rows written (``reltuples``) from a small sample: the policies'
    numbers get a histogram of at most MIDWAY_STATISTICS_TARGET + 1 bounds, not one per
    policy, and the connection's own target is what it was."""
    from policies.tests.factories import PolicyFactory

    PolicyFactory.create_batch(60, insurer=hdi)
    with connection.cursor() as cursor:
        cursor.execute("SHOW default_statistics_target")
        before = cursor.fetchone()[0]
    services._refresh_statistics()
    with connection.cursor() as cursor:
        cursor.execute("SHOW default_statistics_target")
        assert cursor.fetchone()[0] == before
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'policies_policy'")
        assert cursor.fetchone()[0] == 60
        cursor.execute(
            "SELECT array_length(histogram_bounds, 1) FROM pg_stats"
            " WHERE tablename = 'policies_policy' AND attname = 'number'"
        )
        bounds = cursor.fetchone()[0]
    assert bounds <= services.MIDWAY_STATISTICS_TARGET + 1
