"""The payment part of the morning run (billing.jobs): overdue marking, the ladder's calls and
reminders, broken promises, the at-risk list; idempotent and set-based."""

import datetime
import threading
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.formats import date_format

from billing.jobs import collections_morning_job
from billing.kind import PAYMENT_KIND
from billing.models import (
    CancellationRisk,
    CollectionRung,
    Instalment,
    InstalmentReminder,
    InstalmentStatus,
    PaymentMethod,
    PaymentPromise,
    PromiseStatus,
    RiskSource,
    RiskStatus,
)
from billing.payments import payment_record
from billing.tests.factories import InstalmentFactory
from billing.work import risk_decide
from brokerage.accounts.tests.factories import UserFactory
from brokerage.notifications.models import Message
from brokerage.notifications.services import message_render
from clients.tests.factories import ClientFactory
from policies.models import PolicyStatus
from policies.tests.factories import InsurerFactory, PolicyFactory
from workqueue.models import ItemStatus, Queue, WorkItem

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 3)
D = Decimal


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture
def agent():
    return UserFactory(roles=["agent"])


def instalment_due(offset: int, *, owner=None, client=None, grace=30, **kwargs):
    """An instalment due ``offset`` days from TODAY (negative: already due)."""
    client = client or ClientFactory(owner=owner)
    policy = PolicyFactory(
        holder=client, insurer=InsurerFactory(grace_days=grace),
        start_date=days(offset - 60), end_date=days(offset + 300),
    )  # fmt: skip
    return InstalmentFactory(policy=policy, due_on=days(offset), amount=D("1500.00"), **kwargs)


def items(**filters):
    return WorkItem.objects.filter(kind=PAYMENT_KIND, **filters)


def test_the_default_ladder_is_seed_000s():
    assert [(r.days, r.action) for r in CollectionRung.objects.all()] == [
        (-7, "message"), (-1, "message"), (0, "call"), (3, "call"), (15, "call"),
    ]  # fmt: skip


def test_a_call_on_the_due_date_goes_to_the_clients_agent(agent):
    due = instalment_due(0, owner=agent)
    report = collections_morning_job(day=TODAY)
    item = items().get()
    assert (item.subject_id, item.key, item.agent, item.queue) == (due.pk, "due+0", agent, "agent")
    assert item.due_on == TODAY and item.handed_out_at is not None
    assert report.items_created == {0: 1}
    assert "1/1" in item.title and due.policy.number in item.title


def test_before_the_due_date_the_client_is_reminded_not_called(agent):
    instalment_due(7, owner=agent)
    collections_morning_job(day=TODAY)
    assert not items().exists()
    assert InstalmentReminder.objects.get().days == -7


def test_an_overdue_call_replaces_the_due_date_call_and_has_a_higher_priority(agent):
    due = instalment_due(0, owner=agent)
    collections_morning_job(day=TODAY)
    report = collections_morning_job(day=days(3))
    open_items = list(items(status=ItemStatus.OPEN))
    assert [(i.key, i.priority) for i in open_items] == [("due+3", 80)]
    assert items(key="due+0").get().status == ItemStatus.CANCELLED
    assert report.items_superseded == 1
    assert Instalment.objects.get(pk=due.pk).status == InstalmentStatus.OVERDUE


def test_of_rungs_passed_while_nobody_looked_only_the_latest_is_queued(agent):
    instalment_due(-20, owner=agent)  # imported late: due 20 days ago
    collections_morning_job(day=TODAY)
    assert list(items().values_list("key", flat=True)) == ["due+15"]


def test_debt_older_than_the_catch_up_is_not_called_but_put_at_risk(agent):
    instalment_due(-200, owner=agent)
    report = collections_morning_job(day=TODAY)
    assert not items().exists()
    assert report.risks_opened == 1


def test_a_client_without_an_owner_waits_for_the_distribution_and_one_without_a_phone_goes_to_the_maintainers():  # noqa: E501
    nobody = instalment_due(0)
    no_phone = instalment_due(0, client=ClientFactory(phone="", email="", owner=UserFactory()))
    collections_morning_job(day=TODAY)
    assert items(subject_id=nobody.pk).get().agent is None
    unreachable = items(subject_id=no_phone.pk).get()
    assert (unreachable.agent, unreachable.queue) == (None, Queue.MAINTAINERS)


