"""A renewal touch of a client with no phone to call goes to the maintainers' "fix contact"
queue, not to an agent's call list (issue 14); the morning job stays set-based."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory
from renewals.jobs import renewals_morning_job
from workqueue.models import Queue, WorkItem
from workqueue.services import item_return_to_agents

pytestmark = pytest.mark.django_db


def _ending_in_20_days(**client):
    end = timezone.localdate() + datetime.timedelta(days=20)
    holder = ClientFactory(**client)
    return PolicyFactory(holder=holder, start_date=end - datetime.timedelta(days=365), end_date=end)


def test_touches_of_clients_without_a_usable_phone_go_to_the_maintainers(
    ladders, agent, maintainer
):
    called = _ending_in_20_days(owner=agent)
    whatsapp_only = _ending_in_20_days(owner=agent, phone="", whatsapp="+525512345678")
    no_phone = _ending_in_20_days(owner=agent, phone="", phone_as_written="55 12")
    nobody_no_phone = _ending_in_20_days(phone="")
    renewals_morning_job(day=timezone.localdate())
    where = {
        item.title.rsplit(" · ", 1)[1]: (item.queue, item.agent_id)
        for item in WorkItem.objects.all()
    }
    assert where == {
        called.number: (Queue.AGENT, agent.pk),
        whatsapp_only.number: (Queue.AGENT, agent.pk),
        no_phone.number: (Queue.MAINTAINERS, None),
        nobody_no_phone.number: (Queue.MAINTAINERS, None),
    }
    # The maintainer fixes the phone: the touch goes back to the owner's call list.
    no_phone.holder.phone = "+525511112222"
    no_phone.holder.save()
    item = WorkItem.objects.get(queue=Queue.MAINTAINERS, title__endswith=no_phone.number)
    item = item_return_to_agents(item=item, by=maintainer)
    assert (item.queue, item.agent_id) == (Queue.AGENT, agent.pk)


def test_the_routing_costs_no_query_per_policy(ladders, agent):
    for _n in range(3):
        _ending_in_20_days(owner=agent, phone="")
    with CaptureQueriesContext(connection) as few:
        renewals_morning_job(day=timezone.localdate())
    for _n in range(12):
        _ending_in_20_days(owner=agent, phone="")
        _ending_in_20_days(owner=agent)
    with CaptureQueriesContext(connection) as many:
        renewals_morning_job(day=timezone.localdate())
    assert WorkItem.objects.filter(queue=Queue.MAINTAINERS).count() == 15
    assert len(many) == len(few)
