"""The parts every call-list card shares are written in Python (workqueue.cards, issue 18): the
same HTML the templates wrote (the templates below are the ones they replace), every value
escaped and every word in the agent's language."""

import re
import uuid
from datetime import timedelta

import pytest
from django.template import engines
from django.test import Client, RequestFactory
from django.utils import timezone, translation

from workqueue import cards
from workqueue.selectors import attach_context, callback_form, callback_proposals
from workqueue.tests.factories import ItemResultFactory, WorkItemFactory

pytestmark = pytest.mark.django_db

RESULTS_TEMPLATE = """{% load i18n workqueue_tags %}
{% with result_url=item.pk|pk_url:'workqueue:result' %}<form method="post" action="{{ result_url }}" class="d-flex flex-wrap gap-1 mt-2"
      hx-post="{{ result_url }}" hx-target="#item-{{ item.pk }}" hx-swap="outerHTML"
      data-testid="result-buttons">
  {% csrf_token %}<input type="hidden" name="token" value="TOKEN">
  {% for offer in item.offered %}
    {% if offer.url %}
      <a class="btn btn-sm btn-{{ offer.result.style }}" href="{{ offer.url }}" data-result="{{ offer.result.code }}">{{ offer.result.label }}</a>
    {% else %}
      <button class="btn btn-sm btn-{{ offer.result.style }}" name="result" value="{{ offer.result.code }}" data-result="{{ offer.result.code }}">{{ offer.result.label }}</button>
    {% endif %}
  {% endfor %}
</form>
{% if item.kind_info.takes_call_backs and callback_form %}{{ callback_form|stamp:item.pk }}{% endif %}
{% endwith %}"""  # noqa: E501

HISTORY_TEMPLATE = """{% load i18n workqueue_tags %}
{% if item.callback_at %}
  <div class="mt-1 mb-1" data-testid="callback-time">
    {% if item.callback_due %}
      <span class="badge text-bg-danger fs-6">{% translate "Call back now" %} · {% if not item.callback_today %}{{ item.callback_at|shortdate }} {% endif %}{{ item.callback_at|time:"TIME_FORMAT" }}</span>
    {% else %}
      <span class="badge text-bg-info fs-6">{% translate "Call back at" %} {% if not item.callback_today %}{{ item.callback_at|shortdate }} {% endif %}{{ item.callback_at|time:"TIME_FORMAT" }}</span>
    {% endif %}
  </div>
{% endif %}
{% if item.ctx.previous %}
  <ul class="list-inline small text-body-secondary mb-0 mt-1" data-testid="previous-results">
    {% for prev in item.ctx.previous %}
      <li class="list-inline-item" title="{{ prev.note }}">{{ prev.at|shortdate }} {{ prev.label }}{% if not forloop.last %} ·{% endif %}</li>
    {% endfor %}
  </ul>
{% endif %}"""  # noqa: E501


def _same(html: str) -> str:
    """HTML with the random parts (submission tokens) and the layout's whitespace evened."""
    html = re.sub(r'name="token" value="[0-9a-f-]{36}"', 'name="token" value="TOKEN"', str(html))
    return re.sub(r"\s*([<>])\s*", r"\1", re.sub(r"\s+", " ", html)).strip()


def _template(text: str, context: dict, request=None) -> str:
    return engines["django"].from_string(text).render(context, request)


@pytest.fixture
def request_(agent):
    request = RequestFactory().get("/queue/")
    request.user = agent
    return request


@pytest.mark.parametrize("language", ["en", "es", "zh-hans"])
def test_result_buttons_are_the_templates_html_in_each_language(agent, request_, language):
    item = WorkItemFactory(agent=agent)
    with translation.override(language):
        [item] = attach_context([item])
        form = callback_form(request_)
        context = {"item": item, "callback_form": form}
        expected = _template(RESULTS_TEMPLATE, context, request_)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', expected).group(1)
        written = cards.results_html(item, csrf_token=token, callback_form=form)
    assert _same(written) == _same(expected)
    assert 'data-result="sold"' in written and f'id="cb-{item.pk}"' in written


