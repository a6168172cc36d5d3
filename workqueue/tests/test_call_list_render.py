"""The call list writes the call-back form once per page and stamps it on each card: every card
must still carry its own item, its own submission token and today's proposed times."""

import re

import pytest
from django.utils import timezone

from workqueue.models import ItemResult
from workqueue.selectors import STAMP_PK, STAMP_TOKEN, callback_proposals
from workqueue.tests.factories import WorkItemFactory

pytestmark = pytest.mark.django_db


def _cards(html: str) -> dict[int, str]:
    """Each card's HTML by item id (from its ``id="item-N"`` to the next card's)."""
    chunks = re.split(r'(?=<div class="list-group-item call-item" id="item-\d+")', html)
    return {
        int(re.match(r'<div class="list-group-item call-item" id="item-(\d+)"', c).group(1)): c
        for c in chunks
        if c.startswith('<div class="list-group-item call-item"')
    }


def test_each_card_has_its_own_call_back_form_and_tokens(client, agent):
    items = WorkItemFactory.create_batch(3, agent=agent)
    client.force_login(agent)
    html = client.get("/queue/").content.decode()
    assert str(STAMP_PK) not in html and STAMP_TOKEN not in html
    tokens = re.findall(r'name="token" value="([0-9a-f-]{36})"', html)
    assert len(tokens) == 6 and len(set(tokens)) == 6  # results and call-back form, per card
    first = timezone.localtime(callback_proposals()[0])
    cards = _cards(html)
    assert set(cards) == {item.pk for item in items}
    for item in items:
        card = cards[item.pk]
        assert card.count(f'action="/queue/items/{item.pk}/result/"') == 2
        assert f'id="cb-{item.pk}"' in card and f'hx-target="#item-{item.pk}"' in card
        assert f'value="{first:%Y-%m-%dT%H:%M}"' in card


def test_a_stamped_call_back_form_posted_twice_books_one_call_back(client, agent):
    item = WorkItemFactory(agent=agent)
    client.force_login(agent)
    html = client.get("/queue/").content.decode()
    form = html[html.index('data-testid="call-back"') :]
    token = re.search(r'name="token" value="([0-9a-f-]{36})"', form).group(1)
    moment = timezone.localtime(callback_proposals()[0])
    data = {"result": "call_back", "callback_at": f"{moment:%Y-%m-%dT%H:%M}", "token": token}
    for _ in range(2):
        client.post(f"/queue/items/{item.pk}/result/", data)
    assert ItemResult.objects.filter(item=item, result="call_back").count() == 1
    item.refresh_from_db()
    assert item.callback_at == moment
