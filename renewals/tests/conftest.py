"""Shared fixtures of the renewal tests."""

import datetime

import pytest

from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory
from renewals.ladders import DEALER_RUNGS, DEFAULT_RUNGS, validate_rungs
from renewals.models import Ladder

TODAY = datetime.date(2026, 11, 22)


def days(n):
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture
def ladders():
    """The presets (flushed away in transactional tests, so made here)."""
    default, _ = Ladder.objects.update_or_create(
        code="design-card",
        defaults={"name": "30/25/15", "rungs": validate_rungs(DEFAULT_RUNGS), "is_default": True},
    )
    dealer, _ = Ladder.objects.update_or_create(
        code="dealer", defaults={"name": "Dealer", "rungs": validate_rungs(DEALER_RUNGS)}
    )
    return {"default": default, "dealer": dealer}


def policy_ending(n, *, owner=None, **kwargs):
    holder = ClientFactory(owner=owner)
    end = days(n)
    return PolicyFactory(
        holder=holder, start_date=end - datetime.timedelta(days=365), end_date=end, **kwargs
    )
