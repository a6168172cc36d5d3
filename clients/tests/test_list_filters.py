"""The client list reads its filters from the URL in one way (ClientFilterSet): a value it does
not understand gives the default list and a message, never an error."""

from types import SimpleNamespace

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from clients.models import ClientStatus
from clients.selectors import ClientFilters
from clients.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("clients:list")
# A digit to str.isdigit() but not to int(), a NUL byte, the last day of the calendar, a
# negative key, a key past 64 bits, and words.
BAD_VALUES = ["²", "\x00", "9999-12-31", "-1", "99999999999999999999", "garbage"]
CHOICES = ["status", "kind", "owner", "lead_source"]
FLAGS = ["vip", "key_uncovered", "no_owner", "inaccurate"]


@pytest.fixture
def book(manager):
    team = TeamFactory(manager=manager)
    ana, beto = UserFactory(roles=["agent"], team=team), UserFactory(roles=["agent"], team=team)
    anas = ClientFactory(owner=ana)
    betos = ClientFactory(owner=beto, status=ClientStatus.PROSPECT)
    return SimpleNamespace(manager=manager, ana=ana, beto=beto, anas=anas, betos=betos)


def _listed(response) -> set[int]:
    return {c.pk for c in response.context["page"].object_list}


def _warnings(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("value", BAD_VALUES)
@pytest.mark.parametrize("name", CHOICES)
def test_it_lists_every_client_and_says_which_filter_it_did_not_understand(
    client, book, name, value
):
    client.force_login(book.manager)
    response = client.get(LIST_URL, {name: value})
    assert response.status_code == 200
    assert _listed(response) == {book.anas.pk, book.betos.pk}
    assert response.context["filters"] == ClientFilters()
    assert any("not understood" in w for w in _warnings(response))


@pytest.mark.parametrize("value", BAD_VALUES)
@pytest.mark.parametrize("name", FLAGS)
def test_it_reads_a_check_box_as_off_unless_it_says_1(client, book, name, value):
    client.force_login(book.manager)
    response = client.get(LIST_URL, {name: value})
    assert response.status_code == 200
    assert _listed(response) == {book.anas.pk, book.betos.pk}
    assert getattr(response.context["filters"], name) is False


@pytest.mark.parametrize("value", BAD_VALUES)
def test_it_answers_any_search_and_refuses_a_nul_byte(client, book, value):
    client.force_login(book.manager)
    response = client.get(LIST_URL, {"q": value})
    assert response.status_code == 200
    if "\x00" in value:
        assert _listed(response) == {book.anas.pk, book.betos.pk}
        assert any("not understood" in w for w in _warnings(response))


def test_it_keeps_the_filters_it_understood_beside_one_it_did_not(client, book):
    client.force_login(book.manager)
    response = client.get(LIST_URL, {"owner": str(book.ana.pk), "status": "²"})
    assert response.status_code == 200
    assert _listed(response) == {book.anas.pk}


def test_it_still_narrows_the_list_by_a_valid_filter(client, book):
    client.force_login(book.manager)
    assert _listed(client.get(LIST_URL, {"owner": str(book.beto.pk)})) == {book.betos.pk}
    assert _listed(client.get(LIST_URL, {"status": ClientStatus.PROSPECT})) == {book.betos.pk}
    response = client.get(LIST_URL, {"owner": str(book.ana.pk)})
    assert _listed(response) == {book.anas.pk} and not _warnings(response)


def test_it_says_nothing_on_an_htmx_swap_of_the_table(client, book):
    client.force_login(book.manager)
    response = client.get(
        LIST_URL, {"owner": "²"}, headers={"HX-Request": "true", "HX-Target": "client-table"}
    )
    assert response.status_code == 200 and not _warnings(response)


@pytest.mark.parametrize("url", ["clients:export", "clients:export_xlsx"])
def test_it_exports_every_client_when_no_filter_is_understood(client, book, url):
    client.force_login(book.manager)
    params = {name: "²" for name in CHOICES} | {"q": "\x00"}
    response = client.get(reverse(url), params)
    assert response.status_code == 200
