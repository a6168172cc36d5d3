"""Who may open each claims page (issue 16). One claim of a client owned by an agent of team A
is tried by its owner, a teammate, an agent of team B, the manager of team A, the manager of
team B, a maintainer, an administrator and an anonymous visitor: those who see the client see
the claim; the others get a 404 on every URL (GET and POST) and change nothing; anonymous
visitors go to sign in. The list shows each one only what they may open. The list and the
claim page read a fixed number of queries whatever the number of claims."""

from decimal import Decimal

import pytest
from django.urls import reverse

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from claims.models import ClaimStatus
from claims.services import claim_set_status
from claims.tests.factories import ClaimFactory, report
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory

pytestmark = pytest.mark.django_db

ROLES = [
    "owner", "teammate", "outsider", "manager", "other_manager", "maintainer", "admin",
    "anonymous",
]  # fmt: skip
SEES = {"owner", "manager", "maintainer", "admin"}
LIST_QUERIES = 9
DETAIL_QUERIES = 14  # with a history naming users: one more, whatever the number of changes;
# a claim being worked: one more for the repair shops it offers (claims.repair.shops_for_claim)


@pytest.fixture
def world():
    manager = UserFactory(roles=["manager"])
    other_manager = UserFactory(roles=["manager"])
    team, other_team = TeamFactory(manager=manager), TeamFactory(manager=other_manager)
    owner = UserFactory(roles=["agent"], team=team)
    users = {
        "owner": owner,
        "teammate": UserFactory(roles=["agent"], team=team),
        "outsider": UserFactory(roles=["agent"], team=other_team),
        "manager": manager,
        "other_manager": other_manager,
        "maintainer": UserFactory(roles=["maintainer"]),
        "admin": UserFactory(roles=["admin"]),
        "anonymous": None,
    }
    policy = PolicyFactory(holder=ClientFactory(owner=owner), agent=owner)
    claim = report(policy=policy, by=owner)
    return users, policy, claim


def _as(client, user):
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("role", ROLES)
def test_it_opens_the_claim_pages_only_for_those_who_see_the_client(client, world, role):
    users, policy, claim = world
    _as(client, users[role])
    urls = [
        reverse("claims:detail", args=[claim.pk]),
        reverse("claims:edit", args=[claim.pk]),
        reverse("claims:report_for", args=[policy.pk]),
    ]
    for url in urls:
        response = client.get(url)
        if role == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        elif role in SEES:
            assert response.status_code == 200, url
        else:
            assert response.status_code == 404, url
    for name in ("claims:status", "claims:contact"):
        if role in SEES:
            continue
        data = {"status": "withdrawn"}
        response = client.post(reverse(name, args=[claim.pk]), data)
        assert response.status_code == (302 if role == "anonymous" else 404)
        if role == "anonymous":
            assert "/accounts/login/" in response["Location"]
    response = client.post(reverse("claims:report_for", args=[policy.pk]), {})
    if role not in SEES:
        assert response.status_code == (302 if role == "anonymous" else 404)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REPORTED and claim.first_contact_at is None


@pytest.mark.parametrize("role", ROLES)
def test_the_list_shows_only_what_each_may_open(client, world, role):
    users, policy, claim = world
    elsewhere = ClaimFactory(policy=PolicyFactory(holder=ClientFactory(owner=users["outsider"])))
    _as(client, users[role])
    response = client.get(reverse("claims:list"))
    if role == "anonymous":
        assert response.status_code == 302
        return
    html = response.content.decode()
    assert (f'data-claim="{claim.pk}"' in html) == (role in SEES)
    assert (f'data-claim="{elsewhere.pk}"' in html) == (
        role in {"outsider", "other_manager", "maintainer", "admin"}
    )


@pytest.mark.parametrize("role", ROLES)
def test_the_report_search_finds_only_their_policies(client, world, role):
    users, policy, claim = world
    _as(client, users[role])
    response = client.get(reverse("claims:report"), {"q": policy.number})
    if role == "anonymous":
        assert response.status_code == 302
        return
    assert response.status_code == 200
    found = reverse("claims:report_for", args=[policy.pk]) in response.content.decode()
    assert found == (role in SEES)


def test_a_user_with_no_role_gets_a_403(client, world):
    users, policy, claim = world
    client.force_login(UserFactory())
    assert client.get(reverse("claims:list")).status_code == 403
    assert client.get(reverse("claims:report")).status_code == 403


@pytest.mark.parametrize("n", [1, 8])
def test_the_list_reads_a_fixed_number_of_queries(client, agent, n, django_assert_max_num_queries):
    for _ in range(n):
        policy = PolicyFactory(holder=ClientFactory(owner=agent), agent=agent)
        ClaimFactory(policy=policy, escalated_at=policy.created_at)
    client.force_login(agent)
    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(reverse("claims:list"), {"open": "1", "kind": "collision"})
    assert response.content.decode().count('data-testid="claim-row"') == n


