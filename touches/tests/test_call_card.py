"""The service touch's card of the call list is written in Python (touches.cards, issue 18): the
same HTML the template wrote (TOUCH_CARD_TEMPLATE, the one it replaces), in each language, for
every kind of touch, escaped."""

import datetime
import re

import pytest
from django.template import engines
from django.test import RequestFactory
from django.utils import translation

from billing.tests.test_call_card import _same
from touches.cards import touch_card_html
from touches.models import TouchKind
from workqueue.selectors import attach_context, callback_form
from workqueue.tests.factories import ItemResultFactory

from .test_work import agent, touch_item  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db

TOUCH_CARD_TEMPLATE = """{% load i18n workqueue_tags client_cards %}{# A service touch: who to call, what about (the policy, the vehicle and its date, the occasion), what to say, the client's profile and contact window, and the touch's results. #}
{% with touch=item.ctx.touch client=item.ctx.client policy=item.ctx.policy vehicle=item.ctx.vehicle %}
<div class="list-group-item call-item" id="item-{{ item.pk }}" data-item="{{ item.pk }}" data-testid="call-item" data-kind="{{ item.kind }}">
  {% if feedback %}<div class="alert alert-success py-1 px-2 small mb-2" role="status" data-testid="item-feedback">{{ feedback }}</div>{% endif %}
  {% if error %}<div class="alert alert-danger py-1 px-2 small mb-2" role="alert" data-testid="item-error">{{ error }}</div>{% endif %}
  {% if touch %}
  <div class="d-flex flex-wrap align-items-start gap-3">
    <div class="me-auto">
      {% call_contact client item.ctx.phone item.ctx.whatsapp_url %}
      {% if policy %}<div class="small text-body-secondary"><a href="{% url 'policies:detail' policy.pk %}">{{ policy.number }}</a> · {{ policy.insurer }} · {{ policy.get_line_display }}</div>{% endif %}
      <div class="small mt-1" data-testid="touch-script">
        {% if item.kind == "thank_you" %}{% translate "Thank the client for choosing us, check the policy arrived and offer help with anything about it." %}
        {% elif item.kind == "plate_endorsement" %}{% translate "Ask for the vehicle's plate number: once the client has it, record it and have the insurer endorse the policy." %}
        {% elif item.kind == "return_visit" %}{% translate "Check the client received the policy documents, ask how satisfied they are and for suggestions, and confirm their phone, e-mail and address." %}
        {% elif item.kind == "inspection_due" %}{% translate "Remind the client of the vehicle's annual inspection." %}
        {% elif item.kind == "licence_due" %}{% translate "Remind the client that their driver's licence expires soon." %}
        {% elif item.kind == "birthday" %}{% translate "Wish the client a happy birthday." %}
        {% elif item.kind == "holiday" %}{% blocktranslate with holiday=item.ctx.holiday trimmed %}Send the client our greetings for {{ holiday }}.{% endblocktranslate %}{% endif %}
      </div>
      {% if client.occupation or client.hobbies %}
        <div class="small text-body-secondary" data-testid="touch-profile">{% if client.occupation %}{{ client.occupation }}{% endif %}{% if client.occupation and client.hobbies %} · {% endif %}{% if client.hobbies %}{{ client.hobbies }}{% endif %}</div>
      {% endif %}
    </div>
    <dl class="row small mb-0 text-nowrap" style="min-width: 16rem">
      <dt class="col-6 fw-normal text-body-secondary">{% translate "Touch" %}</dt>
      <dd class="col-6 mb-0" data-testid="touch-kind">{{ touch.get_kind_display }}</dd>
      {% if vehicle %}
      <dt class="col-6 fw-normal text-body-secondary">{% translate "Vehicle" %}</dt>
      <dd class="col-6 mb-0" data-testid="touch-vehicle">{{ vehicle.make }} {{ vehicle.model }} {{ vehicle.year }}{% if vehicle.plate %} · {{ vehicle.plate }}{% endif %}</dd>
      {% endif %}
      {% if item.ctx.date %}
      <dt class="col-6 fw-normal text-body-secondary">{% if item.kind == "inspection_due" %}{% translate "Inspection" %}{% else %}{% translate "Licence expires" %}{% endif %}</dt>
      <dd class="col-6 mb-0" data-testid="touch-date">{{ item.ctx.date|date:"SHORT_DATE_FORMAT" }} <span class="badge text-bg-light border">{% blocktranslate count counter=item.ctx.days_to trimmed %}in {{ counter }} day{% plural %}in {{ counter }} days{% endblocktranslate %}</span></dd>
      {% endif %}
      {% if client.contact_from and client.contact_to %}
      <dt class="col-6 fw-normal text-body-secondary">{% translate "Reachable" %}</dt>
      <dd class="col-6 mb-0" data-testid="touch-window">{{ client.contact_from|time:"H:i" }}–{{ client.contact_to|time:"H:i" }}</dd>
      {% endif %}
      <dt class="col-6 fw-normal text-body-secondary">{% translate "Due" context "work item due on" %}</dt>
      <dd class="col-6 mb-0">{{ item.due_on|date:"SHORT_DATE_FORMAT" }}{% if item.attempts %} · {% blocktranslate count counter=item.attempts trimmed %}{{ counter }} attempt{% plural %}{{ counter }} attempts{% endblocktranslate %}{% endif %}</dd>
    </dl>
  </div>
  {% card_history item %}
  {% card_results item %}
  <a class="small" href="{% url 'clients:detail' client.pk %}">{% translate "Client file" %}</a>
  {% else %}
    <div class="fw-semibold">{{ item.title }}</div>
  {% endif %}
</div>
{% endwith %}"""  # noqa: E501

