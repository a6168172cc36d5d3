"""The maintainers' distribution page: the preview (who would get how many items and why, who
is skipped), running it with the previewed seed, the log of runs and a run's own page.

The pool is made of real renewal touches: one whose client has an owner (→ the owner), one
whose case an agent worked before (→ that agent), a departed agent's item (→ shared within
their team) and five leads (→ shared among everyone in good standing). One agent left two
items without a result by the last cutoff and is skipped.
"""

import datetime
import re
from collections import Counter
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory
from renewals.tests.factories import RenewalCaseFactory, TouchFactory
from workqueue.distribution import last_cutoff, plan_distribution
from workqueue.models import DistributionLine, DistributionRun, HandOutReason, WorkItem

pytestmark = pytest.mark.django_db

PAGE = reverse("workqueue:distribution")


def _at(day, hour):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _case(owner=None, last_name="Prospecto"):
    holder = ClientFactory(owner=owner, first_name="Cliente", last_name=last_name)
    return RenewalCaseFactory(policy=PolicyFactory(holder=holder))


def _agent(username, first, last, team, **kwargs):
    return UserFactory(
        roles=["agent"], username=username, first_name=first, last_name=last, team=team, **kwargs
    )


@pytest.fixture
def world():
    north = TeamFactory(name="North")
    south = TeamFactory(name="South")
    ana = _agent("ana", "Ana", "Norte", north)
    beto = _agent("beto", "Beto", "Norte", north)
    carla = _agent("carla", "Carla", "Sur", south)
    dario = _agent("dario", "Dario", "Sur", south)
    departed = _agent(
        "elena", "Elena", "Ida", south, is_active=False, deactivated_at=timezone.now()
    )
    maintainer = UserFactory(
        roles=["maintainer"], username="mara", first_name="Mara", last_name="Mantenedora"
    )
    now = timezone.now()
    today = timezone.localdate()
    # The day whose hand-out the last cutoff checks.
    checked_day = timezone.localdate(last_cutoff(now)) - datetime.timedelta(days=1)

    # 1. The client has an owner: the item goes to Ana.
    owned = TouchFactory(case=_case(owner=ana, last_name="DeAna"), agent=None)
    # 2. Carla worked this case ten days ago: the next touch goes back to her.
    worked_case = _case(last_name="Trabajado")
    TouchFactory(
        case=worked_case,
        days=30,
        agent=carla,
        status="done",
        handed_out_at=now - datetime.timedelta(days=10),
        due_on=today - datetime.timedelta(days=10),
    )
    continuity = TouchFactory(case=worked_case, days=25, agent=None)
    # 3. A departed agent of the South team: shared within the South team.
    departed_item = TouchFactory(
        case=_case(owner=departed, last_name="DeElena"),
        agent=departed,
        handed_out_at=now - datetime.timedelta(days=20),
    )
    # 4. Five leads: shared among everyone in good standing.
    leads = [TouchFactory(case=_case(last_name=f"Lead{i}"), agent=None) for i in range(5)]
    # Dario left two of the items handed out on the checked day without a result.
    for i in range(2):
        TouchFactory(
            case=_case(owner=dario, last_name=f"DeDario{i}"),
            agent=dario,
            handed_out_at=_at(checked_day, 9),
            due_on=checked_day,
        )
    return SimpleNamespace(
        north=north,
        south=south,
        ana=ana,
        beto=beto,
        carla=carla,
        dario=dario,
        departed=departed,
        maintainer=maintainer,
        owned=owned,
        continuity=continuity,
        departed_item=departed_item,
        leads=leads,
        pool=[owned, continuity, departed_item, *leads],
    )


# --- Reading the pages --------------------------------------------------------------------------


def _section(html, testid, end):
    assert f'data-testid="{testid}"' in html, testid
    return html.split(f'data-testid="{testid}"', 1)[1].split(end, 1)[0]


