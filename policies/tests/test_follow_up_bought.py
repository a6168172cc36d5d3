"""A quote follow-up's "bought" is recorded like every other result: accepting the quote on the
quotation page (where the card's "Bought" leads) logs one result row on the follow-up, by the
agent, and the call on the client's timeline; the same page posted twice counts it once. A
follow-up in someone else's queue is closed as bought, the work being over."""

import datetime

import pytest
from django.utils import timezone

from clients.models import Interaction
from clients.tests.factories import ClientFactory
from policies.kind import QUOTE_FOLLOW_UP
from policies.models import Line, Policy
from policies.services import quotation_schedule_follow_up, quote_accept
from policies.tests.factories import QuotationFactory, QuoteFactory
from policies.timeline import FOLLOW_UP_RESULT
from workqueue.models import ItemResult, ItemStatus, Queue, WorkItem

pytestmark = pytest.mark.django_db


def _thinking(agent):
    """A prospect of ``agent`` still thinking about two quotes: the follow-up call is today."""
    quotation = QuotationFactory(client=ClientFactory(owner=agent), line=Line.HEALTH,
                                 created_by=agent)  # fmt: skip
    quotes = [QuoteFactory(quotation=quotation) for _ in range(2)]
    item = quotation_schedule_follow_up(quotation=quotation, by=agent, on=timezone.localdate())
    return quotation, quotes, item


def _accept_page(agent, quote):
    today = timezone.localdate()
    end = today + datetime.timedelta(days=365)
    return {
        "number": f"GM-{quote.pk}", "payment_frequency": "annual",
        "start_date": today.isoformat(), "end_date": end.isoformat(),
    }  # fmt: skip


def test_bought_is_a_result_row_counted_once_on_a_double_post(client, agent):
    quotation, (quote, _other), item = _thinking(agent)
    client.force_login(agent)
    url = f"/quotes/{quote.pk}/accept/"
    first = client.post(url, _accept_page(agent, quote))
    again = client.post(url, _accept_page(agent, quote))
    assert first.status_code == 302
    assert again.status_code == 200 and "Only an open quote can be accepted" in (
        again.content.decode()
    )
    assert Policy.objects.filter(source_quote=quote).count() == 1
    item.refresh_from_db()
    assert (item.status, item.result, item.attempts) == (ItemStatus.DONE, "bought", 1)
    rows = ItemResult.objects.filter(item=item)
    assert list(rows.values_list("result", "by_id")) == [("bought", agent.pk)]
    call = Interaction.objects.get(client=quotation.client, message=FOLLOW_UP_RESULT)
    assert (call.params["result"], call.user_id, call.result) == ("bought", agent.pk, "Bought")


def test_a_follow_up_in_someone_elses_queue_closes_as_bought(agent, maintainer):
    quotation, (quote, _other), item = _thinking(agent)
    WorkItem.objects.filter(pk=item.pk).update(agent=None, queue=Queue.MAINTAINERS)
    today = timezone.localdate()
    quote_accept(quote=quote, by=agent, number="GM-1", payment_frequency="annual",
                 start_date=today, end_date=(today + datetime.timedelta(days=365)))  # fmt: skip
    item.refresh_from_db()
    assert (item.status, item.result) == (ItemStatus.DONE, "bought")
    assert not ItemResult.objects.filter(item=item).exists()
    assert not WorkItem.objects.filter(kind=QUOTE_FOLLOW_UP, status=ItemStatus.OPEN).exists()
