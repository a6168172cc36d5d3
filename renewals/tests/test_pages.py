"""The managers' renewal pages: the renewal list and the case page with every touch."""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from clients.tests.factories import ClientFactory
from policies.models import Line
from policies.tests.factories import InsurerFactory, PolicyFactory
from renewals.kind import LAPSED_KIND
from renewals.models import CaseStatus, Grade, LostReason
from renewals.tests.factories import ItemResultFactory, RenewalCaseFactory, TouchFactory
from workqueue.models import ItemStatus, Queue, WorkItem
from workqueue.services import item_record_result

pytestmark = pytest.mark.django_db

LIST_URL = reverse("renewals:list")
# Session, user, two for permissions, groups, agents, insurers, ladders (the stages), the
# manager's team, co-assigned clients, count, page, and the session's save (three statements).
LIST_QUERIES = 15
# Session, user, groups, the manager's team, co-assigned clients, the case, its touches, their
# results, the claims of the term, two for the permissions the page asks about, and the
# session's save.
CASE_QUERIES = 14


def _today():
    return timezone.localdate()


def _case(*, owner=None, ends_in=20, **kwargs):
    """An open case whose policy ends ``ends_in`` days from the real today."""
    policy_fields = {
        k: kwargs.pop(k) for k in ("insurer", "line", "number", "premium") if k in kwargs
    }
    holder = kwargs.pop("holder", None) or ClientFactory(owner=owner)
    end = _today() + datetime.timedelta(days=ends_in)
    policy = PolicyFactory(
        holder=holder,
        start_date=end - datetime.timedelta(days=365),
        end_date=end,
        **policy_fields,
    )
    return RenewalCaseFactory(policy=policy, **kwargs)


def _listed(response) -> set[int]:
    return {int(pk) for pk in re.findall(r'data-case="(\d+)"', response.content.decode())}


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def team(manager, agent):
    """The manager leads a team with ``agent`` in it; ``outsider`` is in another team."""
    team = TeamFactory(manager=manager)
    agent.team = team
    agent.save(update_fields=["team"])
    outsider = UserFactory(roles=["agent"], team=TeamFactory())
    return {"team": team, "agent": agent, "outsider": outsider}


# --- Access ---------------------------------------------------------------------------------


def test_it_refuses_the_list_to_agents(client, agent):
    client.force_login(agent)
    assert client.get(LIST_URL).status_code == 403


def test_it_sends_anonymous_visitors_to_log_in(client):
    response = client.get(LIST_URL)
    assert response.status_code == 302 and "login" in response["Location"]


def test_it_shows_a_manager_only_their_teams_cases(client, manager, team):
    ours = _case(owner=team["agent"])
    mine = _case(owner=manager)
    theirs = _case(owner=team["outsider"])
    nobodys = _case()
    client.force_login(manager)
    response = client.get(LIST_URL)
    assert response.status_code == 200
    assert _listed(response) == {ours.pk, mine.pk}
    assert theirs.pk not in _listed(response) and nobodys.pk not in _listed(response)


@pytest.mark.parametrize("role", ["maintainer", "admin"])
def test_it_shows_maintainers_and_admins_every_case(client, team, role):
    cases = [_case(owner=team["agent"]), _case(owner=team["outsider"]), _case()]
    client.force_login(UserFactory(roles=[role]))
    assert _listed(client.get(LIST_URL)) == {c.pk for c in cases}


def test_it_offers_a_manager_only_the_agents_of_their_teams(client, manager, team):
    client.force_login(manager)
    agents = client.get(LIST_URL).context["agents"]
    assert team["agent"] in agents and team["outsider"] not in agents


# --- Filters --------------------------------------------------------------------------------


def test_it_lists_open_cases_by_default_and_filters_by_status(client, manager, team):
    open_case = _case(owner=team["agent"])
    won = _case(owner=team["agent"], status=CaseStatus.WON)
    lost = _case(owner=team["agent"], status=CaseStatus.LOST)
    client.force_login(manager)
    assert _listed(client.get(LIST_URL)) == {open_case.pk}
    assert _listed(client.get(LIST_URL, {"status": "won"})) == {won.pk}
    assert _listed(client.get(LIST_URL, {"status": "all"})) == {open_case.pk, won.pk, lost.pk}


def test_it_filters_by_stage(client, manager, team):
    reminder = _case(owner=team["agent"], stage="reminder")
    quote = _case(owner=team["agent"], stage="quote")
    client.force_login(manager)
    assert _listed(client.get(LIST_URL, {"stage": "quote"})) == {quote.pk}
    assert _listed(client.get(LIST_URL, {"stage": "reminder"})) == {reminder.pk}


