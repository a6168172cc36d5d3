"""billing.payments.payments_record_many: the set-based twin of payment_record (an insurer's
collection report records thousands of payments at once): the same rows as payment_record,
refusals per spec, idempotent by token, the hooks' batch form, a fixed number of queries."""

import datetime
import threading
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing import payments
from billing.kind import PAID, PAYMENT_KIND
from billing.models import (
    Allocation,
    CancellationRisk,
    Instalment,
    InstalmentStatus,
    Payment,
    PaymentMethod,
    PaymentPromise,
    PromiseStatus,
    RiskSource,
    RiskStatus,
)
from billing.payments import PaymentSpec, payment_record, payments_record_many
from billing.tests.factories import InstalmentFactory, instalment_plan
from billing.work import risk_open
from brokerage.accounts.tests.factories import UserFactory
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory
from workqueue.models import ItemStatus, WorkItem

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = timezone.localdate()
YESTERDAY = TODAY - datetime.timedelta(days=1)


@pytest.fixture
def agent():
    return UserFactory(roles=["agent"])


def spec(instalment, amount, **kwargs) -> PaymentSpec:
    kwargs.setdefault("currency", instalment.currency)
    kwargs.setdefault("method", PaymentMethod.AT_INSURER)
    kwargs.setdefault("paid_on", TODAY)
    kwargs.setdefault("client", instalment.policy.holder_id)
    return PaymentSpec(instalment=instalment.pk, amount=D(amount), **kwargs)


def world(agent) -> list[Instalment]:
    """A client with four instalments of 1,000.00 (the first overdue), an open payment call on
    each, an open promise on the third (for yesterday) and the fourth (for the day before), and
    the third's policy on the at-risk list."""
    client = ClientFactory(owner=agent)
    plan = instalment_plan(PolicyFactory(holder=client), count=4)
    Instalment.objects.filter(pk=plan[0].pk).update(status=InstalmentStatus.OVERDUE)
    for n, instalment in enumerate(plan):
        WorkItem.objects.create(kind=PAYMENT_KIND, subject_id=instalment.pk, key=f"k{n}",
                                title="t", agent=agent, due_on=TODAY)  # fmt: skip
    PaymentPromise.objects.create(instalment=plan[2], promised_on=YESTERDAY, made_by=agent)
    PaymentPromise.objects.create(
        instalment=plan[3], promised_on=YESTERDAY - datetime.timedelta(days=1), made_by=agent
    )
    risk_open(instalment=plan[2], source=RiskSource.GRACE)
    return [Instalment.objects.get(pk=i.pk) for i in plan]


# (instalment index, amount, paid on): part of the overdue one, part of the second, all of
# the third (paid yesterday: its promise kept), the fourth in two parts (its promise broken),
# and an overpayment of the second (refused).
MIX = [
    (0, "250.00", TODAY),
    (1, "400.00", TODAY),
    (2, "1000.00", YESTERDAY),
    (3, "400.00", TODAY),
    (3, "600.00", TODAY),
    (1, "700.00", TODAY),
]


def snapshot(plan: list[Instalment]) -> dict:
    """Everything a payment writes about these instalments, by instalment number."""
    ids = {i.pk: i.number for i in plan}
    out = {}
    for i in Instalment.objects.filter(pk__in=ids).order_by("number"):
        history = list(
            Instalment.history.filter(id=i.pk)
            .order_by("history_date", "history_id")
            .values_list("history_type", "status", "paid_amount", "paid_on", "history_user_id")
        )
        out[i.number] = {
            "instalment": (i.status, i.paid_amount, i.paid_on),
            "history": history,
            "allocations": sorted(
                (a.amount, a.payment.amount, a.payment.paid_on, a.payment.method)
                for a in Allocation.objects.filter(instalment=i).select_related("payment")
            ),
            "items": sorted(
                WorkItem.objects.filter(kind=PAYMENT_KIND, subject_id=i.pk).values_list(
                    "status", "result"
                )
            ),
            "promises": sorted(
                PaymentPromise.objects.filter(instalment=i).values_list("status", "settled_on")
            ),
            "risks": sorted(
                CancellationRisk.objects.filter(instalment=i).values_list("status", "decided_by_id")
            ),
            "risk_history": sorted(
                CancellationRisk.history.filter(instalment_id=i.pk).values_list(
                    "history_type", "status", "history_user_id"
                )
            ),
        }
    return out


