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


# --- A deactivated account is told so, only after the right password ------------------------


def test_a_deactivated_user_with_the_right_password_is_told_the_account_is_disabled(client):
    person = UserFactory(is_active=False)
    html = _login(client, person.username, PASSWORD).content.decode()
    assert "deactivated" in html
    assert "do not match" not in html
    assert SESSION_KEY not in client.session


def test_a_wrong_password_on_a_deactivated_account_reveals_nothing(client):
    person = UserFactory(is_active=False)
    deactivated = _login(client, person.username, "wrong").content.decode()
    unknown = _login(client, "nobody-at-all", "wrong").content.decode()
    assert "deactivated" not in deactivated
    assert "do not match" in deactivated
    assert "do not match" in unknown


# --- Behind the proxy: lock (user name, client address), the address the proxy saw ---------------

PROXY = "10.0.0.2"  # the TLS proxy: REMOTE_ADDR of every request


def _login_from(client, address, username, password, forwarded=None):
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded or address,
    )


@pytest.fixture
def behind_proxy(settings):
    settings.PROXY_COUNT = 1


def test_it_locks_the_user_name_from_the_guessers_address_behind_the_proxy(
    client, agent, behind_proxy
):
    for _ in range(5):
        _login_from(client, "203.0.113.9", agent.username, "wrong")
    assert _login_from(client, "203.0.113.9", agent.username, PASSWORD).status_code == 429


def test_a_flood_from_one_address_does_not_lock_the_real_user_out_from_another(
    client, agent, behind_proxy
):
    for _ in range(12):
        _login_from(client, "203.0.113.9", agent.username, "wrong")
    assert _login_from(client, "203.0.113.9", agent.username, PASSWORD).status_code == 429
    response = _login_from(client, "198.51.100.7", agent.username, PASSWORD)
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(agent.pk)


def test_a_forged_forwarded_for_entry_does_not_escape_the_lock(client, agent, behind_proxy):
    # The client may send any X-Forwarded-For; the proxy appends the address it saw, last.
    for n in range(5):
        _login_from(client, None, agent.username, "wrong", forwarded=f"1.2.3.{n}, 203.0.113.9")
    response = _login_from(
        client, None, agent.username, PASSWORD, forwarded="198.51.100.7, 203.0.113.9"
    )
    assert response.status_code == 429


def test_without_a_proxy_the_header_is_not_trusted(client, agent, settings):
    settings.PROXY_COUNT = 0
    for n in range(5):
        client.post(
            "/accounts/login/", {"username": agent.username, "password": "wrong"},
            REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )  # fmt: skip
    response = client.post(
        "/accounts/login/", {"username": agent.username, "password": PASSWORD},
        REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.77",
    )  # fmt: skip
    assert response.status_code == 429


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        ({"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.9"}, "203.0.113.9"),
        ({"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.9"}, "203.0.113.9"),
        ({"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "not-an-address"}, PROXY),
        ({"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": ""}, PROXY),
        ({"REMOTE_ADDR": PROXY}, PROXY),
        ({"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": " 2001:db8::1 "}, "2001:db8::1"),
    ],
)
def test_it_reads_the_address_the_trusted_proxy_saw(rf, settings, meta, expected):
    from brokerage.core.client_ip import client_ip_address

    settings.PROXY_COUNT = 1
    request = rf.get("/", **meta)
    assert client_ip_address(request) == expected


def test_with_two_proxies_it_reads_the_second_entry_from_the_right(rf, settings):
    from brokerage.core.client_ip import client_ip_address

    settings.PROXY_COUNT = 2
    request = rf.get(
        "/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9, 10.0.0.1"
    )
    assert client_ip_address(request) == "203.0.113.9"
