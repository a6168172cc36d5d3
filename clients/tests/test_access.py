"""Who sees which clients and policies: Client.objects.visible_to and Policy.objects.visible_to
are the one place that decides it, so every list, search and export inherits these tests."""

import pytest
from django.contrib.auth.models import AnonymousUser

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from clients.models import Client
from clients.tests.factories import ClientFactory
from policies.models import Policy
from policies.tests.factories import PolicyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def book():
    """Two teams. The owner's client (with a policy) is co-assigned to an agent of the other
    team; the other team has a client of its own."""
    manager = UserFactory(roles=["manager"])
    team = TeamFactory(manager=manager)
    owner = UserFactory(team=team, roles=["agent"])
    teammate = UserFactory(team=team, roles=["agent"])

    other_manager = UserFactory(roles=["manager"])
    other_team = TeamFactory(manager=other_manager)
    outsider = UserFactory(team=other_team, roles=["agent"])
    co_agent = UserFactory(team=other_team, roles=["agent"])

    client = ClientFactory(owner=owner, co_agents=[co_agent])
    policy = PolicyFactory(holder=client)
    other_client = ClientFactory(owner=outsider)
    other_policy = PolicyFactory(holder=other_client)
    teammates_client = ClientFactory(owner=teammate)
    teammates_policy = PolicyFactory(holder=teammates_client)
    return {
        "manager": manager,
        "owner": owner,
        "teammate": teammate,
        "other_manager": other_manager,
        "outsider": outsider,
        "co_agent": co_agent,
        "client": client,
        "policy": policy,
        "other_client": other_client,
        "other_policy": other_policy,
        "teammates_client": teammates_client,
        "teammates_policy": teammates_policy,
    }


def _clients(user) -> set:
    return set(Client.objects.visible_to(user))


def _policies(user) -> set:
    return set(Policy.objects.visible_to(user))


def test_it_shows_the_owner_their_client(book):
    assert _clients(book["owner"]) == {book["client"]}
    assert _policies(book["owner"]) == {book["policy"]}


def test_it_shows_a_co_assigned_agent_the_client(book):
    assert book["client"] in _clients(book["co_agent"])
    assert book["policy"] in _policies(book["co_agent"])


def test_it_hides_the_client_from_a_teammate(book):
    assert _clients(book["teammate"]) == {book["teammates_client"]}
    assert _policies(book["teammate"]) == {book["teammates_policy"]}


def test_it_hides_the_client_from_an_agent_of_another_team(book):
    assert _clients(book["outsider"]) == {book["other_client"]}
    assert _policies(book["outsider"]) == {book["other_policy"]}


def test_it_shows_the_manager_their_teams_clients(book):
    assert _clients(book["manager"]) == {book["client"], book["teammates_client"]}
    assert _policies(book["manager"]) == {book["policy"], book["teammates_policy"]}


def test_it_hides_the_client_from_a_manager_of_another_team(book):
    # The other team's co-agent is on the client, so its manager sees it through them; a
    # manager of a third team sees nothing of either.
    third_manager = UserFactory(roles=["manager"])
    TeamFactory(manager=third_manager)
    assert _clients(third_manager) == set()
    assert _policies(third_manager) == set()
    assert book["teammates_client"] not in _clients(book["other_manager"])
    assert book["teammates_policy"] not in _policies(book["other_manager"])


def test_it_shows_a_manager_the_clients_co_assigned_to_their_agents(book):
    assert _clients(book["other_manager"]) == {book["other_client"], book["client"]}


def test_it_does_not_give_team_visibility_to_a_manager_without_the_role(book):
    book["manager"].groups.clear()
    manager = type(book["manager"]).objects.get(pk=book["manager"].pk)
    assert _clients(manager) == set()
    assert _policies(manager) == set()


@pytest.mark.parametrize("role", ["maintainer", "admin"])
def test_it_shows_maintainers_and_admins_every_client(book, role):
    user = UserFactory(roles=[role])
    everything = {book["client"], book["other_client"], book["teammates_client"]}
    assert _clients(user) == everything
    assert _policies(user) == {book["policy"], book["other_policy"], book["teammates_policy"]}


def test_it_shows_a_superuser_every_client(book):
    user = UserFactory(is_superuser=True)
    assert len(_clients(user)) == 3
    assert len(_policies(user)) == 3


def test_it_shows_an_inactive_owner_nothing(book):
    owner = book["owner"]
    owner.is_active = False
    owner.save()
    assert _clients(owner) == set()
    assert _policies(owner) == set()


def test_it_shows_an_inactive_maintainer_nothing(book):
    user = UserFactory(roles=["maintainer"], is_active=False)
    assert _clients(user) == set()
    assert _policies(user) == set()


def test_it_shows_an_anonymous_user_nothing(book):
    assert _clients(AnonymousUser()) == set()
    assert _policies(AnonymousUser()) == set()
    assert _clients(None) == set()


def test_it_shows_an_agent_without_clients_nothing(book):
    assert _clients(UserFactory(roles=["agent"])) == set()
