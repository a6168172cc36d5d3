"""Who may open which renewal and work-queue URL.

One renewal case (its policy held by a client owned by an agent of team A and co-assigned to a
second agent of team A, with a touch in the owner's call list made by the morning job) is tried
by nine people: its owner, its co-assigned agent, a teammate who is not assigned, an agent of
team B, the manager of team A, the manager of team B, a maintainer, an administrator and an
anonymous visitor. Those who may get their page (or, for a POST, the redirect of a job done);
the others get a 404 or a 403 (never a 200, never a 500) and change nothing; the anonymous
visitor is sent to log in.
"""

import datetime
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from clients.tests.factories import ClientFactory
from policies.models import Line, Policy
from policies.tests.factories import InsurerFactory, PolicyFactory
from renewals.jobs import renewals_morning_job
from renewals.kind import LAPSED_KIND, RENEWAL_KIND
from renewals.models import CaseStatus, CompetitorWhy, Ladder, LadderRule, RenewalCase
from workqueue.distribution import distribution_run
from workqueue.models import DistributionRun, ItemResult, ItemStatus, Queue, WorkItem

pytestmark = pytest.mark.django_db

ROLES = [
    "owner",
    "co_agent",
    "teammate",
    "outsider",
    "manager",
    "other_manager",
    "maintainer",
    "admin",
    "anonymous",
]
SIGNED_IN = [r for r in ROLES if r != "anonymous"]
AGENTS = {"owner", "co_agent", "teammate", "outsider"}  # accounts.work_queue
# Policy.objects.visible_to: the owner, the co-agent, the team's manager, maintainers, admins.
SEES_THE_CASE = {"owner", "co_agent", "manager", "maintainer", "admin"}
LISTS_RENEWALS = {"manager", "other_manager", "maintainer", "admin"}  # view_renewalcase
EDITS_LADDERS = {"manager", "other_manager", "admin"}  # renewals.change_ladder
DISTRIBUTES = {"maintainer", "admin"}  # accounts.distribute_work

POLICY_NUMBER = "HDI-0042"
TEAMMATE_POLICY_NUMBER = "GNP-7777"
OUTSIDER_POLICY_NUMBER = "AXA-9999"


def _today():
    return timezone.localdate()


def _ending_in_30_days(holder, insurer, number):
    end = _today() + datetime.timedelta(days=30)
    return PolicyFactory(
        holder=holder,
        insurer=insurer,
        number=number,
        start_date=end - datetime.timedelta(days=365),
        end_date=end,
    )


