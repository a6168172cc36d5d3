"""Pages of the long lists (clients, policies, renewals) that count at most so many rows.

Counting every row of a whole book costs more than the page itself: 130 ms for 430,000 clients
(a sequential scan, whatever the index), 100 ms for a million policies, on every visit of the
first page. Nobody pages through ten thousand rows; they narrow the filters. So the paginator
counts up to ``cap`` rows (``SELECT count(*) FROM (… LIMIT cap + 1)``, which stops there) and,
past it, says "more than 10,000" and offers the first ``cap`` rows' pages. A filtered list,
small, is counted exactly as before.
"""

from functools import cached_property

from django.core.paginator import Paginator

LIST_COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """A paginator whose ``count`` stops at ``cap``; ``capped`` says that more rows match."""

    def __init__(self, object_list, per_page, *, cap: int | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = LIST_COUNT_CAP if cap is None else cap

    @cached_property
    def _counted(self) -> int:
        rows = self.object_list
        if hasattr(rows, "order_by"):
            rows = rows.order_by()  # the first cap + 1 rows in any order: a count needs no sort
        return rows[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def capped(self) -> bool:
        """More rows match than the pages offer."""
        return self._counted > self.cap
