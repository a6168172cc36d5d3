"""The call list writes the call-back form once per page and stamps it on each card: every card
must still carry its own item, its own submission token and today's proposed times."""

import dataclasses
import re

import pytest
from django.template import engines
from django.test import RequestFactory
from django.utils import timezone, translation

from workqueue.cards import stamp
from workqueue.models import ItemResult
from workqueue.selectors import (
    STAMP_PK,
    STAMP_TOKEN,
    attach_context,
    callback_form,
    callback_proposals,
)
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


def _same(html: str) -> str:
    html = re.sub(r'value="[0-9a-f-]{36}"', 'value="TOKEN"', str(html))
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)
    return re.sub(r"\s*([<>])\s*", r"\1", re.sub(r"\s+", " ", html)).strip()


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_call_list_draws_each_card_as_its_template_does(agent, language):
    """The call list calls a kind's ``card_html`` instead of including its card template once
    per card (issue 18); a kind without one still has its template rendered."""
    from billing.tests.test_collections_views import payment_item

    request = RequestFactory().get("/queue/")
    request.user = agent
    with translation.override(language):
        items = attach_context([payment_item(agent), WorkItemFactory(agent=agent)])
        form = callback_form(request)
        for item in items:
            context = {"item": item, "callback_form": form}
            via_tag = (
                engines["django"]
                .from_string("{% load workqueue_tags %}{% call_card item %}")
                .render(context, request)
            )
            via_include = (
                engines["django"]
                .from_string("{% include item.kind_info.card_template %}")
                .render(context, request)
            )
            assert _same(via_tag) == _same(via_include)
            assert f'id="item-{item.pk}"' in via_tag
    assert [item.kind_info.card_html is None for item in items] == [False, True]


@pytest.mark.parametrize(
    "fragment",
    [
        f'<form id="cb-{STAMP_PK}" action="/q/{STAMP_PK}/"><input value="{STAMP_TOKEN}"></form>',
        f"{STAMP_TOKEN}{STAMP_PK}{STAMP_PK}x{STAMP_TOKEN}",
        "no marks at all",
        "",
    ],
)
def test_a_stamp_puts_the_item_and_one_token_where_the_marks_were(fragment):
    for pk in (7, 123456):
        for _ in range(2):  # the second time from the fragment's pieces kept
            stamped = stamp(fragment, pk)
            tokens = set(re.findall(r"[0-9a-f]{8}-[0-9a-f-]{27}", stamped))
            assert len(tokens) == (1 if STAMP_TOKEN in fragment else 0)
            expected = fragment.replace(str(STAMP_PK), str(pk))
            assert stamped == expected.replace(STAMP_TOKEN, next(iter(tokens), ""))


def _tokens_evened(html: str) -> str:
    html = re.sub(r'value="[0-9a-f-]{36}"', 'value="TOKEN"', str(html))
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_groups_cards_are_the_loops_byte_for_byte(agent, language):
    """{% call_cards group.items %} writes what the list's loop of {% call_card item %} wrote,
    whitespace included, for cards written in Python and from a template; a card that is not
    marked safe is escaped as the tag's output was."""
    from billing.tests.test_collections_views import payment_item

    request = RequestFactory().get("/queue/")
    request.user = agent
    loop = (
        "{% load workqueue_tags %}"
        '<div class="list-group">\n'
        "          {% for item in items %}\n"
        "            {% call_card item %}\n"
        "          {% endfor %}\n"
        "        </div>"
    )
    tag = (
        "{% load workqueue_tags %}"
        '<div class="list-group">\n'
        "          {% call_cards items %}\n"
        "        </div>"
    )
    with translation.override(language):
        items = attach_context(
            [payment_item(agent), WorkItemFactory(agent=agent), payment_item(agent)]
        )
        context = {"items": items, "callback_form": callback_form(request)}
        render = [engines["django"].from_string(t).render(context, request) for t in (loop, tag)]
        assert _tokens_evened(render[0]) == _tokens_evened(render[1])
        assert render[1].count('data-testid="call-item"') == 2  # the template's card has none
        plain = dataclasses.replace(items[0].kind_info, card_html=lambda item, **p: "<b>plain</b>")
        items[0].kind_info = items[2].kind_info = plain
        render = [engines["django"].from_string(t).render(context, request) for t in (loop, tag)]
        assert _tokens_evened(render[0]) == _tokens_evened(render[1])
        assert render[1].count("&lt;b&gt;plain&lt;/b&gt;") == 2
    empty = engines["django"].from_string(tag).render({"items": []}, request)
    assert empty == '<div class="list-group">\n          \n        </div>'