def test_paid_cancelled_and_inactive_policies_get_no_call(agent):
    instalment_due(0, owner=agent, status=InstalmentStatus.PAID, paid_amount=D("1500.00"))
    instalment_due(0, owner=agent, status=InstalmentStatus.CANCELLED)
    lapsed = instalment_due(0, owner=agent)
    lapsed.policy.status = PolicyStatus.CANCELLED
    lapsed.policy.save()
    collections_morning_job(day=TODAY)
    assert not items().exists()


def test_running_twice_changes_nothing_the_second_time(agent):
    for offset in (7, 1, 0, -3, -15, -45):
        instalment_due(offset, owner=agent)
    first = collections_morning_job(day=TODAY)
    second = collections_morning_job(day=TODAY)
    assert first.total_items > 0 and first.reminders_queued > 0 and first.risks_opened > 0
    assert (second.total_items, second.reminders_queued, second.risks_opened) == (0, 0, 0)
    assert second.marked_overdue == 0
    keys = list(items().values_list("subject_id", "key"))
    assert len(keys) == len(set(keys))
    assert Message.objects.filter(template="payment_reminder").count() == first.reminders_queued


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_create_every_notice_once(agent):
    for offset in (7, 1, 0, -3, -15, -45):
        instalment_due(offset, owner=agent)
    barrier = threading.Barrier(2)
    errors = []

    def run():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            collections_morning_job(day=TODAY)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    keys = list(items().values_list("subject_id", "key"))
    assert len(keys) == len(set(keys)) == 3
    # 7 and 1 day before, and the 1-day reminder of the one due today, caught up.
    assert InstalmentReminder.objects.count() == 3
    assert Message.objects.filter(template="payment_reminder").count() == 3
    assert CancellationRisk.objects.filter(status=RiskStatus.OPEN).count() == 1


def test_overdue_marking_keeps_history_and_leaves_partly_paid_amounts(agent):
    part = instalment_due(-1, owner=agent, status=InstalmentStatus.PARTLY_PAID,
                          paid_amount=D("500.00"))  # fmt: skip
    future = instalment_due(5, owner=agent)
    report = collections_morning_job(day=TODAY)
    part.refresh_from_db()
    assert (part.status, part.paid_amount) == (InstalmentStatus.OVERDUE, D("500.00"))
    assert Instalment.objects.get(pk=future.pk).status == InstalmentStatus.PENDING
    assert report.marked_overdue == 1
    last = part.history.order_by("-history_date").first()
    assert (last.status, last.history_change_reason) == ("overdue", "overdue")


def test_a_reminder_goes_by_the_preferred_channel_in_the_clients_language_with_how_to_pay():
    client = ClientFactory(language="es", preferred_channel="email", owner=UserFactory())
    due = instalment_due(7, client=client)
    due.policy.insurer.payment_instructions = "CLABE 012180001234567890."
    due.policy.insurer.save()
    collections_morning_job(day=TODAY)
    message = Message.objects.get(template="payment_reminder")
    assert message.body == ""  # written by the worker that sends it
    message_render(message)  # as the worker does: the context read back from the database
    assert (message.channel, message.to, message.language) == ("email", client.email, "es")
    assert "1.500,00" in message.body or "1,500.00" in message.body
    with translation.override("es"):
        assert f"vence el {date_format(due.due_on, 'DATE_FORMAT')}." in message.body
    assert due.policy.number in message.body and "CLABE 012180001234567890." in message.body
    reminder = InstalmentReminder.objects.get()
    assert (reminder.channel, reminder.message_id) == ("email", message.pk)


def test_without_a_preference_whatsapp_comes_first_then_email_then_sms():
    wa = ClientFactory(whatsapp="+5215512345678", owner=UserFactory())
    mail = ClientFactory(owner=UserFactory())
    sms = ClientFactory(email="", owner=UserFactory())
    for client in (wa, mail, sms):
        instalment_due(1, client=client)
    collections_morning_job(day=TODAY)
    sent = dict(Message.objects.values_list("to", "channel"))
    assert sent == {"+5215512345678": "whatsapp", mail.email: "email", sms.phone.as_e164: "sms"}


def test_no_reminder_for_a_paid_instalment_nor_twice_for_one_rung(agent):
    paid = instalment_due(7, owner=agent)
    payment_record(
        client=paid.policy.holder, by=agent, amount=D("1500.00"), currency=paid.currency,
        method=PaymentMethod.CASH, paid_on=TODAY - datetime.timedelta(days=1),
        instalments=[paid],
    )  # fmt: skip
    owed = instalment_due(7, owner=agent)
    collections_morning_job(day=TODAY)
    collections_morning_job(day=TODAY + datetime.timedelta(days=1))  # same rung, caught up
    assert list(InstalmentReminder.objects.values_list("instalment_id", flat=True)) == [owed.pk]
    assert Message.objects.count() == 1


