"""The call-back after settlement (issue 16, 赔案回访): settling a claim puts a
``claim_callback`` item on its agent's call list; the client's satisfaction (1–5) and comments
are recorded on the claim and the timeline, once, closing the item; a score of 1 or 2 goes to
the manager (an item in the maintainers' queue and an e-mail to the team's manager). The URL
answers 404 to those who cannot see the claim; the page reads a fixed number of queries."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from brokerage.notifications.models import Message
from claims import services
from claims.kind import CALLBACK_KIND, LOW_SCORE_KIND
from claims.models import ClaimStatus
from claims.tests.factories import report
from clients.models import Interaction
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory
from workqueue.models import Queue, WorkItem
from workqueue.selectors import queue_for_agent

pytestmark = pytest.mark.django_db

TO_SETTLED = ["first_contact", "in_assessment", "documents_complete", "with_insurer", "approved"]


@pytest.fixture
def world():
    manager = UserFactory(roles=["manager"], email="jefe@example.com", language="es")
    other_manager = UserFactory(roles=["manager"])
    team, other_team = TeamFactory(manager=manager), TeamFactory(manager=other_manager)
    owner = UserFactory(roles=["agent"], team=team)
    policy = PolicyFactory(holder=ClientFactory(owner=owner), agent=owner)
    claim = report(policy=policy, by=owner)
    users = {
        "owner": owner, "manager": manager, "other_manager": other_manager,
        "outsider": UserFactory(roles=["agent"], team=other_team), "anonymous": None,
        "maintainer": UserFactory(roles=["maintainer"]),
    }  # fmt: skip
    return users, claim


def _settle(claim, by):
    for status in TO_SETTLED:
        services.claim_set_status(claim=claim, by=by, status=status)
    return services.claim_set_status(
        claim=claim, by=by, status=ClaimStatus.SETTLED, amount_settled=Decimal("12000.00")
    )


def test_settling_puts_the_call_back_on_the_agents_call_list(world):
    users, claim = world
    owner = users["owner"]
    assert not WorkItem.objects.filter(kind=CALLBACK_KIND).exists()
    _settle(claim, owner)
    item = WorkItem.objects.get(kind=CALLBACK_KIND, subject_id=claim.pk)
    assert item.agent == owner and item.queue == Queue.AGENT and item.status == "open"
    assert item in queue_for_agent(user=owner, day=timezone.localdate())


def test_a_good_score_is_recorded_on_the_claim_and_the_timeline_once(client, world):
    users, claim = world
    owner = users["owner"]
    _settle(claim, owner)
    client.force_login(owner)
    url = reverse("claims:callback", args=[claim.pk])
    client.post(url, {"satisfaction": "5", "comments": "Muy rápido, gracias"})
    claim.refresh_from_db()
    assert (claim.satisfaction, claim.satisfaction_comments) == (5, "Muy rápido, gracias")
    assert claim.called_back_by == owner
    assert WorkItem.objects.get(kind=CALLBACK_KIND).status == "done"
    assert Interaction.objects.filter(message="claims.callback", params__score=5).exists()
    assert not WorkItem.objects.filter(kind=LOW_SCORE_KIND).exists()
    assert not Message.objects.filter(template="claim_low_satisfaction").exists()
    # Once: a second call-back changes nothing.
    response = client.post(url, {"satisfaction": "1"}, follow=True)
    assert "already recorded" in response.content.decode()
    claim.refresh_from_db()
    assert claim.satisfaction == 5
    html = client.get(reverse("claims:detail", args=[claim.pk])).content.decode()
    assert 'data-score="5"' in html and "Muy rápido, gracias" in html


@pytest.mark.parametrize("score", [1, 2])
def test_a_low_score_goes_to_the_manager(client, world, score):
    users, claim = world
    _settle(claim, users["owner"])
    services.claim_callback_record(
        claim=claim, by=users["owner"], satisfaction=score, comments="Nadie me explicó nada"
    )
    item = WorkItem.objects.get(kind=LOW_SCORE_KIND, subject_id=claim.pk)
    assert item.queue == Queue.MAINTAINERS and item.status == "open"
    message = Message.objects.get(template="claim_low_satisfaction")
    assert message.to == "jefe@example.com" and message.language == "es"
    assert f"{score}/5" in message.subject and "Nadie me explicó nada" in message.body
    client.force_login(users["maintainer"])
    html = client.get(reverse("workqueue:maintainers")).content.decode()
    assert 'data-testid="claim-low-satisfaction"' in html


def test_a_score_of_3_does_not_escalate_and_bad_scores_are_refused(world):
    users, claim = world
    with pytest.raises(Exception, match="after the claim is settled"):
        services.claim_callback_record(claim=claim, by=users["owner"], satisfaction=4)
    _settle(claim, users["owner"])
    for bad in (0, 6, None):
        with pytest.raises(Exception, match="from 1 to 5"):
            services.claim_callback_record(claim=claim, by=users["owner"], satisfaction=bad)
    services.claim_callback_record(claim=claim, by=users["owner"], satisfaction=3)
    assert not WorkItem.objects.filter(kind=LOW_SCORE_KIND).exists()


def test_a_score_out_of_range_from_the_page_is_a_message_not_an_error(client, world):
    users, claim = world
    _settle(claim, users["owner"])
    client.force_login(users["owner"])
    response = client.post(
        reverse("claims:callback", args=[claim.pk]), {"satisfaction": "9"}, follow=True
    )
    assert response.status_code == 200
    assert "The call-back was not recorded" in response.content.decode()
    claim.refresh_from_db()
    assert claim.satisfaction is None


@pytest.mark.parametrize("role", ["owner", "manager", "outsider", "other_manager", "anonymous"])
def test_the_callback_url_answers_only_those_who_see_the_claim(client, world, role):
    users, claim = world
    _settle(claim, users["owner"])
    if users[role] is not None:
        client.force_login(users[role])
    response = client.post(reverse("claims:callback", args=[claim.pk]), {"satisfaction": "4"})
    if role == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    elif role in ("owner", "manager"):
        assert response.status_code == 302 and "#callback" in response["Location"]
    else:
        assert response.status_code == 404
    claim.refresh_from_db()
    assert (claim.satisfaction == 4) == (role in ("owner", "manager"))


@pytest.mark.parametrize("called_back", [False, True])
def test_the_settled_claim_page_reads_a_fixed_number_of_queries(
    client, world, called_back, django_assert_max_num_queries
):
    from claims.tests.test_access import DETAIL_QUERIES

    users, claim = world
    _settle(claim, users["owner"])
    if called_back:
        services.claim_callback_record(claim=claim, by=users["owner"], satisfaction=2)
    client.force_login(users["owner"])
    with django_assert_max_num_queries(DETAIL_QUERIES):
        html = client.get(reverse("claims:detail", args=[claim.pk])).content.decode()
    assert ('data-testid="callback-form"' in html) != called_back
