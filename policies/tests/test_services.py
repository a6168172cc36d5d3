import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from clients.models import ClientStatus
from clients.tests.factories import ClientFactory
from policies.models import (
    Insurer,
    Line,
    Policy,
    PolicyStatus,
    Quotation,
    QuotationStatus,
    Quote,
    QuoteStatus,
    Vehicle,
)
from policies.services import (
    insurer_save,
    policy_cancel,
    policy_create,
    policy_update,
    quotation_create,
    quotation_schedule_follow_up,
    quote_accept,
    quote_add,
    quote_decline,
    quotes_expire,
    vehicle_save,
)
from policies.tests.factories import (
    InsurerFactory,
    PolicyFactory,
    QuotationFactory,
    QuoteFactory,
    VehicleFactory,
    make_vin,
)
from workqueue.models import ItemStatus, WorkItem

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _today():
    return timezone.localdate()


def _policy_fields(insurer, **overrides):
    start = _today()
    fields = {
        "number": "AUT-1001",
        "insurer": insurer,
        "line": Line.AUTO,
        "coverage": "Amplia",
        "premium": Decimal("12500.00"),
        "start_date": start,
        "end_date": start + 365 * DAY,
    }
    fields.update(overrides)
    return fields


def _vehicle(serial=1, **overrides):
    data = {
        "make": "Nissan",
        "model": "Versa",
        "year": 2022,
        "vin": make_vin(serial),
        "plate": f"abc-12-{serial:02d}",
    }
    data.update(overrides)
    return data


@pytest.fixture
def prospect(agent):
    return ClientFactory(owner=agent, status=ClientStatus.PROSPECT)


# --- policy_create ------------------------------------------------------------------------


def test_it_creates_an_auto_policy_with_its_vehicle(agent, prospect):
    insurer = InsurerFactory()
    vin = make_vin(5)
    typed_vin = f" {vin[:9].lower()} {vin[9:]} "

    policy = policy_create(
        by=agent,
        holder=prospect,
        vehicles=[_vehicle(vin=typed_vin, plate="abc-12-34")],
        **_policy_fields(insurer, number=" aut-1001 "),
    )

    policy.refresh_from_db()
    assert policy.number == "AUT-1001"
    assert policy.status == PolicyStatus.ACTIVE
    assert policy.premium == Decimal("12500.00")
    vehicle = policy.vehicles.get()
    assert (vehicle.vin, vehicle.plate) == (vin, "ABC1234")
    assert vehicle.history.get().history_user == agent
    assert policy.history.get().history_user == agent


def test_it_defaults_the_agent_to_the_holders_owner(agent, prospect, maintainer):
    policy = policy_create(by=maintainer, holder=prospect, **_policy_fields(InsurerFactory()))
    assert Policy.objects.get(pk=policy.pk).agent == agent


def test_it_keeps_an_agent_chosen_for_the_policy(prospect, maintainer):
    other = UserFactory(roles=["agent"])
    policy = policy_create(
        by=maintainer, holder=prospect, **_policy_fields(InsurerFactory(), agent=other)
    )
    assert Policy.objects.get(pk=policy.pk).agent == other


def test_it_makes_a_prospect_an_active_client(agent, prospect):
    policy_create(by=agent, holder=prospect, **_policy_fields(InsurerFactory()))

    prospect.refresh_from_db()
    assert prospect.status == ClientStatus.ACTIVE
    record = prospect.history.first()
    assert record.history_user == agent
    assert record.prev_record.status == ClientStatus.PROSPECT


def test_it_refuses_a_number_the_insurer_already_used(agent, prospect):
    insurer = InsurerFactory()
    PolicyFactory(insurer=insurer, number="AUT-1001")

    with pytest.raises(ValidationError) as excinfo:
        policy_create(
            by=agent,
            holder=prospect,
            vehicles=[_vehicle()],
            **_policy_fields(insurer, number="aut-1001"),
        )

    assert "AUT-1001" in excinfo.value.message_dict["number"][0]
    assert Policy.objects.count() == 1
    assert not Vehicle.objects.exists()
    prospect.refresh_from_db()
    assert prospect.status == ClientStatus.PROSPECT


def test_it_allows_the_same_number_at_another_insurer(agent, prospect):
    PolicyFactory(insurer=InsurerFactory(), number="AUT-1001")

    policy_create(by=agent, holder=prospect, **_policy_fields(InsurerFactory()))

    assert Policy.objects.filter(number="AUT-1001").count() == 2


