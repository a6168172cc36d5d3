import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.core.exceptions import ValidationError

from brokerage.accounts.models import User
from brokerage.accounts.services import user_create, user_deactivate

from .factories import PASSWORD, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_it_lets_an_admin_open_an_account_and_mails_a_password_link(client, cartera_admin):
    team = TeamFactory(name="Centro")
    client.force_login(cartera_admin)
    response = client.post(
        "/accounts/users/new/",
        {
            "username": "lucia",
            "first_name": "Lucía",
            "last_name": "Ramírez",
            "email": "lucia@example.com",
            "language": "es",
            "team": team.pk,
            "roles": ["agent"],
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="lucia")
    assert user.team == team and user.has_role("agent") and user.language == "es"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["lucia@example.com"]
    assert "/accounts/password/reset/" in mail.outbox[0].body


def test_it_shows_field_errors_on_a_bad_user_form(client, cartera_admin):
    UserFactory(username="taken")
    client.force_login(cartera_admin)
    response = client.post(
        "/accounts/users/new/", {"username": "taken", "email": "nope", "roles": ["wizard"]}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "username" in form.errors and "email" in form.errors and "roles" in form.errors
    assert User.objects.filter(username="taken").count() == 1


def test_it_changes_roles_and_team(client, cartera_admin):
    person = UserFactory(roles=["agent"])
    team = TeamFactory()
    client.force_login(cartera_admin)
    response = client.post(
        f"/accounts/users/{person.pk}/edit/",
        {
            "first_name": "X",
            "last_name": "Y",
            "email": "x@example.com",
            "language": "zh-hans",
            "team": team.pk,
            "roles": ["agent", "maintainer"],
        },
    )
    assert response.status_code == 302
    person = User.objects.get(pk=person.pk)
    assert person.role_names == {"agent", "maintainer"}
    assert person.team == team and person.language == "zh-hans"


def test_deactivating_keeps_the_user_and_ends_their_sessions(client, cartera_admin):
    leaving = UserFactory(roles=["agent"])
    other = UserFactory(roles=["agent"])
    from django.test import Client

    theirs, others = Client(), Client()
    theirs.force_login(leaving)
    others.force_login(other)

    client.force_login(cartera_admin)
    response = client.post(f"/accounts/users/{leaving.pk}/deactivate/")
    assert response.status_code == 302

    leaving.refresh_from_db()
    assert leaving.is_active is False and leaving.deactivated_at is not None
    assert User.objects.filter(pk=leaving.pk).exists()
    assert SESSION_KEY not in theirs.session
    assert theirs.get("/queue/").status_code == 302  # sent to sign in
    assert others.get("/queue/").status_code == 200

    # and they cannot sign in again
    anonymous = Client()
    response = anonymous.post(
        "/accounts/login/", {"username": leaving.username, "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "deactivated" in response.content.decode() or "do not match" in response.content.decode()
    assert SESSION_KEY not in anonymous.session


def test_a_user_cannot_deactivate_themselves(cartera_admin):
    with pytest.raises(ValidationError):
        user_deactivate(user=cartera_admin, by=cartera_admin)
    cartera_admin.refresh_from_db()
    assert cartera_admin.is_active


def test_reactivating_lets_them_back(client, cartera_admin):
    person = UserFactory(roles=["agent"], is_active=False)
    client.force_login(cartera_admin)
    client.post(f"/accounts/users/{person.pk}/reactivate/")
    person.refresh_from_db()
    assert person.is_active and person.deactivated_at is None


def test_user_create_refuses_unknown_roles_and_languages():
    with pytest.raises(ValidationError):
        user_create(username="a", roles=["wizard"])
    with pytest.raises(ValidationError):
        user_create(username="b", roles=["agent"], language="xx")
    assert not User.objects.filter(username__in=["a", "b"]).exists()


def test_chinese_names_are_written_family_name_first():
    assert str(UserFactory(first_name="华", last_name="李")) == "李华"
    assert str(UserFactory(first_name="Ana", last_name="Pérez")) == "Ana Pérez"


def test_the_admin_site_cannot_delete_users(admin_client):
    person = UserFactory()
    response = admin_client.post(f"/admin/accounts/user/{person.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert User.objects.filter(pk=person.pk).exists()


def test_deactivation_asks_first(client, cartera_admin):
    person = UserFactory(roles=["agent"], first_name="Rosa", last_name="Díaz")
    client.force_login(cartera_admin)
    response = client.get(f"/accounts/users/{person.pk}/deactivate/")
    assert "Deactivate Rosa Díaz?" in response.content.decode()
    person.refresh_from_db()
    assert person.is_active
