"""beside(): independent database work on a second connection while the caller goes on, and
inline in the caller's transaction when there is one."""

import threading

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from brokerage.core.beside import beside
from brokerage.core.models import MorningRun


def _backend() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_it_runs_on_its_own_connection_and_closes_it():
    mine, seen = _backend(), {}
    started, go_on = threading.Event(), threading.Event()

    def work():
        seen["backend"], seen["connection"] = _backend(), connections["default"]
        started.set()
        go_on.wait(5)  # still running while the caller works
        return 42

    running = beside(work, name="test-beside")
    assert running.threaded
    assert started.wait(5)
    assert _backend() == mine  # the caller's own connection, in use meanwhile
    go_on.set()
    assert running.join() == 42
    assert seen["backend"] != mine
    assert seen["connection"].connection is None  # closed when the work was done


@pytest.mark.django_db(transaction=True)
def test_its_error_is_raised_by_join():
    def work():
        raise ValueError("the plan failed")

    running = beside(work)
    with pytest.raises(ValueError, match="the plan failed"):
        running.join()


@pytest.mark.django_db
def test_inside_a_transaction_it_runs_at_join_in_that_transaction():
    """A second connection would not see the caller's uncommitted rows: the work runs in the
    caller's thread and transaction instead, when joined."""
    calls = []

    def work():
        calls.append(_backend())
        return MorningRun.objects.filter(part="test").count()

    with transaction.atomic():
        MorningRun.objects.create(part="test", day="2026-12-03", started_at=timezone.now())
        running = beside(work)
        assert not running.threaded and calls == []
        assert running.join() == 1
    assert calls == [_backend()]
