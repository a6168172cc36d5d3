"""A client's open work goes wherever the client goes (issue 13, items 2 and 23).

Reassigning a client (one, a whole book, or a new owner on the edit form) moves its open
call-list items (renewal touches, quote follow-ups) to the new owner in the same transaction,
handed out afresh; the old agent can no longer log a result on them. The distribution hands all
of one client's items to one agent in one step, and that agent becomes the client's owner.
"""

import datetime
from collections import Counter, defaultdict

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from clients.models import Client
from clients.services import client_book_reassign, client_reassign, client_update
from clients.tests.factories import ClientFactory
from policies.kind import QUOTE_FOLLOW_UP
from policies.tests.factories import PolicyFactory, QuotationFactory
from renewals.tests.factories import RenewalCaseFactory, TouchFactory
from workqueue.distribution import distribution_run
from workqueue.models import HandOutReason, ItemResult, ItemStatus, WorkItem
from workqueue.services import item_record_result

pytestmark = pytest.mark.django_db

LONG_AGO = timezone.now() - datetime.timedelta(days=3)


@pytest.fixture
def team():
    return TeamFactory(manager=UserFactory(roles=["manager"]))


def _agent(team, **kwargs):
    return UserFactory(roles=["agent"], team=team, **kwargs)


def _work(client, agent, *, renewals=2, follow_up=True, **fields):
    """Open items of one client held by ``agent``: a touch per renewal case and a quote
    follow-up, handed out long ago and already contacted."""
    fields = {"handed_out_at": LONG_AGO, "first_contact_at": LONG_AGO, **fields}
    items = [
        TouchFactory(case=RenewalCaseFactory(policy=PolicyFactory(holder=client)), agent=agent,
                     first_contact_by=agent, **fields)
        for _ in range(renewals)
    ]  # fmt: skip
    if follow_up:
        items.append(
            WorkItem.objects.create(
                kind=QUOTE_FOLLOW_UP,
                subject_id=_quotation(client).pk,
                title="Follow-up",
                agent=agent,
                due_on=timezone.localdate(),
                first_contact_by=agent,
                **fields,
            )  # fmt: skip
        )
    return items


def _quotation(client):
    # Written by a maintainer: the factory's default author of a lead's quotation is a new
    # agent, who would take part in the distribution.
    return QuotationFactory(client=client, created_by=UserFactory(roles=["maintainer"]))


def _holders(items):
    return {i.pk: i.agent_id for i in WorkItem.objects.filter(pk__in=[i.pk for i in items])}


def _assert_handed_afresh(items, agent):
    for item in WorkItem.objects.filter(pk__in=[i.pk for i in items]):
        assert item.agent_id == agent.pk
        assert item.handed_out_at > LONG_AGO
        assert item.first_contact_at is None and item.first_contact_by_id is None


# -- reassignment: the open work follows the client ----------------------------------------


def test_it_moves_a_reassigned_clients_open_items_to_the_new_owner(team):
    old, new = _agent(team), _agent(team)
    client = ClientFactory(owner=old)
    items = _work(client, old)
    done = TouchFactory(
        case=RenewalCaseFactory(policy=PolicyFactory(holder=client)), agent=old,
        status=ItemStatus.DONE,
    )  # fmt: skip
    other_client_items = _work(ClientFactory(owner=old), old, renewals=1)

    client_reassign(client=client, to=new, by=team.manager, notify=False)

    _assert_handed_afresh(items, new)
    assert set(_holders([done, *other_client_items]).values()) == {old.pk}


def test_it_moves_each_clients_items_with_a_book_reassignment(team):
    departing = _agent(team, is_active=False, deactivated_at=timezone.now())
    receivers = [_agent(team), _agent(team)]
    clients = [ClientFactory(owner=departing) for _ in range(5)]
    work = {client.pk: _work(client, departing) for client in clients}

    client_book_reassign(from_agent=departing, to_agents=receivers, by=team.manager, notify=False)

    owners = dict(Client.objects.filter(pk__in=work).values_list("pk", "owner_id"))
    assert set(owners.values()) == {r.pk for r in receivers}
    for client_id, items in work.items():
        assert set(_holders(items).values()) == {owners[client_id]}
    assert not WorkItem.objects.filter(agent=departing, status=ItemStatus.OPEN).exists()


def test_it_moves_the_items_when_the_edit_form_changes_the_owner(team):
    old, new = _agent(team), _agent(team)
    client = ClientFactory(owner=old)
    items = _work(client, old, renewals=1)

    client_update(client=client, by=team.manager, data={"owner": new})

    _assert_handed_afresh(items, new)


