import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from brokerage.accounts.tests.factories import UserFactory
from clients.models import Interaction
from policies.models import PolicyStatus
from policies.tests.factories import InsurerFactory, PolicyFactory, VehicleFactory
from renewals.jobs import renewals_morning_job
from renewals.kind import RENEWAL_KIND
from renewals.models import CaseStatus, LostReason, RenewalCase
from renewals.services import renewal_defaults, renewal_quote, renewal_renew
from renewals.tests.conftest import TODAY, policy_ending
from workqueue.models import ItemStatus, Queue, WorkItem
from workqueue.services import item_record_result

pytestmark = pytest.mark.django_db


@pytest.fixture
def worked(ladders, agent):
    policy = policy_ending(30, owner=agent)
    renewals_morning_job(day=TODAY)
    item = WorkItem.objects.get(kind=RENEWAL_KIND)
    return {"policy": policy, "item": item, "case": RenewalCase.objects.get(policy=policy)}


def test_a_result_is_written_to_the_clients_timeline(worked, agent):
    item_record_result(item=worked["item"], by=agent, result="no_answer", note="buzón")
    entry = Interaction.objects.get(client=worked["policy"].holder)
    assert entry.user == agent and entry.result == "No answer" and "buzón" in entry.summary
    item = WorkItem.objects.get(pk=worked["item"].pk)
    assert item.status == ItemStatus.OPEN and item.attempts == 1


def test_three_failed_attempts_mark_the_contact_inaccurate_and_go_to_the_maintainers(worked, agent):
    for result in ("no_answer", "switched_off"):
        item_record_result(item=worked["item"], by=agent, result=result)
    holder = worked["policy"].holder
    holder.refresh_from_db()
    assert not holder.contact_inaccurate
    item_record_result(item=worked["item"], by=agent, result="wrong_number")
    holder.refresh_from_db()
    item = WorkItem.objects.get(pk=worked["item"].pk)
    assert holder.contact_inaccurate
    assert item.queue == Queue.MAINTAINERS and item.agent is None
    assert holder.history.first().history_user == agent


def test_a_call_back_needs_a_future_time_and_keeps_the_item(worked, agent):
    with pytest.raises(ValidationError, match="future"):
        item_record_result(
            item=worked["item"], by=agent, result="call_back",
            callback_at=timezone.now() - datetime.timedelta(minutes=5),
        )  # fmt: skip
    assert not Interaction.objects.exists()
    when = timezone.now() + datetime.timedelta(days=1)
    item = item_record_result(item=worked["item"], by=agent, result="call_back", callback_at=when)
    assert item.status == ItemStatus.OPEN and item.callback_at == when
    assert item.due_on == timezone.localdate(when)


def test_nobody_logs_a_result_on_someone_elses_or_a_closed_item(worked, agent):
    other = UserFactory(roles=["agent"])
    with pytest.raises(ValidationError, match="not in your queue"):
        item_record_result(item=worked["item"], by=other, result="no_answer")
    item_record_result(item=worked["item"], by=agent, result="declined")
    with pytest.raises(ValidationError, match="already closed"):
        item_record_result(item=worked["item"], by=agent, result="no_answer")


@pytest.mark.parametrize(
    ("result", "reason"),
    [("declined", LostReason.DECLINED), ("vehicle_sold", LostReason.VEHICLE_SOLD)],
)
def test_a_lost_result_closes_the_case_with_its_reason(worked, agent, result, reason):
    item_record_result(item=worked["item"], by=agent, result=result)
    case = RenewalCase.objects.get(pk=worked["case"].pk)
    assert case.status == CaseStatus.LOST and case.outcome_reason == reason
    assert case.closed_by == agent
    assert WorkItem.objects.get(pk=worked["item"].pk).status == ItemStatus.DONE


def test_renewed_elsewhere_needs_the_insurer(worked, agent):
    with pytest.raises(ValidationError, match="which insurer"):
        item_record_result(
            item=worked["item"], by=agent, result="renewed_elsewhere", page=True
        )
    assert RenewalCase.objects.get(pk=worked["case"].pk).status == CaseStatus.OPEN
    assert WorkItem.objects.get(pk=worked["item"].pk).status == ItemStatus.OPEN
    rival = InsurerFactory(name="Qualitas")
    item_record_result(
        item=worked["item"], by=agent, result="renewed_elsewhere", note="más barato",
        details={"lost_to": rival}, page=True,
    )  # fmt: skip
    case = RenewalCase.objects.get(pk=worked["case"].pk)
    assert (case.status, case.lost_to, case.outcome_note) == (CaseStatus.LOST, rival, "más barato")


def test_renewing_creates_the_linked_policy_and_wins_the_case(worked, agent):
    old = worked["policy"]
    VehicleFactory(policy=old)
    data = renewal_defaults(case=worked["case"])
    assert data["start_date"] == old.end_date and data["insurer"] == old.insurer
    data["premium"] = Decimal("13100.00")
    new = renewal_renew(case=worked["case"], by=agent, number="NEW-1", **data)
    old.refresh_from_db()
    case = RenewalCase.objects.get(pk=worked["case"].pk)
    assert new.previous_policy == old and old.status == PolicyStatus.RENEWED
    assert case.status == CaseStatus.WON and case.new_policy == new
    assert case.premium_change_percent == Decimal("4.8")
    assert new.vehicles.get().vin == old.vehicles.get().vin
    assert WorkItem.objects.get(pk=worked["item"].pk).status == ItemStatus.DONE
    with pytest.raises(ValidationError, match="already closed"):
        renewal_renew(case=case, by=agent, number="NEW-2", **data)


def test_a_renewal_cannot_end_before_it_starts(worked, agent):
    data = renewal_defaults(case=worked["case"])
    data["end_date"] = data["start_date"] - datetime.timedelta(days=1)
    with pytest.raises(ValidationError):
        renewal_renew(case=worked["case"], by=agent, number="NEW-1", **data)
    assert RenewalCase.objects.get(pk=worked["case"].pk).status == CaseStatus.OPEN


def test_interested_opens_a_quotation_with_the_same_insurer_at_last_years_premium(worked, agent):
    quotation = renewal_quote(case=worked["case"], by=agent)
    quote = quotation.quotes.get()
    assert quote.insurer == worked["policy"].insurer
    assert quote.premium == worked["case"].last_premium
    assert renewal_quote(case=worked["case"], by=agent) == quotation


def test_each_case_keeps_its_own_quotation_whatever_the_language(worked, agent):
    """The case finds its quotation through its own reference: not by a translated
    description, and not another policy's quotation of the same client."""
    from django.utils import translation

    with translation.override("es"):
        first = renewal_quote(case=worked["case"], by=agent)
    assert RenewalCase.objects.get(pk=worked["case"].pk).quotation == first
    with translation.override("zh-hans"):
        assert renewal_quote(case=worked["case"], by=agent) == first
    first_policy = worked["policy"]
    second_policy = PolicyFactory(
        holder=first_policy.holder, start_date=first_policy.start_date,
        end_date=first_policy.end_date,
    )  # fmt: skip
    renewals_morning_job(day=TODAY)
    second = renewal_quote(case=RenewalCase.objects.get(policy=second_policy), by=agent)
    assert second != first and second.client == first.client
    first.status = "lost"
    first.save(update_fields=["status"])
    assert renewal_quote(case=worked["case"], by=agent) not in (first, second)
