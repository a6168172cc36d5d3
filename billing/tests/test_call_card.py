"""The payment-due card is written in Python (billing.cards, issue 18): the same HTML the
template wrote (PAYMENT_CARD_TEMPLATE, the one it replaces), in each language, escaped."""

import re
from decimal import Decimal

import pytest
from django.template import engines
from django.test import RequestFactory
from django.utils import timezone, translation

from billing.cards import payment_card_html
from billing.models import Instalment, PaymentPromise
from billing.tests.test_collections_views import payment_item
from clients.tests.factories import ClientFactory
from workqueue.selectors import attach_context, callback_form
from workqueue.tests.factories import ItemResultFactory

pytestmark = pytest.mark.django_db

PAYMENT_CARD_TEMPLATE = """{% load i18n workqueue_tags client_cards %}{# A payment-due call: the instalment (n of N), what is owed, days to or after the due date, the policy's payment history and the results. #}
{% with instalment=item.ctx.instalment policy=item.ctx.policy client=item.ctx.client %}
<div class="list-group-item call-item" id="item-{{ item.pk }}" data-item="{{ item.pk }}" data-testid="call-item" data-kind="payment_due">
  {% if feedback %}<div class="alert alert-success py-1 px-2 small mb-2" role="status" data-testid="item-feedback">{{ feedback }}</div>{% endif %}
  {% if error %}<div class="alert alert-danger py-1 px-2 small mb-2" role="alert" data-testid="item-error">{{ error }}</div>{% endif %}
  {% if instalment %}
  <div class="d-flex flex-wrap align-items-start gap-3">
    <div class="me-auto">
      {% call_contact client item.ctx.phone item.ctx.whatsapp_url %}
      <div class="small text-body-secondary">
        <a href="{{ policy.pk|pk_url:'policies:detail' }}">{{ policy.number }}</a> · {{ policy.insurer }} · {{ policy.get_line_display }}
      </div>
    </div>
    <dl class="row small mb-0 text-nowrap" style="min-width: 16rem">
      <dt class="col-6 fw-normal text-body-secondary">{% translate "Instalment" %}</dt>
      <dd class="col-6 mb-0" data-testid="item-instalment">{% blocktranslate with n=instalment.number count=instalment.count trimmed %}{{ n }} of {{ count }}{% endblocktranslate %}</dd>
      <dt class="col-6 fw-normal text-body-secondary">{% translate "Owed" %}</dt>
      <dd class="col-6 mb-0" data-testid="item-owed">{{ instalment.outstanding|floatformat:"2g" }} {{ instalment.currency }}{% if instalment.paid_amount %} <span class="text-body-secondary">({% blocktranslate with paid=instalment.paid_amount|floatformat:"2g" trimmed %}{{ paid }} paid{% endblocktranslate %})</span>{% endif %}</dd>
      <dt class="col-6 fw-normal text-body-secondary">{% translate "Due on" %}</dt>
      <dd class="col-6 mb-0" data-testid="item-due">{{ instalment.due_on|shortdate }}
        {% with days=item.ctx.days_from_due %}
        {% if days > 0 %}<span class="badge {% if days > 15 %}text-bg-danger{% else %}text-bg-warning{% endif %}" data-testid="days-overdue">{% blocktranslate count counter=days trimmed %}{{ counter }} day overdue{% plural %}{{ counter }} days overdue{% endblocktranslate %}</span>
        {% elif days == 0 %}<span class="badge text-bg-primary" data-testid="days-overdue">{% translate "due today" %}</span>
        {% else %}<span class="badge text-bg-light border" data-testid="days-overdue">{% blocktranslate count counter=item.ctx.days_to_due trimmed %}in {{ counter }} day{% plural %}in {{ counter }} days{% endblocktranslate %}</span>{% endif %}
        {% endwith %}</dd>
      <dt class="col-6 fw-normal text-body-secondary">{% translate "Payment history" %}</dt>
      <dd class="col-6 mb-0" data-testid="item-history" title="{{ item.ctx.history_title }}">
        <span class="text-success">{% blocktranslate count counter=item.ctx.on_time trimmed %}{{ counter }} on time{% plural %}{{ counter }} on time{% endblocktranslate %}</span> ·
        <span class="text-warning-emphasis">{% blocktranslate count counter=item.ctx.late trimmed %}{{ counter }} late{% plural %}{{ counter }} late{% endblocktranslate %}</span> ·
        <span class="text-danger">{% blocktranslate count counter=item.ctx.missed trimmed %}{{ counter }} missed{% plural %}{{ counter }} missed{% endblocktranslate %}</span>
      </dd>
      {% with promise=item.ctx.promises|first %}{% if promise %}
      <dt class="col-6 fw-normal text-body-secondary">{% translate "Promise to pay" %}</dt>
      <dd class="col-6 mb-0" data-testid="item-promise">{{ promise.promised_on|shortdate }} · {{ promise.get_status_display }}</dd>
      {% endif %}{% endwith %}
      {% if item.key|slice:":8" == "promise-" %}
      <dt class="col-6 fw-normal text-body-secondary">{% translate "Why now" %}</dt>
      <dd class="col-6 mb-0">{% translate "promise not kept" %}</dd>
      {% endif %}
    </dl>
  </div>
  {% card_history item %}
  {% card_results item %}
  <a class="small" href="{{ client.pk|pk_url:'clients:detail' }}">{% translate "Client file" %}</a>
  {% else %}
    <div class="fw-semibold">{{ item.title }}</div>
  {% endif %}
</div>
{% endwith %}"""  # noqa: E501


