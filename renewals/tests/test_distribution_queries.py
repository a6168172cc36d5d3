"""The distribution runs a fixed number of queries whatever the number of agents and items
(issue 18): its preview and its run are measured on two pools of real renewal touches, one
three times the other in agents, teams' departed agents' clients, leads, owned clients and
clients worked before, and must count the same queries. What they hand out is checked too, so
that a fixed count is not bought by doing less."""

import datetime
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from clients.models import Client
from clients.tests.factories import ClientFactory
from policies.models import Policy
from policies.tests.factories import PolicyFactory
from renewals.models import RenewalCase
from renewals.tests.factories import RenewalCaseFactory, TouchFactory
from workqueue.distribution import distribution_run, plan_distribution
from workqueue.models import DistributionLine, HandOutReason, WorkItem

pytestmark = pytest.mark.django_db


def _case(owner=None):
    return RenewalCaseFactory(policy=PolicyFactory(holder=ClientFactory(owner=owner)))


def _pool(n: int) -> dict:
    """Per team: ``n`` agents and a departed agent whose ``n`` clients wait with their items;
    then ``2n`` leads, ``n`` clients with an owner and ``n`` cases an agent worked before."""
    now = timezone.now()
    agents, departed_clients = [], []
    for name in ("North", "South"):
        team = TeamFactory(name=f"{name} {n}")
        agents += [UserFactory(roles=["agent"], team=team) for _ in range(n)]
        departed = UserFactory(roles=["agent"], team=team, is_active=False, deactivated_at=now)
        for _ in range(n):
            case = _case(owner=departed)
            TouchFactory(case=case, agent=departed, handed_out_at=now - datetime.timedelta(days=9))
            departed_clients.append(case.policy.holder_id)
    leads = [TouchFactory(case=_case(), agent=None) for _ in range(2 * n)]
    owned = [TouchFactory(case=_case(owner=agents[i]), agent=None) for i in range(n)]
    worked = []
    for i in range(n):
        case = _case()
        TouchFactory(case=case, days=30, agent=agents[i], status="done",
                     handed_out_at=now - datetime.timedelta(days=10))  # fmt: skip
        worked.append((TouchFactory(case=case, days=25, agent=None), agents[i]))
    return {"agents": agents, "departed_clients": departed_clients, "leads": leads,
            "owned": owned, "worked": worked}  # fmt: skip


def _queries(call) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        result = call()
    return len(queries.captured_queries), result


def test_the_preview_and_the_run_count_the_same_queries_for_a_pool_three_times_larger():
    counts = []
    for n in (2, 6):
        pool = _pool(n)
        preview, plan = _queries(lambda: plan_distribution(seed=7))
        run, done = _queries(lambda: distribution_run(seed=7))
        counts.append((preview, run))
        # Everything was handed out, by the rules.
        reasons = Counter(line.reason for line in done.lines)
        assert reasons == {HandOutReason.OWNER: n, HandOutReason.CONTINUITY: n,
                           HandOutReason.SHARED: 4 * n}  # fmt: skip
        assert len(plan.lines) == len(done.lines) == 6 * n
        assert DistributionLine.objects.filter(run=done.run).count() == 6 * n
        for item, agent in pool["worked"]:
            item.refresh_from_db()
            assert item.agent == agent and item.handed_out_at is not None
        leads = WorkItem.objects.filter(pk__in=[i.pk for i in pool["leads"]])
        assert not leads.filter(agent__isnull=True).exists()
        # The departed agent's clients now belong to the agents who took their items, and so do
        # their running policies.
        for client in Client.objects.filter(pk__in=pool["departed_clients"]):
            cases = RenewalCase.objects.filter(policy__holder=client).values("pk")
            item = WorkItem.objects.get(kind="renewal", subject_id__in=cases, status="open")
            assert client.owner_id == item.agent_id
            assert set(Policy.objects.filter(holder=client).values_list("agent", flat=True)) == {
                item.agent_id
            }
        WorkItem.objects.filter(status="open").update(status="done")
    assert counts[0] == counts[1], counts