@pytest.mark.parametrize("days", [0, -1], ids=["same-day", "before"])
def test_it_refuses_an_end_date_not_after_the_start(agent, prospect, days):
    start = _today()
    with pytest.raises(ValidationError) as excinfo:
        policy_create(
            by=agent,
            holder=prospect,
            **_policy_fields(InsurerFactory(), start_date=start, end_date=start + days * DAY),
        )

    assert list(excinfo.value.message_dict) == ["end_date"]
    assert not Policy.objects.exists()


def test_it_refuses_a_negative_premium(agent, prospect):
    with pytest.raises(ValidationError) as excinfo:
        policy_create(
            by=agent, holder=prospect, **_policy_fields(InsurerFactory(), premium=Decimal("-1"))
        )

    assert "premium" in excinfo.value.message_dict
    assert not Policy.objects.exists()


def test_it_refuses_a_vehicle_with_a_bad_vin(agent, prospect):
    vin = make_vin(8)
    bad = vin[:10] + "O" + vin[11:]

    with pytest.raises(ValidationError) as excinfo:
        policy_create(
            by=agent,
            holder=prospect,
            vehicles=[_vehicle(vin=bad)],
            **_policy_fields(InsurerFactory()),
        )

    assert "Character 11 is “O”" in excinfo.value.message_dict["vin"][0]
    assert not Policy.objects.exists()
    assert not Vehicle.objects.exists()


def test_it_names_which_vehicle_has_the_bad_vin(agent, prospect):
    vin = make_vin(9)
    typo = vin[:12] + ("1" if vin[12] != "1" else "2") + vin[13:]

    with pytest.raises(ValidationError) as excinfo:
        policy_create(
            by=agent,
            holder=prospect,
            vehicles=[_vehicle(1), _vehicle(2, vin=typo)],
            **_policy_fields(InsurerFactory()),
        )

    assert list(excinfo.value.message_dict) == ["vehicle_2_vin"]
    assert "check digit" in excinfo.value.message_dict["vehicle_2_vin"][0]
    assert not Policy.objects.exists()
    assert not Vehicle.objects.exists()


def test_it_refuses_vehicles_on_a_policy_that_is_not_auto(agent, prospect):
    with pytest.raises(ValidationError, match="Only auto policies carry vehicles"):
        policy_create(
            by=agent,
            holder=prospect,
            vehicles=[_vehicle()],
            **_policy_fields(InsurerFactory(), line=Line.HEALTH),
        )

    assert not Policy.objects.exists()
    prospect.refresh_from_db()
    assert prospect.status == ClientStatus.PROSPECT


def test_it_renews_the_previous_policy(agent):
    old = PolicyFactory(holder=ClientFactory(owner=agent))

    new = policy_create(
        by=agent,
        holder=old.holder,
        previous_policy=old,
        **_policy_fields(old.insurer, number="AUT-2002", start_date=old.end_date),
    )

    old.refresh_from_db()
    assert old.status == PolicyStatus.RENEWED
    assert old.history.first().history_user == agent
    assert list(old.renewals.all()) == [new]


# --- policy_update and vehicles ---------------------------------------------------------


def test_it_records_who_changed_a_policy(agent, manager):
    policy = policy_create(
        by=agent, holder=ClientFactory(owner=agent), **_policy_fields(InsurerFactory())
    )

    policy_update(policy=policy, by=manager, data={"premium": Decimal("13000.00")})

    record = policy.history.first()
    assert record.history_type == "~"
    assert record.history_user == manager
    changes = {c.field: (c.old, c.new) for c in record.diff_against(record.prev_record).changes}
    assert changes == {"premium": (Decimal("12500.00"), Decimal("13000.00"))}


def test_it_refuses_to_renumber_a_policy_onto_an_existing_number(agent):
    insurer = InsurerFactory()
    PolicyFactory(insurer=insurer, number="AUT-1")
    policy = PolicyFactory(insurer=insurer, number="AUT-2")

    with pytest.raises(ValidationError) as excinfo:
        policy_update(policy=policy, by=agent, data={"number": " aut-1 "})

    assert "number" in excinfo.value.message_dict
    assert Policy.objects.get(pk=policy.pk).number == "AUT-2"


def test_it_refuses_an_update_that_ends_before_the_start(agent):
    policy = PolicyFactory()

    with pytest.raises(ValidationError) as excinfo:
        policy_update(policy=policy, by=agent, data={"end_date": policy.start_date})

    assert "end_date" in excinfo.value.message_dict
    assert Policy.objects.get(pk=policy.pk).end_date == policy.start_date + 365 * DAY