def _shares(html):
    """The preview table: (agent, owner, worked before, shared) per row."""
    table = _section(html, "preview-shares", "</table>")
    cell = r'<td class="text-end">(\d+)</td>'
    return [
        (name, int(owner), int(continuity), int(shared))
        for name, owner, continuity, shared in re.findall(
            rf"<tr><td>([^<]*)</td>{cell}{cell}{cell}</tr>", table
        )
    ]


def _skipped(html):
    return re.findall(r"<li>([^<]*)</li>", _section(html, "preview-skipped", "</ul>"))


def _page_seed(html):
    return int(re.search(r'<code data-testid="seed">(\d+)</code>', html).group(1))


def _run_form(html):
    """The hidden fields of the "Run this distribution" form, as the browser would post them."""
    form = html.split('data-testid="preview"', 1)[1].split('<form method="post">', 1)[1]
    form = form.split("</form>", 1)[0]
    fields = dict(re.findall(r'<input type="hidden" name="(seed|team)" value="([^"]*)"', form))
    assert "seed" in fields, form
    return fields


def _run_lines(html):
    table = _section(html, "run-lines", "</table>")
    return re.findall(
        r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", table
    )


def _triples(lines):
    return sorted((line.item_id, line.agent_id, line.reason) for line in lines)


def _owners_of_pool(world):
    return dict(
        WorkItem.objects.filter(pk__in=[i.pk for i in world.pool]).values_list("pk", "agent_id")
    )


def _preview(client, world, query=None):
    client.force_login(world.maintainer)
    response = client.get(PAGE, query or {})
    assert response.status_code == 200
    return response, response.content.decode()


# --- The preview --------------------------------------------------------------------------------


def test_it_previews_who_would_get_how_many_items_and_why(client, world):
    _response, html = _preview(client, world)
    # Ana: her client's item and two leads; Beto: two leads; Carla: the case she worked before,
    # the departed South agent's item (her team) and one lead. Dario gets nothing shared.
    assert _shares(html) == [
        ("Ana Norte", 1, 0, 2),
        ("Beto Norte", 0, 0, 2),
        ("Carla Sur", 0, 1, 2),
    ]
    assert "Dario Sur" not in _section(html, "preview-shares", "</table>")


def test_it_previews_the_skipped_agents_with_their_count_of_items_without_result(client, world):
    _response, html = _preview(client, world)
    assert _skipped(html) == ["Dario Sur: 2 items without a result by the cutoff"]


def test_it_shows_the_seed_in_the_page_and_in_the_run_form(client, world):
    response, html = _preview(client, world)
    seed = _page_seed(html)
    assert seed == response.context["plan"].seed
    assert _run_form(html) == {"seed": str(seed)}
    # The page's plan is the plan of that seed.
    assert _triples(response.context["plan"].lines) == _triples(plan_distribution(seed=seed).lines)


def test_it_changes_nothing_on_a_preview(client, world):
    before = _owners_of_pool(world)
    _preview(client, world)
    _preview(client, world, {"team": world.north.pk})
    assert _owners_of_pool(world) == before
    assert not DistributionRun.objects.exists() and not DistributionLine.objects.exists()


def test_it_says_when_nothing_waits_for_an_agent(client, world):
    WorkItem.objects.filter(pk__in=[i.pk for i in world.pool]).update(status="cancelled")
    _response, html = _preview(client, world)
    assert 'data-testid="nothing-to-distribute"' in html
    assert re.search(r'<button[^>]*\bdisabled\b[^>]*data-testid="run-distribution"', html)


# --- Running it ---------------------------------------------------------------------------------


