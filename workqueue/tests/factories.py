"""A kind of work that only the tests know, so that the queue's tests need no domain app."""

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from workqueue import kinds
from workqueue.models import ItemResult, ItemStatus, WorkItem
from workqueue.results import GENERIC

TEST_KIND = "test_calls"
SOLD = kinds.Result("sold", "Sold", final=True, style="success")
ON_PAPER = kinds.Result("on_paper", "Signed on paper", final=True, page="paper_url")
TEST_RESULTS = (*GENERIC, SOLD, ON_PAPER)


def register_test_kind(**overrides) -> kinds.WorkKind:
    """Register (once) and return the test kind; ``overrides`` make a differently named one."""
    fields = {
        "name": TEST_KIND, "label": "Test calls", "order": 10, "results": TEST_RESULTS,
        "export_columns": (
            kinds.ExportColumn("subject", "Subject", lambda item: item.subject_id),
        ),
    } | overrides  # fmt: skip
    return kinds.register(kinds.WorkKind(**fields))


class WorkItemFactory(DjangoModelFactory):
    """An item of the test kind; given an agent it is handed out now."""

    class Meta:
        model = WorkItem

    kind = TEST_KIND
    subject_id = factory.Sequence(lambda n: n + 1)
    key = ""
    title = factory.Sequence(lambda n: f"Call {n}")
    agent = None
    due_on = factory.LazyFunction(timezone.localdate)
    status = ItemStatus.OPEN
    handed_out_at = factory.LazyAttribute(lambda o: timezone.now() if o.agent else None)


class ItemResultFactory(DjangoModelFactory):
    class Meta:
        model = ItemResult

    item = factory.SubFactory(WorkItemFactory)
    result = "no_answer"
    by = factory.LazyAttribute(lambda o: o.item.agent)