def test_it_filters_by_grade_and_finds_the_ungraded(client, manager, team):
    a = _case(owner=team["agent"], grade=Grade.A)
    d = _case(owner=team["agent"], grade=Grade.D)
    ungraded = _case(owner=team["agent"], grade="")
    client.force_login(manager)
    assert _listed(client.get(LIST_URL, {"grade": "A"})) == {a.pk}
    assert _listed(client.get(LIST_URL, {"grade": "D"})) == {d.pk}
    assert _listed(client.get(LIST_URL, {"grade": "none"})) == {ungraded.pk}


def test_it_filters_by_the_policys_agent(client, manager, team):
    second = UserFactory(roles=["agent"], team=team["team"])
    first_case = _case(owner=team["agent"])
    second_case = _case(owner=second)
    client.force_login(manager)
    assert _listed(client.get(LIST_URL, {"agent": team["agent"].pk})) == {first_case.pk}
    assert _listed(client.get(LIST_URL, {"agent": second.pk})) == {second_case.pk}


def test_it_filters_by_insurer_and_line(client, manager, team):
    gnp, hdi = InsurerFactory(code="gnp"), InsurerFactory(code="hdi")
    gnp_auto = _case(owner=team["agent"], insurer=gnp, line=Line.AUTO)
    gnp_health = _case(owner=team["agent"], insurer=gnp, line=Line.HEALTH)
    hdi_auto = _case(owner=team["agent"], insurer=hdi, line=Line.AUTO)
    client.force_login(manager)
    assert _listed(client.get(LIST_URL, {"insurer": gnp.pk})) == {gnp_auto.pk, gnp_health.pk}
    assert _listed(client.get(LIST_URL, {"line": "health"})) == {gnp_health.pk}
    assert _listed(client.get(LIST_URL, {"insurer": hdi.pk, "line": "auto"})) == {hdi_auto.pk}


def test_it_filters_by_due_window(client, manager, team):
    late = _case(owner=team["agent"], ends_in=-2)
    today = _case(owner=team["agent"], ends_in=0)
    in_7 = _case(owner=team["agent"], ends_in=7)
    in_20 = _case(owner=team["agent"], ends_in=20)
    in_75 = _case(owner=team["agent"], ends_in=75)
    client.force_login(manager)
    assert _listed(client.get(LIST_URL, {"due": "overdue"})) == {late.pk}
    assert _listed(client.get(LIST_URL, {"due": "7"})) == {today.pk, in_7.pk}
    assert _listed(client.get(LIST_URL, {"due": "30"})) == {today.pk, in_7.pk, in_20.pk}
    assert _listed(client.get(LIST_URL, {"due": "90"})) == {today.pk, in_7.pk, in_20.pk, in_75.pk}


def test_it_searches_by_policy_number_or_client_name(client, manager, team):
    holder = ClientFactory(owner=team["agent"], first_name="Rosalba", last_name="Quintanilla")
    by_name = _case(holder=holder)
    by_number = _case(owner=team["agent"], number="HDI-778899")
    _case(owner=team["agent"])
    client.force_login(manager)
    assert _listed(client.get(LIST_URL, {"q": "quintanilla"})) == {by_name.pk}
    assert _listed(client.get(LIST_URL, {"q": "hdi 7788"})) == {by_number.pk}


@pytest.mark.parametrize(
    "params",
    [
        {"status": "bogus"},
        {"stage": "nope"},
        {"grade": "Z"},
        {"agent": "abc"},
        {"insurer": "999999"},
        {"line": "boats"},
        {"due": "5"},
        {"page": "xyz"},
    ],
)
def test_it_ignores_invalid_filters_with_a_warning(client, manager, team, params):
    shown = _case(owner=team["agent"])
    client.force_login(manager)
    response = client.get(LIST_URL, params)
    assert response.status_code == 200
    assert _listed(response) == {shown.pk}
    if "page" not in params:
        (message,) = _messages(response)
        assert "ignored" in message
        assert "ignored" in response.content.decode()


def test_it_ignores_an_agent_from_another_team(client, manager, team):
    ours = _case(owner=team["agent"])
    client.force_login(manager)
    response = client.get(LIST_URL, {"agent": team["outsider"].pk})
    assert _listed(response) == {ours.pk}
    assert "agent" in _messages(response)[0]


def test_it_answers_htmx_with_the_table_only(client, manager, team):
    a = _case(owner=team["agent"], grade=Grade.A)
    _case(owner=team["agent"], grade=Grade.B)
    client.force_login(manager)
    headers = {"HX-Request": "true", "HX-Target": "renewal-table"}
    response = client.get(LIST_URL, {"grade": "A"}, headers=headers)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="renewal-table">') and "<html" not in html
    assert _listed(response) == {a.pk}
    bad = client.get(LIST_URL, {"grade": "Z"}, headers=headers)
    assert 'data-testid="filter-warning"' in bad.content.decode()
    assert _messages(bad) == []  # not left over for the next full page


