"""The renewal list reads its filters from the URL in one way (RenewalFilterSet): a value it
does not understand is named on the page and its default kept, never an error."""

import datetime
from types import SimpleNamespace

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory
from renewals.models import CaseStatus
from renewals.selectors import RenewalFilters
from renewals.tests.factories import RenewalCaseFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("renewals:list")
# A digit to str.isdigit() but not to int(), a NUL byte, the last day of the calendar, a
# negative key, a key past 64 bits, and words.
BAD_VALUES = ["²", "\x00", "9999-12-31", "-1", "99999999999999999999", "garbage"]
PARAMETERS = [
    "status", "stage", "grade", "agent", "insurer", "line", "due", "ends_from", "ends_to",
    "team", "reason", "lost_to", "currency", "closed_from", "closed_to",
]  # fmt: skip


def _case(owner, **kwargs):
    end = timezone.localdate() + datetime.timedelta(days=20)
    policy = PolicyFactory(
        holder=ClientFactory(owner=owner), start_date=end - datetime.timedelta(days=365),
        end_date=end,
    )  # fmt: skip
    return RenewalCaseFactory(policy=policy, **kwargs)


@pytest.fixture
def book(manager):
    team = TeamFactory(manager=manager)
    ana, beto = UserFactory(roles=["agent"], team=team), UserFactory(roles=["agent"], team=team)
    return SimpleNamespace(
        manager=manager, team=team, ana=ana, beto=beto, anas=_case(ana), betos=_case(beto),
        won=_case(ana, status=CaseStatus.WON, closed_at=timezone.now()),
    )  # fmt: skip


def _listed(response) -> set[int]:
    return {case.pk for case in response.context["page"].object_list}


def _warnings(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("value", BAD_VALUES)
@pytest.mark.parametrize("name", PARAMETERS)
def test_it_lists_the_open_cases_and_names_the_filter_it_did_not_understand(
    client, book, name, value
):
    client.force_login(book.manager)
    response = client.get(LIST_URL, {name: value})
    assert response.status_code == 200
    assert _listed(response) == {book.anas.pk, book.betos.pk}
    filters = response.context["filters"]
    assert filters == RenewalFilters() and len(filters.ignored) == 1
    assert any("not understood" in w and filters.ignored[0] in w for w in _warnings(response))


@pytest.mark.parametrize("value", BAD_VALUES)
def test_it_answers_any_search_and_refuses_a_nul_byte(client, book, value):
    client.force_login(book.manager)
    response = client.get(LIST_URL, {"q": value})
    assert response.status_code == 200
    if "\x00" in value:
        assert _listed(response) == {book.anas.pk, book.betos.pk}
        assert response.context["filters"].ignored == ["search"]


def test_it_says_what_it_ignored_inside_the_table_on_an_htmx_swap(client, book):
    client.force_login(book.manager)
    response = client.get(
        LIST_URL, {"agent": "²"}, headers={"HX-Request": "true", "HX-Target": "renewal-table"}
    )
    assert response.status_code == 200 and not _warnings(response)
    assert "not understood" in response.content.decode()


def test_it_still_narrows_the_list_by_a_valid_filter(client, book):
    client.force_login(book.manager)
    today = timezone.localdate()
    response = client.get(LIST_URL, {"agent": str(book.beto.pk)})
    assert _listed(response) == {book.betos.pk} and not _warnings(response)
    closed = {"status": "all", "closed_from": today.isoformat(), "closed_to": today.isoformat()}
    assert _listed(client.get(LIST_URL, closed)) == {book.won.pk}
    assert _listed(client.get(LIST_URL, {"status": "due", "team": str(book.team.pk)})) == {
        book.anas.pk, book.betos.pk, book.won.pk,
    }  # fmt: skip
    assert _listed(client.get(LIST_URL, {"status": "all", "lost_to": "none"})) == {
        book.anas.pk, book.betos.pk, book.won.pk,
    }  # fmt: skip


def test_it_refuses_an_agent_outside_the_managers_teams(client, book):
    outsider = UserFactory(roles=["agent"], team=TeamFactory())
    client.force_login(book.manager)
    response = client.get(LIST_URL, {"agent": str(outsider.pk)})
    assert response.status_code == 200
    assert response.context["filters"].ignored == ["agent"]


def test_it_takes_the_last_day_of_the_calendar_it_knows(client, book):
    client.force_login(book.manager)
    response = client.get(LIST_URL, {"status": "all", "closed_to": "2999-12-31"})
    assert response.status_code == 200 and not _warnings(response)
    assert _listed(response) == {book.won.pk}


def test_it_exports_the_open_cases_when_no_filter_is_understood(client, book):
    client.force_login(book.manager)
    params = {name: "²" for name in PARAMETERS} | {"q": "\x00"}
    response = client.get(reverse("renewals:export"), params)
    assert response.status_code == 200
