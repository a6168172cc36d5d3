"""The client's profile for service on the client form and page (issue 17): occupation,
hobbies, the client's own contact window (both ends or neither, from before until) and the
opt-out of greetings."""

import datetime

import pytest
from django.urls import reverse

from clients.models import Client
from clients.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def form_data(client: Client, **changes) -> dict:
    data = {
        "first_name": client.first_name, "last_name": client.last_name,
        "phone": client.phone.as_e164, "email": client.email, "language": client.language,
        "status": client.status,
    }  # fmt: skip
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_profile_is_saved_with_history_and_shown_on_the_client_page(client, agent):
    mine = ClientFactory(owner=agent)
    client.force_login(agent)
    url = reverse("clients:edit", args=[mine.pk])
    response = client.post(url, form_data(mine, occupation="Taxi driver", hobbies="Fishing",
                                          contact_from="16:00", contact_to="18:30",
                                          greetings_opt_out="on"))  # fmt: skip
    assert response.status_code == 302, response.context["form"].errors
    mine.refresh_from_db()
    assert (mine.occupation, mine.hobbies, mine.greetings_opt_out) == (
        "Taxi driver", "Fishing", True,
    )  # fmt: skip
    assert (mine.contact_from, mine.contact_to) == (datetime.time(16), datetime.time(18, 30))
    assert mine.history.first().history_user_id == agent.pk
    page = client.get(reverse("clients:detail", args=[mine.pk])).content.decode()
    assert "Taxi driver" in page and "Fishing" in page and "16:00–18:30" in page
    assert "None: the client asked for none" in page


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [("09:00", "", "contact_to"), ("", "12:00", "contact_from"), ("12:00", "09:00", "contact_to"),
     ("10:00", "10:00", "contact_to")],
)  # fmt: skip
def test_a_contact_window_needs_both_ends_in_order(client, agent, start, end, field):
    mine = ClientFactory(owner=agent)
    client.force_login(agent)
    response = client.post(
        reverse("clients:edit", args=[mine.pk]),
        form_data(mine, contact_from=start, contact_to=end),
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    mine.refresh_from_db()
    assert mine.contact_from is None and mine.contact_to is None