def test_a_mix_of_rows_writes_what_payment_record_writes(agent):
    one, many = world(agent), world(agent)
    refused_one = []
    for index, amount, paid_on in MIX:
        i = one[index]
        try:
            payment_record(
                client=i.policy.holder, by=agent, amount=D(amount), currency=i.currency,
                method=PaymentMethod.AT_INSURER, paid_on=paid_on, instalments=[i],
            )  # fmt: skip
        except ValidationError as exc:
            refused_one.append(exc.message_dict)
    results = payments_record_many(
        specs=[spec(many[index], amount, paid_on=paid_on) for index, amount, paid_on in MIX],
        by=agent,
    )
    assert [r.error.message_dict for r in results if r.error] == refused_one
    assert [r.payment is None for r in results] == [False] * 5 + [True]
    assert Payment.history.filter(id__in=[r.payment.pk for r in results[:5]]).count() == 5
    a, b = snapshot(one), snapshot(many)
    # The fourth, paid by two specs of the batch, has one history row for the batch (its
    # values after both) where payment_record writes one per payment.
    assert len(a[4]["history"]) == 3 and len(b[4]["history"]) == 2
    assert a[4]["history"][::2] == b[4]["history"]
    a[4]["history"] = b[4]["history"]
    assert a == b
    # What that is, spelled out.
    assert b[1]["instalment"] == (InstalmentStatus.OVERDUE, D("250.00"), None)
    assert b[2]["instalment"] == (InstalmentStatus.PARTLY_PAID, D("400.00"), None)
    assert b[3]["instalment"] == (InstalmentStatus.PAID, D("1000.00"), YESTERDAY)
    assert b[4]["instalment"] == (InstalmentStatus.PAID, D("1000.00"), TODAY)
    assert b[4]["history"][-1][0] == "~" and b[4]["history"][-1][4] == agent.pk
    assert b[1]["items"] == b[2]["items"] == [(ItemStatus.OPEN, "")]
    assert b[3]["items"] == b[4]["items"] == [(ItemStatus.DONE, PAID.code)]
    assert b[3]["promises"] == [(PromiseStatus.KEPT, YESTERDAY)]
    assert b[4]["promises"] == [(PromiseStatus.BROKEN, TODAY)]
    assert b[3]["risks"] == [(RiskStatus.PAID, agent.pk)]
    assert ("~", RiskStatus.PAID, agent.pk) in b[3]["risk_history"]


def refusal_cases(agent):
    client = ClientFactory(owner=agent)
    policy = PolicyFactory(holder=client)
    owed, paid, cancelled = instalment_plan(policy, count=3)
    Instalment.objects.filter(pk=paid.pk).update(
        status=InstalmentStatus.PAID, paid_amount=D("1000.00"), paid_on=YESTERDAY
    )
    Instalment.objects.filter(pk=cancelled.pk).update(status=InstalmentStatus.CANCELLED)
    dollars = InstalmentFactory(policy=PolicyFactory(holder=client, currency="USD"))
    others = InstalmentFactory(policy=PolicyFactory(holder=ClientFactory(owner=agent)))
    return {
        "amount zero": (owed, "0.00", {}),
        "three decimals": (owed, "10.005", {}),
        "unknown method": (owed, "10.00", {"method": "barter"}),
        "future date": (owed, "10.00", {"paid_on": TODAY + datetime.timedelta(days=1)}),
        "too early": (owed, "10.00", {"paid_on": datetime.date(1899, 12, 31)}),
        "overpayment": (owed, "1000.01", {}),
        "already paid": (paid, "10.00", {}),
        "cancelled": (cancelled, "10.00", {}),
        "other currency": (dollars, "10.00", {"currency": "MXN"}),
        "another client's": (others, "10.00", {"client": client.pk}),
    }