HOSTILE = {
    "first_name": "<script>alert(1)</script>",
    "last_name": 'Nuñez² "O\'Hara"',
    "occupation": "<b>Médico</b> & co",
    "hobbies": 'golf, "tenis"',
    "contact_from": datetime.time(9, 5),
    "contact_to": datetime.time(17, 30),
}


@pytest.mark.parametrize("language", ["en", "es", "zh-hans"])
@pytest.mark.parametrize(
    "kind",
    [TouchKind.THANK_YOU, TouchKind.PLATE, TouchKind.RETURN_VISIT, TouchKind.INSPECTION],
)
def test_the_touch_card_is_the_templates_html(agent, language, kind):  # noqa: F811
    item = touch_item(agent, kind, **HOSTILE)
    item.attempts = 2
    ItemResultFactory(item=item, result="no_answer", note="<i>busy</i>")
    request = RequestFactory().get("/queue/")
    request.user = agent
    with translation.override(language):
        [item] = attach_context([item])
        form = callback_form(request)
        variants = [(item.kind, {}), ("birthday", {}), ("holiday", {"holiday": "<b>Día</b> ²"})]
        if kind == TouchKind.INSPECTION:
            variants.append(("licence_due", {}))
        for kind_name, extra_ctx in variants:
            item.kind = kind_name
            item.ctx.update(extra_ctx)
            for extra in ({}, {"feedback": "Done <1>", "error": "Refused & why"}):
                context = {"item": item, "callback_form": form, **extra}
                template = engines["django"].from_string(TOUCH_CARD_TEMPLATE)
                expected = template.render(context, request)
                token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', expected)
                written = touch_card_html(
                    item, csrf_token=token.group(1), callback_form=form, **extra
                )
                assert _same(written) == _same(expected), kind_name
    assert "&lt;script&gt;" in written and "<script>" not in written and "Nuñez²" in written
    assert "&lt;b&gt;Médico&lt;/b&gt;" in written and 'data-testid="touch-window"' in written
    assert ('data-testid="touch-date"' in written) == (kind == TouchKind.INSPECTION)


def test_a_card_whose_touch_is_gone_shows_its_title(agent):  # noqa: F811
    item = touch_item(agent, TouchKind.THANK_YOU)
    item.title = "<b>Thanks</b>"
    item.ctx = {}
    expected = engines["django"].from_string(TOUCH_CARD_TEMPLATE).render({"item": item})
    written = touch_card_html(item)
    assert _same(written) == _same(expected)
    assert "&lt;b&gt;Thanks&lt;/b&gt;" in written and "result-buttons" not in written