@pytest.fixture
def world(ladders):
    manager = UserFactory(roles=["manager"])
    other_manager = UserFactory(roles=["manager"])
    team = TeamFactory(manager=manager)
    other_team = TeamFactory(manager=other_manager)
    owner = UserFactory(roles=["agent"], team=team)
    users = {
        "owner": owner,
        "co_agent": UserFactory(roles=["agent"], team=team),
        "teammate": UserFactory(roles=["agent"], team=team),
        "outsider": UserFactory(roles=["agent"], team=other_team),
        "manager": manager,
        "other_manager": other_manager,
        "maintainer": UserFactory(roles=["maintainer"]),
        "admin": UserFactory(roles=["admin"]),
        "anonymous": None,
    }
    insurer = InsurerFactory(name="HDI Seguros", code="hdi")
    rival = InsurerFactory(name="Rival Seguros", code="rival")
    client = ClientFactory(owner=owner, co_agents=[users["co_agent"]], last_name="Objetivo")
    policy = _ending_in_30_days(client, insurer, POLICY_NUMBER)
    teammate_policy = _ending_in_30_days(
        ClientFactory(owner=users["teammate"], last_name="DelCompañero"),
        insurer,
        TEAMMATE_POLICY_NUMBER,
    )
    outsider_policy = _ending_in_30_days(
        ClientFactory(owner=users["outsider"], last_name="DeFuera"), insurer, OUTSIDER_POLICY_NUMBER
    )
    # The real thing: the morning job opens the cases and puts the 30-day touches on the
    # owners' call lists.
    renewals_morning_job(day=_today())
    case = RenewalCase.objects.get(policy=policy)
    item = WorkItem.objects.get(kind=RENEWAL_KIND, subject_id=case.pk)
    assert item.agent == owner and item.queue == Queue.AGENT
    teammate_case = RenewalCase.objects.get(policy=teammate_policy)
    teammate_item = WorkItem.objects.get(kind=RENEWAL_KIND, subject_id=teammate_case.pk)
    outsider_case = RenewalCase.objects.get(policy=outsider_policy)
    # An item of the maintainers' queue (a case lapsed for more than 48 hours).
    maintainers_item = WorkItem.objects.create(
        kind=LAPSED_KIND,
        subject_id=outsider_case.pk,
        key="lapsed",
        title=f"Lapsed · {OUTSIDER_POLICY_NUMBER}",
        queue=Queue.MAINTAINERS,
        due_on=_today(),
    )
    rule = LadderRule.objects.create(ladder=ladders["dealer"], line=Line.LIFE)
    run = distribution_run(by=users["maintainer"], seed=424242).run
    return SimpleNamespace(
        users=users,
        team=team,
        other_team=other_team,
        insurer=insurer,
        rival=rival,
        client=client,
        policy=policy,
        case=case,
        item=item,
        teammate_case=teammate_case,
        teammate_item=teammate_item,
        outsider_case=outsider_case,
        maintainers_item=maintainers_item,
        ladders=ladders,
        rule=rule,
        run=run,
    )


# --- What a permitted call changes ------------------------------------------------------------


def _case_state(w):
    case = RenewalCase.objects.get(pk=w.case.pk)
    return (case.status, case.grade, case.client_type, case.new_policy_id, case.lost_to_id)


def _item_state(w):
    item = WorkItem.objects.get(pk=w.item.pk)
    return (item.status, item.attempts, item.result, ItemResult.objects.filter(item=item).count())


def _case_and_item_state(w):
    return (_case_state(w), _item_state(w), Policy.objects.count())


def _ladders_state(w):
    return sorted(Ladder.objects.values_list("pk", "name", "code", "is_default"))


def _rules_state(w):
    return sorted(LadderRule.objects.values_list("pk", "ladder_id", "line", "insurer_id"))


def _renew_data(w):
    old = w.policy
    return {
        "insurer": old.insurer.pk,
        "number": "HDI-0042-R",
        "line": old.line,
        "coverage": old.coverage,
        "premium": "13100.00",
        "currency": old.currency,
        "payment_frequency": old.payment_frequency,
        "start_date": old.end_date.isoformat(),
        "end_date": (old.end_date + datetime.timedelta(days=365)).isoformat(),
    }


def _elsewhere_data(w):
    return {"lost_to": w.rival.pk, "lost_why": CompetitorWhy.PRICE, "note": "-15 %"}


def _ladder_post(*, name, code, rungs, initial=0):
    """The ladder form as a browser posts it, with one empty extra row."""
    data = {
        "name": name,
        "code": code,
        "rungs-TOTAL_FORMS": str(len(rungs) + 1),
        "rungs-INITIAL_FORMS": str(initial),
        "rungs-MIN_NUM_FORMS": "0",
        "rungs-MAX_NUM_FORMS": "1000",
    }
    for i, rung in enumerate(rungs):
        data[f"rungs-{i}-days"] = str(rung["days"])
        data[f"rungs-{i}-stage"] = rung.get("stage", "reminder")
        data[f"rungs-{i}-message"] = rung.get("message", "")
    data[f"rungs-{len(rungs)}-days"] = ""
    data[f"rungs-{len(rungs)}-stage"] = "reminder"
    data[f"rungs-{len(rungs)}-message"] = ""
    return data


