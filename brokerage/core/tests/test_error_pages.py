import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_an_unknown_page_gets_a_friendly_404(client, agent):
    client.force_login(agent)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


def test_a_refused_page_explains_itself(client, agent):
    client.force_login(agent)
    response = client.get("/accounts/team/")
    assert response.status_code == 403
    assert "You do not have access to this page" in response.content.decode()


def test_an_expired_form_says_so_and_signs_nobody_in(agent):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/accounts/login/", {"username": agent.username, "password": "x"})
    assert response.status_code == 403
    assert "This page has expired" in response.content.decode()


def test_the_error_pages_speak_the_users_language(client):
    from brokerage.accounts.tests.factories import UserFactory

    client.force_login(UserFactory(roles=["agent"], language="es"))
    html = client.get("/no-such-page/").content.decode()
    assert '<html lang="es">' in html
    assert "No encontramos esa página" in html
