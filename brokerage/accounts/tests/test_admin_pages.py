"""Cartera's own user pages: phones, roles, teams led, superusers, e-mail changes."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from brokerage.accounts.models import User
from brokerage.accounts.services import user_create

from .factories import PASSWORD, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def _text(html: str) -> str:
    """What a reader (or a screen reader, or a copy-paste) gets: the text without tags."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def _user_post(person, **changes):
    data = {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "phone": str(person.phone or ""),
        "language": person.language,
        "team": person.team_id or "",
        "roles": sorted(person.role_names),
    }
    return data | changes


# --- Phones ---------------------------------------------------------------------------------


@pytest.mark.parametrize("phone", ["not a phone", "12", "call me maybe", "+52 55"])
def test_it_refuses_a_phone_that_is_not_a_number(client, cartera_admin, phone):
    person = UserFactory(roles=["agent"])
    client.force_login(cartera_admin)
    response = client.post(
        reverse("accounts:user_edit", args=[person.pk]), _user_post(person, phone=phone)
    )
    assert response.status_code == 200
    assert "phone" in response.context["form"].errors
    person.refresh_from_db()
    assert str(person.phone or "") == ""


def test_it_stores_a_local_phone_in_international_form(client, cartera_admin, settings):
    settings.PHONENUMBER_DEFAULT_REGION = "MX"
    person = UserFactory(roles=["agent"])
    client.force_login(cartera_admin)
    response = client.post(
        reverse("accounts:user_edit", args=[person.pk]), _user_post(person, phone="55 1234 5678")
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.phone.as_e164 == "+525512345678"


def test_the_profile_and_the_service_refuse_a_bad_phone_too(client, agent):
    client.force_login(agent)
    response = client.post(
        reverse("accounts:profile"),
        {"first_name": "A", "last_name": "B", "email": agent.email, "phone": "nope",
         "language": "en"},
    )  # fmt: skip
    assert "phone" in response.context["form"].errors
    with pytest.raises(ValidationError):
        user_create(username="newbie", roles=["agent"], email="n@example.com", phone="nope")


# --- Roles column and teams led ----------------------------------------------------------------


def test_it_separates_the_role_names_in_the_team_page(client, cartera_admin):
    team = TeamFactory()
    UserFactory(roles=["agent", "maintainer", "manager"], team=team)
    client.force_login(cartera_admin)
    text = _text(client.get(reverse("accounts:team")).content.decode())
    assert "AgentCRM" not in text
    assert "maintainerManager" not in text
    assert re.search(r"Agent\W+CRM maintainer\W+Manager", text)


def test_it_separates_the_role_names_in_the_profile(client):
    person = UserFactory(roles=["agent", "maintainer"])
    client.force_login(person)
    text = _text(client.get(reverse("accounts:profile")).content.decode())
    assert "AgentCRM" not in text
    assert re.search(r"Agent\W+CRM maintainer", text)


def test_a_managers_profile_shows_the_teams_he_leads(client, manager):
    TeamFactory(name="Equipo Norte", manager=manager)
    TeamFactory(name="Equipo Sur", manager=manager)
    TeamFactory(name="Equipo Ajeno", manager=UserFactory(roles=["manager"]))
    client.force_login(manager)
    html = client.get(reverse("accounts:profile")).content.decode()
    assert "Equipo Norte" in html
    assert "Equipo Sur" in html
    assert "Equipo Ajeno" not in html


# --- Only superusers edit superusers -----------------------------------------------------------


@pytest.fixture
def superuser(db):
    return UserFactory(is_superuser=True, is_staff=True, email="root@example.com")


def test_an_administrator_cannot_edit_a_superuser(client, cartera_admin, superuser):
    client.force_login(cartera_admin)
    url = reverse("accounts:user_edit", args=[superuser.pk])
    assert client.get(url).status_code == 404
    response = client.post(url, _user_post(superuser, email="taken@evil.example", roles=["agent"]))
    assert response.status_code == 404
    superuser.refresh_from_db()
    assert superuser.email == "root@example.com"


def test_an_administrator_cannot_deactivate_or_reactivate_a_superuser(
    client, cartera_admin, superuser
):
    client.force_login(cartera_admin)
    assert client.post(reverse("accounts:user_deactivate", args=[superuser.pk])).status_code == 404
    superuser.refresh_from_db()
    assert superuser.is_active
    superuser.is_active = False
    superuser.save()
    assert client.post(reverse("accounts:user_reactivate", args=[superuser.pk])).status_code == 404
    superuser.refresh_from_db()
    assert not superuser.is_active


def test_the_team_page_offers_no_edit_of_a_superuser_to_an_administrator(
    client, cartera_admin, superuser
):
    client.force_login(cartera_admin)
    html = client.get(reverse("accounts:team")).content.decode()
    assert reverse("accounts:user_edit", args=[superuser.pk]) not in html
    assert reverse("accounts:user_edit", args=[cartera_admin.pk]) in html


def test_a_superuser_can_edit_a_superuser_and_an_administrator_others(
    client, cartera_admin, superuser
):
    other_root = UserFactory(is_superuser=True, roles=["admin"])
    client.force_login(superuser)
    response = client.post(
        reverse("accounts:user_edit", args=[other_root.pk]),
        _user_post(other_root, email="root2@example.com"),
    )
    assert response.status_code == 302
    other_root.refresh_from_db()
    assert other_root.email == "root2@example.com"
    agent = UserFactory(roles=["agent"])
    client.force_login(cartera_admin)
    response = client.post(
        reverse("accounts:user_edit", args=[agent.pk]), _user_post(agent, email="new@example.com")
    )
    assert response.status_code == 302


def test_the_django_admin_keeps_superusers_to_superusers(rf, superuser):
    from django.contrib import admin
    from django.contrib.auth.models import Permission

    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["change_user", "view_user"])
    )
    staff = User.objects.get(pk=staff.pk)
    request = rf.get("/admin/")
    request.user = staff
    model_admin = admin.site._registry[User]
    assert model_admin.has_change_permission(request, superuser) is False
    assert model_admin.has_change_permission(request, UserFactory()) is True
    # Nor can a non-superuser make anyone (himself included) a superuser or grant permissions.
    readonly = model_admin.get_readonly_fields(request, staff)
    assert {"is_superuser", "user_permissions", "groups", "is_staff"} <= set(readonly)
    request.user = superuser
    assert model_admin.has_change_permission(request, superuser) is True
    assert "is_superuser" not in model_admin.get_readonly_fields(request, staff)


