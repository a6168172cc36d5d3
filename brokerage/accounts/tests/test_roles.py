import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from brokerage.accounts.roles import ROLE_PERMISSIONS, Role

from .factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_it_creates_a_group_per_role_with_its_permissions():
    for role in Role:
        group = Group.objects.get(name=role)
        got = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        }
        assert got == set(ROLE_PERMISSIONS[role])


def test_it_grants_permissions_by_role(agent, maintainer, manager, cartera_admin):
    assert agent.has_perm("accounts.work_queue")
    assert not agent.has_perm("accounts.export_data")
    assert not agent.has_perm("accounts.manage_users")
    assert maintainer.has_perm("accounts.import_reports")
    assert maintainer.has_perm("accounts.distribute_work")
    assert not maintainer.has_perm("accounts.view_dashboards")
    assert manager.has_perm("accounts.view_dashboards")
    assert manager.has_perm("accounts.manage_team")
    assert not manager.has_perm("accounts.manage_users")
    assert cartera_admin.has_perm("accounts.manage_users")


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        ("agent", "/queue/"),
        ("manager", "/accounts/team/"),
        ("maintainer", "/accounts/team/"),
        ("admin", "/accounts/team/"),
    ],
)
def test_it_sends_each_role_to_its_own_home(client, role, landing):
    client.force_login(UserFactory(roles=[role]))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == landing


def test_it_sends_a_user_with_no_role_to_their_profile(client):
    client.force_login(UserFactory())
    assert client.get("/")["Location"] == reverse("accounts:profile")


def test_it_asks_anonymous_visitors_to_sign_in(client):
    for url in ("/", "/queue/", "/accounts/team/", "/outbox/", "/accounts/profile/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url


def test_it_shows_a_navbar_that_fits_the_role(client, agent, manager, maintainer):
    client.force_login(agent)
    html = client.get("/queue/").content.decode()
    assert 'href="/queue/"' in html
    assert 'href="/accounts/team/"' not in html
    assert 'href="/outbox/"' not in html

    client.force_login(manager)
    html = client.get("/accounts/team/").content.decode()
    assert 'href="/accounts/team/"' in html
    assert 'href="/queue/"' not in html

    client.force_login(maintainer)
    html = client.get("/accounts/team/").content.decode()
    assert 'href="/outbox/"' in html
    assert 'href="/queue/"' not in html


def test_it_refuses_role_pages_to_other_roles(client, agent, manager):
    client.force_login(agent)
    assert client.get("/accounts/team/").status_code == 403
    assert client.get("/outbox/").status_code == 403
    assert client.get("/accounts/users/new/").status_code == 403
    client.force_login(manager)
    assert client.get("/queue/").status_code == 403
    assert client.get("/outbox/").status_code == 403
    assert client.get(f"/accounts/users/{agent.pk}/edit/").status_code == 403
    assert client.post(f"/accounts/users/{agent.pk}/deactivate/").status_code == 403
    agent.refresh_from_db()
    assert agent.is_active


def test_it_shows_a_manager_only_their_own_teams(client, manager):
    mine = TeamFactory(name="Norte", manager=manager)
    other = TeamFactory(name="Sur", manager=UserFactory(roles=["manager"]))
    UserFactory(username="ana", team=mine, roles=["agent"])
    UserFactory(username="bo", team=other, roles=["agent"])
    client.force_login(manager)
    html = client.get("/accounts/team/").content.decode()
    assert "Norte" in html and 'data-user="ana"' in html
    assert "Sur" not in html and 'data-user="bo"' not in html


def test_it_lists_teams_in_a_fixed_number_of_queries(
    client, cartera_admin, django_assert_max_num_queries
):
    for _team in range(4):
        team = TeamFactory(manager=UserFactory(roles=["manager"]))
        for _ in range(10):
            UserFactory(team=team, roles=["agent"])
    client.force_login(cartera_admin)
    with django_assert_max_num_queries(13):
        response = client.get("/accounts/team/")
    assert response.content.decode().count("data-user=") == 40 + 4 + 1