def test_it_keeps_the_filters_in_the_pagination_links(client, manager, team):
    for _ in range(55):
        _case(owner=team["agent"], grade=Grade.B)
    _case(owner=team["agent"], grade=Grade.C)
    client.force_login(manager)
    first = client.get(LIST_URL, {"grade": "B", "status": "all"})
    assert len(_listed(first)) == 50
    html = first.content.decode()
    assert "status=all&amp;grade=B&amp;page=2" in html
    second = client.get(LIST_URL, {"grade": "B", "status": "all", "page": 2})
    assert len(_listed(second)) == 5 and not _listed(first) & _listed(second)


# --- Columns --------------------------------------------------------------------------------


def test_it_shows_the_columns_of_a_case(client, manager, team):
    case = _case(
        owner=team["agent"], number="GNP-0001", premium=Decimal("10000.00"),
        quoted_premium=Decimal("11250.00"), grade=Grade.B, ends_in=12,
    )  # fmt: skip
    TouchFactory(case=case, days=30, status=ItemStatus.DONE)
    TouchFactory(case=case, days=25, status=ItemStatus.DONE)
    TouchFactory(case=case, days=15)
    WorkItem.objects.create(
        kind="claim_follow_up", subject_id=case.pk, title="not a touch", due_on=_today()
    )
    client.force_login(manager)
    html = client.get(LIST_URL).content.decode()
    row = html[html.index(f'data-case="{case.pk}"') :]
    row = row[: row.index("</tr>")]
    assert reverse("clients:detail", args=[case.policy.holder_id]) in row
    assert reverse("policies:detail", args=[case.policy_id]) in row and "GNP-0001" in row
    assert "10,000.00" in row and "11,250.00" in row and "+12.5 %" in row
    assert "12 days left" in row and "Reminder" in row
    assert re.search(r'data-testid="touches">\s*2 / 1\s*<', row)
    assert str(team["agent"]) in row


def test_it_shows_a_custom_stage_as_written(client, manager, team):
    _case(owner=team["agent"], stage="llamada final")
    client.force_login(manager)
    assert "llamada final" in client.get(LIST_URL).content.decode()


@pytest.mark.parametrize("n", [5, 60])
def test_it_lists_cases_in_a_fixed_number_of_queries(
    client, manager, team, n, django_assert_max_num_queries
):
    insurers = [InsurerFactory() for _ in range(3)]
    for i in range(n):
        case = _case(owner=team["agent"], insurer=insurers[i % 3], quoted_premium=Decimal("1"))
        ItemResultFactory(item=TouchFactory(case=case, status=ItemStatus.DONE))
        TouchFactory(case=case, days=25)
    client.force_login(manager)
    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(LIST_URL)
    assert len(_listed(response)) == min(n, 50)
    with django_assert_max_num_queries(LIST_QUERIES):  # filters and a search read no more
        response = client.get(LIST_URL, {"q": "pol", "due": "30", "grade": "none"})
    assert response.status_code == 200


# --- The case page ------------------------------------------------------------------------