def test_the_django_admin_lists_roles_separated(rf, superuser):
    from django.contrib import admin

    person = UserFactory(roles=["agent", "maintainer"])
    model_admin = admin.site._registry[User]
    assert model_admin.roles(person) == "Agent, CRM maintainer"


# --- E-mail: the password to change it, unique whatever the case --------------------------------


def _profile_post(user, **changes):
    return {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "phone": "",
        "language": "en",
    } | changes


@pytest.mark.parametrize("password", ["", "wrong-password"])
def test_changing_ones_email_needs_the_current_password(client, agent, password):
    before = agent.email
    client.force_login(agent)
    response = client.post(
        reverse("accounts:profile"),
        _profile_post(agent, email="elsewhere@example.com", current_password=password),
    )
    assert response.status_code == 200
    assert "current_password" in response.context["form"].errors
    agent.refresh_from_db()
    assert agent.email == before


def test_the_right_password_changes_the_email(client, agent):
    client.force_login(agent)
    response = client.post(
        reverse("accounts:profile"),
        _profile_post(agent, email="elsewhere@example.com", current_password=PASSWORD),
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.email == "elsewhere@example.com"


def test_other_profile_fields_need_no_password(client, agent):
    client.force_login(agent)
    response = client.post(reverse("accounts:profile"), _profile_post(agent, first_name="Lupita"))
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.first_name == "Lupita"


def test_the_email_is_unique_whatever_its_case_in_the_profile(client, agent):
    UserFactory(email="Taken@Example.com")
    client.force_login(agent)
    response = client.post(
        reverse("accounts:profile"),
        _profile_post(agent, email="taken@example.COM", current_password=PASSWORD),
    )
    assert response.status_code == 200
    assert "email" in response.context["form"].errors


def test_the_email_is_unique_whatever_its_case_in_the_user_pages(client, cartera_admin):
    UserFactory(email="taken@example.com")
    client.force_login(cartera_admin)
    response = client.post(
        reverse("accounts:user_create"),
        {"username": "newbie", "first_name": "N", "last_name": "B",
         "email": "TAKEN@example.com", "language": "en", "roles": ["agent"]},
    )  # fmt: skip
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert not User.objects.filter(username="newbie").exists()


def test_the_service_and_the_database_refuse_a_duplicate_email(db):
    UserFactory(email="taken@example.com")
    with pytest.raises(ValidationError):
        user_create(username="newbie", roles=["agent"], email="Taken@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="sneaky", email="TAKEN@EXAMPLE.COM")


def test_several_users_may_have_no_email(db):
    User.objects.create(username="a", email="")
    User.objects.create(username="b", email="")
    assert User.objects.filter(email="").count() == 2