def test_result_buttons_write_one_token_each_and_escape_a_link(agent):
    item = WorkItemFactory(agent=agent)
    [item] = attach_context([item])
    item.offered.append({"result": item.offered[0]["result"], "url": '/x?a=1&b="<script>'})
    first, second = (cards.results_html(item) for _ in range(2))
    tokens = re.findall(r'name="token" value="([0-9a-f-]{36})"', first + second)
    assert len(set(tokens)) == 2
    assert 'href="/x?a=1&amp;b=&quot;&lt;script&gt;"' in first and "<script>" not in first
    assert "csrfmiddlewaretoken" not in first  # no token given: none written


@pytest.mark.parametrize("language", ["en", "es", "zh-hans"])
@pytest.mark.parametrize(
    "hours", [-30, -1, 2, 50], ids=["missed-yesterday", "due", "later", "days"]
)
def test_call_back_time_and_previous_results_are_the_templates_html(agent, language, hours):
    now = timezone.now()
    item = WorkItemFactory(agent=agent, callback_at=now + timedelta(hours=hours))
    ItemResultFactory(item=item, result="no_answer", note='Said "<b>later</b>" ²')
    ItemResultFactory(item=item, result="call_back", note="")
    [item] = attach_context([item])
    item.ctx = {"previous": [
        {"at": r.at, "label": r.result.replace("_", " "), "note": r.note}
        for r in item.results.order_by("at", "pk")
    ]}  # fmt: skip
    with translation.override(language):
        expected = _template(HISTORY_TEMPLATE, {"item": item})
        written = cards.history_html(item)
    assert _same(written) == _same(expected)
    assert 'title="Said &quot;&lt;b&gt;later&lt;/b&gt;&quot; ²"' in written


def test_an_item_without_call_back_nor_history_writes_nothing(agent):
    [item] = attach_context([WorkItemFactory(agent=agent)])
    assert cards.history_html(item) == ""


def test_the_call_back_form_carries_each_sessions_csrf_token_and_the_agents_language(agent):
    other = type(agent).objects.create_user(username="other-agent", password="x", language="es")
    agent.language = "en"
    agent.save(update_fields=["language"])
    other.user_permissions.set(agent.user_permissions.all())
    other.groups.set(agent.groups.all())
    pages, tokens = {}, {}
    for user in (agent, other):
        item = WorkItemFactory(agent=user)
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        html = client.get("/queue/").content.decode()
        form = html[html.index('data-testid="call-back"') :]
        tokens[user.pk] = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        pages[user.pk] = form
        # The token posted with the form is the session's: the call-back is booked.
        moment = timezone.localtime(callback_proposals()[0])
        response = client.post(
            f"/queue/items/{item.pk}/result/",
            {"result": "call_back", "callback_at": f"{moment:%Y-%m-%dT%H:%M}",
             "csrfmiddlewaretoken": tokens[user.pk],
             "token": re.search(r'name="token" value="([0-9a-f-]{36})"', form).group(1)},
        )  # fmt: skip
        assert response.status_code == 302
        item.refresh_from_db()
        assert item.callback_at == moment
    assert tokens[agent.pk] != tokens[other.pk]
    assert "Set call-back" in pages[agent.pk] and "Set call-back" not in pages[other.pk]
    assert "stamp-csrf" not in pages[agent.pk] + pages[other.pk]


def test_submission_tokens_are_random_version_4_uuids_each_used_once(monkeypatch):
    """Cut from one read of the random source per 64: each a version-4 UUID as the form reads
    it, none given twice, across refills and in a forked process (another pid)."""
    seen = [cards.submission_token() for _ in range(300)]
    for token in seen:
        parsed = uuid.UUID(token)
        assert str(parsed) == token
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)
    monkeypatch.setattr(cards.os, "getpid", lambda: -1)  # as in a child forked after a refill
    seen += [cards.submission_token() for _ in range(70)]
    assert len(set(seen)) == len(seen) == 370


def test_each_card_carries_the_csrf_token_it_is_given(agent):
    """The CSRF input is kept for the next card of the page, never given for another token."""
    item = WorkItemFactory(agent=agent)
    [item] = attach_context([item])
    for token in ("a" * 64, "b" * 64, "b" * 64, "a" * 64, '"<&>'):
        html = cards.results_html(item, csrf_token=token)
        found = re.findall(r'name="csrfmiddlewaretoken" value="([^"]*)"', html)
        assert found == [token.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                         .replace('"', "&quot;")]  # fmt: skip
