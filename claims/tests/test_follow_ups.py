"""Follow-ups of a claim (issue 16): after the first contact, the first follow-up (首次跟踪)
records the cause and liability, the damage and where the client wants it repaired; the
second (二次跟踪) is booked at an agreed time and appears on the agent's call list then (a
``claim_follow_up`` item); recording it closes that item. Each follow-up is on the claim's page
and the client's timeline; the URL answers 404 to those who cannot see the claim."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from claims import services
from claims.kind import FOLLOW_UP_KIND
from claims.models import ClaimFollowUp
from claims.tests.factories import report
from clients.models import Interaction
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory
from workqueue.models import WorkItem
from workqueue.selectors import queue_for_agent

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime.datetime(2026, 6, 10, 9, 0))
AGREED = timezone.make_aware(datetime.datetime(2026, 6, 12, 16, 30))
FIRST = {
    "cause_and_liability": "Alcance por detrás; el tercero es responsable",
    "damage": "Defensa trasera y cajuela",
    "repair_wish": "Taller de la agencia Nissan Del Valle",
    "note": "",
}


@pytest.fixture
def world():
    with time_machine.travel(NOW - datetime.timedelta(hours=1), tick=False):
        manager, other_manager = UserFactory(roles=["manager"]), UserFactory(roles=["manager"])
        team, other_team = TeamFactory(manager=manager), TeamFactory(manager=other_manager)
        owner = UserFactory(roles=["agent"], team=team)
        policy = PolicyFactory(
            holder=ClientFactory(owner=owner), agent=owner,
            start_date=datetime.date(2026, 1, 1), end_date=datetime.date(2026, 12, 31),
        )  # fmt: skip
        claim = report(policy=policy, by=owner)
        services.claim_record_contact(claim=claim, by=owner)
    users = {
        "owner": owner, "manager": manager, "other_manager": other_manager,
        "outsider": UserFactory(roles=["agent"], team=other_team), "anonymous": None,
    }  # fmt: skip
    return users, claim


def _post_data(**overrides):
    data = dict(FIRST, next_at=timezone.localtime(AGREED).strftime("%Y-%m-%dT%H:%M"))
    return data | overrides


def test_the_first_follow_up_needs_cause_damage_and_repair_wish(world):
    users, claim = world
    with pytest.raises(Exception) as error, time_machine.travel(NOW, tick=False):
        services.claim_follow_up_record(claim=claim, by=users["owner"], data={"damage": "x"})
    assert set(error.value.message_dict) == {"cause_and_liability", "repair_wish"}
    assert not ClaimFollowUp.objects.exists()


def test_no_follow_up_before_the_first_contact_nor_booked_in_the_past(world):
    users, claim = world
    fresh = report(policy=claim.policy, by=users["owner"])
    with pytest.raises(Exception, match="first contact"):
        services.claim_follow_up_record(claim=fresh, by=users["owner"], data=FIRST)
    with pytest.raises(Exception) as error, time_machine.travel(NOW, tick=False):
        services.claim_follow_up_record(
            claim=claim, by=users["owner"], data=FIRST | {"next_at": NOW}
        )
    assert "next_at" in error.value.message_dict


def test_the_second_follow_up_is_in_the_call_list_at_the_agreed_time(client, world):
    users, claim = world
    owner = users["owner"]
    client.force_login(owner)
    with time_machine.travel(NOW, tick=False):
        response = client.post(reverse("claims:follow_up", args=[claim.pk]), _post_data())
        assert response.status_code == 302
        first = ClaimFollowUp.objects.get(claim=claim)
        assert first.number == 1 and first.repair_wish == FIRST["repair_wish"]
        assert first.next_at == AGREED
        item = WorkItem.objects.get(kind=FOLLOW_UP_KIND, subject_id=claim.pk)
        # The time as the card's call-back badge writes it: the agent's language's format.
        assert item.agent == owner and item.title.endswith("at 4:30 p.m.")
        assert item.due_on == timezone.localdate(AGREED)
        # Not on today's list, nor the next day's.
        assert item not in queue_for_agent(user=owner, day=timezone.localdate())
        page = client.get(reverse("workqueue:queue")).content.decode()
        assert 'data-kind="claim_follow_up"' not in page
    with time_machine.travel(AGREED - datetime.timedelta(days=1), tick=False):
        client.force_login(owner)  # sessions expire: a fresh sign-in each day
        response = client.get(reverse("workqueue:queue"))
        assert response.status_code == 200
        assert 'data-kind="claim_follow_up"' not in response.content.decode()
    with time_machine.travel(AGREED, tick=False):
        client.force_login(owner)
        page = client.get(reverse("workqueue:queue")).content.decode()
        assert 'data-kind="claim_follow_up"' in page and "second follow-up" in page
        badge = page.split('data-testid="callback-time"', 1)[1].split("</div>", 1)[0]
        assert "4:30 p.m." in badge and "16:30" not in page
        # The second follow-up recorded from the claim closes its item.
        client.post(
            reverse("claims:follow_up", args=[claim.pk]),
            {"note": "El taller recibió el auto; el ajustador pasa el lunes"},
        )
    second = ClaimFollowUp.objects.get(claim=claim, number=2)
    assert second.next_at is None
    item.refresh_from_db()
    assert item.status == "done" and item.result == "followed_up"
    entries = Interaction.objects.filter(client=claim.policy.holder)
    assert entries.filter(message="claims.follow_up").count() == 2
    assert entries.filter(message="claims.follow_up_booked").count() == 1
    client.force_login(owner)
    html = client.get(reverse("claims:detail", args=[claim.pk])).content.decode()
    assert html.count("data-follow-up=") == 2 and FIRST["damage"] in html


def test_a_follow_up_refused_shows_the_page_again_with_the_reasons(client, world):
    users, claim = world
    client.force_login(users["owner"])
    response = client.post(reverse("claims:follow_up", args=[claim.pk]), {"damage": "x"})
    assert response.status_code == 400
    assert "Say where the client wants it repaired." in response.content.decode()


@pytest.mark.parametrize("role", ["owner", "manager", "outsider", "other_manager", "anonymous"])
def test_the_follow_up_url_answers_only_those_who_see_the_claim(client, world, role):
    users, claim = world
    if users[role] is not None:
        client.force_login(users[role])
    with time_machine.travel(NOW, tick=False):
        response = client.post(reverse("claims:follow_up", args=[claim.pk]), _post_data())
    if role == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    elif role in ("owner", "manager"):
        assert response.status_code == 302 and "#follow-ups" in response["Location"]
    else:
        assert response.status_code == 404
    assert ClaimFollowUp.objects.filter(claim=claim).exists() == (role in ("owner", "manager"))


@pytest.mark.parametrize("n", [1, 4])
def test_the_claim_page_reads_a_fixed_number_of_queries_whatever_the_follow_ups(
    client, world, n, django_assert_max_num_queries
):
    from claims.tests.test_access import DETAIL_QUERIES

    users, claim = world
    for _ in range(n):
        services.claim_follow_up_record(claim=claim, by=users["owner"], data=FIRST)
    client.force_login(users["owner"])
    with django_assert_max_num_queries(DETAIL_QUERIES):
        response = client.get(reverse("claims:detail", args=[claim.pk]))
    assert response.content.decode().count("data-follow-up=") == n


@pytest.mark.parametrize(("language", "written"), [("es", "16:30"), ("zh-hans", "16:30")])
def test_the_booked_follow_ups_time_is_written_in_the_agents_language(
    client, world, language, written
):
    users, claim = world
    owner = users["owner"]
    owner.language = language
    owner.save(update_fields=["language"])
    client.force_login(owner)
    with time_machine.travel(NOW, tick=False):
        client.post(reverse("claims:follow_up", args=[claim.pk]), _post_data())
    item = WorkItem.objects.get(kind=FOLLOW_UP_KIND, subject_id=claim.pk)
    assert written in item.title and "p.m." not in item.title
    with time_machine.travel(AGREED, tick=False):
        client.force_login(owner)
        page = client.get(reverse("workqueue:queue")).content.decode()
    badge = page.split('data-testid="callback-time"', 1)[1].split("</div>", 1)[0]
    assert written in badge
