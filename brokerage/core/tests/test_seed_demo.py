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
    from billing.models import Allocation, Payment
    from claims.models import Claim
    from clients.models import Client
    from policies.models import Insurer, Policy, Quotation, Vehicle
    from renewals.models import RenewalCase
    from servicing.models import ServiceCase, ServiceRequest
    from workqueue.models import ItemResult, PointsAward, WorkItem

    Allocation.objects.all().delete()  # protect the instalments they pay
    Payment.objects.all().delete()  # protect their clients
    ItemResult.objects.all().delete()
    WorkItem.objects.all().delete()
    PointsAward.objects.all().delete()
    RenewalCase.objects.all().delete()
    Claim.objects.all().delete()  # protect their policies
    ServiceRequest.objects.all().delete()  # protect their policies
    ServiceCase.objects.all().delete()  # protect their clients
    Vehicle.objects.all().delete()
    Policy.objects.update(previous_policy=None)
    Policy.objects.all().delete()
    Quotation.objects.all().delete()  # and their quotes, which protect the insurers
    Insurer.objects.all().delete()
    Client.objects.all().delete()
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


@pytest.fixture
def people_only(monkeypatch):
    """Only the people step: these tests need a big book's sales force, not the book."""
    monkeypatch.setattr("brokerage.core.demo.STEPS", ["brokerage.accounts.demo.seed_people"])


def test_it_uses_spanish_and_chinese_names(people_only):
    _seed(clients=20000, seed=3)
    languages = set(User.objects.values_list("language", flat=True))
    assert {"es", "zh-hans"} <= languages
    chinese = User.objects.filter(language="zh-hans").first()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese.last_name)


def test_it_scales_the_sales_force_with_the_book(people_only):
    _seed(clients=50000, seed=1)
    assert User.objects.filter(groups__name="agent").count() == 20
    assert Team.objects.count() == 3


def test_it_refuses_a_database_that_has_users(agent):
    with pytest.raises(CommandError, match="already has users"):
        _seed(clients=10)
    assert "not loaded" in _seed(clients=10, if_empty=True)
    assert User.objects.count() == 1


# --- clients and policies ---------------------------------------------------------------------


def _book():
    from clients.models import Client
    from policies.models import Policy

    clients = sorted(
        (name, str(phone)) for name, phone in Client.objects.values_list("display_name", "phone")
    )
    policies = sorted(Policy.objects.values_list("insurer__code", "number", "premium"))
    return clients, policies


def test_it_creates_clients_with_display_names_in_spanish_and_chinese():
    from clients.models import Client, ClientKind

    output = _seed(clients=300, seed=5)
    clients = list(Client.objects.all())
    assert len(clients) == 300
    assert "clients: 300" in output
    assert all(c.display_name and c.display_name == c.compute_display_name() for c in clients)
    assert {c.language for c in clients} == {"es", "zh-hans"}
    chinese = [c for c in clients if c.language == "zh-hans" and c.kind == ClientKind.INDIVIDUAL]
    assert all("\u4e00" <= c.last_name[0] <= "\u9fff" for c in chinese)
    assert all(len(c.national_id) == 18 for c in clients if c.kind == ClientKind.INDIVIDUAL)
    assert any(c.kind == ClientKind.CORPORATE and c.tax_id for c in clients)
    assert all(c.phone and c.phone.is_valid() for c in clients)
    assert any(c.owner_id is None for c in clients)
    owners = {c.owner_id for c in clients} - {None}
    assert owners == set(User.objects.filter(groups__name="agent").values_list("pk", flat=True))
    assert not Client.history.exists()  # the initial load is not a change


def test_its_chinese_insurers_read_their_reports_as_chinese_and_the_others_as_the_brokerage():
    from policies.models import Currency, Insurer, Policy

    _seed(clients=100, seed=5)
    chinese = Insurer.objects.filter(code__in=["picc", "taiping", "pingan"])
    assert {(i.phone_region, i.report_currency, i.report_language) for i in chinese} == {
        ("CN", Currency.CNY, "zh-hans")
    }
    hdi = Insurer.objects.get(code="hdi")
    assert (hdi.country, hdi.currency, hdi.client_language) == ("", "", "")
    # The demo's own policies agree with their insurer's currency.
    yuan = set(Policy.objects.filter(insurer__in=chinese).values_list("currency", flat=True))
    assert yuan <= {Currency.CNY}


def test_it_gives_every_auto_policy_a_vehicle_with_a_valid_vin():
    from policies.models import Line, Policy, Vehicle
    from policies.validators import validate_vin

    _seed(clients=300, seed=5)
    auto = Policy.objects.filter(line=Line.AUTO)
    assert auto.exists()
    assert not auto.filter(vehicles__isnull=True).exists()
    assert not Vehicle.objects.exclude(policy__line=Line.AUTO).exists()
    for vehicle in Vehicle.objects.all():
        validate_vin(vehicle.vin)
        vehicle.full_clean()
        assert vehicle.plate == "".join(ch for ch in vehicle.plate.upper() if ch.isalnum())
    assert not Policy.history.exists() and not Vehicle.history.exists()


def test_it_writes_about_two_policies_per_client_with_unique_numbers():
    from django.db.models import Count

    from policies.models import Policy

    _seed(clients=300, seed=5)
    assert 450 <= Policy.objects.count() <= 750
    assert not (
        Policy.objects.values("insurer", "number").annotate(n=Count("pk")).filter(n__gt=1).exists()
    )
    for policy in Policy.objects.select_related("insurer"):
        assert policy.number.startswith(f"{policy.insurer.code.upper()}-")


def test_it_ends_policies_between_a_year_ago_and_120_days_ahead_or_renewed_this_year():
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from policies.demo import shift_year
    from policies.models import Currency, Policy, PolicyStatus

    _seed(clients=300, seed=5)
    today = timezone.localdate()
    year_ago = shift_year(today, -1)
    policies = list(Policy.objects.select_related("holder", "previous_policy"))
    for policy in policies:
        if policy.previous_policy and policy.previous_policy.end_date < today:
            # Renewed this year: a year from the old policy's end.
            assert policy.end_date == shift_year(policy.previous_policy.end_date, 1)
            assert policy.start_date == policy.previous_policy.end_date
        else:
            assert year_ago <= policy.end_date <= today + timedelta(days=120)
        assert policy.start_date < policy.end_date
        assert (policy.status == PolicyStatus.ACTIVE) == (policy.end_date >= today)
        assert policy.agent_id == policy.holder.owner_id
        assert isinstance(policy.premium, Decimal) and policy.premium > 0
        assert policy.premium == policy.premium.quantize(Decimal("0.01"))
        expected = Currency.MXN if policy.holder.language == "es" else Currency.CNY
        assert policy.currency == expected
        if policy.previous_policy:
            assert policy.previous_policy.status == PolicyStatus.RENEWED
            assert policy.previous_policy.end_date == policy.start_date
    soon = [p for p in policies if today <= p.end_date <= today + timedelta(days=30)]
    assert len(soon) >= len(policies) // 10  # the renewal desk has work from day one
    renewed = {p.previous_policy_id for p in policies if p.previous_policy_id}
    assert renewed == {p.pk for p in policies if p.status == PolicyStatus.RENEWED}


def test_it_gives_the_same_book_for_the_same_seed():
    _seed(clients=300, seed=21)
    first = _book()
    _wipe()
    _seed(clients=300, seed=21)
    assert _book() == first
    _wipe()
    _seed(clients=300, seed=22)
    assert _book() != first