def test_a_broken_promise_brings_the_call_back_the_day_after(agent):
    due = instalment_due(-3, owner=agent)
    PaymentPromise.objects.create(instalment=due, promised_on=days(2), made_by=agent)
    collections_morning_job(day=TODAY)
    assert not items().exists()  # the promise is running: no call
    report = collections_morning_job(day=days(3))
    promise = PaymentPromise.objects.get()
    assert promise.status == PromiseStatus.BROKEN and report.promises_broken == 1
    item = items(key=f"promise-{promise.pk}").get()
    assert (item.agent, item.due_on, item.priority) == (agent, days(3), 95)


def test_a_payment_keeps_the_promise_closes_the_calls_and_takes_the_policy_off_the_risk_list(
    agent,
):
    due = instalment_due(-40, owner=agent)
    collections_morning_job(day=TODAY)
    risk = CancellationRisk.objects.get()
    WorkItem.objects.create(kind=PAYMENT_KIND, subject_id=due.pk, key="x", title="t",
                            agent=agent, due_on=TODAY)  # fmt: skip
    PaymentPromise.objects.create(instalment=due, promised_on=TODAY, made_by=agent)
    payment_record(
        client=due.policy.holder, by=agent, amount=D("1500.00"), currency=due.currency,
        method=PaymentMethod.TRANSFER, paid_on=TODAY, instalments=[due],
    )  # fmt: skip
    assert not items(status=ItemStatus.OPEN).exists()
    assert PaymentPromise.objects.get().status == PromiseStatus.KEPT
    risk.refresh_from_db()
    assert (risk.status, risk.decided_by) == (RiskStatus.PAID, agent)


def test_past_the_insurers_grace_the_policy_is_put_at_risk_once(agent):
    early = instalment_due(-11, owner=agent, grace=10)
    instalment_due(-9, owner=agent, grace=10)
    collections_morning_job(day=TODAY)
    risk = CancellationRisk.objects.get()
    assert (risk.policy_id, risk.source, risk.opened_on) == (early.policy_id, RiskSource.GRACE,
                                                             TODAY)  # fmt: skip
    assert risk.history.count() == 1
    manager = UserFactory(roles=["manager"])
    risk_decide(risk=risk, by=manager, decision="keep", note="Pays on Friday, known client")
    collections_morning_job(day=days(1))
    assert CancellationRisk.objects.count() == 1  # decided: not opened again


def test_the_query_count_does_not_grow_with_the_book(agent):
    def run(day):
        with CaptureQueriesContext(connection) as queries:
            collections_morning_job(day=day)
        return len(queries)

    instalment_due(0, owner=agent)
    small = run(TODAY)
    for offset in range(-20, 20):
        instalment_due(offset, owner=UserFactory(roles=["agent"]))
    assert run(days(1)) <= small + 3  # + the reminders' reads and writes, whatever their number


def test_run_morning_jobs_runs_both_pipelines(agent):
    instalment_due(0, owner=agent)
    out = StringIO()
    call_command("run_morning_jobs", "--date", TODAY.isoformat(), stdout=out)
    text = out.getvalue()
    assert "payment calls at +0 days from due: 1" in text
    assert items().count() == 1


def test_a_part_payment_from_a_call_books_a_call_for_the_balance_the_next_day(agent):
    from billing.work import payment_balance_call

    due = instalment_due(0, owner=agent)
    collections_morning_job(day=TODAY)
    item = items().get()
    payment = payment_record(
        client=due.policy.holder, by=agent, amount=D("500.00"), currency=due.currency,
        method=PaymentMethod.CASH, paid_on=TODAY, instalments=[due],
    )  # fmt: skip
    payment_balance_call(item=item, payment=payment)
    balance = items(key=f"balance-{payment.pk}").get()
    assert (balance.agent, balance.status, balance.subject_id) == (agent, "open", due.pk)
    assert balance.due_on == timezone.localdate() + datetime.timedelta(days=1)
    full = payment_record(
        client=due.policy.holder, by=agent, amount=D("1000.00"), currency=due.currency,
        method=PaymentMethod.CASH, paid_on=TODAY, instalments=[due],
    )  # fmt: skip
    payment_balance_call(item=item, payment=full)
    assert not items(key=f"balance-{full.pk}").exists()
    balance.refresh_from_db()
    assert balance.status == ItemStatus.DONE  # the full payment closed it
