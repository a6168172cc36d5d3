"""The service request's and service case's card of the call list is written in Python
(servicing.cards, issue 18): the same HTML the template wrote (SERVICE_CARD_TEMPLATE, the one
it replaces), in each language, escaped."""

import datetime
import re

import pytest
from django.template import engines
from django.test import RequestFactory
from django.utils import timezone, translation

from billing.tests.test_call_card import _same
from clients.links import call_links
from clients.tests.factories import ClientFactory
from servicing.cards import service_card_html
from servicing.models import CaseClass, CaseSource, RequestKind, ServiceCase, ServiceRequest
from servicing.services import service_cases_open, service_request_create
from servicing.tests.factories import LifePolicyFactory
from workqueue.models import WorkItem
from workqueue.selectors import attach_context, callback_form
from workqueue.tests.factories import ItemResultFactory

pytestmark = pytest.mark.django_db

SERVICE_CARD_TEMPLATE = """{% load i18n workqueue_tags client_cards %}{# A service request or a life-policy service case on the call list: who to call, what it is; worked on its page, which closes it. #}
<div class="list-group-item call-item" id="item-{{ item.pk }}" data-item="{{ item.pk }}" data-testid="call-item" data-kind="{{ item.kind }}">
  {% if feedback %}<div class="alert alert-success py-1 px-2 small mb-2" role="status" data-testid="item-feedback">{{ feedback }}</div>{% endif %}
  {% if error %}<div class="alert alert-danger py-1 px-2 small mb-2" role="alert" data-testid="item-error">{{ error }}</div>{% endif %}
  <div class="fw-semibold" data-testid="item-title">{% include "servicing/_item_title.html" %}</div>
  {% if item.ctx.client %}
    {% call_contact item.ctx.client item.ctx.phone item.ctx.whatsapp_url %}
    <div class="small text-body-secondary">
      {% if item.ctx.request %}<a href="{{ item.ctx.page_url }}" data-testid="item-page">{% translate "Work the request on its page" %}</a> · {{ item.ctx.request.get_status_display }} · {% blocktranslate with date=item.ctx.request.due_on|date:"SHORT_DATE_FORMAT" trimmed %}due {{ date }}{% endblocktranslate %}
      {% else %}<a href="{{ item.ctx.page_url }}" data-testid="item-page">{% translate "Work the case on its page" %}</a> · {{ item.ctx.case.get_case_class_display }}{% endif %}
    </div>
    {% card_history item %}
    {% card_results item %}
  {% endif %}
</div>"""  # noqa: E501


@pytest.fixture
def items(agent):
    holder = ClientFactory(
        owner=agent, first_name="<script>alert(1)</script>", last_name='Nuñez² "O\'Hara"'
    )
    policy = LifePolicyFactory(holder=holder, agent=agent, number='<b>V-1</b> "&"')
    request = service_request_create(
        policy=policy,
        by=agent,
        kind=RequestKind.PHONE_CHANGE,
        due_on=timezone.localdate() + datetime.timedelta(days=5),
    )
    service_cases_open(previous={holder.pk: None}, source=CaseSource.ORPHAN)
    request_item = WorkItem.objects.get(kind="service_request", subject_id=request.pk)
    case_item = WorkItem.objects.get(kind="service_case")
    case_item.callback_at = timezone.now() + datetime.timedelta(hours=1)
    ItemResultFactory(item=case_item, result="no_answer", note="<i>busy</i>")
    return {"request": request_item, "case": case_item}


@pytest.mark.parametrize("language", ["en", "es", "zh-hans"])
@pytest.mark.parametrize("which", ["request", "case"])
def test_the_service_card_is_the_templates_html(agent, items, language, which):
    request = RequestFactory().get("/queue/")
    request.user = agent
    with translation.override(language):
        [item] = attach_context([items[which]])
        if which == "case":
            item.ctx["case"].case_class = CaseClass.LAPSED
        form = callback_form(request)
        for extra in ({}, {"feedback": "No answer: logged <1>", "error": "Refused & why"}):
            context = {"item": item, "callback_form": form, **extra}
            expected = engines["django"].from_string(SERVICE_CARD_TEMPLATE).render(context, request)
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', expected).group(1)
            written = service_card_html(item, csrf_token=token, callback_form=form, **extra)
            assert _same(written) == _same(expected)
    assert "&lt;script&gt;" in written and "<script>" not in written and "Nuñez²" in written
    assert "<b>" not in written and 'data-testid="item-page"' in written
    assert ('data-testid="callback-time"' in written) == (which == "case")


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_card_whose_request_is_gone_shows_its_title(agent, items, language):
    item = items["request"]
    ServiceRequest.objects.filter(pk=item.subject_id).delete()
    item.title = "<b>SR</b> 2/4"
    with translation.override(language):
        [item] = attach_context([item])
        expected = engines["django"].from_string(SERVICE_CARD_TEMPLATE).render({"item": item})
        written = service_card_html(item)
    assert _same(written) == _same(expected)
    assert "&lt;b&gt;SR&lt;/b&gt; 2/4" in written
    assert 'data-testid="result-buttons"' not in written


@pytest.mark.parametrize("language", ["en", "es", "zh-hans"])
def test_the_cards_rows_read_as_the_models_do(agent, items, language):
    """The contexts read the request with its policy, insurer and client, and the case with its
    client, as rows (servicing.kind.RequestRow, CaseRow, policies.rows…): each reads as the
    model instance would, in the cards, the maintainers' card and the export."""
    request = ServiceRequest.objects.select_related("policy__holder", "policy__insurer").get(
        pk=items["request"].subject_id
    )
    case = ServiceCase.objects.select_related("client").get(pk=items["case"].subject_id)
    clients = ("pk", "id", "display_name", "kind", "is_key", "contact_inaccurate", "email",
               "phone_as_written")  # fmt: skip
    with translation.override(language):
        [row] = attach_context([items["request"]])
        ctx = row.ctx
        fields = ("pk", "id", "reference", "kind", "status", "due_on")
        assert [getattr(ctx["request"], f) for f in fields] == [getattr(request, f) for f in fields]
        assert (str(ctx["request"]), ctx["request"].get_kind_display()) == (
            str(request), request.get_kind_display()
        )  # fmt: skip
        assert ctx["request"].get_status_display() == request.get_status_display()
        policy = request.policy
        assert (ctx["policy"].pk, ctx["policy"].number, str(ctx["policy"])) == (
            policy.pk, policy.number, str(policy)
        )  # fmt: skip
        assert [getattr(ctx["client"], f) for f in clients] == [
            getattr(policy.holder, f) for f in clients
        ]
        assert ctx["client"] is ctx["policy"].holder and ctx["policy"] is ctx["request"].policy
        [row] = attach_context([items["case"]])
        ctx = row.ctx
        assert [getattr(ctx["case"], f) for f in ("pk", "id", "reference", "case_class")] == [
            getattr(case, f) for f in ("pk", "id", "reference", "case_class")
        ]
        assert (str(ctx["case"]), ctx["case"].get_case_class_display()) == (
            str(case), case.get_case_class_display()
        )  # fmt: skip
        assert [getattr(ctx["client"], f) for f in clients] == [
            getattr(case.client, f) for f in clients
        ]
        assert str(ctx["client"]) == str(case.client) and ctx["client"] is ctx["case"].client
        assert (ctx["phone"], ctx["whatsapp_url"]) == call_links(case.client)