def test_it_hands_out_exactly_what_the_preview_showed(client, world):
    _response, html = _preview(client, world)
    form = _run_form(html)
    seed = int(form["seed"])
    preview = plan_distribution(seed=seed)
    assert sorted(
        (row["name"], row["owner"], row["continuity"], row["shared"]) for row in preview.shares()
    ) == sorted(_shares(html))

    response = client.post(PAGE, form)

    run = DistributionRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("workqueue:distribution_run", args=[run.pk])
    assert run.seed == seed and run.by == world.maintainer and run.team is None
    assert run.items_count == len(preview.lines) == len(world.pool)
    assert _triples(run.lines.all()) == _triples(preview.lines)
    # The items are in those agents' call lists now.
    assert _owners_of_pool(world) == {line.item_id: line.agent_id for line in preview.lines}
    assert run.skipped == [{"agent_id": world.dario.pk, "name": "Dario Sur", "unworked": 2}]
    reasons = {line.item_id: (line.agent_id, line.reason) for line in preview.lines}
    assert reasons[world.owned.pk] == (world.ana.pk, HandOutReason.OWNER)
    assert reasons[world.continuity.pk] == (world.carla.pk, HandOutReason.CONTINUITY)
    assert reasons[world.departed_item.pk] == (world.carla.pk, HandOutReason.SHARED)
    assert {reasons[lead.pk][1] for lead in world.leads} == {HandOutReason.SHARED}
    assert world.dario.pk not in {agent for agent, _reason in reasons.values()}


def test_it_plans_the_same_hand_out_for_the_same_seed_and_another_for_others(client, world):
    """Two previews of one seed agree; another seed gives another hand-out of the leads."""
    _response, html = _preview(client, world)
    seed = _page_seed(html)
    first, again = plan_distribution(seed=seed), plan_distribution(seed=seed)
    assert _triples(first.lines) == _triples(again.lines)
    others = {tuple(_triples(plan_distribution(seed=seed + n).lines)) for n in range(1, 30)}
    assert len(others | {tuple(_triples(first.lines))}) > 1


def test_it_lists_the_run_in_the_log_with_its_seed(client, world):
    _response, html = _preview(client, world)
    form = _run_form(html)
    client.post(PAGE, form)
    run = DistributionRun.objects.get()
    html = client.get(PAGE).content.decode()
    log = _section(html, "runs", "</table>")
    run_url = reverse("workqueue:distribution_run", args=[run.pk])
    row = log.split(f'href="{run_url}"', 1)[1].split("</tr>", 1)[0]
    assert f"<code>{form['seed']}</code>" in row
    assert "Mara Mantenedora" in row and "Whole brokerage" in row
    cells = re.findall(r'<td class="text-end">(\d+)</td>', row)
    assert cells == [str(len(world.pool)), "0", "1"]  # handed out, without agent, skipped


