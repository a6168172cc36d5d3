"""Report queries read hundreds of thousands of rows once each, unlike the rest of the app."""

from contextlib import contextmanager

from django.db import connections, transaction

from brokerage.db_routers import reading_reports, reports_database

PLANNER = "SET LOCAL jit = off; SET LOCAL work_mem = '64MB'; SET LOCAL random_page_cost = 1.1"


@contextmanager
def analytic():
    """The queries inside run in a transaction set for reading a year of a large book: no
    JIT compilation (its start-up, 100-200 ms a query, costs more than it saves here), memory
    enough to sort a year of cases in memory instead of on disk, and the cost of a random read
    of a book that is in memory, so that the planner reads the reports' covering index
    (renewals' renewal_report) rather than the whole table. Measured with bench/dashboard.py.
    Nothing changes for the other pages.

    With a read replica configured (``DATABASE_REPLICA_URL``), the reads inside go to it, in a
    read-only transaction; writes made inside still go to default (brokerage.db_routers)."""
    alias = reports_database()
    connection = connections[alias]
    read_only = alias != "default" and not connection.in_atomic_block
    with transaction.atomic(using=alias):
        with connection.cursor() as cursor:
            cursor.execute(("SET TRANSACTION READ ONLY; " if read_only else "") + PLANNER)
        with reading_reports(alias):
            yield
