"""The quote follow-up's card of the call list is written in Python (policies.follow_up_card,
issue 18): the same HTML the template wrote (FOLLOW_UP_CARD_TEMPLATE, the one it replaces), in
each language, escaped."""

import re

import pytest
from django.template import engines
from django.test import RequestFactory
from django.utils import translation

from billing.tests.test_call_card import _same
from policies.follow_up_card import follow_up_card_html
from policies.models import Quote
from workqueue.selectors import attach_context, callback_form
from workqueue.tests.factories import ItemResultFactory

from .test_follow_up_kind import _follow_up_today, declined  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db

FOLLOW_UP_CARD_TEMPLATE = """{% load i18n workqueue_tags client_cards %}
{% with quotation=item.ctx.quotation client=item.ctx.client %}
<div class="list-group-item call-item" id="item-{{ item.pk }}" data-item="{{ item.pk }}" data-testid="call-item">
  {% if feedback %}<div class="alert alert-success py-1 px-2 small mb-2" role="status" data-testid="item-feedback">{{ feedback }}</div>{% endif %}
  {% if error %}<div class="alert alert-danger py-1 px-2 small mb-2" role="alert" data-testid="item-error">{{ error }}</div>{% endif %}
  {% if quotation %}
  <div class="d-flex flex-wrap align-items-start gap-3">
    <div class="me-auto">
      {% call_contact client item.ctx.phone item.ctx.whatsapp_url %}
      <div class="small text-body-secondary">
        <a href="{{ item.ctx.quotation_url }}" data-testid="item-quotation">{{ quotation.title }}</a> · {{ quotation.get_line_display }} · {{ quotation.get_status_display }}
      </div>
    </div>
    <dl class="row small mb-0 text-nowrap" style="min-width: 16rem">
      <dt class="col-6 fw-normal text-body-secondary">{% translate "Best premium" %}</dt>
      <dd class="col-6 mb-0" data-testid="item-best-premium">{% if item.ctx.best_quote %}{{ item.ctx.best_premium|floatformat:"2g" }} {{ item.ctx.best_quote.currency }}{% else %}—{% endif %}</dd>
      <dt class="col-6 fw-normal text-body-secondary">{% translate "Due" context "work item due on" %}</dt>
      <dd class="col-6 mb-0">{{ item.due_on|date:"SHORT_DATE_FORMAT" }}{% if item.attempts %} · {% blocktranslate count counter=item.attempts trimmed %}{{ counter }} attempt{% plural %}{{ counter }} attempts{% endblocktranslate %}{% endif %}</dd>
    </dl>
  </div>
  {% if item.ctx.quotes %}
    <ul class="list-unstyled small mb-0 mt-1" data-testid="item-quotes">
      {% for quote in item.ctx.quotes %}
        <li data-quote="{{ quote.pk }}">{{ quote.insurer }} · {{ quote.premium|floatformat:"2g" }} {{ quote.currency }} · <span class="text-body-secondary">{{ quote.get_status_display }}</span></li>
      {% endfor %}
    </ul>
  {% endif %}
  {% card_history item %}
  {% card_results item %}
  <a class="small" href="{{ item.ctx.quotation_url }}">{% translate "Quotation" %}</a>
  {% else %}
    <div class="fw-semibold">{{ item.title }}</div>
  {% endif %}
</div>
{% endwith %}"""  # noqa: E501


@pytest.mark.parametrize("language", ["en", "es", "zh-hans"])
@pytest.mark.parametrize("quotes", ["two", "none"])
def test_the_follow_up_card_is_the_templates_html(agent, language, quotes):
    made = declined(owner=agent, whatsapp="+525512345678", premiums=("9800.00", "12345.5"))
    holder = made["client"]
    holder.first_name, holder.last_name = "<script>alert(1)</script>", 'Nuñez² "O\'Hara"'
    holder.is_key, holder.display_name = True, holder.compute_display_name()
    holder.save()
    item = made["item"]
    if quotes == "none":
        Quote.objects.filter(quotation=made["quotation"]).delete()
    item.attempts = 1
    ItemResultFactory(item=item, result="no_answer", note="<i>busy</i>")
    request = RequestFactory().get("/queue/")
    request.user = agent
    with translation.override(language):
        [item] = attach_context([item])
        form = callback_form(request)
        for extra in ({}, {"feedback": "No answer: logged <1>", "error": "Refused & why"}):
            context = {"item": item, "callback_form": form, **extra}
            template = engines["django"].from_string(FOLLOW_UP_CARD_TEMPLATE)
            expected = template.render(context, request)
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', expected).group(1)
            written = follow_up_card_html(item, csrf_token=token, callback_form=form, **extra)
            assert _same(written) == _same(expected)
    assert "&lt;script&gt;" in written and "<script>" not in written and "Nuñez²" in written
    assert ('data-testid="item-quotes"' in written) == (quotes == "two")


def test_a_card_whose_quotation_is_gone_shows_its_title(agent):
    item = declined(owner=agent)["item"]
    item.title = "<b>Follow up</b>"
    item.ctx = {}
    expected = engines["django"].from_string(FOLLOW_UP_CARD_TEMPLATE).render({"item": item})
    written = follow_up_card_html(item)
    assert _same(written) == _same(expected)
    assert "&lt;b&gt;Follow up&lt;/b&gt;" in written and "result-buttons" not in written
