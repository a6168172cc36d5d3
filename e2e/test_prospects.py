"""A prospect's quotation in the browser (issue 17): the agent sends it by WhatsApp from the
quotation page (the sending listed there), finds the follow-up on the call list, records
"still thinking" with the next call's day, and keeps a document in a policy's file and asks the
client for it again from the policy page. Screenshots go to /tmp/shots/prospects_*.png (and
e2e/artifacts/) for a person to read."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from brokerage.accounts.tests.factories import PASSWORD, UserFactory
from brokerage.notifications.models import Message
from clients.models import ClientDocument
from clients.tests.factories import ClientFactory
from policies.kind import QUOTE_FOLLOW_UP
from policies.models import QuotationSending
from policies.tests.factories import InsurerFactory, PolicyFactory, QuotationFactory, QuoteFactory
from workqueue.models import ItemStatus, WorkItem

from .conftest import ARTIFACTS

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path("/tmp/shots")  # noqa: S108 - where the reviewers look at them
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _shot(page, name):
    for folder in (SHOTS, ARTIFACTS):
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"prospects_{name}.png"), full_page=True)


def _signed_in(browser, live_server, user):
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(user.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_test_id("user-menu")).to_be_visible()
    return context, page


def test_an_agent_sends_a_quotation_works_its_follow_up_and_keeps_a_policy_document(
    browser, live_server, settings, tmp_path
):
    settings.QUOTE_SENT_FOLLOW_UP_DAYS = 0  # the call falls due today: on today's list
    agent = UserFactory(username="lucia", first_name="Lucía", last_name="Pérez", roles=["agent"])
    prospect = ClientFactory(
        owner=agent, first_name="Ana", last_name="Ruiz", language="es", email="",
        whatsapp="+525512345678",
    )  # fmt: skip
    quotation = QuotationFactory(client=prospect, created_by=agent, description="Pickup nueva")
    QuoteFactory(quotation=quotation, insurer=InsurerFactory(code="hdi", name="HDI Seguros",
                 preferred=True), premium=Decimal("9800.00"))  # fmt: skip
    QuoteFactory(quotation=quotation, insurer=InsurerFactory(code="qualitas", name="Quálitas"),
                 premium=Decimal("8700.50"))  # fmt: skip
    policy = PolicyFactory(holder=prospect, insurer=InsurerFactory(code="hdi"), number="HDI-9")
    context, page = _signed_in(browser, live_server, agent)

    page.goto(f"/quotations/{quotation.pk}/")
    expect(page.get_by_test_id("send-email")).to_be_disabled()
    page.get_by_test_id("send-whatsapp").click()
    expect(page.get_by_text("Quotation sent by WhatsApp to +525512345678")).to_be_visible()
    expect(page.get_by_test_id("sendings")).to_contain_text("+525512345678")
    _shot(page, "quotation_sent")
    sending = QuotationSending.objects.get(quotation=quotation)
    assert sending.channel == "whatsapp" and sending.message.language == "es"

    page.goto("/queue/")
    card = page.locator(f'[data-kind="{QUOTE_FOLLOW_UP}"]').first
    expect(card).to_contain_text("Ana Ruiz")
    _shot(page, "call_list")
    card.locator('[data-result="still_thinking"]').click()
    day = timezone.localdate() + datetime.timedelta(days=4)
    page.locator("input[name=on]").fill(day.isoformat())
    page.locator("input[name=note]").fill("Lo consulta con su esposo")
    _shot(page, "still_thinking")
    page.get_by_test_id("follow-up-result-submit").click()
    expect(page.get_by_text("Still thinking: the next call is on")).to_be_visible()
    following = WorkItem.objects.get(kind=QUOTE_FOLLOW_UP, status=ItemStatus.OPEN)
    assert following.due_on == day

    page.goto(f"/policies/{policy.pk}/")
    section = page.get_by_test_id("policy-documents")
    section.get_by_text("Keep a document in this policy's file").click()
    upload = tmp_path / "tarjeta.pdf"
    upload.write_bytes(PDF)
    form = page.get_by_test_id("policy-document-form")
    form.locator("select[name=kind]").select_option("vehicle_registration")
    form.locator("input[name=file]").set_input_files(str(upload))
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("policy-documents")).to_contain_text("tarjeta.pdf")
    assert ClientDocument.objects.get().policy == policy
    page.get_by_test_id("policy-documents").get_by_text("Request documents again").click()
    page.locator("input[value=wrong_vin]").check()
    page.get_by_test_id("documents-request-submit").click()
    expect(page.get_by_text("The request was sent to Ana Ruiz in their language.")).to_be_visible()
    _shot(page, "policy_documents")
    assert Message.objects.filter(template="documents_request", language="es").count() == 1
    context.close()
