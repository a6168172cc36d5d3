"""The renewal case page shows the claims of the policy's term (issue 16): those reported
from its start date to its end date, each linked to its page, in one query."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from claims.models import ClaimStatus
from claims.tests.factories import ClaimFactory
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory
from renewals.tests.factories import RenewalCaseFactory

pytestmark = pytest.mark.django_db


def _at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def case():
    manager = UserFactory(roles=["manager"])
    agent = UserFactory(roles=["agent"], team=TeamFactory(manager=manager))
    end = timezone.localdate() + datetime.timedelta(days=20)
    policy = PolicyFactory(holder=ClientFactory(owner=agent), agent=agent,
                           start_date=end - datetime.timedelta(days=365), end_date=end)  # fmt: skip
    return RenewalCaseFactory(policy=policy), manager


def _claims(response) -> set[int]:
    section = response.content.decode().split('data-testid="case-claims"')[1]
    section = section.split("</section>")[0]
    return {int(pk) for pk in re.findall(r'data-claim="(\d+)"', section)}


def test_the_case_page_lists_the_claims_of_the_term_only(client, case):
    case, manager = case
    policy = case.policy
    first_day = ClaimFactory(policy=policy, reported_at=_at(policy.start_date, 0))
    recent = ClaimFactory(
        policy=policy, reported_at=timezone.now() - datetime.timedelta(days=3),
        status=ClaimStatus.IN_ASSESSMENT, escalated_at=timezone.now(),
    )  # fmt: skip
    # The day before the term (the previous policy's term): not this term's.
    before = ClaimFactory(
        policy=policy, reported_at=_at(policy.start_date - datetime.timedelta(days=1), 23)
    )
    ClaimFactory(policy=PolicyFactory(agent=policy.agent))  # another policy's
    client.force_login(manager)
    response = client.get(reverse("renewals:detail", args=[case.pk]))
    assert response.status_code == 200
    assert _claims(response) == {first_day.pk, recent.pk}
    assert before.pk not in _claims(response)
    page = response.content.decode()
    assert reverse("claims:detail", args=[recent.pk]) in page
    assert str(ClaimStatus.IN_ASSESSMENT.label) in page


def test_a_case_without_claims_says_so(client, case):
    case, manager = case
    client.force_login(manager)
    response = client.get(reverse("renewals:detail", args=[case.pk]))
    assert _claims(response) == set() and "No claim." in response.content.decode()


def test_the_claims_cost_one_query_whatever_their_number(
    client, case, django_assert_max_num_queries
):
    case, manager = case
    ClaimFactory(policy=case.policy)
    client.force_login(manager)
    url = reverse("renewals:detail", args=[case.pk])
    with django_assert_max_num_queries(30) as one:
        client.get(url)
    for _ in range(6):
        ClaimFactory(policy=case.policy)
    with django_assert_max_num_queries(len(one)):
        response = client.get(url)
    assert len(_claims(response)) == 7
