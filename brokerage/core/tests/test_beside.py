"""beside(): independent database work on a second connection while the caller goes on, and
inline in the caller's transaction when there is one."""

import threading

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from brokerage.core.beside import BesideQueue, beside
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


# --- BesideQueue: batches followed up one after the other -----------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_queue_works_the_items_put_on_its_own_connection_taking_those_waiting_at_once():
    mine, batches, backends = _backend(), [], set()
    first_taken, go_on = threading.Event(), threading.Event()

    def work(items):
        backends.add(_backend())
        batches.append(items)
        first_taken.set()
        go_on.wait(5)  # the caller puts more meanwhile

    queue = BesideQueue(work, name="test-queue")
    assert queue.threaded
    queue.put([1, 2])
    assert first_taken.wait(5)
    queue.put([3])
    queue.put([])  # nothing to do: not a batch
    queue.put([4, 5])
    go_on.set()
    assert queue.close() is None
    assert batches == [[1, 2], [3, 4, 5]]  # the waiting ones in one batch, in order
    assert backends and mine not in backends


@pytest.mark.django_db(transaction=True)
def test_a_queue_s_error_stops_it_is_returned_by_close_and_the_caller_goes_on():
    done, first_done = [], threading.Event()

    def work(items):
        if 2 in items:
            raise ValueError("follow-up failed")
        done.extend(items)
        first_done.set()

    queue = BesideQueue(work, name="test-queue")
    queue.put([1])
    assert first_done.wait(5)
    queue.put([2])
    queue._thread.join(5)  # the thread has stopped on the error
    queue.put([3])  # dropped: the caller does all of it again after
    error = queue.close()
    assert isinstance(error, ValueError) and done == [1]


@pytest.mark.django_db(transaction=True)
def test_closing_after_an_error_drops_what_waits_and_ends_the_thread():
    done, taken, go_on = [], threading.Event(), threading.Event()

    def work(items):
        taken.set()
        go_on.wait(5)
        done.extend(items)

    queue = BesideQueue(work)
    queue.put([1])
    assert taken.wait(5)
    queue.put([2])
    go_on.set()
    queue.close(drop=True)
    assert done == [1]
    assert not queue._thread.is_alive()


@pytest.mark.django_db
def test_inside_a_transaction_a_queue_works_each_put_at_once_in_that_transaction():
    seen = []

    def work(items):
        seen.append((_backend(), items, MorningRun.objects.filter(part="queued").count()))
        if items == ["boom"]:
            raise ValueError("raised to the caller")

    mine = _backend()
    MorningRun.objects.create(part="queued", day=timezone.localdate(), started_at=timezone.now())
    queue = BesideQueue(work)
    assert not queue.threaded
    queue.put(["a"])
    assert seen == [(mine, ["a"], 1)]
    with pytest.raises(ValueError, match="raised to the caller"):
        queue.put(["boom"])
    assert queue.close() is None
