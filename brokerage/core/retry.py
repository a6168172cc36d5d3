"""A transaction PostgreSQL failed to break a deadlock, run again.

Writers of one agent's cases, items and points add to the same rows of the reports' rollups
(reports.models: statement-level triggers, each statement's rows in key order), but two
transactions of several statements each may take those rows in opposite orders: an agent
logging a result writes the item (its work rollup) and then the case (its renewal rollups),
while a manager reassigning a book to that agent, the morning run or an import's renewals
moves or opens the cases first and the items after. PostgreSQL then fails one of the two
with a deadlock error after ``deadlock_timeout``; the other goes on. The one that failed was
rolled back whole, so it can simply run again, now after the other: ``retry_on_deadlock``
does that for a service's outermost transaction (and for a task's body), a few times, with
a short random pause, so neither the agent nor the manager sees an error and nothing is done
twice. Inside a caller's transaction it does nothing: only the outermost block can be run
again, and it is the caller's to retry."""

import functools
import logging
import random
import time

from django.db import DatabaseError, transaction
from psycopg import errors as pg_errors

logger = logging.getLogger(__name__)

# What PostgreSQL fails a transaction with when running it again may succeed.
RETRYABLE = (pg_errors.DeadlockDetected, pg_errors.SerializationFailure)
ATTEMPTS = 4


def retryable(exc: BaseException) -> bool:
    """Whether the error (or the driver's error it wraps) is a deadlock or a serialization
    failure."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, RETRYABLE):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def retry_on_deadlock(func=None, *, attempts: int = ATTEMPTS, using: str | None = None):
    """Decorate a function whose database work is one transaction (a service under
    ``@transaction.atomic``) or a series of idempotent ones (a task's body): called outside
    any transaction, it runs again when PostgreSQL failed it to break a deadlock (up to
    ``attempts`` times in all); called inside one, it runs once."""

    def decorate(fn):
        @functools.wraps(fn)
        def run(*args, **kwargs):
            if transaction.get_connection(using).in_atomic_block:
                return fn(*args, **kwargs)
            for attempt in range(1, attempts + 1):
                try:
                    return fn(*args, **kwargs)
                except DatabaseError as exc:
                    if attempt == attempts or not retryable(exc):
                        raise
                    logger.warning(
                        "%s: %s; running it again (attempt %d of %d)",
                        fn.__qualname__, str(exc).splitlines()[0], attempt + 1, attempts,
                    )  # fmt: skip
                    time.sleep(random.uniform(0.02, 0.1) * attempt)  # noqa: S311 (a pause)
            raise AssertionError("unreachable")  # pragma: no cover

        return run

    return decorate(func) if func is not None else decorate
