import re
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_it_signs_in_with_the_right_password(client, agent):
    response = _login(client, agent.username, PASSWORD)
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(agent.pk)


def test_it_explains_a_wrong_password(client, agent):
    response = _login(client, agent.username, "wrong")
    assert response.status_code == 200
    assert "do not match" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_the_fifth_wrong_password_locks_the_user_name(client, agent):
    for _ in range(4):
        assert _login(client, agent.username, "wrong").status_code == 200
    response = _login(client, agent.username, "wrong")
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    # Even the right password is refused while locked.
    response = _login(client, agent.username, PASSWORD)
    assert response.status_code == 429
    assert SESSION_KEY not in client.session


def test_the_lock_is_per_user_name(client, agent):
    other = UserFactory(roles=["agent"])
    for _ in range(5):
        _login(client, agent.username, "wrong")
    assert _login(client, other.username, PASSWORD).status_code == 302


def test_a_right_password_resets_the_count(client, agent):
    for _ in range(4):
        _login(client, agent.username, "wrong")
    assert _login(client, agent.username, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert _login(client, agent.username, "wrong").status_code == 200


def test_logout_needs_a_post_and_ends_the_session(client, agent):
    client.force_login(agent)
    assert client.get("/accounts/logout/").status_code == 405
    client.post("/accounts/logout/")
    assert SESSION_KEY not in client.session


def test_password_reset_by_email_end_to_end(client, agent):
    response = client.post("/accounts/password/reset/", {"email": agent.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/\S+/)", mail.outbox[0].body)
    assert link
    response = client.get(link.group(1), follow=True)
    assert response.context["validlink"] is True
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": "Nuevo-secreto-2026", "new_password2": "Nuevo-secreto-2026"},
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.check_password("Nuevo-secreto-2026")


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_an_expired_reset_link_says_so(client, agent, settings):
    uid = urlsafe_base64_encode(force_bytes(agent.pk))
    # A token made two days ago, past the one-day timeout.
    generator = default_token_generator
    two_days_ago = generator._now() - timedelta(days=2)
    with mock.patch.object(type(generator), "_now", return_value=two_days_ago):
        token = generator.make_token(agent)
    response = client.get(f"/accounts/password/reset/{uid}/{token}/", follow=True)
    assert response.status_code == 200
    assert response.context["validlink"] is False
    assert "This link no longer works" in response.content.decode()


def test_a_mangled_reset_link_says_so(client):
    response = client.get("/accounts/password/reset/zzz/not-a-token/", follow=True)
    assert response.status_code == 200
    assert "This link no longer works" in response.content.decode()


def test_an_inactive_user_cannot_sign_in(client):
    person = UserFactory(is_active=False)
    response = _login(client, person.username, PASSWORD)
    assert response.status_code == 200
    assert SESSION_KEY not in client.session
