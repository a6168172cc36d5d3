"""billing.payments.payment_record: allocation, partial payments, refused overpayments,
idempotency by token, locking, history and the paid hooks."""

import datetime
import threading
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from billing import payments
from billing.models import Allocation, Instalment, InstalmentStatus, Payment, PaymentMethod
from billing.payments import payment_record, register_paid_hook
from billing.tests.factories import InstalmentFactory, instalment_plan
from brokerage.accounts.tests.factories import UserFactory
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def agent():
    return UserFactory(roles=["agent"])


@pytest.fixture
def client_(agent):
    return ClientFactory(owner=agent)


def record(client, by, amount, **kwargs):
    kwargs.setdefault("currency", "MXN")
    kwargs.setdefault("method", PaymentMethod.CASH)
    kwargs.setdefault("paid_on", timezone.localdate())
    return payment_record(client=client, by=by, amount=D(amount), **kwargs)


def fresh(instalments):
    return [Instalment.objects.get(pk=i.pk) for i in instalments]


def test_payment_without_choice_pays_the_oldest_due_first(client_, agent):
    policy = PolicyFactory(holder=client_)
    first, second, third = instalment_plan(policy, count=3)
    payment = record(client_, agent, "1500.00", reference="OXXO 123")
    first, second, third = fresh([first, second, third])
    assert (first.status, first.paid_amount, first.paid_on) == (
        InstalmentStatus.PAID, D("1000.00"), timezone.localdate(),
    )  # fmt: skip
    assert (second.status, second.paid_amount, second.paid_on) == (
        InstalmentStatus.PARTLY_PAID, D("500.00"), None,
    )  # fmt: skip
    assert (third.status, third.paid_amount) == (InstalmentStatus.PENDING, D("0.00"))
    assert sorted(payment.allocations.values_list("instalment_id", "amount")) == [
        (first.pk, D("1000.00")), (second.pk, D("500.00")),
    ]  # fmt: skip
    assert payment.recorded_by == agent
    assert payment.reference == "OXXO 123"


def test_oldest_first_spans_the_client_policies_and_skips_other_currencies(client_, agent):
    older = InstalmentFactory(
        policy=PolicyFactory(holder=client_),
        due_on=timezone.localdate() - datetime.timedelta(days=40),
    )
    dollars = InstalmentFactory(
        policy=PolicyFactory(holder=client_, currency="USD"),
        due_on=timezone.localdate() - datetime.timedelta(days=90),
    )
    newer = InstalmentFactory(policy=PolicyFactory(holder=client_))
    record(client_, agent, "1200.00")
    older, dollars, newer = fresh([older, dollars, newer])
    assert older.status == InstalmentStatus.PAID
    assert newer.paid_amount == D("200.00")
    assert dollars.paid_amount == D("0.00")


def test_chosen_instalments_only(client_, agent):
    first, second = instalment_plan(PolicyFactory(holder=client_), count=2)
    record(client_, agent, "300.00", instalments=[second])
    first, second = fresh([first, second])
    assert first.paid_amount == D("0.00")
    assert (second.status, second.paid_amount) == (InstalmentStatus.PARTLY_PAID, D("300.00"))


def test_partial_payments_add_up_to_paid(client_, agent):
    (only,) = instalment_plan(PolicyFactory(holder=client_), count=1)
    record(client_, agent, "400.00", paid_on=timezone.localdate() - datetime.timedelta(days=3))
    record(client_, agent, "600.00")
    (only,) = fresh([only])
    assert (only.status, only.paid_amount, only.paid_on) == (
        InstalmentStatus.PAID, D("1000.00"), timezone.localdate(),
    )  # fmt: skip
    assert Allocation.objects.filter(instalment=only).count() == 2


def test_an_overdue_instalment_paid_in_part_stays_overdue(client_, agent):
    instalment = InstalmentFactory(
        policy=PolicyFactory(holder=client_), status=InstalmentStatus.OVERDUE
    )
    record(client_, agent, "10.00")
    instalment.refresh_from_db()
    assert (instalment.status, instalment.paid_amount) == (InstalmentStatus.OVERDUE, D("10.00"))


def test_overpayment_is_refused_and_nothing_is_recorded(client_, agent):
    first, second = instalment_plan(PolicyFactory(holder=client_), count=2)
    with pytest.raises(ValidationError) as exc:
        record(client_, agent, "1000.01", instalments=[first])
    assert "amount" in exc.value.error_dict
    assert "1,000.00" in str(exc.value)
    with pytest.raises(ValidationError):
        record(client_, agent, "2000.01")
    assert not Payment.objects.exists()
    assert all(i.paid_amount == 0 for i in fresh([first, second]))


def test_nothing_owed_is_refused(client_, agent):
    InstalmentFactory(policy=PolicyFactory(holder=client_), status=InstalmentStatus.PAID)
    with pytest.raises(ValidationError) as exc:
        record(client_, agent, "5.00")
    assert "amount" in exc.value.error_dict
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "1.001"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"method": "cheque"}, "method"),
        ({"currency": "XXX"}, "currency"),
        ({"paid_on": timezone.localdate() + datetime.timedelta(days=1)}, "paid_on"),
        ({"paid_on": datetime.date(1899, 12, 31)}, "paid_on"),
    ],
)
def test_invalid_input_is_a_field_error(client_, agent, kwargs, field):
    InstalmentFactory(policy=PolicyFactory(holder=client_))
    amount = kwargs.pop("amount", "10.00")
    with pytest.raises(ValidationError) as exc:
        record(client_, agent, amount, **kwargs)
    assert field in exc.value.error_dict
    assert not Payment.objects.exists()