@dataclass
class Endpoint:
    """One URL: how to call it, who may, and what a permitted call changes (if anything)."""

    id: str
    name: str
    args: object = None  # world -> list of URL arguments
    query: object = None  # world -> query string (without "?")
    method: str = "get"
    data: object = None  # world -> POST data
    effect: object = None  # world -> a value that a permitted call changes
    # case: whoever sees the case's policy | own_item: the item's agent only (404 for the
    # others) | queue_item: agents (403 for the others), then the item's agent only (404) |
    # list | ladder | queue | distribute: a permission (403 for the others).
    kind: str = "case"
    shows: object = None  # world -> text a permitted GET page must show
    tags: set = field(default_factory=set)


def _case_pk(w):
    return [w.case.pk]


def _item_query(w):
    return f"item={w.item.pk}"


ENDPOINTS = [
    # Renewal pages.
    Endpoint("list", "renewals:list", kind="list"),
    Endpoint("detail", "renewals:detail", _case_pk, shows=lambda w: POLICY_NUMBER),
    Endpoint(
        "grade",
        "renewals:grade",
        _case_pk,
        method="post",
        data=lambda w: {"grade": "B", "client_type": "price"},
        effect=_case_state,
    ),
    Endpoint("renew", "renewals:renew", _case_pk, shows=lambda w: POLICY_NUMBER),
    Endpoint(
        "renew-post",
        "renewals:renew",
        _case_pk,
        method="post",
        data=_renew_data,
        effect=_case_and_item_state,
    ),
    Endpoint(
        "renew-item",
        "renewals:renew",
        _case_pk,
        query=_item_query,
        kind="own_item",
        shows=lambda w: POLICY_NUMBER,
    ),
    Endpoint(
        "renew-item-post",
        "renewals:renew",
        _case_pk,
        query=_item_query,
        method="post",
        data=_renew_data,
        effect=_case_and_item_state,
        kind="own_item",
    ),
    Endpoint("elsewhere", "renewals:elsewhere", _case_pk, shows=lambda w: POLICY_NUMBER),
    Endpoint(
        "elsewhere-post",
        "renewals:elsewhere",
        _case_pk,
        method="post",
        data=_elsewhere_data,
        effect=_case_and_item_state,
    ),
    Endpoint(
        "elsewhere-item",
        "renewals:elsewhere",
        _case_pk,
        query=_item_query,
        kind="own_item",
        shows=lambda w: POLICY_NUMBER,
    ),
    Endpoint(
        "elsewhere-item-post",
        "renewals:elsewhere",
        _case_pk,
        query=_item_query,
        method="post",
        data=_elsewhere_data,
        effect=_case_and_item_state,
        kind="own_item",
    ),
    # Ladder settings.
    Endpoint("ladders", "renewals:ladders", kind="ladder"),
    Endpoint("ladder-create", "renewals:ladder_create", kind="ladder"),
    Endpoint(
        "ladder-create-post",
        "renewals:ladder_create",
        method="post",
        data=lambda w: _ladder_post(name="Flotillas", code="fleet", rungs=[{"days": 20}]),
        effect=_ladders_state,
        kind="ladder",
    ),
    Endpoint(
        "ladder-edit",
        "renewals:ladder_edit",
        lambda w: [w.ladders["dealer"].pk],
        kind="ladder",
        shows=lambda w: w.ladders["dealer"].name,
    ),
    Endpoint(
        "ladder-edit-post",
        "renewals:ladder_edit",
        lambda w: [w.ladders["dealer"].pk],
        method="post",
        data=lambda w: _ladder_post(
            name="Dealer renamed",
            code="dealer",
            rungs=list(w.ladders["dealer"].rungs),
            initial=len(w.ladders["dealer"].rungs),
        ),
        effect=_ladders_state,
        kind="ladder",
    ),
    Endpoint(
        "rule-add",
        "renewals:rule_add",
        method="post",
        data=lambda w: {"line": "", "insurer": w.insurer.pk, "ladder": w.ladders["dealer"].pk},
        effect=_rules_state,
        kind="ladder",
    ),
    Endpoint(
        "rule-delete",
        "renewals:rule_delete",
        lambda w: [w.rule.pk],
        method="post",
        effect=_rules_state,
        kind="ladder",
    ),
    # The work queue.
    Endpoint("queue", "workqueue:queue", kind="queue"),
    Endpoint(
        "result",
        "workqueue:result",
        lambda w: [w.item.pk],
        method="post",
        data=lambda w: {"result": "no_answer"},
        effect=_item_state,
        kind="queue_item",
    ),
    Endpoint(
        "maintainers",
        "workqueue:maintainers",
        kind="distribute",
        shows=lambda w: f'data-item="{w.maintainers_item.pk}"',
    ),
    Endpoint(
        "maintainers-close",
        "workqueue:maintainers_close",
        lambda w: [w.maintainers_item.pk],
        method="post",
        data=lambda w: {"action": "close", "note": "Called the insurer"},
        effect=lambda w: (
            WorkItem.objects.filter(pk=w.maintainers_item.pk)
            .values_list("status", "queue", "agent_id")
            .get()
        ),
        kind="distribute",
    ),
    Endpoint("distribution", "workqueue:distribution", kind="distribute"),
    Endpoint(
        "distribution-post",
        "workqueue:distribution",
        method="post",
        data=lambda w: {"seed": "12345"},
        effect=lambda w: DistributionRun.objects.count(),
        kind="distribute",
    ),
    Endpoint(
        "distribution-team-post",
        "workqueue:distribution",
        method="post",
        data=lambda w: {"seed": "12345", "team": w.other_team.pk},
        effect=lambda w: sorted(DistributionRun.objects.values_list("pk", "team_id")),
        kind="distribute",
    ),
    Endpoint(
        "distribution-run",
        "workqueue:distribution_run",
        lambda w: [w.run.pk],
        kind="distribute",
        shows=lambda w: str(w.run.seed),
    ),
]


