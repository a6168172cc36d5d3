"""Injury and dispute flags (issue 16): an injury claim is referred to a named legal/medical
person (chosen on the claim among the active maintainers, managers and administrators, told by
e-mail); a dispute the agent cannot resolve escalates to the manager as the 10-minute
escalation does (an item in the maintainers' queue, an e-mail to the team's manager), once
while it is open. Both on the timeline; both URLs 404 for those who cannot see the claim."""

import pytest
from django.urls import reverse

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from brokerage.notifications.models import Message
from claims import services
from claims.kind import DISPUTE_KIND
from claims.models import ClaimKind
from claims.tests.factories import report
from clients.models import Interaction
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory
from workqueue.models import Queue, WorkItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    manager = UserFactory(roles=["manager"], email="jefa@example.com", language="zh-hans")
    other_manager = UserFactory(roles=["manager"])
    team, other_team = TeamFactory(manager=manager), TeamFactory(manager=other_manager)
    owner = UserFactory(roles=["agent"], team=team)
    policy = PolicyFactory(holder=ClientFactory(owner=owner), agent=owner)
    claim = report(policy=policy, by=owner, kind=ClaimKind.INJURY, injured=True)
    users = {
        "owner": owner, "manager": manager, "other_manager": other_manager,
        "outsider": UserFactory(roles=["agent"], team=other_team), "anonymous": None,
        "legal": UserFactory(roles=["maintainer"], email="legal@example.com"),
    }  # fmt: skip
    return users, claim


def test_an_injury_claim_is_referred_to_the_named_person_who_is_told(client, world):
    users, claim = world
    client.force_login(users["owner"])
    response = client.post(
        reverse("claims:refer", args=[claim.pk]), {"to": users["legal"].pk, "note": "Fractura"}
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.referred_to == users["legal"] and claim.referred_at is not None
    assert claim.referral_note == "Fractura"
    message = Message.objects.get(template="claim_referred")
    assert message.to == "legal@example.com" and claim.reference in message.subject
    assert "Fractura" in message.body
    assert Interaction.objects.filter(message="claims.referred", client=claim.policy.holder)
    page = client.get(reverse("claims:detail", args=[claim.pk])).content.decode()
    assert str(users["legal"]) in page and 'data-testid="claim-referral"' in page


def test_a_claim_without_injured_people_or_to_an_agent_is_not_referred(world):
    users, claim = world
    with pytest.raises(Exception, match="active maintainer, manager or administrator"):
        services.claim_refer(claim=claim, by=users["owner"], to=users["owner"])
    other = report(policy=claim.policy, by=users["owner"])  # a collision, nobody injured
    with pytest.raises(Exception, match="people injured"):
        services.claim_refer(claim=other, by=users["owner"], to=users["legal"])
    assert not Message.objects.filter(template="claim_referred").exists()


def test_a_dispute_goes_to_the_maintainers_queue_and_the_manager_once(client, world):
    users, claim = world
    client.force_login(users["owner"])
    url = reverse("claims:dispute", args=[claim.pk])
    assert client.post(url, {"note": ""}).status_code == 302
    assert not WorkItem.objects.filter(kind=DISPUTE_KIND).exists()
    client.post(url, {"note": "El ajustador no reconoce el daño"})
    item = WorkItem.objects.get(kind=DISPUTE_KIND, subject_id=claim.pk)
    assert item.queue == Queue.MAINTAINERS and item.status == "open"
    message = Message.objects.get(template="claim_dispute")
    assert message.to == "jefa@example.com" and message.language == "zh-hans"
    assert "El ajustador no reconoce el daño" in message.body
    claim.refresh_from_db()
    assert claim.dispute_escalated_at is not None
    # A second escalation while the first is open changes nothing.
    response = client.post(url, {"note": "Otra vez"}, follow=True)
    assert "already with the manager" in response.content.decode()
    assert Message.objects.filter(template="claim_dispute").count() == 1
    assert WorkItem.objects.filter(kind=DISPUTE_KIND).count() == 1
    assert Interaction.objects.filter(message="claims.dispute").count() == 1
    # The maintainers' queue shows it as a dispute.
    client.force_login(users["legal"])
    html = client.get(reverse("workqueue:maintainers")).content.decode()
    assert 'data-testid="claim-dispute"' in html


@pytest.mark.parametrize("role", ["owner", "manager", "outsider", "other_manager", "anonymous"])
def test_the_flag_urls_answer_only_those_who_see_the_claim(client, world, role):
    users, claim = world
    if users[role] is not None:
        client.force_login(users[role])
    for name, data in (
        ("claims:refer", {"to": users["legal"].pk}),
        ("claims:dispute", {"note": "No está de acuerdo"}),
    ):
        response = client.post(reverse(name, args=[claim.pk]), data)
        if role == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        elif role in ("owner", "manager"):
            assert response.status_code == 302 and "#flags" in response["Location"]
        else:
            assert response.status_code == 404
    claim.refresh_from_db()
    changed = claim.referred_to_id is not None and claim.dispute_escalated_at is not None
    assert changed == (role in ("owner", "manager"))


@pytest.mark.parametrize("referred", [False, True])
def test_the_injury_claim_page_reads_a_fixed_number_of_queries(
    client, world, referred, django_assert_max_num_queries
):
    from claims.tests.test_access import DETAIL_QUERIES

    users, claim = world
    if referred:
        services.claim_refer(claim=claim, by=users["owner"], to=users["legal"])
        services.claim_dispute_escalate(claim=claim, by=users["owner"], note="Monto")
    client.force_login(users["owner"])
    with django_assert_max_num_queries(DETAIL_QUERIES + 1):  # the referral form's people
        html = client.get(reverse("claims:detail", args=[claim.pk])).content.decode()
    assert 'data-testid="referral-form"' in html
    assert ('data-testid="claim-dispute"' in html) == referred
