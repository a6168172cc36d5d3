"""Who may give a client to someone else is decided by the current owner's team, not by what
the user can see (issue 13, item 15): a manager sees another team's client once one of his
agents is co-assigned to it, but may not move it, neither with the reassign form, nor with the
owner or co-agents of the edit form, nor by reassigning its owner's book."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from clients.models import Client
from clients.services import client_book_reassign, client_reassign, client_update
from clients.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

EDIT = {"first_name": "Ana", "last_name": "López", "language": "es", "status": "prospect"}


@pytest.fixture
def world():
    north_manager = UserFactory(roles=["manager"])
    south_manager = UserFactory(roles=["manager"])
    north = TeamFactory(name="North", manager=north_manager)
    south = TeamFactory(name="South", manager=south_manager)
    owner = UserFactory(roles=["agent"], team=north)
    north_agent = UserFactory(roles=["agent"], team=north)
    south_agent = UserFactory(roles=["agent"], team=south)
    # A North client on which a South agent is co-assigned: South's manager can see it.
    file = ClientFactory(owner=owner, first_name="Ana", last_name="López", co_agents=[south_agent])
    return {
        "owner-team manager": north_manager,
        "other-team manager": south_manager,
        "maintainer": UserFactory(roles=["maintainer"]),
        "admin": UserFactory(roles=["admin"]),
        "owner": owner,
        "north_agent": north_agent,
        "south_agent": south_agent,
        "client": file,
    }


ROLES = [
    ("owner-team manager", True),
    ("other-team manager", False),
    ("maintainer", True),
    ("admin", True),
]


def _target(world, role):
    """An active agent the user may choose on the form: his own team's for a manager."""
    return world["south_agent"] if role == "other-team manager" else world["north_agent"]


@pytest.mark.parametrize(
    ("role", "allowed"),
    # Maintainers set the owner on the edit form; the file's reassign form is the managers'
    # and admins' (the manage_team permission).
    [(role, allowed and role != "maintainer") for role, allowed in ROLES],
)
def test_the_reassign_form_moves_a_client_only_for_its_owners_team(client, world, role, allowed):
    by, target = world[role], _target(world, role)
    client.force_login(by)
    page = client.get(reverse("clients:detail", args=[world["client"].pk])).content.decode()
    assert (reverse("clients:reassign", args=[world["client"].pk]) in page) is allowed

    client.post(reverse("clients:reassign", args=[world["client"].pk]), {"agent": target.pk})

    expected = target if allowed else world["owner"]
    assert Client.objects.get(pk=world["client"].pk).owner == expected


@pytest.mark.parametrize(("role", "allowed"), ROLES)
def test_the_edit_form_moves_a_client_only_for_its_owners_team(client, world, role, allowed):
    by, target = world[role], _target(world, role)
    client.force_login(by)
    url = reverse("clients:edit", args=[world["client"].pk])
    form = client.get(url).context["form"]
    assert ("owner" in form.fields) is allowed

    client.post(url, {**EDIT, "owner": target.pk, "co_agents": [target.pk], "notes": "edited"})

    stored = Client.objects.get(pk=world["client"].pk)
    assert stored.notes == "edited"
    if allowed:
        assert stored.owner == target and list(stored.co_agents.all()) == [target]
    else:
        # The other team's manager edits the file's details, never who holds it.
        assert stored.owner == world["owner"]
        assert list(stored.co_agents.all()) == [world["south_agent"]]


def test_the_services_refuse_another_teams_manager(world):
    by, file = world["other-team manager"], world["client"]
    mine = world["south_agent"]
    with pytest.raises(ValidationError):
        client_reassign(client=file, to=mine, by=by, notify=False)
    with pytest.raises(ValidationError):
        client_update(client=file, by=by, data={"owner": mine})
    with pytest.raises(ValidationError):
        client_update(client=file, by=by, data={}, co_agents=[mine, world["north_agent"]])
    with pytest.raises(ValidationError):
        client_book_reassign(from_agent=world["owner"], to_agents=[mine], by=by, notify=False)
    file.refresh_from_db()
    assert file.owner == world["owner"]
    assert list(file.co_agents.all()) == [world["south_agent"]]


def test_the_owner_teams_manager_reassigns_the_book(world):
    counts = client_book_reassign(
        from_agent=world["owner"], to_agents=[world["north_agent"]],
        by=world["owner-team manager"], notify=False,
    )  # fmt: skip
    assert counts == {world["north_agent"].pk: 1}


def test_editing_a_file_keeps_holders_the_form_does_not_offer(client, world):
    """The owner-team manager edits a departed agent's client on which another team's agent is
    co-assigned: neither is among his choices, yet saving the details keeps both (before, the
    file silently lost its owner and its co-agent)."""
    owner = world["owner"]
    owner.is_active = False
    owner.save(update_fields=["is_active"])
    client.force_login(world["owner-team manager"])
    url = reverse("clients:edit", args=[world["client"].pk])
    form = client.get(url).context["form"]
    data = {**EDIT, "notes": "edited", "owner": form.initial["owner"],
            "co_agents": [a.pk for a in form.initial["co_agents"]]}  # fmt: skip

    client.post(url, data)

    stored = Client.objects.get(pk=world["client"].pk)
    assert stored.notes == "edited"
    assert stored.owner == owner
    assert list(stored.co_agents.all()) == [world["south_agent"]]