def test_it_shows_on_the_run_page_who_got_what_and_why(client, world):
    _response, html = _preview(client, world)
    client.post(PAGE, _run_form(html))
    run = DistributionRun.objects.get()

    response = client.get(reverse("workqueue:distribution_run", args=[run.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert f'<code data-testid="run-seed">{run.seed}</code>' in page
    assert f'data-testid="run-count">{len(world.pool)}<' in page
    skipped = _section(page, "run-skipped", "</ul>")
    assert "Dario Sur: 2 items without a result by the cutoff" in skipped
    expected = Counter(
        (
            escape(str(line.agent)),
            escape(line.item.title),
            escape(line.get_reason_display()),
            escape(str(line.previous_agent)) if line.previous_agent else "—",
        )
        for line in run.lines.select_related("agent", "item", "previous_agent")
    )
    assert Counter(_run_lines(page)) == expected
    assert len(expected) == len(world.pool)
    # The departed agent's item names who had it before.
    departed_row = next(row for row in _run_lines(page) if "DeElena" in row[1])
    assert departed_row[0] == "Carla Sur" and departed_row[3] == "Elena Ida"
    assert departed_row[2] == "Shared at random"
    owner_row = next(row for row in _run_lines(page) if "DeAna" in row[1])
    assert owner_row[0] == "Ana Norte" and owner_row[2] == escape("Client's owner")
    continuity_row = next(row for row in _run_lines(page) if "Trabajado" in row[1])
    assert continuity_row[0] == "Carla Sur" and continuity_row[2] == "Worked this case before"


def test_it_returns_404_for_a_run_that_does_not_exist(client, world):
    client.force_login(world.maintainer)
    response = client.get(reverse("workqueue:distribution_run", args=[987654321]))
    assert response.status_code == 404


# --- A team ---------------------------------------------------------------------------------------


def test_it_previews_a_team_with_only_that_teams_agents(client, world):
    response, html = _preview(client, world, {"team": world.north.pk})
    assert response.context["team"] == world.north
    # The leads and the case Carla worked before (she is not in North) are shared in North;
    # the departed South agent's item stays out of a North run.
    assert _shares(html) == [("Ana Norte", 1, 0, 3), ("Beto Norte", 0, 0, 3)]
    assert 'data-testid="preview-skipped"' not in html  # Dario is in South
    assert _run_form(html) == {"seed": str(_page_seed(html)), "team": str(world.north.pk)}
    assert f'<option value="{world.north.pk}" selected>North</option>' in html


def test_it_runs_a_team_filter_only_for_that_teams_agents(client, world):
    _response, html = _preview(client, world, {"team": world.north.pk})
    form = _run_form(html)
    preview = plan_distribution(team_id=world.north.pk, seed=int(form["seed"]))

    response = client.post(PAGE, form)

    run = DistributionRun.objects.get()
    assert response.status_code == 302
    assert run.team == world.north and run.seed == int(form["seed"])
    assert _triples(run.lines.all()) == _triples(preview.lines)
    assert set(run.lines.values_list("agent_id", flat=True)) == {world.ana.pk, world.beto.pk}
    assert run.skipped == []
    # The South team's departed agent's item was not touched.
    assert WorkItem.objects.get(pk=world.departed_item.pk).agent_id == world.departed.pk
    assert not run.lines.filter(item=world.departed_item).exists()
    page = client.get(reverse("workqueue:distribution_run", args=[run.pk])).content.decode()
    assert "North" in page
    assert {row[0] for row in _run_lines(page)} == {"Ana Norte", "Beto Norte"}


@pytest.mark.parametrize("team", ["987654321", "north", "-1"])
def test_it_previews_the_whole_brokerage_for_an_unknown_team(client, world, team):
    """An unknown team in the query string is a form error: the page previews the whole
    brokerage (it does not 500)."""
    response, html = _preview(client, world, {"team": team})
    assert "Unknown team: showing the whole brokerage." in html
    assert response.context["team"] is None
    assert response.context["plan"].team_id is None
    assert _shares(html) == [
        ("Ana Norte", 1, 0, 2),
        ("Beto Norte", 0, 0, 2),
        ("Carla Sur", 0, 1, 2),
    ]
    assert _run_form(html) == {"seed": str(_page_seed(html))}  # no team in the run form
    assert not DistributionRun.objects.exists()


def test_it_runs_nothing_when_the_posted_team_is_unknown(client, world):
    """A run posted for a team that does not exist (say, deleted since the preview) hands out
    nothing: the page comes back with a fresh preview of the whole brokerage."""
    _response, html = _preview(client, world)
    before = _owners_of_pool(world)
    response = client.post(PAGE, {"seed": _page_seed(html), "team": "987654321"})
    assert response.status_code == 200
    assert "The distribution did not run" in response.content.decode()
    assert response.context["team"] is None and response.context["plan"].team_id is None
    assert not DistributionRun.objects.exists()
    assert _owners_of_pool(world) == before


def test_it_runs_nothing_for_a_negative_seed(client, world):
    client.force_login(world.maintainer)
    response = client.post(PAGE, {"seed": "-5"})
    assert response.status_code == 200
    assert not DistributionRun.objects.exists()


def test_it_refuses_a_seed_too_large_for_the_log_without_a_500(client, world):
    client.force_login(world.maintainer)
    before = _owners_of_pool(world)
    response = client.post(PAGE, {"seed": str(2**63)})
    assert response.status_code == 200
    assert "The distribution did not run" in response.content.decode()
    assert not DistributionRun.objects.exists()
    assert _owners_of_pool(world) == before