def expected_status(role: str, endpoint: Endpoint) -> int:
    if role == "anonymous":
        return 302
    done = 302 if endpoint.method == "post" else 200
    if endpoint.kind == "list":
        return done if role in LISTS_RENEWALS else 403
    if endpoint.kind == "ladder":
        return done if role in EDITS_LADDERS else 403
    if endpoint.kind == "queue":
        return done if role in AGENTS else 403
    if endpoint.kind == "distribute":
        return done if role in DISTRIBUTES else 403
    if endpoint.kind == "queue_item":
        if role not in AGENTS:
            return 403
        return done if role == "owner" else 404
    if endpoint.kind == "own_item":
        return done if role == "owner" else 404
    return done if role in SEES_THE_CASE else 404


def _url(w, endpoint):
    url = reverse(endpoint.name, args=endpoint.args(w) if endpoint.args else None)
    if endpoint.query:
        url += "?" + endpoint.query(w)
    return url


def _call(django_client, w, endpoint):
    url = _url(w, endpoint)
    if endpoint.method == "post":
        return url, django_client.post(url, endpoint.data(w) if endpoint.data else {})
    return url, django_client.get(url)


def _matrix():
    for endpoint in ENDPOINTS:
        for role in ROLES:
            yield pytest.param(endpoint, role, id=f"{endpoint.id}-{role}")


@pytest.mark.parametrize(("endpoint", "role"), list(_matrix()))
def test_it_answers_each_role_as_the_access_matrix_says(client, world, role, endpoint):
    user = world.users[role]
    if user is not None:
        client.force_login(user)
    before = endpoint.effect(world) if endpoint.effect else None

    url, response = _call(client, world, endpoint)

    expected = expected_status(role, endpoint)
    assert response.status_code == expected, (role, url, response.status_code)
    if role == "anonymous":
        assert response["Location"].startswith("/accounts/login/?next="), response["Location"]
    permitted = expected in (200, 302) and role != "anonymous"
    if endpoint.effect:
        after = endpoint.effect(world)
        if permitted:
            assert after != before, f"{role} was let in but {endpoint.id} did nothing"
        else:
            assert after == before, f"{role} was refused but {endpoint.id} changed something"
    if expected == 200 and endpoint.shows:
        assert endpoint.shows(world) in response.content.decode()
    if not permitted:
        # A refusal gives nothing away.
        assert POLICY_NUMBER.encode() not in response.content


