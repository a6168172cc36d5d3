"""Report queries read hundreds of thousands of rows once each, unlike the rest of the app."""

from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def analytic():
    """The queries inside run in a transaction set for reading a year of a large book: no
    JIT compilation (its start-up, 100-200 ms a query, costs more than it saves here), memory
    enough to sort a year of cases in memory instead of on disk, and the cost of a random read
    of a book that is in memory, so that the planner reads the reports' covering index
    (renewals' renewal_report) rather than the whole table. Measured with bench/dashboard.py.
    Nothing changes for the other pages."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SET LOCAL jit = off; SET LOCAL work_mem = '64MB'; SET LOCAL random_page_cost = 1.1"
            )
        yield
