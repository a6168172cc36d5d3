"""The report dimensions a renewal case copies from its policy (agent, insurer, line,
currency, client) and from its renewing policy (premium) follow every change, however it is
made: database triggers keep them, not the application."""

from decimal import Decimal

import pytest

from brokerage.accounts.tests.factories import UserFactory
from clients.tests.factories import ClientFactory
from policies.models import Currency, Line, Policy
from policies.tests.factories import InsurerFactory, PolicyFactory
from renewals.jobs import renewals_morning_job
from renewals.models import CaseStatus, RenewalCase
from renewals.tests.conftest import TODAY, policy_ending

from .factories import RenewalCaseFactory

pytestmark = pytest.mark.django_db


def _copied(case: RenewalCase) -> tuple:
    row = RenewalCase.objects.values_list(
        "agent_id",
        "insurer_id",
        "line",
        "currency",
        "holder_id",
        "renewed_premium",
        "renewed_currency",
    ).get(pk=case.pk)
    return row


def test_a_new_case_copies_its_policy(ladders):
    policy = PolicyFactory(line=Line.HEALTH, currency=Currency.CNY)
    case = RenewalCaseFactory(policy=policy)
    assert _copied(case) == (
        policy.agent_id, policy.insurer_id, "health", "CNY", policy.holder_id, None, "",
    )  # fmt: skip


def test_a_bulk_reassignment_of_policies_moves_their_cases(ladders):
    """The departing agent's book is moved with one UPDATE: no model code runs."""
    case = RenewalCaseFactory()
    other = RenewalCaseFactory()
    newcomer = UserFactory(roles=["agent"])
    Policy.objects.filter(pk=case.policy_id).update(agent=newcomer)
    assert _copied(case)[0] == newcomer.pk
    assert _copied(other)[0] == other.policy.agent_id != newcomer.pk


def test_every_copied_policy_field_follows_a_policy_save(ladders):
    case = RenewalCaseFactory()
    policy = case.policy
    policy.insurer = InsurerFactory()
    policy.line = Line.LIFE
    policy.currency = Currency.USD
    policy.holder = ClientFactory()
    policy.save()
    assert _copied(case)[1:5] == (policy.insurer_id, "life", "USD", policy.holder_id)


def test_the_renewing_policy_premium_is_copied_and_follows_its_edits(ladders):
    case = RenewalCaseFactory()
    renewal = PolicyFactory(premium=Decimal("14100.50"), holder=case.policy.holder)
    case.new_policy = renewal
    case.status = CaseStatus.WON
    case.save()
    assert _copied(case)[5:] == (Decimal("14100.50"), "MXN")
    Policy.objects.filter(pk=renewal.pk).update(premium=Decimal("13999.00"), currency="USD")
    assert _copied(case)[5:] == (Decimal("13999.00"), "USD")


def test_a_stale_case_in_memory_does_not_write_its_copies_back(ladders):
    case = RenewalCaseFactory()
    stale = RenewalCase.objects.get(pk=case.pk)
    newcomer = UserFactory(roles=["agent"])
    Policy.objects.filter(pk=case.policy_id).update(agent=newcomer, line=Line.HEALTH)
    stale.grade = "A"
    stale.save()  # names every column, the copies read before the policy changed
    assert _copied(case)[0] == newcomer.pk
    assert _copied(case)[2] == "health"
    assert RenewalCase.objects.get(pk=case.pk).grade == "A"


def test_a_case_moved_to_another_policy_copies_that_policy(ladders):
    case = RenewalCaseFactory()
    other = PolicyFactory(line=Line.HEALTH)
    RenewalCase.objects.filter(pk=case.pk).update(policy=other)
    assert _copied(case)[:5] == (
        other.agent_id, other.insurer_id, "health", other.currency, other.holder_id,
    )  # fmt: skip


def test_the_morning_job_opens_cases_with_their_policys_copies(ladders):
    """The job's set-based insert selects the copies itself (the insert trigger skips rows
    that bring a holder): every dimension is the policy's, no renewed premium yet."""
    agent = UserFactory(roles=["agent"])
    policy = policy_ending(20, agent=agent, line=Line.HEALTH, currency=Currency.CNY)
    no_agent = policy_ending(10, agent=None, currency=Currency.USD)
    renewals_morning_job(day=TODAY)
    case = RenewalCase.objects.get(policy=policy)
    assert _copied(case) == (agent.pk, policy.insurer_id, "health", "CNY", policy.holder_id,
                             None, "")  # fmt: skip
    assert _copied(RenewalCase.objects.get(policy=no_agent)) == (
        None, no_agent.insurer_id, no_agent.line, "USD", no_agent.holder_id, None, "",
    )  # fmt: skip


def test_a_case_created_with_its_renewing_policy_copies_both(ladders):
    """The insert trigger runs for a row that names a renewing policy, holder or not."""
    old = PolicyFactory(line=Line.LIFE)
    renewal = PolicyFactory(premium=Decimal("900.10"), currency=Currency.USD, holder=old.holder)
    case = RenewalCaseFactory(policy=old, new_policy=renewal, status=CaseStatus.WON)
    assert _copied(case) == (
        old.agent_id, old.insurer_id, "life", old.currency, old.holder_id, Decimal("900.10"),
        "USD",
    )  # fmt: skip