def test_another_clients_or_a_closed_instalment_is_refused(client_, agent):
    mine = InstalmentFactory(policy=PolicyFactory(holder=client_))
    theirs = InstalmentFactory(policy=PolicyFactory(holder=ClientFactory()))
    paid = InstalmentFactory(
        policy=PolicyFactory(holder=client_), status=InstalmentStatus.PAID,
        paid_amount=D("1000.00"),
    )  # fmt: skip
    for chosen in ([mine, theirs], [paid], []):
        with pytest.raises(ValidationError) as exc:
            record(client_, agent, "10.00", instalments=chosen)
        assert "instalments" in exc.value.error_dict
    assert not Payment.objects.exists()


def test_chosen_instalment_in_another_currency_is_refused(client_, agent):
    dollars = InstalmentFactory(policy=PolicyFactory(holder=client_, currency="USD"))
    with pytest.raises(ValidationError) as exc:
        record(client_, agent, "10.00", instalments=[dollars])
    assert "currency" in exc.value.error_dict


def test_same_token_records_once(client_, agent):
    (only,) = instalment_plan(PolicyFactory(holder=client_), count=1)
    token = uuid.uuid4()
    first = record(client_, agent, "100.00", token=token)
    again = record(client_, agent, "100.00", token=token)
    assert again.pk == first.pk
    assert Payment.objects.count() == 1
    (only,) = fresh([only])
    assert only.paid_amount == D("100.00")


def test_history_names_who_recorded(client_, agent):
    (only,) = instalment_plan(PolicyFactory(holder=client_), count=1)
    payment = record(client_, agent, "1000.00")
    latest = Instalment.history.filter(id=only.pk).latest("history_date")
    assert latest.history_user == agent
    assert latest.status == InstalmentStatus.PAID
    assert payment.history.get().history_user == agent


def test_paid_hooks_are_called_in_the_transaction(client_, agent, monkeypatch):
    first, second = instalment_plan(PolicyFactory(holder=client_), count=2)
    calls = []
    monkeypatch.setattr(payments, "PAID_HOOKS", [])

    @register_paid_hook
    def hook(*, payment, instalments):
        calls.append((payment.pk, [(i.pk, i.status) for i in instalments]))
        assert connection.in_atomic_block

    payment = record(client_, agent, "1200.00")
    assert calls == [
        (payment.pk, [(first.pk, InstalmentStatus.PAID), (second.pk, InstalmentStatus.PARTLY_PAID)])
    ]


def test_a_failing_hook_rolls_the_payment_back(client_, agent, monkeypatch):
    (only,) = instalment_plan(PolicyFactory(holder=client_), count=1)

    def hook(**kwargs):
        raise RuntimeError("queue down")

    monkeypatch.setattr(payments, "PAID_HOOKS", [hook])
    with pytest.raises(RuntimeError):
        record(client_, agent, "10.00")
    assert not Payment.objects.exists()
    assert fresh([only])[0].paid_amount == 0


@pytest.mark.django_db(transaction=True)
def test_two_payments_at_once_cannot_overpay():
    """Two clerks record 700 each against a 1000 instalment at the same moment: the lock makes
    the second read what the first left owing, so one is recorded and the other refused."""
    agent = UserFactory(roles=["agent"])
    client = ClientFactory(owner=agent)
    (only,) = instalment_plan(PolicyFactory(holder=client), count=1)
    barrier = threading.Barrier(2)
    outcomes = []

    def clerk():
        try:
            barrier.wait()
            record(client, agent, "700.00")
            outcomes.append("recorded")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=clerk) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["recorded", "refused"]
    assert Instalment.objects.get(pk=only.pk).paid_amount == D("700.00")
    assert Payment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_token_twice_at_once_records_once():
    agent = UserFactory(roles=["agent"])
    client = ClientFactory(owner=agent)
    (only,) = instalment_plan(PolicyFactory(holder=client), count=1)
    token = uuid.uuid4()
    barrier = threading.Barrier(2)
    results = []

    def click():
        try:
            barrier.wait()
            results.append(record(client, agent, "100.00", token=token).pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2 and len(set(results)) == 1
    assert Instalment.objects.get(pk=only.pk).paid_amount == D("100.00")


def test_void_takes_the_payment_off_its_instalments(client_, agent):
    first, second = instalment_plan(PolicyFactory(holder=client_), count=2)
    kept = record(client_, agent, "300.00", instalments=[first])
    mistake = record(client_, agent, "1200.00")
    mistake_pk = mistake.pk
    maintainer = UserFactory(roles=["maintainer"])
    payments.payment_void(payment=mistake, by=maintainer, reason="Typed twice")
    first, second = fresh([first, second])
    assert (first.status, first.paid_amount, first.paid_on) == (
        InstalmentStatus.PARTLY_PAID, D("300.00"), None,
    )  # fmt: skip
    assert (second.status, second.paid_amount) == (InstalmentStatus.PENDING, D("0.00"))
    assert list(Payment.objects.all()) == [kept]
    deleted = Payment.history.filter(id=mistake_pk, history_type="-").get()
    assert (deleted.history_user, deleted.history_change_reason) == (maintainer, "Typed twice")


def test_void_needs_a_reason(client_, agent):
    instalment_plan(PolicyFactory(holder=client_), count=1)
    payment = record(client_, agent, "10.00")
    with pytest.raises(ValidationError):
        payments.payment_void(payment=payment, by=UserFactory(roles=["manager"]), reason="  ")
    assert Payment.objects.filter(pk=payment.pk).exists()


def test_an_agent_cannot_void_even_through_the_service(client_, agent):
    instalment_plan(PolicyFactory(holder=client_), count=1)
    payment = record(client_, agent, "10.00")
    with pytest.raises(PermissionDenied):
        payments.payment_void(payment=payment, by=agent, reason="Typed twice")
    assert Payment.objects.filter(pk=payment.pk).exists()
