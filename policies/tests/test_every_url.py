"""Every URL of the policies app, found by reading ``policies.urls.urlpatterns`` (so a URL
added later is tried too), opened with GET and POST by an agent who does not own the client:
each URL about a client, policy, vehicle, quotation, quote or follow-up (quotation printing and
sending, documents in a policy's file, request documents again) answers 404, the insurers'
pages 403, and nothing changes; the policy list opens without the other agent's policy."""

from decimal import Decimal

import pytest
from django.urls import URLPattern, reverse

from brokerage.accounts.tests.factories import UserFactory
from clients.models import ClientDocument, Interaction
from clients.tests.factories import ClientFactory
from policies import urls
from policies.kind import QUOTE_FOLLOW_UP
from policies.models import Insurer, Policy, Quotation, QuotationSending, Quote, Vehicle
from policies.sending import quotation_send
from policies.tests.factories import (
    InsurerFactory,
    PolicyFactory,
    QuotationFactory,
    QuoteFactory,
    VehicleFactory,
)
from workqueue.models import WorkItem

pytestmark = pytest.mark.django_db

# Pages of the agent's own scope: they open and list only their own policies.
OWN_SCOPE = {"list"}
# The insurers' directory is kept by maintainers and administrators.
FORBIDDEN = {"insurers", "insurer_create", "insurer_edit"}


@pytest.fixture
def world(settings):
    settings.QUOTE_SENT_FOLLOW_UP_DAYS = 0
    owner = UserFactory(roles=["agent"])
    holder = ClientFactory(
        owner=owner, email="lucia@example.com", whatsapp="+525512345678", language="es"
    )
    policy = PolicyFactory(holder=holder, agent=owner, number="OWN-0001")
    vehicle = VehicleFactory(policy=policy)
    quotation = QuotationFactory(client=holder, created_by=owner)
    quote = QuoteFactory(quotation=quotation, insurer=InsurerFactory(), premium=Decimal("900"))
    quotation_send(quotation=quotation, by=owner, channel="whatsapp")
    follow_up = WorkItem.objects.get(kind=QUOTE_FOLLOW_UP, subject_id=quotation.pk)
    return {
        "owner": owner, "outsider": UserFactory(roles=["agent"]), "client": holder,
        "policy": policy, "vehicle": vehicle, "quotation": quotation, "quote": quote,
        "follow_up": follow_up, "insurer": quote.insurer,
    }  # fmt: skip


def _patterns():
    return [p for p in urls.urlpatterns if isinstance(p, URLPattern)]


def _kwargs(pattern, world) -> dict:
    """A URL's arguments. A URL taking anything else fails here until this test learns what to
    put in it."""
    names = set(pattern.pattern.converters)
    route = str(pattern.pattern)
    if not names:
        return {}
    if names == {"client_pk"}:
        return {"client_pk": world["client"].pk}
    if names == {"pk", "vehicle_pk"}:
        return {"pk": world["policy"].pk, "vehicle_pk": world["vehicle"].pk}
    if names == {"pk"}:
        for prefix, key in (
            ("policies/", "policy"), ("quotations/follow-ups/", "follow_up"),
            ("quotations/", "quotation"), ("quotes/", "quote"), ("insurers/", "insurer"),
        ):  # fmt: skip
            if route.startswith(prefix):
                return {"pk": world[key].pk}
    raise AssertionError(f"policies:{pattern.name} takes {names}: say here what to try it with")


def _post_data(world) -> dict:
    """Valid answers to any of the forms: a POST past the access check would change things."""
    return {
        "channel": "email", "problems": ["wrong_vin"], "note": "x", "reason": "price",
        "follow_up_on": "2030-01-01", "on": "2030-01-01", "token": "t-1", "kind": "national_id",
        "premium": "1000", "insurer": world["insurer"].pk, "currency": "MXN",
        "coverage": "Amplia", "valid_until": "2030-01-01", "description": "x", "plate": "ABC1234",
        "number": "X-1", "status": "cancelled", "cancelled_on": "2030-01-01",
    }  # fmt: skip


def _state(world):
    return (
        list(Policy.objects.order_by("pk").values_list("status", "premium", "number")),
        list(Vehicle.objects.order_by("pk").values_list("plate", "vin")),
        list(Quotation.objects.order_by("pk").values_list("status", "follow_up_on")),
        list(Quote.objects.order_by("pk").values_list("status", "premium")),
        QuotationSending.objects.count(), ClientDocument.objects.count(),
        Interaction.objects.count(), Insurer.objects.count(),
        list(WorkItem.objects.order_by("pk").values_list("status", "due_on")),
    )  # fmt: skip


def test_every_url_is_closed_to_an_agent_who_does_not_own_the_client(client, world):
    client.force_login(world["outsider"])
    before = _state(world)
    tried = set()
    for pattern in _patterns():
        url = reverse(f"policies:{pattern.name}", kwargs=_kwargs(pattern, world))
        get, post = client.get(url), client.post(url, _post_data(world))
        tried.add(pattern.name)
        if pattern.name in OWN_SCOPE:
            assert get.status_code == 200, url
            assert world["policy"].number not in get.content.decode(), url
        elif pattern.name in FORBIDDEN:
            assert get.status_code in (403, 404), url
            assert post.status_code in (403, 404), url
        else:
            assert get.status_code in (404, 405), url
            assert post.status_code == 404, url
    assert tried == {p.name for p in _patterns()}
    assert _state(world) == before


def test_the_same_posts_do_change_things_for_the_owner(client, world):
    """The 404s above are about the owner: the same data sends, asks again and keeps."""
    client.force_login(world["owner"])
    sendings, interactions = QuotationSending.objects.count(), Interaction.objects.count()
    for name in ("quotation_send", "documents_request"):
        pattern = next(p for p in _patterns() if p.name == name)
        url = reverse(f"policies:{name}", kwargs=_kwargs(pattern, world))
        assert client.post(url, _post_data(world)).status_code == 302, url
    assert QuotationSending.objects.count() == sendings + 1
    assert Interaction.objects.count() >= interactions + 2