# --- Named expectations of the brief, one per role --------------------------------------------


def _get(django_client, user, url):
    django_client.force_login(user)
    return django_client.get(url)


def test_it_shows_the_owner_the_case_page_with_the_policy_number(client, world):
    response = _get(client, world.users["owner"], reverse("renewals:detail", args=[world.case.pk]))
    assert response.status_code == 200
    assert POLICY_NUMBER in response.content.decode()
    assert response.context["case"] == world.case


@pytest.mark.parametrize("role", ["teammate", "outsider", "other_manager"])
def test_it_hides_the_case_page_from_those_outside_the_book(client, world, role):
    url = reverse("renewals:detail", args=[world.case.pk])
    assert _get(client, world.users[role], url).status_code == 404


def test_it_shows_the_team_manager_the_case_page(client, world):
    url = reverse("renewals:detail", args=[world.case.pk])
    response = _get(client, world.users["manager"], url)
    assert response.status_code == 200 and POLICY_NUMBER in response.content.decode()


def test_it_lets_a_maintainer_list_renewals_but_not_edit_ladders(client, world):
    maintainer = world.users["maintainer"]
    assert _get(client, maintainer, reverse("renewals:list")).status_code == 200
    for url in (
        reverse("renewals:ladders"),
        reverse("renewals:ladder_create"),
        reverse("renewals:ladder_edit", args=[world.ladders["default"].pk]),
    ):
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("role", sorted(AGENTS))
def test_it_refuses_agents_the_renewal_list_distribution_and_maintainers_pages(client, world, role):
    client.force_login(world.users[role])
    for name in ("renewals:list", "workqueue:distribution", "workqueue:maintainers"):
        assert client.get(reverse(name)).status_code == 403, name
    assert client.get(reverse("workqueue:queue")).status_code == 200


@pytest.mark.parametrize("role", sorted(LISTS_RENEWALS))
def test_it_lists_the_case_only_to_those_who_may_open_it(client, world, role):
    response = _get(client, world.users[role], reverse("renewals:list"))
    assert response.status_code == 200
    listed = {case.pk for case in response.context["page"].object_list}
    html = response.content.decode()
    sees = role in SEES_THE_CASE
    assert (world.case.pk in listed) == sees
    assert (POLICY_NUMBER in html) == sees
    # Nothing the page lists is refused by the case page.
    for pk in listed:
        assert client.get(reverse("renewals:detail", args=[pk])).status_code == 200


@pytest.mark.parametrize("role", sorted(AGENTS))
def test_it_shows_each_agent_only_their_own_call_list(client, world, role):
    response = _get(client, world.users[role], reverse("workqueue:queue"))
    html = response.content.decode()
    assert (f'data-item="{world.item.pk}"' in html) == (role == "owner")
    assert (POLICY_NUMBER in html) == (role == "owner")
    assert (f'data-item="{world.teammate_item.pk}"' in html) == (role == "teammate")
    assert f'data-item="{world.maintainers_item.pk}"' not in html


@pytest.mark.parametrize("role", ["co_agent", "teammate", "outsider"])
def test_it_refuses_a_result_on_another_agents_item_and_logs_nothing(client, world, role):
    client.force_login(world.users[role])
    before = _item_state(world)
    url = reverse("workqueue:result", args=[world.item.pk])
    assert client.post(url, {"result": "no_answer"}).status_code == 404
    assert client.post(url, {"result": "no_answer"}, HTTP_HX_REQUEST="true").status_code == 404
    assert not ItemResult.objects.exists()
    assert _item_state(world) == before


def test_it_refuses_the_owner_a_result_on_a_teammates_item(client, world):
    client.force_login(world.users["owner"])
    url = reverse("workqueue:result", args=[world.teammate_item.pk])
    assert client.post(url, {"result": "interested"}).status_code == 404
    assert not ItemResult.objects.exists()
    teammate_item = WorkItem.objects.get(pk=world.teammate_item.pk)
    assert teammate_item.attempts == 0 and teammate_item.status == ItemStatus.OPEN
    assert not world.teammate_case.policy.holder.quotations.exists()