def test_it_changes_a_vehicle_with_history(agent):
    vehicle = VehicleFactory()

    vehicle_save(policy=vehicle.policy, by=agent, vehicle=vehicle, data={"plate": "xyz 99 88"})

    vehicle.refresh_from_db()
    assert vehicle.plate == "XYZ9988"
    assert vehicle.history.first().history_user == agent


def test_it_refuses_a_vehicle_on_a_life_policy(agent):
    policy = PolicyFactory(line=Line.LIFE)

    with pytest.raises(ValidationError):
        vehicle_save(policy=policy, by=agent, data=_vehicle())

    assert not Vehicle.objects.exists()


# --- policy_cancel ------------------------------------------------------------------------


def test_it_cancels_a_policy_with_a_reason_and_a_date(agent):
    policy = PolicyFactory()
    on = _today()

    policy_cancel(policy=policy, by=agent, reason="  Vendió el auto  ", on=on)

    policy.refresh_from_db()
    assert policy.status == PolicyStatus.CANCELLED
    assert policy.cancelled_on == on
    assert policy.cancel_reason == "Vendió el auto"
    record = policy.history.first()
    assert record.history_user == agent
    assert record.history_change_reason == "cancelled"


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_it_needs_a_reason_to_cancel(agent, reason):
    policy = PolicyFactory()

    with pytest.raises(ValidationError) as excinfo:
        policy_cancel(policy=policy, by=agent, reason=reason, on=_today())

    assert list(excinfo.value.message_dict) == ["reason"]
    assert Policy.objects.get(pk=policy.pk).status == PolicyStatus.ACTIVE


@pytest.mark.parametrize("where", ["before-start", "after-end", "missing"])
def test_it_needs_a_date_within_the_policys_validity(agent, where):
    policy = PolicyFactory()
    on = {
        "before-start": policy.start_date - DAY,
        "after-end": policy.end_date + DAY,
        "missing": None,
    }[where]

    with pytest.raises(ValidationError) as excinfo:
        policy_cancel(policy=policy, by=agent, reason="Vendió el auto", on=on)

    assert list(excinfo.value.message_dict) == ["on"]
    stored = Policy.objects.get(pk=policy.pk)
    assert (stored.status, stored.cancelled_on) == (PolicyStatus.ACTIVE, None)


@pytest.mark.parametrize("status", [PolicyStatus.CANCELLED, PolicyStatus.EXPIRED])
def test_it_cancels_only_an_active_policy(agent, status):
    policy = PolicyFactory(status=status)

    with pytest.raises(ValidationError, match="Only an active policy can be cancelled"):
        policy_cancel(policy=policy, by=agent, reason="otra vez", on=_today())

    assert policy.history.count() == 1


# --- quotations and quotes --------------------------------------------------------------


def _quote(insurer, premium):
    return {
        "insurer": insurer,
        "premium": Decimal(premium),
        "coverage": f"Amplia con {insurer.code}",
        "valid_until": _today() + 30 * DAY,
    }


@pytest.fixture
def three_insurers():
    return (
        InsurerFactory(name="Aseguradora A"),
        InsurerFactory(name="Aseguradora B", preferred=True),
        InsurerFactory(name="Aseguradora C"),
    )


@pytest.fixture
def quotation(agent, three_insurers):
    a, b, c = three_insurers
    client = ClientFactory(owner=agent, status=ClientStatus.PROSPECT)
    return quotation_create(
        client=client,
        by=agent,
        line=Line.AUTO,
        description="Seguro para la camioneta",
        quotes=[_quote(a, "9000.00"), _quote(b, "12000.00"), _quote(c, "8000.00")],
    )


def test_it_creates_a_quotation_with_the_preferred_insurer_first(agent, quotation, three_insurers):
    a, b, c = three_insurers
    quotes = list(quotation.quotes.all())
    assert [q.insurer for q in quotes] == [b, c, a]
    assert all(q.status == QuoteStatus.OPEN for q in quotes)
    assert all(q.history.get().history_user == agent for q in quotes)
    assert quotation.status == QuotationStatus.OPEN
    assert quotation.created_by == agent


def test_it_needs_at_least_one_quote(agent):
    with pytest.raises(ValidationError, match="at least one quote"):
        quotation_create(
            client=ClientFactory(owner=agent), by=agent, line=Line.AUTO, description="x", quotes=[]
        )
    assert not Quotation.objects.exists()


