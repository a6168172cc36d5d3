"""The policy list's search box (number, plate, VIN, holder) and the client search through the
real view with queries that reach the policy matcher (4+ characters), and the navbar's box."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from brokerage.accounts.tests.factories import UserFactory
from clients.tests.factories import ClientFactory, CorporateClientFactory
from policies.selectors import client_ids_by_policy_or_vehicle
from policies.tests.factories import InsurerFactory, PolicyFactory, VehicleFactory, make_vin

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(agent):
    insurer = InsurerFactory(code="gnp", name="GNP Seguros")
    ana = ClientFactory(
        owner=agent, first_name="Ana", last_name="Hernández", phone="+525512345678",
        national_id="HEAN800101MDFRRD07",
    )  # fmt: skip
    pedro = ClientFactory(owner=agent, first_name="Pedro", last_name="Sánchez")
    company = CorporateClientFactory(owner=agent, legal_name="Transportes Ñandú")
    car = PolicyFactory(holder=ana, insurer=insurer, number="GNP-0042-77")
    home = PolicyFactory(holder=ana, insurer=insurer, number="GNP-0042-78", line="property")
    truck = PolicyFactory(holder=pedro, insurer=insurer, number="GNP-9000")
    fleet = PolicyFactory(holder=company, insurer=insurer, number="GNP-5555")
    VehicleFactory(policy=car, plate="ABC123", vin=make_vin(777))
    VehicleFactory(policy=truck, plate="XYZ987", vin=make_vin(888))
    # Another agent's policy with the same plate, holder name and number: never listed.
    stranger = ClientFactory(owner=UserFactory(roles=["agent"]), first_name="Ana",
                             last_name="Hernández")  # fmt: skip
    hidden = PolicyFactory(holder=stranger, insurer=InsurerFactory(), number="GNP-0042-77")
    VehicleFactory(policy=hidden, plate="ABC123", vin=make_vin(999))
    return {"car": car, "home": home, "truck": truck, "fleet": fleet}


def _listed(client, q):
    response = client.get(reverse("policies:list"), {"q": q})
    assert response.status_code == 200
    return {p.pk for p in response.context["page"].object_list}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("GNP-0042-77", {"car"}),
        ("gnp004277", {"car"}),
        ("ABC123", {"car"}),
        ("abc-123", {"car"}),
        ("xyz 987", {"truck"}),
        (make_vin(888).lower(), {"truck"}),
        ("hernández", {"car", "home"}),
        ("ANA HERN", {"car", "home"}),
        ("Ñandú", {"fleet"}),
        ("55 1234 5678", {"car", "home"}),
        ("hean800101mdfrrd07", {"car", "home"}),
        ("Sánchez", {"truck"}),
        ("nobody at all", set()),
    ],
)
def test_it_finds_policies_by_number_plate_vin_and_holder(client, agent, book, query, expected):
    client.force_login(agent)
    assert _listed(client, query) == {book[name].pk for name in expected}


@pytest.mark.parametrize("query", ["GNP-0042-77", "ABC123", "Hernández", "55 1234 5678"])
def test_it_searches_policies_with_no_query_more_than_the_plain_list(client, agent, book, query):
    client.force_login(agent)
    client.get(reverse("policies:list"))  # the session's first save
    counts = []
    for params in ({}, {"q": query}):
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("policies:list"), params)
        counts.append(len(queries.captured_queries))
    assert counts[1] == counts[0]


@pytest.mark.parametrize("query", ["GNP-0042-77", "gnp004277", "ABC123", "abc-123", "XYZ987"])
def test_the_client_search_answers_queries_of_four_characters_and_more(client, agent, book, query):
    client.force_login(agent)
    response = client.get(reverse("clients:list"), {"q": query})
    assert response.status_code == 200
    holders = {c.pk for c in response.context["page"].object_list}
    assert holders == {book["car" if "987" not in query else "truck"].holder_id}


def test_the_policy_matcher_orders_nothing_inside_its_union(book):
    with CaptureQueriesContext(connection) as queries:
        assert client_ids_by_policy_or_vehicle("ABC-123") != []
    (sql,) = [q["sql"] for q in queries.captured_queries]
    assert "UNION" in sql
    assert "ORDER BY" not in sql.upper()


@pytest.mark.parametrize("role", ["agent", "manager", "maintainer", "admin"])
def test_the_navbar_has_a_client_search_box_for_roles_that_see_clients(client, role):
    client.force_login(UserFactory(roles=[role]))
    html = client.get(reverse("policies:list")).content.decode()
    assert 'data-testid="nav-search"' in html
    form = html.split('data-testid="nav-search"')[0].rsplit("<form", 1)[1]
    assert f'action="{reverse("clients:list")}"' in form
    assert 'name="q"' in html.split('data-testid="nav-search"')[1].split("</form>")[0]


def test_the_navbar_has_no_search_box_for_a_user_without_a_role(client):
    client.force_login(UserFactory(roles=[]))
    html = client.get(reverse("accounts:profile")).content.decode()
    assert 'data-testid="nav-search"' not in html
