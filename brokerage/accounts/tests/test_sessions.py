"""The session's idle timeout written at most once a minute, and the permissions read in one
query (issue 18)."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.models import Session
from django.utils import timezone

from brokerage.accounts.backends import CarteraModelBackend

from .factories import UserFactory

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def _expiry(client) -> datetime.datetime:
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_an_unchanged_session_is_pushed_forward_at_most_once_a_minute(client, agent):
    age = datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    with time_machine.travel(START, tick=False):
        client.force_login(agent)
        first = client.get("/queue/")  # signing in just wrote it
        assert first.status_code == 200
        assert settings.SESSION_COOKIE_NAME not in first.cookies
        assert _expiry(client) == START + age
    with time_machine.travel(START + datetime.timedelta(seconds=59), tick=False):
        again = client.get("/queue/")
        assert again.status_code == 200
        assert settings.SESSION_COOKIE_NAME not in again.cookies
        assert "Cookie" in again["Vary"]
        assert _expiry(client) == START + age
    later = START + datetime.timedelta(seconds=60)
    with time_machine.travel(later, tick=False):
        client.get("/queue/")
        assert _expiry(client) == later + age
        assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == age.total_seconds()


def test_the_session_ends_after_the_idle_timeout_from_the_last_save(client, agent):
    age = datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    with time_machine.travel(START, tick=False):
        client.force_login(agent)
        client.get("/queue/")
    with time_machine.travel(START + datetime.timedelta(seconds=30), tick=False):
        client.get("/queue/")  # within the minute: not written
    with time_machine.travel(START + age + datetime.timedelta(seconds=1), tick=False):
        response = client.get("/queue/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_changed_session_is_saved_at_once(client, agent):
    with time_machine.travel(START, tick=False):
        client.force_login(agent)
        client.get("/queue/")
    with time_machine.travel(START + datetime.timedelta(seconds=10), tick=False):
        client.post("/accounts/logout/")
        assert not Session.objects.filter(expire_date__gt=timezone.now()).exists()
        assert client.get("/queue/").status_code == 302


def test_an_anonymous_visit_stores_no_session(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert not Session.objects.exists()


def _django_permissions(user) -> set[str]:
    return ModelBackend().get_all_permissions(type(user).objects.get(pk=user.pk))


def test_permissions_are_the_users_and_their_groups_in_one_query(
    agent, django_assert_num_queries
):
    own = Permission.objects.get(codename="view_session")
    agent.user_permissions.add(own)
    extra = Group.objects.create(name="extra")
    extra.permissions.add(Permission.objects.get(codename="delete_session"))
    agent.groups.add(extra)
    agent = type(agent).objects.get(pk=agent.pk)
    with django_assert_num_queries(1):
        perms = CarteraModelBackend().get_all_permissions(agent)
    assert perms == _django_permissions(agent)
    assert {"sessions.view_session", "sessions.delete_session", "accounts.work_queue"} <= perms
    with django_assert_num_queries(0):
        assert agent.has_perm("accounts.work_queue")


def test_permissions_of_a_superuser_an_inactive_user_and_a_user_without_any(db):
    boss = UserFactory(is_superuser=True)
    assert CarteraModelBackend().get_all_permissions(boss) == _django_permissions(boss)
    assert len(CarteraModelBackend().get_all_permissions(boss)) == Permission.objects.count()
    gone = UserFactory(roles=["agent"], is_active=False)
    assert CarteraModelBackend().get_all_permissions(gone) == set()
    bare = UserFactory()
    assert CarteraModelBackend().get_all_permissions(bare) == set()
    assert _django_permissions(bare) == set()


def test_signing_in_counts_as_the_sessions_refresh(client, agent, django_assert_max_num_queries):
    with time_machine.travel(START, tick=False):
        client.force_login(agent)
        with django_assert_max_num_queries(50) as first:
            client.get("/queue/")
        with django_assert_max_num_queries(50) as second:
            client.get("/queue/")
    assert not any("UPDATE" in q["sql"] for q in first.captured_queries)
    assert len(first.captured_queries) == len(second.captured_queries)
