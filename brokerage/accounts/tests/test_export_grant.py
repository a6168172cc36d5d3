"""Agents view and print their call list; they export it only when the manager of their team
grants it to them by name, on the Team page, audited (issue 13, item 21)."""

import pytest
from django.contrib.admin.models import LogEntry

from brokerage.accounts.services import user_set_export_grant
from brokerage.accounts.tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

EXPORT = "/queue/export.xlsx"


@pytest.fixture
def team(manager):
    return TeamFactory(manager=manager)


@pytest.fixture
def member(team):
    return UserFactory(roles=["agent"], team=team)


def _grant(client, who, grant="1"):
    return client.post(f"/accounts/users/{who.pk}/export/", {"grant": grant})


def test_it_refuses_the_call_list_export_to_an_agent(client, member):
    client.force_login(member)
    assert client.get(EXPORT).status_code == 403
    assert 'data-testid="queue-export"' not in client.get("/queue/").content.decode()


def test_the_teams_manager_grants_and_withdraws_the_export_on_the_team_page(
    client, manager, member
):
    client.force_login(manager)
    page = client.get("/accounts/team/").content.decode()
    assert f'action="/accounts/users/{member.pk}/export/"' in page
    assert 'data-testid="may-export"' not in page

    _grant(client, member)
    assert 'data-testid="may-export"' in client.get("/accounts/team/").content.decode()
    client.force_login(member)
    assert client.get(EXPORT).status_code == 200
    assert 'data-testid="queue-export"' in client.get("/queue/").content.decode()

    client.force_login(manager)
    _grant(client, member, grant="0")
    client.force_login(member)
    assert client.get(EXPORT).status_code == 403
    log = LogEntry.objects.filter(object_id=str(member.pk)).order_by("pk")
    assert [(e.user_id, e.change_message) for e in log] == [
        (manager.pk, "Export granted"),
        (manager.pk, "Export withdrawn"),
    ]


def test_only_the_teams_manager_or_an_admin_grants_it(client, member, maintainer, cartera_admin):
    other_manager = UserFactory(roles=["manager"])
    TeamFactory(manager=other_manager)
    teammate = UserFactory(roles=["agent"], team=member.team)
    for outsider, status in ((other_manager, 404), (teammate, 403), (maintainer, 403)):
        client.force_login(outsider)
        assert _grant(client, member).status_code == status
        assert (
            f"/accounts/users/{member.pk}/export/"
            not in client.get("/accounts/team/").content.decode()
        )
    assert not member.has_perm("accounts.export_data")
    client.force_login(cartera_admin)
    _grant(client, member)
    member = type(member).objects.get(pk=member.pk)
    assert member.has_perm("accounts.export_data")


def test_it_grants_the_export_only_to_active_agents(manager, team):
    from django.core.exceptions import ValidationError

    colleague = UserFactory(roles=["maintainer"], team=team)
    gone = UserFactory(roles=["agent"], team=team, is_active=False)
    for person in (colleague, gone):
        with pytest.raises(ValidationError, match="active agent"):
            user_set_export_grant(user=person, by=manager, granted=True)
        assert not person.user_permissions.exists()
