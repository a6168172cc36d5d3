"""Clients whose contact is to fix (issue 14): the maintainers' page counts them and links to
the client list filtered on them, so that a client flagged by an import before any touch of
theirs falls due is not out of sight; "Contact fixed" clears the flag with history; and a phone
that now reads clears the number kept as the report wrote it."""

import re

import pytest
from django.urls import reverse

from clients.models import Client
from clients.services import client_update, clients_contact_fixed
from clients.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

# Measured on PostgreSQL, and the same for 2 or 30 flagged clients: session, user, the
# permission check (2), the queue's count (empty: no page read), the user's roles, the
# flagged clients' count, and the session's save (3).
MAINTAINERS_PAGE_QUERIES = 10


def _to_fix(html: str) -> tuple[int, str, str] | None:
    """(count, link, text) of the page's "contact to fix" line, or None."""
    match = re.search(
        r'data-testid="to-fix-contact" data-count="(\d+)">\s*<a href="([^"]+)"[^>]*>([^<]+)</a>',
        html,
    )
    return (int(match[1]), match[2], match[3]) if match else None


def test_the_maintainers_page_counts_the_clients_to_fix_and_links_to_them(
    client, agent, maintainer
):
    flagged = [
        ClientFactory(owner=agent, contact_inaccurate=True),
        ClientFactory(phone="", phone_as_written="55 12", contact_inaccurate=True),
        ClientFactory(owner=agent, phone="", phone_as_written="1-800-SEGURO",
                      contact_inaccurate=True),
    ]  # fmt: skip
    fine = ClientFactory(owner=agent)
    merged = ClientFactory(contact_inaccurate=True, merged_into=fine)
    client.force_login(maintainer)
    html = client.get(reverse("workqueue:maintainers")).content.decode()
    assert _to_fix(html) == (3, "/clients/?inaccurate=1", "3 clients have a contact to fix")
    # No item is due for any of them: the queue itself is empty, the count is not.
    assert "No items in the queue right now." in html

    listed = client.get("/clients/?inaccurate=1").content.decode()
    rows = set(map(int, re.findall(r'<tr data-client="(\d+)"', listed)))
    assert rows == {c.pk for c in flagged}
    assert fine.pk not in rows and merged.pk not in rows


def test_it_says_one_client_in_the_singular(client, maintainer):
    ClientFactory(contact_inaccurate=True)
    client.force_login(maintainer)
    html = client.get(reverse("workqueue:maintainers")).content.decode()
    assert _to_fix(html) == (1, "/clients/?inaccurate=1", "1 client has a contact to fix")


def test_it_shows_no_count_when_no_contact_is_to_fix(client, maintainer):
    ClientFactory()
    client.force_login(maintainer)
    html = client.get(reverse("workqueue:maintainers")).content.decode()
    assert _to_fix(html) is None
    assert "Nothing to fix right now." in html


@pytest.mark.parametrize("n", [2, 30])
def test_the_count_costs_one_query_whatever_the_number_of_clients(
    client, maintainer, n, django_assert_max_num_queries
):
    for _i in range(n):
        ClientFactory(contact_inaccurate=True)
    client.force_login(maintainer)
    with django_assert_max_num_queries(MAINTAINERS_PAGE_QUERIES):
        html = client.get(reverse("workqueue:maintainers")).content.decode()
    assert _to_fix(html)[0] == n


def test_contact_fixed_clears_the_flag_with_who_and_when(maintainer):
    flagged = ClientFactory(contact_inaccurate=True)
    clear = ClientFactory()
    history = {c.pk: c.history.count() for c in (flagged, clear)}
    assert clients_contact_fixed(client_ids=[flagged.pk, clear.pk], by=maintainer) == 1
    flagged.refresh_from_db()
    assert flagged.contact_inaccurate is False
    latest = flagged.history.order_by("-history_date", "-history_id").first()
    assert latest.history_user == maintainer and latest.contact_inaccurate is False
    assert flagged.history.count() == history[flagged.pk] + 1
    assert clear.history.count() == history[clear.pk]


def test_a_phone_that_reads_clears_the_number_as_the_report_wrote_it(maintainer):
    holder = ClientFactory(phone="", phone_as_written="55 12", contact_inaccurate=True)
    client_update(client=holder, by=maintainer, data={"email": "otra@example.com"})
    holder.refresh_from_db()
    assert holder.phone_as_written == "55 12"  # still no phone: kept for whoever fixes it
    client_update(client=holder, by=maintainer, data={"phone": "+52 55 1234 5678"})
    holder.refresh_from_db()
    assert (holder.phone.as_e164, holder.phone_as_written) == ("+525512345678", "")
    latest = holder.history.order_by("-history_date", "-history_id").first()
    assert latest.history_user == maintainer and latest.prev_record.phone_as_written == "55 12"


def test_the_client_form_with_a_phone_clears_the_number_as_written(client, maintainer):
    holder = ClientFactory(
        first_name="Ana", last_name="López", phone="", phone_as_written="55 12",
        contact_inaccurate=True, email="ana@example.com", language="es", status="active",
    )  # fmt: skip
    client.force_login(maintainer)
    response = client.post(
        reverse("clients:edit", args=[holder.pk]),
        {
            "first_name": "Ana", "last_name": "López", "phone": "55 1234 5678",
            "email": "ana@example.com", "language": "es", "status": "active",
        },
    )  # fmt: skip
    assert response.status_code == 302
    holder = Client.objects.get(pk=holder.pk)
    assert (holder.phone.as_e164, holder.phone_as_written) == ("+525512345678", "")
    # The checkbox was left unticked: the contact is no longer to fix.
    assert holder.contact_inaccurate is False
    html = client.get(reverse("clients:detail", args=[holder.pk])).content.decode()
    assert 'data-testid="phone-as-written"' not in html