def test_it_refuses_a_result_on_a_maintainers_item_even_to_its_old_agent(client, world):
    WorkItem.objects.filter(pk=world.item.pk).update(queue=Queue.MAINTAINERS)
    client.force_login(world.users["owner"])
    url = reverse("workqueue:result", args=[world.item.pk])
    assert client.post(url, {"result": "no_answer"}).status_code == 404
    assert not ItemResult.objects.exists()


def test_it_logs_the_owners_own_result(client, world):
    client.force_login(world.users["owner"])
    response = client.post(
        reverse("workqueue:result", args=[world.item.pk]), {"result": "switched_off"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("workqueue:queue")
    result = ItemResult.objects.get()
    assert result.item_id == world.item.pk and result.by == world.users["owner"]
    assert result.result == "switched_off"
    assert WorkItem.objects.get(pk=world.item.pk).attempts == 1


@pytest.mark.parametrize("view", ["renewals:renew", "renewals:elsewhere"])
def test_it_refuses_the_item_of_another_case_on_a_case_page(client, world, view):
    """The teammate's item is not the owner's, and the owner's item is not of the teammate's
    case: both 404, even for someone who sees both cases."""
    client.force_login(world.users["owner"])
    url = reverse(view, args=[world.case.pk])
    assert client.get(f"{url}?item={world.teammate_item.pk}").status_code == 404
    assert client.get(f"{url}?item=not-a-number").status_code == 404
    client.force_login(world.users["manager"])  # sees both cases
    other = reverse(view, args=[world.teammate_case.pk])
    assert client.get(f"{other}?item={world.item.pk}").status_code == 404


def test_it_refuses_a_case_of_another_team_to_an_agent_even_with_their_own_item(client, world):
    client.force_login(world.users["teammate"])
    url = reverse("renewals:elsewhere", args=[world.case.pk])
    response = client.post(f"{url}?item={world.teammate_item.pk}", _elsewhere_data(world))
    assert response.status_code == 404
    assert RenewalCase.objects.get(pk=world.case.pk).status == CaseStatus.OPEN
    assert RenewalCase.objects.get(pk=world.teammate_case.pk).status == CaseStatus.OPEN
    assert not ItemResult.objects.exists()


def test_it_returns_404_for_a_case_that_does_not_exist(client, world):
    client.force_login(world.users["admin"])
    missing = RenewalCase.objects.order_by("-pk").first().pk + 1000
    for name in ("renewals:detail", "renewals:renew", "renewals:elsewhere"):
        assert client.get(reverse(name, args=[missing])).status_code == 404, name
    assert client.post(reverse("renewals:grade", args=[missing]), {"grade": "A"}).status_code == 404


POST_ONLY = [
    ("renewals:grade", lambda w: [w.case.pk]),
    ("renewals:rule_add", None),
    ("renewals:rule_delete", lambda w: [w.rule.pk]),
    ("workqueue:result", lambda w: [w.item.pk]),
    ("workqueue:maintainers_close", lambda w: [w.maintainers_item.pk]),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "args"), POST_ONLY, ids=[n for n, _ in POST_ONLY])
def test_it_never_acts_on_a_get_to_a_post_only_url(client, world, role, name, args):
    user = world.users[role]
    if user is not None:
        client.force_login(user)
    before = (_case_state(world), _item_state(world), _rules_state(world))
    maintainers_before = WorkItem.objects.get(pk=world.maintainers_item.pk).status
    response = client.get(reverse(name, args=args(world) if args else None))
    assert response.status_code in (302, 403, 405), response.status_code
    if role != "anonymous" and response.status_code == 302:
        pytest.fail(f"{role} was redirected by a GET to {name}")
    assert (_case_state(world), _item_state(world), _rules_state(world)) == before
    assert WorkItem.objects.get(pk=world.maintainers_item.pk).status == maintainers_before
