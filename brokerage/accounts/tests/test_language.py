import pytest
from django.conf import settings

from .factories import UserFactory

pytestmark = pytest.mark.django_db


def test_switching_language_is_kept_on_the_user(client, agent):
    client.force_login(agent)
    response = client.post("/i18n/language/", {"language": "es", "next": "/queue/"})
    assert response.status_code == 302
    assert response["Location"] == "/queue/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    agent.refresh_from_db()
    assert agent.language == "es"
    html = client.get("/queue/").content.decode()
    assert "Mi lista de llamadas" in html
    assert '<html lang="es">' in html


def test_the_users_language_wins_over_the_browser(client):
    user = UserFactory(roles=["agent"], language="zh-hans")
    client.force_login(user)
    html = client.get("/queue/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "我的待办" in html


def test_an_unknown_language_is_refused_with_a_message(client, agent):
    client.force_login(agent)
    response = client.post(
        "/i18n/language/", {"language": "xx-evil", "next": "/queue/"}, follow=True
    )
    assert response.status_code == 200
    assert "Unknown language: xx-evil." in response.content.decode()
    agent.refresh_from_db()
    assert agent.language == "en"


def test_an_anonymous_visitor_can_switch_the_sign_in_page(client):
    response = client.post("/i18n/language/", {"language": "zh-hans", "next": "/accounts/login/"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    html = client.get("/accounts/login/").content.decode()
    assert "登录" in html


def test_it_never_redirects_off_site(client, agent):
    client.force_login(agent)
    response = client.post("/i18n/language/", {"language": "es", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_the_profile_saves_the_language(client, agent):
    client.force_login(agent)
    response = client.post(
        "/accounts/profile/",
        {
            "first_name": "Ana",
            "last_name": "Ruiz",
            "email": agent.email,  # changing it would need the password
            "phone": "",
            "language": "zh-hans",
        },
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.language == "zh-hans" and agent.first_name == "Ana"


def test_the_profile_refuses_an_unknown_language(client, agent):
    client.force_login(agent)
    response = client.post(
        "/accounts/profile/",
        {
            "first_name": "Ana",
            "last_name": "Ruiz",
            "email": "ana@example.com",
            "language": "klingon",
        },
    )
    assert response.status_code == 200
    assert "language" in response.context["form"].errors
    agent.refresh_from_db()
    assert agent.language == "en"