def _same(html: str) -> str:
    """HTML with the random parts (submission tokens) and the layout's whitespace evened."""
    html = re.sub(r'name="token" value="[0-9a-f-]{36}"', 'name="token" value="TOKEN"', str(html))
    return re.sub(r"\s*([<>])\s*", r"\1", re.sub(r"\s+", " ", html)).strip()


CASES = {
    "long-overdue": {"due": -20},
    "overdue-part-paid": {"due": -3, "paid_amount": Decimal("250.50"), "amount": "1234567.00"},
    "due-today": {"due": 0},
    "not-yet-due": {"due": 5},
    "tomorrow": {"due": 1},
}


@pytest.mark.parametrize("language", ["en", "es", "zh-hans"])
@pytest.mark.parametrize("case", list(CASES))
def test_the_payment_card_is_the_templates_html(agent, language, case):
    client = ClientFactory(owner=agent, first_name="<script>alert(1)</script>", last_name="Nuñez²")
    item = payment_item(agent, client=client, **CASES[case])
    if case == "overdue-part-paid":
        instalment = Instalment.objects.get(pk=item.subject_id)
        PaymentPromise.objects.create(
            instalment=instalment, promised_on=timezone.localdate(), made_by=agent
        )
        item.key = "promise-1"
        ItemResultFactory(item=item, result="no_answer", note="<i>busy</i>")
    request = RequestFactory().get("/queue/")
    request.user = agent
    with translation.override(language):
        [item] = attach_context([item])
        form = callback_form(request)
        for extra in ({}, {"feedback": "No answer: logged <1>", "error": "Refused & why"}):
            context = {"item": item, "callback_form": form, **extra}
            expected = engines["django"].from_string(PAYMENT_CARD_TEMPLATE).render(context, request)
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', expected).group(1)
            written = payment_card_html(item, csrf_token=token, callback_form=form, **extra)
            assert _same(written) == _same(expected)
    assert "&lt;script&gt;" in written and "<script>" not in written and "Nuñez²" in written


def test_a_card_whose_instalment_is_gone_shows_its_title(agent):
    item = payment_item(agent)
    Instalment.objects.filter(pk=item.subject_id).delete()
    item.title = "<b>Policy</b> 2/4"
    [item] = attach_context([item])
    written = payment_card_html(item)
    assert '<div class="fw-semibold">&lt;b&gt;Policy&lt;/b&gt; 2/4</div>' in written
    assert 'data-testid="result-buttons"' not in written


@pytest.mark.parametrize("language", ["en", "es", "zh-hans"])
def test_the_cards_rows_read_as_the_models_do(agent, language):
    """The context reads the instalment, its policy, insurer, client and promises as rows
    (billing.kind.InstalmentRow…): each reads as the model instance would."""
    client = ClientFactory(owner=agent, first_name="<script>", last_name="Nuñez²", is_key=True)
    item = payment_item(agent, client=client, **CASES["overdue-part-paid"])
    instalment = Instalment.objects.select_related("policy__holder", "policy__insurer").get(
        pk=item.subject_id
    )
    promise = PaymentPromise.objects.create(
        instalment=instalment, promised_on=timezone.localdate(), made_by=agent
    )
    with translation.override(language):
        [item] = attach_context([item])
        ctx = item.ctx
        policy, holder = instalment.policy, instalment.policy.holder
        fields = ("pk", "number", "count", "due_on", "amount", "paid_amount", "paid_on",
                  "currency", "status", "outstanding", "policy_id")  # fmt: skip
        assert [getattr(ctx["instalment"], f) for f in fields] == [
            getattr(instalment, f) for f in fields
        ]
        assert str(ctx["instalment"]) == str(instalment)
        assert ctx["instalment"].outstanding == Decimal("1234316.50")
        assert (ctx["policy"].pk, ctx["policy"].number, ctx["policy"].get_line_display()) == (
            policy.pk, policy.number, policy.get_line_display()
        )  # fmt: skip
        assert (str(ctx["policy"]), str(ctx["policy"].insurer)) == (
            str(policy),
            str(policy.insurer),
        )
        fields = ("pk", "display_name", "kind", "is_key", "contact_inaccurate", "email",
                  "phone_as_written")  # fmt: skip
        assert [getattr(ctx["client"], f) for f in fields] == [getattr(holder, f) for f in fields]
        assert str(ctx["client"]) == str(holder) and ctx["client"] is ctx["policy"].holder
        [row] = ctx["promises"]
        assert (row.promised_on, row.get_status_display()) == (
            promise.promised_on, promise.get_status_display()
        )  # fmt: skip
