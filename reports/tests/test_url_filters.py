"""Every report reads its filters from the URL in one way (ReportFilterForm): a value it does
not understand is said on the page and its default used, never an error."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.utils import timezone

from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory
from reports.models import DashboardPrint, PrintStatus
from reports.registry import BY_SLUG, REPORTS

pytestmark = pytest.mark.django_db

# A digit to str.isdigit() but not to int(), a NUL byte, the last day of the calendar, a
# negative key, a key past 64 bits, and words.
BAD_VALUES = ["²", "\x00", "9999-12-31", "-1", "99999999999999999999", "garbage"]
PARAMETERS = ["start", "end", "by", "team", "agent", "insurer", "line", "currency"]
URLS = [f"/reports/{report.slug}/" for report in REPORTS]


def _defaults(slug) -> dict:
    today = timezone.localdate()
    groupings = BY_SLUG[slug].grouping_values
    return {
        "start": today.replace(month=1, day=1), "end": today.replace(month=12, day=31),
        "by": groupings[0] if groupings else "", "team": None, "agent": None, "insurer": None,
        "line": "", "currency": settings.CARTERA_CURRENCY,
    }  # fmt: skip


def _warnings(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("value", BAD_VALUES)
@pytest.mark.parametrize("name", PARAMETERS)
@pytest.mark.parametrize("url", URLS)
def test_it_uses_the_default_and_says_so_for_a_value_it_does_not_understand(
    client, teams, url, name, value
):
    client.force_login(teams.manager)
    response = client.get(url, {name: value})
    assert response.status_code == 200
    slug = url.split("/")[2]
    filters = response.context["filters"]
    assert getattr(filters, name) == _defaults(slug)[name]
    if name == "by" and not BY_SLUG[slug].grouping_values:
        assert not filters.problems  # a report with one grouping has nothing to say of it
    else:
        assert len(filters.problems) == 1
        assert filters.problems[0] in _warnings(response)
        assert "\x00" not in filters.problems[0]


@pytest.mark.parametrize("value", BAD_VALUES)
@pytest.mark.parametrize("name", PARAMETERS)
def test_it_shows_an_agent_their_own_figures_whatever_the_url_says(client, teams, name, value):
    client.force_login(teams.ana)
    response = client.get("/reports/mine/", {name: value})
    assert response.status_code == 200
    filters = response.context["filters"]
    assert filters.agent == teams.ana
    if name in ("agent", "team"):  # not the agent's to choose: not read at all
        assert not filters.problems
    elif name == "by":  # the page opens on agent performance, which has one grouping
        assert filters.by == "" and not filters.problems
    else:
        assert getattr(filters, name) == _defaults("agents")[name]
        assert len(filters.problems) == 1


@pytest.mark.parametrize("url", URLS)
def test_it_exports_a_report_whose_filters_it_did_not_understand(client, teams, url):
    client.force_login(teams.manager)
    params = {name: "²" for name in PARAMETERS} | {"export": "xlsx"}
    response = client.get(url, params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_it_prints_the_dashboard_with_the_default_filters_it_did_not_understand(
    client, teams, django_capture_on_commit_callbacks
):
    client.force_login(teams.manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/reports/prints/", {name: "\x00" for name in PARAMETERS})
    printed = DashboardPrint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/reports/prints/{printed.pk}/"
    today = timezone.localdate()
    assert printed.filters == {
        "start": today.replace(month=1, day=1).isoformat(),
        "end": today.replace(month=12, day=31).isoformat(), "by": "month",
    }  # fmt: skip
    assert printed.status == PrintStatus.DONE


def test_it_refuses_an_agent_of_another_managers_team(client, teams):
    client.force_login(teams.manager)
    response = client.get("/reports/premium/", {"agent": str(teams.carla.pk)})
    assert response.status_code == 200
    assert response.context["filters"].agent is None
    assert response.context["filters"].problems == [f"Unknown agent: {teams.carla.pk}; ignored."]


def test_it_keeps_a_range_inside_the_calendar_it_knows(client, teams):
    client.force_login(teams.manager)
    response = client.get("/reports/agents/", {"start": "2999-12-31", "end": "2999-12-31"})
    assert response.status_code == 200
    filters = response.context["filters"]
    assert (filters.start, filters.end) == (datetime.date(2999, 12, 31),) * 2
    assert not filters.problems


def test_it_still_narrows_a_report_by_a_valid_filter(client, teams):
    day = datetime.date(2026, 5, 4)
    for agent in (teams.ana, teams.ana, teams.beto):
        PolicyFactory(holder=ClientFactory(owner=agent), agent=agent, written_on=day,
                      premium=Decimal("1000.00"))  # fmt: skip
    client.force_login(teams.manager)
    params = {"start": "2026-05-01", "end": "2026-05-31", "currency": "MXN"}

    def policies(**more):
        response = client.get("/reports/premium/", params | more)
        assert response.status_code == 200 and not response.context["filters"].problems
        return response.context["tables"][0].totals.values["policies"]

    assert policies() == 3
    assert policies(agent=str(teams.ana.pk)) == 2
    assert policies(agent=str(teams.beto.pk)) == 1
    assert policies(team=str(teams.north.pk)) == 3
