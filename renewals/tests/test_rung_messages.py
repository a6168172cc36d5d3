"""Renewal reminders to clients at the rungs that carry a message channel, queued in the
outbox by the morning job."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from brokerage.notifications.models import Channel, Message
from renewals.jobs import renewals_morning_job
from renewals.ladder_services import ladder_save
from renewals.models import RenewalCase
from renewals.reminders import renewal_rung_messages
from renewals.tests.conftest import TODAY, days, policy_ending
from workqueue.models import WorkItem

pytestmark = pytest.mark.django_db


def reminders():
    return Message.objects.filter(template="renewal_reminder")


@pytest.fixture
def email_at_30(ladders, manager):
    """The default ladder, messaging the client by e-mail at 30 days (not at 25 or 15)."""
    return ladder_save(
        ladder=ladders["default"], by=manager, name="30/25/15", code="design-card",
        is_default=True,
        rungs=[
            {"days": 30, "stage": "reminder", "message": "email"},
            {"days": 25, "stage": "reminder"},
            {"days": 15, "stage": "quote"},
        ],
    )  # fmt: skip


def test_it_queues_one_email_per_client_once(email_at_30, agent):
    agent.phone = "+525512345678"
    agent.save(update_fields=["phone"])
    first = policy_ending(30, owner=agent)
    second = policy_ending(30, owner=agent)
    report = renewals_morning_job(day=TODAY)
    assert report.messages_queued == 2
    assert sorted(reminders().values_list("to", flat=True)) == sorted(
        [first.holder.email, second.holder.email]
    )
    message = reminders().get(to=first.holder.email)
    assert message.channel == Channel.EMAIL and message.language == "es"
    assert first.number in message.subject and first.insurer.name in message.subject
    assert first.number in message.body and str(agent) in message.body
    # The agent's phone as people read it (users' phones are phone numbers since issue 13).
    assert "+52 55 1234 5678" in message.body
    case = RenewalCase.objects.get(policy=first)
    assert message.context["case"] == case.pk
    again = renewals_morning_job(day=TODAY)
    assert again.messages_queued == 0 and reminders().count() == 2


def test_it_writes_in_the_clients_language(email_at_30, agent):
    spanish = policy_ending(30, owner=agent)
    english = policy_ending(30, owner=agent)
    english.holder.language = "en"
    english.holder.save(update_fields=["language"])
    renewals_morning_job(day=TODAY)
    assert reminders().get(to=english.holder.email).language == "en"
    assert "ends on" in reminders().get(to=english.holder.email).body
    assert reminders().get(to=spanish.holder.email).language == "es"


def test_a_rung_without_a_message_queues_none(email_at_30, agent):
    policy_ending(25, owner=agent)
    policy_ending(15, owner=agent)
    report = renewals_morning_job(day=TODAY)
    assert report.total_items == 2
    assert report.messages_queued == 0 and not reminders().exists()


def test_the_preset_ladders_queue_no_messages(ladders, agent):
    policy_ending(30, owner=agent)
    assert renewals_morning_job(day=TODAY).messages_queued == 0
    assert not reminders().exists()


def test_it_skips_a_client_without_email_or_with_inaccurate_details(email_at_30, agent):
    no_email = policy_ending(30, owner=agent)
    no_email.holder.email = ""
    no_email.holder.save(update_fields=["email"])
    inaccurate = policy_ending(30, owner=agent)
    inaccurate.holder.contact_inaccurate = True
    inaccurate.holder.save(update_fields=["contact_inaccurate"])
    reachable = policy_ending(30, owner=agent)
    report = renewals_morning_job(day=TODAY)
    assert report.total_items == 3 and report.messages_queued == 1
    assert list(reminders().values_list("to", flat=True)) == [reachable.holder.email]


def test_it_sends_whatsapp_to_the_whatsapp_number_or_the_phone(ladders, manager, agent):
    ladder_save(
        ladder=ladders["default"], by=manager, name="30", code="design-card", is_default=True,
        rungs=[{"days": 30, "stage": "reminder", "message": "whatsapp"}],
    )  # fmt: skip
    with_whatsapp = policy_ending(30, owner=agent)
    with_whatsapp.holder.whatsapp = "+525587654321"
    with_whatsapp.holder.save(update_fields=["whatsapp"])
    phone_only = policy_ending(30, owner=agent)
    renewals_morning_job(day=TODAY)
    assert reminders().filter(channel=Channel.WHATSAPP).count() == 2
    assert set(reminders().values_list("to", flat=True)) == {
        "+525587654321",
        phone_only.holder.phone.as_e164,
    }


def test_it_only_messages_the_touches_of_this_run(email_at_30, agent):
    policy_ending(30, owner=agent)
    before = timezone.now()
    renewals_morning_job(day=TODAY)
    # Called again for the same run's items (e.g. a retry): nothing new.
    assert renewal_rung_messages(day=TODAY, now=before) == 0
    # The next day the item is old: nothing, even if the rung is still the latest.
    assert renewals_morning_job(day=days(1)).messages_queued == 0
    assert reminders().count() == 1


def test_it_reads_in_a_fixed_number_of_queries(email_at_30, agent):
    def run(n):
        for _ in range(n):
            policy_ending(30, owner=agent)
        now = timezone.now()
        report = renewals_morning_job(day=TODAY)
        Message.objects.all().delete()  # so that the same items are messaged again
        with CaptureQueriesContext(connection) as captured:
            queued = renewal_rung_messages(day=TODAY, now=now)
        assert queued == report.total_items >= n
        return len(captured.captured_queries) - queued  # one insert per message

    few = run(2)
    RenewalCase.objects.all().delete()
    WorkItem.objects.all().delete()
    assert run(12) == few <= 4


def test_the_command_prints_the_reminders_queued(email_at_30, agent):
    policy_ending(30, owner=agent)
    out = StringIO()
    call_command("run_morning_jobs", "--date", TODAY.isoformat(), stdout=out)
    assert "renewal reminders queued for clients: 1" in out.getvalue()