def test_it_shows_an_agent_their_own_case(client, agent):
    case = _case(owner=agent)
    policy = case.policy
    client.force_login(agent)
    response = client.get(reverse("renewals:detail", args=[case.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert policy.number in html and policy.holder.display_name in html
    assert f'href="tel:{policy.holder.phone.as_e164}"' in html
    assert 'data-testid="back-to-list"' not in html  # agents have no renewal list


def test_it_hides_another_agents_case(client, agent, team):
    theirs = _case(owner=team["outsider"])
    client.force_login(agent)
    assert client.get(reverse("renewals:detail", args=[theirs.pk])).status_code == 404


def test_it_shows_a_manager_their_teams_case_only(client, manager, team):
    ours, theirs = _case(owner=team["agent"]), _case(owner=team["outsider"])
    client.force_login(manager)
    response = client.get(reverse("renewals:detail", args=[ours.pk]))
    assert response.status_code == 200 and 'data-testid="back-to-list"' in response.content.decode()
    assert client.get(reverse("renewals:detail", args=[theirs.pk])).status_code == 404


def test_it_lists_the_touches_and_their_results(client, manager, team):
    agent = team["agent"]
    case = _case(owner=agent, ends_in=30)
    item = TouchFactory(case=case, days=30)
    item_record_result(item=item, by=agent, result="no_answer", note="buzón de voz")
    callback = timezone.now() + datetime.timedelta(days=1)
    item_record_result(
        item=item, by=agent, result="call_back", callback_at=callback, note="después de las 4"
    )
    client.force_login(manager)
    html = client.get(reverse("renewals:detail", args=[case.pk])).content.decode()
    touches = html[html.index('data-testid="case-touches"') :]
    assert touches.count('data-testid="touch"') == 1
    assert touches.count('data-testid="touch-result"') == 2
    assert "30 days before" in touches and "2 attempts" in touches
    assert "Last result: Call back" in touches
    results = touches[touches.index('data-testid="touch-results"') :]
    assert results.index("No answer") < results.index("Call back")
    assert "buzón de voz" in touches and "después de las 4" in touches
    assert str(agent) in touches
    ladder = html[
        html.index('data-testid="case-ladder"') : html.index('data-testid="case-touches"')
    ]
    assert ladder.count('data-testid="rung"') == 3
    assert f'href="#touch-{item.pk}"' in ladder


def test_it_shows_the_lapsed_hand_over_as_a_touch(client, maintainer):
    case = _case(status=CaseStatus.LAPSED, ends_in=-3)
    WorkItem.objects.create(
        kind=LAPSED_KIND, subject_id=case.pk, key="lapsed", title="x", queue=Queue.MAINTAINERS,
        due_on=_today(),
    )  # fmt: skip
    client.force_login(maintainer)
    html = client.get(reverse("renewals:detail", args=[case.pk])).content.decode()
    assert "Lapsed: maintainers" in html and "ended 3 days ago" in html


def test_it_shows_the_outcome_of_a_closed_case(client, manager, team):
    competitor = InsurerFactory(name="Seguros Rivales")
    lost = _case(
        owner=team["agent"], status=CaseStatus.LOST, outcome_reason=LostReason.RENEWED_ELSEWHERE,
        lost_to=competitor, lost_why="price", outcome_note="Le ofrecieron 20 % menos",
        closed_at=timezone.now(), closed_by=team["agent"],
    )  # fmt: skip
    new_policy = PolicyFactory(holder=ClientFactory(owner=team["agent"]))
    won = _case(
        owner=team["agent"], status=CaseStatus.WON, new_policy=new_policy,
        closed_at=timezone.now(), closed_by=manager,
    )  # fmt: skip
    client.force_login(manager)
    html = client.get(reverse("renewals:detail", args=[lost.pk])).content.decode()
    assert "Renewed with another insurer" in html and "Seguros Rivales" in html
    assert "Cheaper premium" in html and "Le ofrecieron 20 % menos" in html
    closed = html[html.index('data-testid="case-closed"') :]
    assert str(team["agent"]) in closed[: closed.index("</dd>")]
    html = client.get(reverse("renewals:detail", args=[won.pk])).content.decode()
    assert reverse("policies:detail", args=[new_policy.pk]) in html


@pytest.mark.parametrize("touches", [1, 8])
def test_it_shows_a_case_in_a_fixed_number_of_queries(
    client, manager, team, touches, django_assert_max_num_queries
):
    case = _case(owner=team["agent"])
    for days in range(touches):
        item = TouchFactory(case=case, days=days, status=ItemStatus.DONE)
        for _ in range(3):
            ItemResultFactory(item=item, by=UserFactory(roles=["agent"]))
    client.force_login(manager)
    with django_assert_max_num_queries(CASE_QUERIES):
        response = client.get(reverse("renewals:detail", args=[case.pk]))
    assert response.content.decode().count('data-testid="touch-result"') == touches * 3


# --- Grading --------------------------------------------------------------------------------


def test_it_grades_a_case(client, manager, team):
    case = _case(owner=team["agent"])
    client.force_login(manager)
    response = client.post(
        reverse("renewals:grade", args=[case.pk]), {"grade": "B", "client_type": "price"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("renewals:detail", args=[case.pk]) + "#grade"
    case.refresh_from_db()
    assert (case.grade, case.client_type) == ("B", "price")
    assert _messages(response) == ["Grade saved."]


def test_it_refuses_a_bad_grade_and_saves_nothing(client, manager, team):
    case = _case(owner=team["agent"], grade=Grade.A, client_type="service")
    client.force_login(manager)
    response = client.post(
        reverse("renewals:grade", args=[case.pk]), {"grade": "Z", "client_type": "price"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.grade, case.client_type) == ("A", "service")
    (message,) = _messages(response)
    assert message.startswith("The grade was not saved")
    follow = client.get(response["Location"])
    assert follow.status_code == 200


def test_it_lets_an_agent_grade_their_own_case_only(client, agent, team):
    mine, theirs = _case(owner=agent), _case(owner=team["outsider"])
    client.force_login(agent)
    client.post(reverse("renewals:grade", args=[mine.pk]), {"grade": "C", "client_type": ""})
    response = client.post(reverse("renewals:grade", args=[theirs.pk]), {"grade": "C"})
    assert response.status_code == 404
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.grade == "C" and theirs.grade == ""


def test_it_grades_only_by_post(client, manager, team):
    case = _case(owner=team["agent"])
    client.force_login(manager)
    assert client.get(reverse("renewals:grade", args=[case.pk])).status_code == 405
