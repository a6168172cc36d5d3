"""The lists behind the claims and collections figures read the reports' database like the
figures do: with REPORTS_DATABASE = "replica" the claims, instalments, promises and policies at
risk a list shows are read from the replica (in a read-only transaction), not the primary, the
page's rows fetched there, nothing written there. Without a replica they read default. The
replica is a second alias mirroring the test database (brokerage/test_settings.py); the tests
commit (transaction=True) so that its connection sees the rows."""

import datetime
from decimal import Decimal

import pytest
from django.db import connections
from django.utils import timezone

from billing.models import Instalment, InstalmentStatus
from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from brokerage.core.tests.test_replica import Queries
from claims.models import Claim, ClaimStatus
from claims.tests.factories import ClaimFactory

from .collection_factories import PromiseFactory, RiskFactory, instalment, policy_of

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

CLAIMS = Claim._meta.db_table
INSTALMENTS = Instalment._meta.db_table


def period(**params) -> dict:
    today = timezone.localdate()
    return {"start": (today - datetime.timedelta(days=60)).isoformat(),
            "end": (today + datetime.timedelta(days=30)).isoformat(), **params}  # fmt: skip


@pytest.fixture
def book():
    manager = UserFactory(roles=["manager"])
    team = TeamFactory(name="Norte", manager=manager)
    ana = UserFactory(roles=["agent"], team=team, first_name="Ana", last_name="Ruiz")
    policy = policy_of(ana)
    reported = timezone.now() - datetime.timedelta(days=5)
    claim = ClaimFactory(policy=policy, reported_at=reported, status_changed_at=reported,
                         status=ClaimStatus.IN_ASSESSMENT, currency=policy.currency,
                         amount_claimed=Decimal("5000.00"))  # fmt: skip
    late = instalment(policy, 1, -10, "1000.00", InstalmentStatus.OVERDUE)
    PromiseFactory(instalment=late, promised_on=timezone.localdate())
    RiskFactory(instalment=late)
    return {"manager": manager, "ana": ana, "policy": policy, "claim": claim}


@pytest.fixture
def replica(settings):
    settings.REPORTS_DATABASE = "replica"
    return connections["replica"]


def _read_from_replica(queries, table):
    assert queries.reading("replica", table)
    assert not queries.reading("default", table)
    assert not queries.writes("replica")
    assert any("SET TRANSACTION READ ONLY" in s for s in queries.sql("replica"))


def test_the_claims_lists_read_the_replica(client, book, replica):
    client.force_login(book["manager"])
    for show in ("reported", "open"):
        with Queries() as queries:
            response = client.get("/reports/claims/list/", period(show=show))
        assert response.status_code == 200, show
        assert [c.pk for c in response.context["page"]] == [book["claim"].pk], show
        assert f'href="/claims/{book["claim"].pk}/"' in response.content.decode()
        _read_from_replica(queries, CLAIMS)


def test_the_collections_lists_read_the_replica(client, book, replica):
    client.force_login(book["manager"])
    for show in ("owed", "promises", "at_risk"):
        with Queries() as queries:
            response = client.get("/reports/collections/list/", period(show=show))
        assert response.status_code == 200, show
        page = response.context["page"]
        assert page.paginator.count == 1, show
        assert f'href="/policies/{book["policy"].pk}/"' in response.content.decode()
        _read_from_replica(queries, INSTALMENTS)


def test_an_agents_own_collections_list_reads_the_replica(client, book, replica):
    client.force_login(book["ana"])
    with Queries() as queries:
        response = client.get("/reports/collections/list/", period(show="owed"))
    assert [i.policy_id for i in response.context["page"]] == [book["policy"].pk]
    _read_from_replica(queries, INSTALMENTS)


def test_without_a_replica_the_lists_read_default(client, book):
    client.force_login(book["manager"])
    with Queries() as queries:
        claims = client.get("/reports/claims/list/", period(show="reported"))
        owed = client.get("/reports/collections/list/", period(show="owed"))
    assert claims.context["page"].paginator.count == owed.context["page"].paginator.count == 1
    assert queries.sql("replica") == []
    assert queries.reading("default", CLAIMS) and queries.reading("default", INSTALMENTS)
