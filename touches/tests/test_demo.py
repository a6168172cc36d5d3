"""The demo's touches (touches.demo): every kind, some worked, run through the real job."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from brokerage.notifications.models import Message
from touches.models import Touch, TouchKind, TouchMode
from workqueue.models import ItemStatus, WorkItem

pytestmark = pytest.mark.django_db


def test_the_demo_has_touches_of_every_kind_some_of_them_worked():
    out = StringIO()
    call_command("seed_demo", clients=60, seed=3, stdout=out)
    assert "touches:" in out.getvalue()
    counts = dict(Touch.objects.values_list("kind").annotate(n=Count("pk")))
    assert set(counts) == set(TouchKind.values), counts
    calls = WorkItem.objects.filter(kind__in=TouchKind.values)
    assert calls.filter(status=ItemStatus.DONE).exists()
    assert calls.filter(status=ItemStatus.OPEN).exists()
    # The plates are left for the agents; the cars have none yet.
    plates = Touch.objects.filter(kind=TouchKind.PLATE).select_related("vehicle")
    assert all(t.vehicle.plate == "" for t in plates)
    assert Touch.objects.filter(kind=TouchKind.RETURN_VISIT, satisfaction__isnull=False).exists()
    greetings = Touch.objects.filter(mode=TouchMode.MESSAGE)
    assert greetings.exists()
    assert (
        Message.objects.filter(template__startswith="touch_").count()
        == greetings.filter(message__isnull=False).count()
    )
