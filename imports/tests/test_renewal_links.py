"""A report that lists both terms of a client's policy (the one ending and the one that follows
it) links them wherever the two rows are: in two chunks, in one chunk, in either order. The new
term renews the old one through policies.services.policy_renewed."""

import datetime

import pytest
import time_machine

from brokerage.accounts.tests.factories import UserFactory
from imports import services
from imports.services import commit, job_create
from imports.tests.conftest import row, workbook
from policies.models import Policy, PolicyStatus
from renewals.models import CaseStatus, RenewalCase

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ladder")]

NOW = datetime.datetime(2026, 11, 20, 9, tzinfo=datetime.UTC)
OLD = {"Inicio de vigencia": "01/12/2025", "Fin de vigencia": "01/12/2026"}
NEW = {"Inicio de vigencia": "01/12/2026", "Fin de vigencia": "01/12/2027"}
SAME = {"RFC": "PEPC000002AB1", "Asegurado": "Cliente 2 Pérez", "Placas": "ABC0002"}


def _import(hdi, rows):
    maint = UserFactory(roles=["maintainer"])
    job, _table = job_create(insurer=hdi, by=maint, name="r.xlsx", data=workbook(rows))
    with time_machine.travel(NOW, tick=True):
        return commit(job)


@pytest.mark.parametrize("chunk", [50, 2], ids=["one chunk", "two chunks"])
@pytest.mark.parametrize("new_first", [False, True], ids=["old first", "new first"])
def test_both_terms_in_one_report_are_linked(hdi, monkeypatch, chunk, new_first):
    monkeypatch.setattr(services, "CHUNK", chunk)
    old = row(2, **SAME, **OLD)
    new = row(9, **SAME, **NEW)
    rows = [row(1), new, old, row(3)] if new_first else [row(1), old, row(3), new]
    job = _import(hdi, rows)
    assert (job.created, job.errors) == (4, 0)
    first, second = Policy.objects.get(number="HDI-00002"), Policy.objects.get(number="HDI-00009")
    assert first.holder_id == second.holder_id
    if new_first and chunk == 2:
        # The new term written a chunk before the old one: nothing was there to renew yet.
        assert second.previous_policy_id is None and first.status == PolicyStatus.ACTIVE
        return
    assert second.previous_policy_id == first.pk
    assert first.status == PolicyStatus.RENEWED and second.status == PolicyStatus.ACTIVE
    assert not RenewalCase.objects.filter(policy=first, status=CaseStatus.OPEN).exists()
    assert first.history.first().status == PolicyStatus.RENEWED  # with its history row
    # Every other policy of the report ends in its ladder: its case is open.
    assert RenewalCase.objects.filter(status=CaseStatus.OPEN).count() == 2


def test_another_car_or_another_line_is_not_a_renewal(hdi):
    old = row(2, **SAME, **OLD)
    other_car = row(9, **{**SAME, "Placas": "XYZ9999"}, **NEW)
    other_line = row(8, **{**SAME, "Ramo": "Vida", "Placas": ""}, **NEW)
    job = _import(hdi, [old, other_car, other_line])
    assert (job.created, job.errors) == (3, 0)
    assert not Policy.objects.filter(previous_policy__isnull=False).exists()
    assert Policy.objects.get(number="HDI-00002").status == PolicyStatus.ACTIVE