def test_it_saves_nothing_when_a_quote_is_invalid(agent):
    insurer = InsurerFactory()
    with pytest.raises(ValidationError) as excinfo:
        quotation_create(
            client=ClientFactory(owner=agent),
            by=agent,
            line=Line.AUTO,
            description="x",
            quotes=[_quote(insurer, "100.00"), _quote(insurer, "-5.00")],
        )
    assert "premium" in excinfo.value.message_dict
    assert not Quotation.objects.exists()
    assert not Quote.objects.exists()


def test_it_turns_an_accepted_quote_into_a_policy(agent, manager, quotation, three_insurers):
    a, b, c = three_insurers
    chosen = quotation.quotes.get(insurer=c)
    start = _today()

    policy = quote_accept(
        quote=chosen,
        by=manager,
        number="c-555",
        start_date=start,
        end_date=start + 365 * DAY,
        payment_frequency="monthly",
        vehicles=[_vehicle()],
    )

    policy.refresh_from_db()
    assert policy.insurer == c
    assert policy.premium == Decimal("8000.00")
    assert policy.coverage == f"Amplia con {c.code}"
    assert (policy.number, policy.line, policy.holder) == ("C-555", Line.AUTO, quotation.client)
    assert policy.source_quote == chosen
    assert policy.agent == agent
    assert policy.vehicles.count() == 1
    statuses = dict(quotation.quotes.values_list("insurer", "status"))
    assert statuses == {
        a.pk: QuoteStatus.DECLINED,
        b.pk: QuoteStatus.DECLINED,
        c.pk: QuoteStatus.ACCEPTED,
    }
    for quote in quotation.quotes.all():
        assert quote.history.first().history_user == manager
    quotation.refresh_from_db()
    assert quotation.status == QuotationStatus.WON
    assert Policy.objects.get(pk=policy.pk).holder.status == ClientStatus.ACTIVE


def test_it_accepts_a_quote_only_once(agent, quotation):
    quote = quotation.quotes.first()
    start = _today()
    terms = {
        "start_date": start,
        "end_date": start + 365 * DAY,
        "payment_frequency": "annual",
    }
    quote_accept(quote=quote, by=agent, number="P-1", **terms)

    with pytest.raises(ValidationError, match="Only an open quote can be accepted"):
        quote_accept(quote=quote, by=agent, number="P-2", **terms)
    other = quotation.quotes.exclude(pk=quote.pk).first()
    with pytest.raises(ValidationError, match="Only an open quote can be accepted"):
        quote_accept(quote=other, by=agent, number="P-3", **terms)

    assert Policy.objects.count() == 1


def test_it_leaves_the_quotation_open_while_quotes_remain(agent, quotation):
    quote_decline(quote=quotation.quotes.first(), by=agent)

    quotation.refresh_from_db()
    assert quotation.status == QuotationStatus.OPEN
    assert not WorkItem.objects.exists()


def test_it_loses_the_quotation_and_schedules_a_follow_up_when_all_are_declined(
    agent, manager, quotation, settings
):
    settings.QUOTE_FOLLOW_UP_DAYS = 5
    for quote in quotation.quotes.all():
        quote_decline(quote=quote, by=manager)

    quotation.refresh_from_db()
    assert quotation.status == QuotationStatus.LOST
    assert set(quotation.quotes.values_list("status", flat=True)) == {QuoteStatus.DECLINED}
    item = WorkItem.objects.get()
    assert item.kind == "quote_follow_up"
    assert item.subject_id == quotation.pk
    assert item.agent == agent
    assert item.due_on == _today() + 5 * DAY
    assert item.status == ItemStatus.OPEN
    assert quotation.follow_up_on == item.due_on
    assert quotation.quotes.first().history.first().history_user == manager


def test_it_declines_only_an_open_quote(agent, quotation):
    quote = quotation.quotes.first()
    quote_decline(quote=quote, by=agent)

    with pytest.raises(ValidationError, match="Only an open quote can be declined"):
        quote_decline(quote=quote, by=agent)


def test_it_adds_quotes_only_to_an_open_quotation(agent, quotation):
    for quote in quotation.quotes.all():
        quote_decline(quote=quote, by=agent)

    with pytest.raises(ValidationError, match="closed"):
        quote_add(quotation=quotation, by=agent, **_quote(InsurerFactory(), "100.00"))


