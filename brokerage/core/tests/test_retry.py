"""retry_on_deadlock: a transaction PostgreSQL failed to break a deadlock runs again, and
nothing else does (the deadlock itself, between two real services, is in
renewals/tests/test_rollup_lock_order.py)."""

import pytest
from django.db import IntegrityError, OperationalError, transaction
from psycopg import errors as pg_errors

from brokerage.core import retry
from brokerage.core.retry import retry_on_deadlock, retryable


@pytest.fixture(autouse=True)
def _no_pause(monkeypatch):
    monkeypatch.setattr(retry.time, "sleep", lambda seconds: None)


def _failing(times, error):
    """A function that fails ``times`` times with ``error()`` and then answers."""
    calls = []

    def work(value):
        calls.append(value)
        if len(calls) <= times:
            raise error()
        return value * 2

    return work, calls


def _wrapped(cause):
    error = OperationalError(str(cause))
    error.__cause__ = cause
    return error


def test_it_knows_a_deadlock_and_a_serialization_failure_from_other_errors():
    assert retryable(_wrapped(pg_errors.DeadlockDetected("deadlock detected")))
    assert retryable(_wrapped(pg_errors.SerializationFailure("could not serialize")))
    assert not retryable(_wrapped(pg_errors.LockNotAvailable("could not obtain lock")))
    assert not retryable(OperationalError("server closed the connection"))
    assert not retryable(ValueError("x"))


def test_a_deadlocked_call_runs_again_and_answers(monkeypatch):
    # The warnings as the module's logger is asked to write them (another test may have
    # configured logging so that caplog sees none of them).
    warned = []
    monkeypatch.setattr(
        retry.logger, "warning", lambda message, *args: warned.append(message % args)
    )
    work, calls = _failing(2, lambda: _wrapped(pg_errors.DeadlockDetected("deadlock")))
    assert retry_on_deadlock(work)(21) == 42  # called outside a transaction, as a task is
    assert calls == [21, 21, 21]
    assert warned == [
        "_failing.<locals>.work: deadlock; running it again (attempt 2 of 4)",
        "_failing.<locals>.work: deadlock; running it again (attempt 3 of 4)",
    ]


def test_it_gives_up_after_its_attempts():
    work, calls = _failing(10, lambda: _wrapped(pg_errors.DeadlockDetected("deadlock")))
    with pytest.raises(OperationalError, match="deadlock"):
        retry_on_deadlock(attempts=3)(work)(1)
    assert calls == [1, 1, 1]


def test_other_errors_are_not_run_again():
    work, calls = _failing(1, lambda: IntegrityError("duplicate key"))
    with pytest.raises(IntegrityError):
        retry_on_deadlock(work)(1)
    assert calls == [1]


@pytest.mark.django_db(transaction=True)
def test_inside_a_callers_transaction_it_runs_once():
    """Only the outermost transaction can run again: inside one, the error goes to the
    caller (whose own retry, if any, runs the whole transaction again)."""
    work, calls = _failing(1, lambda: _wrapped(pg_errors.DeadlockDetected("deadlock")))
    with transaction.atomic(), pytest.raises(OperationalError):
        retry_on_deadlock(work)(1)
    assert calls == [1]
