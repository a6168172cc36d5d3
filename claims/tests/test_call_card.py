"""The claim's first-contact card of the call list is written in Python (claims.cards, issue
18): the same HTML the template wrote (CLAIM_CARD_TEMPLATE and COUNTDOWN_TEMPLATE, the ones it
replaces), in each language, escaped, with the page's CSP nonce on the countdown's script."""

import datetime
import re

import pytest
import time_machine
from django.template import engines
from django.test import RequestFactory
from django.utils import timezone, translation

from billing.tests.test_call_card import _same
from claims.cards import claim_card_html
from claims.kind import CLAIM_KIND
from claims.models import Claim, ClaimStatus
from claims.tests.factories import report
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory
from workqueue.models import WorkItem
from workqueue.selectors import attach_context, callback_form
from workqueue.tests.factories import ItemResultFactory

pytestmark = pytest.mark.django_db

CLAIM_CARD_TEMPLATE = """{% load i18n claims_tags workqueue_tags client_cards %}{# A claim's 10-minute first contact: the client and how to reach them, the countdown, what happened and the results. #}
{% with claim=item.ctx.claim policy=item.ctx.policy client=item.ctx.client %}
<div class="list-group-item call-item border-start border-4 border-danger" id="item-{{ item.pk }}" data-item="{{ item.pk }}" data-testid="call-item" data-kind="claim_contact">
  {% if feedback %}<div class="alert alert-success py-1 px-2 small mb-2" role="status" data-testid="item-feedback">{{ feedback }}</div>{% endif %}
  {% if error %}<div class="alert alert-danger py-1 px-2 small mb-2" role="alert" data-testid="item-error">{{ error }}</div>{% endif %}
  {% if claim %}
  <div class="d-flex flex-wrap align-items-start gap-3">
    <div class="me-auto">
      {% call_contact client item.ctx.phone item.ctx.whatsapp_url %}
      <div class="small text-body-secondary">
        <a href="{{ item.ctx.claim_url }}" data-testid="item-claim">{% blocktranslate with claim=claim.reference trimmed %}Claim {{ claim }}{% endblocktranslate %}</a>
        · <a href="{% url 'policies:detail' policy.pk %}">{{ policy.number }}</a> · {{ policy.insurer }}
      </div>
    </div>
    <div class="text-end">{% include "test_countdown" %}</div>
  </div>
  <dl class="row small mb-0 mt-2">
    <dt class="col-sm-3 fw-normal text-body-secondary">{% translate "What happened" %}</dt>
    <dd class="col-sm-9 mb-0" data-testid="item-claim-kind">{{ claim.get_kind_display }}{% if claim.injured %} <span class="badge text-bg-danger">{% translate "People injured" %}</span>{% endif %} · {{ claim.occurred_at|date:"SHORT_DATETIME_FORMAT" }} · {{ claim.place }}</dd>
    <dt class="col-sm-3 fw-normal text-body-secondary">{% translate "Reported by" %}</dt>
    <dd class="col-sm-9 mb-0">{{ claim.reporter_name }}{% if claim.reporter_phone %} · <a href="tel:{{ claim.reporter_phone }}">{{ claim.reporter_phone }}</a>{% endif %}{% if claim.reporter_email %} · <a href="mailto:{{ claim.reporter_email }}">{{ claim.reporter_email }}</a>{% endif %} · {{ claim.reported_at|date:"SHORT_DATETIME_FORMAT" }}</dd>
    {% if claim.description %}<dt class="col-sm-3 fw-normal text-body-secondary">{% translate "Description" %}</dt><dd class="col-sm-9 mb-0">{{ claim.description|truncatechars:200 }}</dd>{% endif %}
  </dl>
  {% card_history item %}
  {% card_results item %}
  {% else %}
    <div class="fw-semibold">{{ item.title }}</div>
  {% endif %}
</div>
{% endwith %}"""  # noqa: E501

COUNTDOWN_TEMPLATE = """{% load i18n claims_tags %}{# The 10 minutes to contact the client: the server renders the time left (or how late it is) and the deadline; the script keeps the clock ticking (one interval per page, whatever the number of cards). #}
{% if waiting %}
<span class="badge {% if late %}text-bg-danger{% else %}text-bg-warning{% endif %} fs-6" data-deadline="{{ deadline }}" data-testid="claim-countdown" title="{% blocktranslate with at=claim.contact_due_at|time:'H:i:s' trimmed %}Contact the client by {{ at }}{% endblocktranslate %}">
  <span data-left {% if late %}hidden{% endif %}>{% translate "Contact within" %}</span><span data-late {% if not late %}hidden{% endif %}>{% translate "Contact late by" %}</span>
  <span data-clock>{{ clock }}</span>
</span>
<script nonce="{{ csp_nonce }}">
(function () {
  if (window.carteraClaimCountdown) return;
  window.carteraClaimCountdown = true;
  function tick() {
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var left = Math.round((Date.parse(el.dataset.deadline) - Date.now()) / 1000);
      var late = left < 0, s = Math.abs(left);
      el.querySelector("[data-clock]").textContent = Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
      el.querySelector("[data-left]").hidden = late;
      el.querySelector("[data-late]").hidden = !late;
      el.classList.toggle("text-bg-danger", late);
      el.classList.toggle("text-bg-warning", !late);
    });
  }
  tick();
  setInterval(tick, 1000);
})();
</script>
{% elif claim.first_contact_at %}
<span class="badge {% if claim.contacted_in_time %}text-bg-success{% else %}text-bg-secondary{% endif %}" data-testid="claim-contacted">{% blocktranslate with after=claim.time_to_first_contact|clock trimmed %}Contacted after {{ after }}{% endblocktranslate %}</span>
{% endif %}"""  # noqa: E501

