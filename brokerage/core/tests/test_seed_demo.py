from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from brokerage.accounts.models import Team, User
from brokerage.core.demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def _seed(**kwargs):
    out = StringIO()
    call_command("seed_demo", stdout=out, **kwargs)
    return out.getvalue()


def _wipe():
    User.objects.update(team=None)
    Team.objects.all().delete()
    User.objects.all().delete()


def test_it_creates_demo_users_of_each_role_and_prints_them():
    output = _seed(clients=50, seed=7)
    for username, role in [
        ("agent", "agent"),
        ("manager", "manager"),
        ("maintainer", "maintainer"),
        ("admin", "admin"),
    ]:
        user = User.objects.get(username=username)
        assert user.has_role(role)
        assert user.check_password(DEMO_PASSWORD)
        assert username in output
    assert DEMO_PASSWORD in output
    agents = User.objects.filter(groups__name="agent")
    assert agents.count() == 4
    assert not agents.filter(team__isnull=True).exists()
    assert all(t.manager.has_role("manager") for t in Team.objects.select_related("manager"))


def test_it_is_deterministic_for_a_seed():
    _seed(clients=50, seed=11)
    first = sorted(User.objects.values_list("username", "first_name", "last_name", "language"))
    _wipe()
    _seed(clients=50, seed=11)
    again = sorted(User.objects.values_list("username", "first_name", "last_name", "language"))
    assert first == again
    _wipe()
    _seed(clients=50, seed=12)
    other = sorted(User.objects.values_list("username", "first_name", "last_name", "language"))
    assert other != first


def test_it_uses_spanish_and_chinese_names():
    _seed(clients=20000, seed=3)
    languages = set(User.objects.values_list("language", flat=True))
    assert {"es", "zh-hans"} <= languages
    chinese = User.objects.filter(language="zh-hans").first()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese.last_name)


def test_it_scales_the_sales_force_with_the_book():
    _seed(clients=50000, seed=1)
    assert User.objects.filter(groups__name="agent").count() == 20
    assert Team.objects.count() == 3


def test_it_refuses_a_database_that_has_users(agent):
    with pytest.raises(CommandError, match="already has users"):
        _seed(clients=10)
    assert "not loaded" in _seed(clients=10, if_empty=True)
    assert User.objects.count() == 1
