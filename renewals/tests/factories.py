"""Renewal case and touch factories. They write rows directly: tests of behaviour go through the
services and the morning job."""

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from policies.tests.factories import PolicyFactory
from renewals.kind import RENEWAL_KIND
from renewals.ladders import DEFAULT_RUNGS, validate_rungs
from renewals.models import CaseStatus, Ladder, RenewalCase
from workqueue.models import ItemResult, ItemStatus, WorkItem


def default_ladder() -> Ladder:
    ladder, _ = Ladder.objects.get_or_create(
        code="design-card",
        defaults={"name": "30/25/15", "rungs": validate_rungs(DEFAULT_RUNGS), "is_default": True},
    )
    return ladder


class RenewalCaseFactory(DjangoModelFactory):
    """An open case on the default ladder for a policy (by default ending in a year)."""

    class Meta:
        model = RenewalCase

    policy = factory.SubFactory(PolicyFactory)
    ladder = factory.LazyFunction(default_ladder)
    stage = "reminder"
    status = CaseStatus.OPEN
    end_date = factory.LazyAttribute(lambda o: o.policy.end_date)
    last_premium = factory.LazyAttribute(lambda o: o.policy.premium)
    opened_on = factory.LazyFunction(timezone.localdate)


class TouchFactory(DjangoModelFactory):
    """A renewal work item on a case's rung (``case`` is required)."""

    class Meta:
        model = WorkItem
        exclude = ("case", "days")

    case = None
    days = 30
    kind = RENEWAL_KIND
    subject_id = factory.LazyAttribute(lambda o: o.case.pk)
    key = factory.LazyAttribute(lambda o: f"rung-{o.days}")
    title = factory.LazyAttribute(lambda o: f"{o.case.policy.holder} · {o.case.policy.number}")
    agent = factory.LazyAttribute(lambda o: o.case.policy.holder.owner)
    due_on = factory.LazyFunction(timezone.localdate)
    status = ItemStatus.OPEN


class ItemResultFactory(DjangoModelFactory):
    class Meta:
        model = ItemResult

    item = factory.SubFactory(TouchFactory)
    result = "no_answer"
    by = factory.LazyAttribute(lambda o: o.item.agent)