def test_each_refusal_is_the_one_payment_record_gives_and_writes_nothing(agent):
    cases = refusal_cases(agent)
    expected = {}
    for name, (i, amount, kwargs) in cases.items():
        single = {
            "client": i.policy.holder, "currency": i.currency, "method": PaymentMethod.AT_INSURER,
            "paid_on": TODAY, **kwargs,
        }  # fmt: skip
        if isinstance(single["client"], int):
            single["client"] = ClientFactory.build(pk=single["client"])
        with pytest.raises(ValidationError) as raised:
            payment_record(by=agent, amount=D(amount), instalments=[i], **single)
        expected[name] = raised.value.message_dict
    before = list(Instalment.objects.order_by("pk").values_list("status", "paid_amount"))
    history = Instalment.history.count()
    good = Instalment.objects.filter(status=InstalmentStatus.PENDING, currency="MXN").first()
    specs = [spec(i, amount, **kwargs) for i, amount, kwargs in cases.values()]
    results = payments_record_many(specs=[*specs, spec(good, "1.00")], by=agent)
    assert {n: r.error.message_dict for n, r in zip(cases, results, strict=False)} == expected
    assert all(r.payment is None and r.reason for r in results[:-1])
    assert results[-1].payment.pk and results[-1].error is None  # the good one is recorded
    assert Payment.objects.count() == 1
    after = dict(Instalment.objects.values_list("pk", "paid_amount"))
    assert after[good.pk] == D("1.00")
    assert Instalment.history.count() == history + 1
    assert len(before) == len(after)


def test_the_same_tokens_twice_record_once(agent):
    plan = instalment_plan(PolicyFactory(holder=ClientFactory(owner=agent)), count=3)
    specs = [spec(i, "300.00", token=uuid.uuid4()) for i in plan]
    first = payments_record_many(specs=specs, by=agent)
    history = Instalment.history.count(), Payment.history.count()
    second = payments_record_many(specs=specs, by=agent)
    assert [r.payment.pk for r in first] == [r.payment.pk for r in second]
    assert [r.already for r in first] == [False] * 3
    assert [r.already for r in second] == [True] * 3
    assert Payment.objects.count() == 3
    assert (Instalment.history.count(), Payment.history.count()) == history
    assert {i.paid_amount for i in Instalment.objects.filter(pk__in=[i.pk for i in plan])} == {
        D("300.00")
    }


def test_a_token_recorded_by_payment_record_is_already_recorded(agent):
    (only,) = instalment_plan(PolicyFactory(holder=ClientFactory(owner=agent)), count=1)
    token = uuid.uuid4()
    payment = payment_record(
        client=only.policy.holder, by=agent, amount=D("100.00"), currency="MXN",
        method=PaymentMethod.CASH, paid_on=TODAY, instalments=[only], token=token,
    )  # fmt: skip
    (result,) = payments_record_many(specs=[spec(only, "100.00", token=token)], by=agent)
    assert (result.payment, result.already) == (payment, True)
    assert Instalment.objects.get(pk=only.pk).paid_amount == D("100.00")


