"""The reports' read replica.

With ``DATABASE_REPLICA_URL`` set, settings declare a second database alias, ``replica`` (a
PostgreSQL streaming replica), and ``REPORTS_DATABASE`` names it. The dashboards and their
exports and PDF build their figures inside ``reports.analytic.analytic()``, which enters
``reading_reports()``: while inside, every ORM read goes to that alias. Everything else, and
every write wherever it is made (an export's record, a print's progress), goes to ``default``:
the router never answers a write with the replica, so a write can never land there, and a page
that is not a report never reads it (its figures could be a few seconds behind).

The context lives in a ``ContextVar``: each thread of a threaded gunicorn worker, each Celery
task and each async task has its own, so one request's report never sends another request's
queries to the replica. Raw SQL in a report takes its cursor from ``reports_connection()``.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

_reading: ContextVar[str | None] = ContextVar("cartera_reading_reports", default=None)


def reports_database() -> str:
    """The alias the reports read from: the replica when one is configured, else default."""
    return getattr(settings, "REPORTS_DATABASE", DEFAULT_DB_ALIAS) or DEFAULT_DB_ALIAS


def reports_connection():
    """The connection of the alias reads are sent to right now (for a report's raw SQL)."""
    return connections[_reading.get() or DEFAULT_DB_ALIAS]


@contextmanager
def reading_reports(alias: str | None = None) -> Iterator[str]:
    """Send the ORM's reads inside to ``alias`` (the reports' database by default); writes
    still go to default. Yields the alias."""
    alias = alias or reports_database()
    token = _reading.set(alias)
    try:
        yield alias
    finally:
        _reading.reset(token)


class ReportsReplicaRouter:
    """Reads inside ``reading_reports()`` go to its alias; all else, and every write, to
    default. The replica is never migrated (it follows the primary's WAL)."""

    def db_for_read(self, model, **hints):
        return _reading.get() or DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the primary's rows: an object read there may point at one read
        # from default (e.g. a filter's agent), and the other way round.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS
