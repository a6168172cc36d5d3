"""The renewal touch's card is written in Python (renewals.cards, issue 18): the same HTML the
template wrote (RENEWAL_CARD_TEMPLATE, the one it replaces), in each language, escaped."""

import re
from decimal import Decimal

import pytest
from django.template import engines
from django.test import RequestFactory
from django.utils import translation

from clients.links import call_links
from renewals.cards import renewal_card_html
from renewals.kind import RENEWAL_KIND
from renewals.models import RenewalCase
from renewals.tests.test_call_list import ending, morning
from workqueue.models import WorkItem
from workqueue.selectors import attach_context, callback_form
from workqueue.tests.factories import ItemResultFactory

pytestmark = pytest.mark.django_db

RENEWAL_CARD_TEMPLATE = """{% load i18n workqueue_tags client_cards %}
{% with case=item.ctx.case policy=item.ctx.policy client=item.ctx.client %}
<div class="list-group-item call-item" id="item-{{ item.pk }}" data-item="{{ item.pk }}" data-testid="call-item">
  {% if feedback %}<div class="alert alert-success py-1 px-2 small mb-2" role="status" data-testid="item-feedback">{{ feedback }}</div>{% endif %}
  {% if error %}<div class="alert alert-danger py-1 px-2 small mb-2" role="alert" data-testid="item-error">{{ error }}</div>{% endif %}
  {% if case %}
  <div class="d-flex flex-wrap align-items-start gap-3">
    <div class="me-auto">
      {% call_contact client item.ctx.phone item.ctx.whatsapp_url %}
      <div class="small text-body-secondary">
        <a href="{{ policy.pk|pk_url:'policies:detail' }}">{{ policy.number }}</a> · {{ policy.insurer }} · {{ policy.get_line_display }}
      </div>
    </div>
    <dl class="row small mb-0 text-nowrap" style="min-width: 16rem">
      <dt class="col-6 fw-normal text-body-secondary">{% translate "Ends" %}</dt>
      <dd class="col-6 mb-0" data-testid="item-end">{{ policy.end_date|shortdate }}
        <span class="badge {% if item.ctx.days_left <= 7 %}text-bg-danger{% elif item.ctx.days_left <= 15 %}text-bg-warning{% else %}text-bg-light border{% endif %}" data-testid="days-left">{% blocktranslate count counter=item.ctx.days_left trimmed %}{{ counter }} day{% plural %}{{ counter }} days{% endblocktranslate %}</span></dd>
      <dt class="col-6 fw-normal text-body-secondary">{% translate "Last premium" %}</dt>
      <dd class="col-6 mb-0" data-testid="item-premium">{{ case.last_premium|floatformat:"2g" }} {{ policy.currency }}</dd>
      <dt class="col-6 fw-normal text-body-secondary">{% translate "Grade" %}</dt>
      <dd class="col-6 mb-0" data-testid="item-grade">{{ case.grade|default:"—" }}</dd>
      <dt class="col-6 fw-normal text-body-secondary">{% translate "Touch" %}</dt>
      <dd class="col-6 mb-0">{{ item.key|slice:"5:" }} {% translate "days before" %}{% if item.attempts %} · {% blocktranslate count counter=item.attempts trimmed %}{{ counter }} attempt{% plural %}{{ counter }} attempts{% endblocktranslate %}{% endif %}</dd>
    </dl>
  </div>
  {% card_history item %}
  {% card_results item %}
  <a class="small" href="{{ case.pk|pk_url:'renewals:detail' }}">{% translate "Renewal case" %}</a>
  {% else %}
    <div class="fw-semibold">{{ item.title }}</div>
  {% endif %}
</div>
{% endwith %}"""  # noqa: E501


def _same(html: str) -> str:
    """HTML with the random parts (submission tokens) and the layout's whitespace evened."""
    html = re.sub(r'name="token" value="[0-9a-f-]{36}"', 'name="token" value="TOKEN"', str(html))
    return re.sub(r"\s*([<>])\s*", r"\1", re.sub(r"\s+", " ", html)).strip()


@pytest.mark.parametrize("language", ["en", "es", "zh-hans"])
@pytest.mark.parametrize("days", [30, 15, 7, 0])
def test_the_renewal_card_is_the_templates_html(ladders, agent, language, days):
    policy = ending(days, owner=agent, premium=Decimal("12500.00"), whatsapp="+525512345678")
    policy.holder.first_name, policy.holder.last_name = "<script>x</script>", "Peña²"
    policy.holder.display_name = policy.holder.compute_display_name()
    policy.holder.save()
    morning()
    item = WorkItem.objects.get(kind=RENEWAL_KIND)
    if days == 15:
        RenewalCase.objects.filter(pk=item.subject_id).update(
            grade="A", last_premium=Decimal("1234567.5")
        )
        item.attempts = 2
        ItemResultFactory(item=item, result="no_answer", note='"<b>"')
    request = RequestFactory().get("/queue/")
    request.user = agent
    with translation.override(language):
        [item] = attach_context([item])
        form = callback_form(request)
        for extra in ({}, {"feedback": "Logged <1>", "error": "Refused & why"}):
            context = {"item": item, "callback_form": form, **extra}
            expected = engines["django"].from_string(RENEWAL_CARD_TEMPLATE).render(context, request)
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', expected).group(1)
            written = renewal_card_html(item, csrf_token=token, callback_form=form, **extra)
            assert _same(written) == _same(expected)
    assert "&lt;script&gt;" in written and "<script>" not in written and "Peña²" in written


def test_a_card_whose_case_is_gone_shows_its_title(ladders, agent):
    ending(30, owner=agent)
    morning()
    item = WorkItem.objects.get(kind=RENEWAL_KIND)
    RenewalCase.objects.filter(pk=item.subject_id).delete()
    item.title = "<b>Renew</b>"
    [item] = attach_context([item])
    written = renewal_card_html(item)
    assert '<div class="fw-semibold">&lt;b&gt;Renew&lt;/b&gt;</div>' in written
    assert 'data-testid="result-buttons"' not in written


@pytest.mark.parametrize("language", ["en", "es", "zh-hans"])
def test_the_cards_rows_read_as_the_models_do(ladders, agent, language):
    """The context reads the case, its policy, insurer and client as rows (renewals.kind.CaseRow,
    policies.rows.PolicyRow…): each reads as the model instance would, and the export and the
    maintainers' card read the same values."""
    policy = ending(15, owner=agent, premium=Decimal("12500.00"), whatsapp="+525512345678")
    holder = policy.holder
    holder.first_name, holder.is_key, holder.email = "<script>", True, "a&b@example.com"
    holder.display_name = holder.compute_display_name()
    holder.save()
    morning()
    item = WorkItem.objects.get(kind=RENEWAL_KIND)
    RenewalCase.objects.filter(pk=item.subject_id).update(grade="B", last_premium=Decimal("99.5"))
    case = RenewalCase.objects.select_related("policy__holder", "policy__insurer").get(
        pk=item.subject_id
    )
    with translation.override(language):
        [item] = attach_context([item])
        ctx = item.ctx
        assert [getattr(ctx["case"], f) for f in ("pk", "id", "last_premium", "grade")] == [
            case.pk, case.pk, case.last_premium, case.grade
        ]  # fmt: skip
        policy = case.policy
        fields = ("pk", "id", "number", "line", "currency", "end_date", "holder_id")
        assert [getattr(ctx["policy"], f) for f in fields] == [getattr(policy, f) for f in fields]
        assert ctx["policy"].get_line_display() == policy.get_line_display()
        assert (str(ctx["policy"]), str(ctx["policy"].insurer)) == (
            str(policy), str(policy.insurer)
        )  # fmt: skip
        fields = ("pk", "id", "display_name", "kind", "is_key", "contact_inaccurate", "email",
                  "phone_as_written")  # fmt: skip
        holder = policy.holder
        assert [getattr(ctx["client"], f) for f in fields] == [getattr(holder, f) for f in fields]
        assert str(ctx["client"]) == str(holder) and ctx["client"] is ctx["policy"].holder
        assert ctx["days_left"] == 15 and ctx["case"].policy is ctx["policy"]
        assert (ctx["phone"], ctx["whatsapp_url"]) == call_links(holder)
        assert "525512345678" in ctx["whatsapp_url"]


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "ended 2 days ago"), ("es", "venció hace 2 días"), ("zh-hans", "2 天前到期")],
)
def test_a_policy_past_its_end_says_how_long_ago_it_ended(ladders, agent, language, text):
    """Between its end and the morning run that lapses it, the card says the policy ended,
    not "-2 days"."""
    import datetime

    from django.utils import timezone

    from policies.models import Policy

    policy = ending(7, owner=agent)
    morning()
    item = WorkItem.objects.get(kind=RENEWAL_KIND)
    Policy.objects.filter(pk=policy.pk).update(
        end_date=timezone.localdate() - datetime.timedelta(days=2)
    )
    with translation.override(language):
        [item] = attach_context([item])
        written = str(renewal_card_html(item))
    badge = re.search(r'data-testid="days-left">([^<]*)<', written).group(1)
    assert badge == text
