"""The same request sent twice at once (a double click, a retry on a slow line) counts once:
a claim reported twice is one claim with one call-list item, a first contact logged twice is
one contact. Sent from two threads, each with its own database connection."""

import threading

import pytest
from django.db import connection

from claims.kind import CLAIM_KIND
from claims.models import Claim, ClaimStatusChange
from claims.services import claim_record_contact, claim_report
from claims.tests.factories import report, report_data
from clients.models import Interaction
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory
from workqueue.models import WorkItem


def _at_once(work, n=2):
    """Run ``work`` in ``n`` threads started together; return what each returned."""
    barrier, results = threading.Barrier(n), [None] * n

    def run(i):
        barrier.wait()
        try:
            results[i] = work()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_a_claim_reported_twice_at_once_is_one_claim(agent):
    policy = PolicyFactory(holder=ClientFactory(owner=agent), agent=agent)
    data = report_data()
    claims = _at_once(lambda: claim_report(policy=policy, by=agent, data=dict(data)))
    assert claims[0].pk == claims[1].pk
    assert Claim.objects.filter(policy=policy).count() == 1
    assert WorkItem.objects.filter(kind=CLAIM_KIND).count() == 1
    assert ClaimStatusChange.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_first_contact_logged_twice_at_once_is_one_contact(agent):
    policy = PolicyFactory(holder=ClientFactory(owner=agent), agent=agent)
    claim = report(policy=policy, by=agent)
    _at_once(lambda: claim_record_contact(claim=claim, by=agent))
    claim.refresh_from_db()
    assert claim.first_contact_by == agent
    assert ClaimStatusChange.objects.filter(claim=claim).count() == 2  # reported, contacted
    contacts = Interaction.objects.filter(client=policy.holder, message="claims.status")
    assert contacts.count() == 1


@pytest.mark.django_db
def test_a_second_claim_of_the_policy_is_a_claim_of_its_own(agent):
    """Only the same report is the same claim: another time, place or type is another claim."""
    policy = PolicyFactory(holder=ClientFactory(owner=agent), agent=agent)
    data = report_data()
    first = claim_report(policy=policy, by=agent, data=dict(data))
    again = claim_report(policy=policy, by=agent, data=dict(data))
    other = claim_report(policy=policy, by=agent, data=dict(data, kind="glass"))
    elsewhere = claim_report(policy=policy, by=agent, data=dict(data, place="Otra calle"))
    assert again.pk == first.pk
    assert len({first.pk, other.pk, elsewhere.pk}) == 3
    assert WorkItem.objects.filter(kind=CLAIM_KIND).count() == 3
