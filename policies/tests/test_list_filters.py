"""The policy list reads its filters from the URL in one way (PolicyFilterSet): a value it does
not understand gives the default list and a message, never an error."""

import datetime
from types import SimpleNamespace

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from clients.tests.factories import ClientFactory
from policies.selectors import PolicyFilters
from policies.tests.factories import PolicyFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("policies:list")
# A digit to str.isdigit() but not to int(), a NUL byte, the last day of the calendar, a
# negative key, a key past 64 bits, and words.
BAD_VALUES = ["²", "\x00", "9999-12-31", "-1", "99999999999999999999", "garbage"]
PARAMETERS = [
    "status", "line", "insurer", "agent", "ends_within", "written_from", "written_to", "team",
    "currency", "kind", "case",
]  # fmt: skip


@pytest.fixture
def book(manager):
    team = TeamFactory(manager=manager)
    ana, beto = UserFactory(roles=["agent"], team=team), UserFactory(roles=["agent"], team=team)
    today = timezone.localdate()
    anas = PolicyFactory(holder=ClientFactory(owner=ana), written_on=today)
    betos = PolicyFactory(
        holder=ClientFactory(owner=beto), written_on=today - datetime.timedelta(days=40)
    )
    return SimpleNamespace(manager=manager, ana=ana, beto=beto, anas=anas, betos=betos)


def _listed(response) -> set[int]:
    return {p.pk for p in response.context["page"].object_list}


def _warnings(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("value", BAD_VALUES)
@pytest.mark.parametrize("name", PARAMETERS)
def test_it_lists_every_policy_and_says_which_filter_it_did_not_understand(
    client, book, name, value
):
    client.force_login(book.manager)
    response = client.get(LIST_URL, {name: value})
    assert response.status_code == 200
    assert _listed(response) == {book.anas.pk, book.betos.pk}
    assert response.context["filters"] == PolicyFilters()
    assert any("not understood" in w for w in _warnings(response))


@pytest.mark.parametrize("value", BAD_VALUES)
def test_it_answers_any_policy_number_and_refuses_a_nul_byte(client, book, value):
    client.force_login(book.manager)
    response = client.get(LIST_URL, {"q": value})
    assert response.status_code == 200
    if "\x00" in value:
        assert _listed(response) == {book.anas.pk, book.betos.pk}
        assert any("not understood" in w for w in _warnings(response))


def test_it_still_narrows_the_list_by_a_valid_filter(client, book):
    client.force_login(book.manager)
    today = timezone.localdate()
    response = client.get(LIST_URL, {"agent": str(book.ana.pk)})
    assert _listed(response) == {book.anas.pk} and not _warnings(response)
    written = {"written_from": (today - datetime.timedelta(days=50)).isoformat(),
               "written_to": (today - datetime.timedelta(days=30)).isoformat()}  # fmt: skip
    assert _listed(client.get(LIST_URL, written)) == {book.betos.pk}
    assert _listed(client.get(LIST_URL, {"case": "none", "kind": "new"})) == {
        book.anas.pk, book.betos.pk,
    }  # fmt: skip
    assert _listed(client.get(LIST_URL, {"kind": "renewal"})) == set()


def test_it_takes_the_last_day_of_the_calendar_it_knows(client, book):
    client.force_login(book.manager)
    response = client.get(LIST_URL, {"written_to": "2999-12-31"})
    assert response.status_code == 200 and not _warnings(response)
    assert _listed(response) == {book.anas.pk, book.betos.pk}