def test_the_old_agent_can_no_longer_log_a_result_on_a_moved_clients_item(team):
    old, new = _agent(team), _agent(team)
    client = ClientFactory(owner=new)
    # An item left behind with the old agent (as before the fix, or by any other path).
    (touch, follow_up) = _work(client, old, renewals=1)

    for item in (touch, follow_up):
        with pytest.raises(ValidationError, match="no longer yours"):
            item_record_result(item=item, by=old, result="no_answer")
    assert not ItemResult.objects.exists()


def test_the_call_list_refuses_a_result_on_an_item_whose_client_is_hidden(client, team):
    old, new = _agent(team), _agent(team)
    (touch,) = _work(ClientFactory(owner=new), old, renewals=1, follow_up=False)
    client.force_login(old)

    client.post(reverse("workqueue:result", args=[touch.pk]), {"result": "no_answer"})

    assert not ItemResult.objects.exists()
    touch.refresh_from_db()
    assert touch.attempts == 0


def test_the_deactivation_page_says_how_many_open_items_will_move(client, team):
    departing = _agent(team)
    _work(ClientFactory(owner=departing), departing)  # 3 open items
    _work(ClientFactory(owner=departing), departing, renewals=1, follow_up=False)  # 1 more
    _work(ClientFactory(owner=departing), departing, renewals=1, follow_up=False,
          status=ItemStatus.DONE)  # fmt: skip
    admin = UserFactory(roles=["admin"])
    client.force_login(admin)

    page = client.get(reverse("accounts:user_deactivate", args=[departing.pk])).content.decode()

    assert 'data-clients="3" data-open-items="4"' in page
    text = " ".join(page.split())
    assert "They own 3 clients. 4 open items of work in their call list will move." in text
    assert "stay assigned to them until a manager reassigns them" not in page


# -- distribution: one client, one agent, in one step ---------------------------------------


def test_it_hands_all_of_a_clients_items_to_one_agent_who_becomes_the_owner(team):
    agents = [_agent(team) for _ in range(4)]
    lead = ClientFactory(owner=None)
    items = _work(lead, None, renewals=3, handed_out_at=None, first_contact_at=None)

    plan = distribution_run()

    holders = set(_holders(items).values())
    assert len(holders) == 1 and holders <= {a.pk for a in agents}
    lead.refresh_from_db()
    assert lead.owner_id in holders
    assert {line.item_id for line in plan.lines} == {i.pk for i in items}


def test_a_departed_agents_clients_each_go_whole_to_one_agent_of_the_team(team):
    departed = _agent(team, is_active=False, deactivated_at=timezone.now())
    agents = [_agent(team) for _ in range(3)]
    _agent(TeamFactory())  # another team's agent gets nothing
    clients = [ClientFactory(owner=departed) for _ in range(7)]
    work = {c.pk: _work(c, departed, renewals=1 + i % 3, follow_up=i % 2 == 0)
            for i, c in enumerate(clients)}  # fmt: skip

    distribution_run()

    per_agent = defaultdict(set)
    for client_id, items in work.items():
        holders = set(_holders(items).values())
        assert len(holders) == 1, f"client {client_id} split over {holders}"
        per_agent[holders.pop()].add(client_id)
    owners = dict(Client.objects.filter(pk__in=work).values_list("pk", "owner_id"))
    for agent_id, client_ids in per_agent.items():
        assert {owners[c] for c in client_ids} == {agent_id}
    # Equal by clients: 7 clients over 3 agents → 3, 2, 2.
    assert sorted(len(c) for c in per_agent.values()) == [2, 2, 3]
    assert set(per_agent) <= {a.pk for a in agents}


def test_the_agent_who_worked_one_of_a_clients_cases_gets_all_its_items(team):
    first, *_others = [_agent(team) for _ in range(3)]
    lead = ClientFactory(owner=None)
    worked = RenewalCaseFactory(policy=PolicyFactory(holder=lead))
    TouchFactory(case=worked, days=30, agent=first, status=ItemStatus.DONE,
                 handed_out_at=LONG_AGO)  # fmt: skip
    follow = TouchFactory(case=worked, days=25, agent=None)
    others = _work(lead, None, renewals=2, handed_out_at=None, first_contact_at=None)

    plan = distribution_run()

    assert set(_holders([follow, *others]).values()) == {first.pk}
    assert Counter(line.reason for line in plan.lines) == {HandOutReason.CONTINUITY: 4}
