"""seed_demo's prospects (policies.demo.seed_prospects): quotations sent through the outbox (two
by e-mail with the printed quotation attached), one follow-up call booked per sent quotation
(half of them on today's lists), documents kept in auto policies' files and a request to send
one again."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from brokerage.core import demo as core_demo
from brokerage.notifications.models import Message
from clients.models import ClientDocument, Interaction
from policies.kind import QUOTE_FOLLOW_UP
from policies.models import Quotation, QuotationSending
from workqueue.models import ItemStatus, WorkItem

pytestmark = pytest.mark.django_db


def test_the_demo_sends_quotations_books_their_follow_ups_and_keeps_policy_documents(
    monkeypatch, django_capture_on_commit_callbacks
):
    # The steps this one needs, and it.
    monkeypatch.setattr(
        core_demo, "STEPS",
        [step for step in core_demo.STEPS if step.split(".")[0] in
         ("brokerage", "clients", "policies")],
    )  # fmt: skip
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", clients=200, seed=4, stdout=out)

    assert "prospects:" in out.getvalue()
    sendings = QuotationSending.objects.select_related("quotation__client", "message")
    assert sendings.count() >= 4
    emailed = [s for s in sendings if s.channel == "email"]
    assert len(emailed) == 2 and all(s.pdf for s in emailed)
    assert all(s.message.status == "sent" for s in sendings)
    assert all(s.language == s.quotation.client.language for s in sendings)
    items = WorkItem.objects.filter(kind=QUOTE_FOLLOW_UP, status=ItemStatus.OPEN)
    assert items.count() == sendings.count()
    assert set(items.values_list("subject_id", flat=True)) == {s.quotation_id for s in sendings}
    assert items.filter(due_on=timezone.localdate()).exists()
    assert items.exclude(due_on=timezone.localdate()).exists()
    assert Quotation.objects.filter(quotes__insurer__preferred=True).exists()
    documents = ClientDocument.objects.filter(policy__isnull=False).select_related("policy")
    assert documents.exists() and all(d.client_id == d.policy.holder_id for d in documents)
    assert Interaction.objects.filter(message="policies.documents_requested").exists()
    assert Message.objects.filter(template="documents_request").exists()