def test_it_refuses_a_follow_up_in_the_past(agent):
    quotation = QuotationFactory(client=ClientFactory(owner=agent))

    with pytest.raises(ValidationError) as excinfo:
        quotation_schedule_follow_up(quotation=quotation, by=agent, on=_today() - DAY)

    assert "on" in excinfo.value.message_dict
    assert not WorkItem.objects.exists()
    assert Quotation.objects.get(pk=quotation.pk).follow_up_on is None


def test_it_moves_a_follow_up_instead_of_adding_one(agent):
    quotation = QuotationFactory(client=ClientFactory(owner=agent))

    first = quotation_schedule_follow_up(quotation=quotation, by=agent, on=_today())
    second = quotation_schedule_follow_up(quotation=quotation, by=agent, on=_today() + 3 * DAY)

    first.refresh_from_db()
    assert first.status == ItemStatus.CANCELLED
    assert second.status == ItemStatus.OPEN
    assert WorkItem.objects.filter(status=ItemStatus.OPEN).get() == second


def test_it_closes_the_follow_up_when_the_client_buys(agent):
    quotation = QuotationFactory(client=ClientFactory(owner=agent))
    quote = QuoteFactory(quotation=quotation)
    item = quotation_schedule_follow_up(quotation=quotation, by=agent, on=_today() + DAY)
    start = _today()

    quote_accept(
        quote=quote,
        by=agent,
        number="P-9",
        start_date=start,
        end_date=start + 365 * DAY,
        payment_frequency="annual",
    )

    item.refresh_from_db()
    assert (item.status, item.result) == (ItemStatus.DONE, "bought")


def test_it_expires_open_quotes_past_their_validity():
    today = _today()
    stale = QuoteFactory(valid_until=today - DAY)
    valid_today = QuoteFactory(valid_until=today)
    accepted = QuoteFactory(valid_until=today - DAY, status=QuoteStatus.ACCEPTED)

    assert quotes_expire(today=today) == 1

    stale.refresh_from_db()
    assert stale.status == QuoteStatus.EXPIRED
    record = stale.history.first()
    assert (record.history_type, record.history_change_reason) == ("~", "expired")
    assert record.status == QuoteStatus.EXPIRED
    assert Quote.objects.get(pk=valid_today.pk).status == QuoteStatus.OPEN
    assert Quote.objects.get(pk=accepted.pk).status == QuoteStatus.ACCEPTED
    assert quotes_expire(today=today) == 0


# --- insurers -----------------------------------------------------------------------------


def test_it_keeps_a_single_preferred_insurer():
    old = insurer_save(name="GNP", code="gnp", preferred=True)

    new = insurer_save(name="Qualitas", code=" QUALITAS ", preferred=True)

    assert new.code == "qualitas"
    assert list(Insurer.objects.filter(preferred=True)) == [new]
    old.refresh_from_db()
    assert not old.preferred


def test_it_keeps_the_preferred_insurer_when_another_is_saved():
    preferred = insurer_save(name="GNP", code="gnp", preferred=True)

    insurer_save(name="AXA", code="axa")

    assert list(Insurer.objects.filter(preferred=True)) == [preferred]


def test_it_refuses_a_duplicate_insurer_code():
    insurer_save(name="GNP", code="gnp")

    with pytest.raises(ValidationError) as excinfo:
        insurer_save(name="GNP Seguros", code="GNP")

    assert "code" in excinfo.value.message_dict
    assert Insurer.objects.count() == 1


def test_it_hands_a_reassigned_clients_running_policies_to_the_new_agent(agent, manager):
    from clients.services import client_book_reassign, client_reassign

    team = TeamFactory(manager=manager)
    newcomer = UserFactory(roles=["agent"], team=team)
    agent.team = team
    agent.save(update_fields=["team"])
    holder = ClientFactory(owner=agent)
    running = PolicyFactory(holder=holder, agent=agent)
    cancelled = PolicyFactory(holder=holder, agent=agent, status=PolicyStatus.CANCELLED)
    client_reassign(client=holder, to=newcomer, by=manager, notify=False)
    running.refresh_from_db()
    cancelled.refresh_from_db()
    assert running.agent == newcomer
    assert cancelled.agent == agent
    last = running.history.first()
    assert last.history_user == manager and last.agent_id == newcomer.pk

    others = [ClientFactory(owner=newcomer) for _ in range(3)]
    policies = [PolicyFactory(holder=c, agent=newcomer) for c in others]
    client_book_reassign(from_agent=newcomer, to_agents=[agent], by=manager, notify=False)
    for policy in policies:
        policy.refresh_from_db()
        assert policy.agent == agent
