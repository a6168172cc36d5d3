"""The long lists count at most so many rows: past the cap they say "more than" and offer the
first pages, without counting the whole book on every visit."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from brokerage.core import pagination
from brokerage.core.pagination import CappedPaginator
from clients.models import Client
from clients.search import search_q
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory

pytestmark = pytest.mark.django_db


def test_it_counts_up_to_the_cap_and_says_when_more_rows_match(agent):
    ClientFactory.create_batch(5, owner=agent)
    rows = Client.objects.order_by("display_name", "pk")
    capped = CappedPaginator(rows, 2, cap=3)
    assert (capped.count, capped.capped, capped.num_pages) == (3, True, 2)
    whole = CappedPaginator(rows, 2, cap=5)
    assert (whole.count, whole.capped, whole.num_pages) == (5, False, 3)
    # The second page of the capped list holds the third row of the order, not more.
    assert list(capped.page(2).object_list) == list(rows[2:3])


def test_the_count_neither_sorts_nor_reads_past_the_cap(agent):
    ClientFactory.create_batch(3, owner=agent)
    with CaptureQueriesContext(connection) as queries:
        assert CappedPaginator(Client.objects.order_by("display_name"), 50, cap=2).count == 2
    (sql,) = [q["sql"] for q in queries.captured_queries]
    assert "LIMIT 3" in sql and "ORDER BY" not in sql


def test_the_policy_list_says_more_than_the_cap(client, manager, monkeypatch):
    monkeypatch.setattr(pagination, "LIST_COUNT_CAP", 2)
    holder = ClientFactory(owner=manager)
    PolicyFactory.create_batch(3, holder=holder)
    client.force_login(manager)
    page = client.get(reverse("policies:list")).content.decode()
    assert "More than 2 policies" in page and "3 policies" not in page
    monkeypatch.setattr(pagination, "LIST_COUNT_CAP", 3)
    page = client.get(reverse("policies:list")).content.decode()
    assert "3 policies" in page and "More than" not in page


def test_the_client_list_and_its_pages_say_more_than_the_cap(client, manager, monkeypatch):
    monkeypatch.setattr(pagination, "LIST_COUNT_CAP", 2)
    ClientFactory.create_batch(3, owner=manager)
    client.force_login(manager)
    monkeypatch.setattr("clients.views.PAGE_SIZE", 1)
    page = client.get(reverse("clients:list")).content.decode()
    assert "More than 2 clients" in page and "Page 1 of 2+" in page


def test_an_agents_policies_are_listed_by_end_date(client, agent):
    today = datetime.date(2026, 6, 1)
    holder = ClientFactory(owner=agent)
    ends = [today + datetime.timedelta(days=d) for d in (40, 5, 90, 5)]
    made = [
        PolicyFactory(holder=holder, start_date=end - datetime.timedelta(days=365), end_date=end)
        for end in ends
    ]
    PolicyFactory(end_date=today)  # someone else's
    client.force_login(agent)
    listed = list(client.get(reverse("policies:list")).context["page"].object_list)
    expected = sorted(made, key=lambda p: (p.end_date, p.pk))
    assert listed == expected


def test_a_phone_number_is_looked_up_by_number_not_by_name(agent):
    named = ClientFactory(owner=agent, first_name="Tel", last_name="55 7409 3521")
    rung = ClientFactory(owner=agent, phone="+525574093521")
    sql = str(Client.objects.filter(search_q("55 7409 3521", matchers=False)).order_by().query)
    assert "display_name" not in sql.split(" WHERE ", 1)[1]
    found = set(Client.objects.filter(search_q("55 7409 3521", matchers=False)))
    assert found == {rung} and named not in found
    # A name with letters is still searched by name.
    assert named in Client.objects.filter(search_q("Tel 55", matchers=False))
