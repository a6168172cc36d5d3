"""The renewals task after an import plans the imported policies' instalments beside its own
work, on a second connection: the same cases, touches, lapses and instalments as one after the
other."""

import datetime

import pytest
import time_machine

from billing.models import Instalment
from brokerage.core import beside as beside_module
from renewals.models import CaseStatus, RenewalCase
from renewals.tasks import renewals_open_task
from renewals.tests.conftest import TODAY, policy_ending
from workqueue.models import WorkItem


@pytest.mark.django_db(transaction=True)
def test_the_plan_runs_beside_the_renewals_and_both_are_done(ladders, agent, monkeypatch):
    soon = [policy_ending(n, owner=agent) for n in (10, 30, 30)]
    ended = policy_ending(-3, owner=agent)
    assert not Instalment.objects.exists()
    planners = []
    started = beside_module.Beside.__init__

    def watched(self, work, **kwargs):
        started(self, work, **kwargs)
        planners.append(self.threaded)

    monkeypatch.setattr(beside_module.Beside, "__init__", watched)
    with time_machine.travel(datetime.datetime(2026, 11, 22, 9, tzinfo=datetime.UTC), tick=True):
        assert TODAY == datetime.date(2026, 11, 22)
        report = renewals_open_task()
    assert planners == [True]  # on its own connection (no transaction here)
    policies = [*soon, ended]
    assert report["cases_opened"] == 4 and report["policies_lapsed"] == 1
    assert report["instalments_planned"] == Instalment.objects.count() > 0
    assert set(Instalment.objects.values_list("policy_id", flat=True)) == {p.pk for p in policies}
    assert RenewalCase.objects.get(policy=ended).status == CaseStatus.LAPSED
    assert set(RenewalCase.objects.filter(status=CaseStatus.OPEN).values_list(
        "policy_id", flat=True)) == {p.pk for p in soon}  # fmt: skip
    assert WorkItem.objects.filter(agent=agent).count() == report["items_created"] > 0