NOW = timezone.now().replace(microsecond=0) - datetime.timedelta(hours=1)
HOSTILE = "<script>alert(1)</script> & \"quotes\" 'and' Nuñez²"


def _old_countdown_context(claim, csp_nonce) -> dict:
    """What the old inclusion tag (claims_tags.contact_countdown) gave COUNTDOWN_TEMPLATE."""
    left = int((claim.contact_due_at - timezone.now()).total_seconds())
    minutes, seconds = divmod(abs(left), 60)
    return {
        "claim": claim, "waiting": claim.first_contact_at is None and claim.is_open,
        "late": left < 0, "clock": f"{minutes}:{seconds:02d}",
        "deadline": claim.contact_due_at.isoformat(), "csp_nonce": csp_nonce,
    }  # fmt: skip


def _old_card(context, request) -> str:
    """The old card: its template, with the old countdown in its place (the old inclusion
    tag's context, _old_countdown_context, rendered in COUNTDOWN_TEMPLATE)."""
    from django.template import Context

    claim = context["item"].ctx.get("claim")
    countdown = ""
    if claim:
        parts = _old_countdown_context(claim, getattr(request, "csp_nonce", ""))
        countdown = engines["django"].engine.from_string(COUNTDOWN_TEMPLATE).render(Context(parts))
    card = CLAIM_CARD_TEMPLATE.replace('{% include "test_countdown" %}', "{{ countdown|safe }}")
    return engines["django"].from_string(card).render({**context, "countdown": countdown}, request)


CASES = {
    # minutes after the report, then what happened to the claim
    "waiting": {"after": 3},
    "late": {"after": 25},
    "contacted-in-time": {"after": 30, "contacted": 4},
    "contacted-late": {"after": 30, "contacted": 14},
    "closed-uncontacted": {"after": 30, "status": ClaimStatus.WITHDRAWN},
    "hostile": {"after": 1, "hostile": True},
}


@pytest.fixture
def item(agent):
    holder = ClientFactory(owner=agent, first_name="<script>alert(1)</script>", last_name="Nuñez²")
    policy = PolicyFactory(holder=holder, agent=agent, number='<b>P-1</b> "&"')
    with time_machine.travel(NOW, tick=False):
        claim = report(policy=policy, by=agent)
    return WorkItem.objects.get(kind=CLAIM_KIND, subject_id=claim.pk)


@pytest.mark.parametrize("language", ["en", "es", "zh-hans"])
@pytest.mark.parametrize("case", list(CASES))
def test_the_claim_card_is_the_templates_html(agent, item, language, case):
    spec = CASES[case]
    claim = Claim.objects.get(pk=item.subject_id)
    if "contacted" in spec:
        claim.first_contact_at = NOW + datetime.timedelta(minutes=spec["contacted"], seconds=7)
    if "status" in spec:
        claim.status = spec["status"]
    if spec.get("hostile"):
        claim.injured = True
        claim.place = HOSTILE
        claim.reporter_name = HOSTILE
        claim.reporter_email = "a&b@example.com"
        claim.description = HOSTILE * 20
    else:
        claim.reporter_phone = ""
    claim.save()
    item.callback_at = NOW + datetime.timedelta(hours=2)
    ItemResultFactory(item=item, result="no_answer", note="<i>busy</i>")
    request = RequestFactory().get("/queue/")
    request.user = agent
    request.csp_nonce = "n0nce<&>"
    with time_machine.travel(NOW + datetime.timedelta(minutes=spec["after"]), tick=False):
        with translation.override(language), timezone.override("America/Mexico_City"):
            [item] = attach_context([item])
            form = callback_form(request)
            for extra in ({}, {"feedback": "No answer: logged <1>", "error": "Refused & why"}):
                context = {"item": item, "callback_form": form, **extra}
                expected = _old_card(context, request)
                token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', expected)
                written = claim_card_html(
                    item,
                    csrf_token=token.group(1) if token else None,
                    callback_form=form,
                    csp_nonce=request.csp_nonce,
                    **extra,
                )
                assert _same(written) == _same(expected)
    assert "&lt;script&gt;" in written and "<script>alert" not in written
    assert "Nuñez²" in written and "&lt;b&gt;P-1" in written
    assert ('data-testid="claim-countdown"' in written) == (case in ("waiting", "late", "hostile"))


def test_the_call_list_writes_the_claim_card_with_the_pages_nonce(client, agent, item):
    client.force_login(agent)
    response = client.get("/queue/")
    html = response.content.decode()
    nonce = response.wsgi_request.csp_nonce
    assert f'id="item-{item.pk}"' in html and 'data-testid="claim-countdown"' in html
    assert f'<script nonce="{nonce}">' in html and "carteraClaimCountdown" in html


def test_a_card_whose_claim_is_gone_shows_its_title(agent, item):
    Claim.objects.filter(pk=item.subject_id).delete()
    item.title = "<b>Claim</b> #1"
    [item] = attach_context([item])
    written = claim_card_html(item)
    assert '<div class="fw-semibold">&lt;b&gt;Claim&lt;/b&gt; #1</div>' in written
    assert 'data-testid="result-buttons"' not in written