@pytest.mark.parametrize("changes", [0, 6])
def test_the_claim_page_reads_a_fixed_number_of_queries(
    client, agent, changes, django_assert_max_num_queries
):
    policy = PolicyFactory(holder=ClientFactory(owner=agent), agent=agent)
    claim = report(policy=policy, by=agent)
    path = [
        ClaimStatus.FIRST_CONTACT, ClaimStatus.IN_ASSESSMENT, ClaimStatus.DOCUMENTS_COMPLETE,
        ClaimStatus.WITH_INSURER, ClaimStatus.APPROVED, ClaimStatus.SETTLED,
    ]  # fmt: skip
    for status in path[:changes]:
        claim = claim_set_status(
            claim=claim, by=agent, status=status, amount_settled=Decimal("100.00")
        )
    client.force_login(agent)
    with django_assert_max_num_queries(DETAIL_QUERIES):
        response = client.get(reverse("claims:detail", args=[claim.pk]))
    html = response.content.decode()
    assert html.count('<li data-status="') == changes + 1


@pytest.mark.parametrize("n", [1, 5])
def test_the_client_and_policy_pages_list_their_claims_in_one_query(
    client, agent, n, django_assert_num_queries
):
    policy = PolicyFactory(holder=ClientFactory(owner=agent), agent=agent)
    claims = [ClaimFactory(policy=policy) for _ in range(n)]
    client.force_login(agent)
    for url in (
        reverse("clients:detail", args=[policy.holder_id]),
        reverse("policies:detail", args=[policy.pk]),
    ):
        html = client.get(url).content.decode()
        section = html[html.index('id="claims"') :]
        for claim in claims:
            assert reverse("claims:detail", args=[claim.pk]) in section
        assert 'data-testid="report-claim"' in section
    from django.template import Context, Template

    template = Template(
        "{% load claims_tags %}{% client_claims client as c %}{% for x in c %}"
        "{{ x.policy.insurer }}{% endfor %}"
    )
    with django_assert_num_queries(1):
        template.render(Context({"client": policy.holder}))


@pytest.mark.parametrize(
    "params",
    [
        {"status": "lost", "kind": "²", "agent": "²", "page": "abc"},
        {"reported_from": "9999-99-99", "reported_to": "²", "q": "x\x00y"},
        {"agent": str(2**70), "escalated": "yes", "open": "\x00"},
    ],
)
def test_the_list_sets_bad_filters_aside_with_a_message(client, world, params):
    users, policy, claim = world
    client.force_login(users["owner"])
    response = client.get(reverse("claims:list"), params)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-claim="{claim.pk}"' in html
    if set(params) - {"page", "escalated", "open"}:
        assert "were not understood and were ignored" in html


def test_the_policy_search_answers_a_nul_byte_with_a_message(client, world):
    users, policy, claim = world
    client.force_login(users["owner"])
    response = client.get(reverse("claims:report"), {"q": "Lu\x00"})
    assert response.status_code == 200
    assert "That search was not understood" in response.content.decode()


def test_a_claim_that_does_not_exist_is_a_404(client, world):
    users, policy, claim = world
    client.force_login(users["maintainer"])
    for pk in (claim.pk + 1000, 2**70):
        assert client.get(reverse("claims:detail", args=[pk])).status_code == 404
        assert client.post(reverse("claims:status", args=[pk]), {}).status_code == 404


def test_the_admin_shows_a_claim_for_staff_repairs_without_delete(client, world):
    users, policy, claim = world
    superuser = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(superuser)
    response = client.get(reverse("admin:claims_claim_change", args=[claim.pk]))
    assert response.status_code == 200
    assert reverse("admin:claims_claim_delete", args=[claim.pk]) not in response.content.decode()
    assert client.get(reverse("admin:claims_claim_changelist")).status_code == 200


def test_the_list_pages_with_its_filters(client, agent):
    policy = PolicyFactory(holder=ClientFactory(owner=agent), agent=agent)
    for _ in range(51):
        ClaimFactory(policy=policy)
    client.force_login(agent)
    html = client.get(reverse("claims:list"), {"kind": "collision", "open": "1"}).content.decode()
    assert html.count('data-testid="claim-row"') == 50
    assert "?kind=collision&amp;open=1&amp;page=2" in html
    assert "escalated=" not in html  # a flag that is off stays out of the links
    html = client.get(reverse("claims:list"), {"kind": "collision", "page": "2"}).content.decode()
    assert html.count('data-testid="claim-row"') == 1