@pytest.mark.django_db(transaction=True)
def test_the_same_batch_twice_at_once_records_once():
    agent = UserFactory(roles=["agent"])
    plan = instalment_plan(PolicyFactory(holder=ClientFactory(owner=agent)), count=3)
    specs = [spec(i, "1000.00", token=uuid.uuid4()) for i in plan]
    barrier = threading.Barrier(2)
    outcomes = []

    def importer():
        try:
            barrier.wait()
            outcomes.append([(r.payment.pk, r.already) for r in payments_record_many(
                specs=specs, by=agent)])  # fmt: skip
        finally:
            connection.close()

    threads = [threading.Thread(target=importer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 2
    assert [pk for pk, _already in outcomes[0]] == [pk for pk, _already in outcomes[1]]
    assert (
        sorted(already for outcome in outcomes for _pk, already in outcome)
        == [False] * 3 + [True] * 3
    )
    assert Payment.objects.count() == 3
    assert all(
        i.status == InstalmentStatus.PAID and i.paid_amount == D("1000.00")
        for i in Instalment.objects.all()
    )


def test_hooks_without_a_batch_form_are_called_per_payment_and_batch_ones_once(agent, monkeypatch):
    plan = instalment_plan(PolicyFactory(holder=ClientFactory(owner=agent)), count=2)
    single, batch = [], []

    def spy(*, payment, instalments):
        single.append((payment.pk, [i.pk for i in instalments]))

    def spy_many(*, payments, instalments):
        batch.append(([p.pk for p in payments], sorted(i.pk for i in instalments)))

    monkeypatch.setattr(payments, "PAID_HOOKS", [*payments.PAID_HOOKS, spy])
    monkeypatch.setattr(payments, "PAID_MANY_HOOKS", list(payments.PAID_MANY_HOOKS))
    payments.register_paid_many_hook(spy_many, replaces=lambda **kw: None)
    results = payments_record_many(specs=[spec(i, "10.00") for i in plan], by=agent)
    pks = [r.payment.pk for r in results]
    assert single == [(pks[0], [plan[0].pk]), (pks[1], [plan[1].pk])]
    assert batch == [(pks, sorted(i.pk for i in plan))]


def test_a_failing_batch_hook_rolls_the_whole_batch_back(agent, monkeypatch):
    plan = instalment_plan(PolicyFactory(holder=ClientFactory(owner=agent)), count=2)

    def boom(**kwargs):
        raise RuntimeError("hook failed")

    monkeypatch.setattr(payments, "PAID_MANY_HOOKS", [*payments.PAID_MANY_HOOKS, boom])
    with pytest.raises(RuntimeError):
        payments_record_many(specs=[spec(i, "10.00") for i in plan], by=agent)
    assert not Payment.objects.exists() and not Allocation.objects.exists()
    assert {i.paid_amount for i in Instalment.objects.all()} == {D("0.00")}


def batch_of(agent, size: int) -> list[PaymentSpec]:
    """``size`` instalments of as many clients, each with an open call, a promise and an
    at-risk entry; all paid in full."""
    specs = []
    for _n in range(size):
        (i,) = instalment_plan(PolicyFactory(holder=ClientFactory(owner=agent)), count=1)
        WorkItem.objects.create(kind=PAYMENT_KIND, subject_id=i.pk, key="k", title="t",
                                agent=agent, due_on=TODAY)  # fmt: skip
        PaymentPromise.objects.create(instalment=i, promised_on=TODAY, made_by=agent)
        risk_open(instalment=i, source=RiskSource.GRACE)
        specs.append(spec(i, "1000.00", token=uuid.uuid4()))
    return specs


def test_a_batch_takes_a_fixed_number_of_queries_whatever_its_size(
    agent, django_assert_max_num_queries
):
    counts = []
    for size in (5, 200):
        specs = batch_of(agent, size)
        with CaptureQueriesContext(connection) as queries:
            results = payments_record_many(specs=specs, by=agent)
        assert all(r.payment is not None and not r.already for r in results)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert WorkItem.objects.filter(kind=PAYMENT_KIND, status=ItemStatus.OPEN).count() == 0
    assert set(PaymentPromise.objects.values_list("status", flat=True)) == {PromiseStatus.KEPT}
    assert set(CancellationRisk.objects.values_list("status", flat=True)) == {RiskStatus.PAID}
    specs = batch_of(agent, 50)
    with django_assert_max_num_queries(12):
        payments_record_many(specs=specs, by=agent)
    with django_assert_max_num_queries(4):  # all recorded already: lock, tokens
        payments_record_many(specs=specs, by=agent)
