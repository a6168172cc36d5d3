"""Every URL of the touches app, found by reading ``touches.urls.urlpatterns`` (so a URL added
later is tried too), opened with GET and POST by an agent who does not own the touch: the
touch pages answer 404, the settings page 403, and nothing changes."""

import uuid

import pytest
from django.urls import URLPattern, reverse

from brokerage.accounts.tests.factories import UserFactory
from clients.models import Interaction
from policies.models import Vehicle
from touches import urls
from touches.models import Touch, TouchKind, TouchSetting
from workqueue.models import ItemResult, WorkItem

from .test_work import days, touch_item

pytestmark = pytest.mark.django_db

# Pages for the maintainers only.
MAINTAINERS = {"settings"}


@pytest.fixture
def world():
    owner = UserFactory(roles=["agent"])
    return {
        "owner": owner,
        "outsider": UserFactory(roles=["agent"]),
        "items": {
            "item_plate": touch_item(owner, TouchKind.PLATE),
            "item_visit": touch_item(owner, TouchKind.RETURN_VISIT),
        },
    }


def _patterns():
    return [p for p in urls.urlpatterns if isinstance(p, URLPattern)]


def _kwargs(pattern, world) -> dict:
    """A URL's arguments: the work item of a touch of its kind. A URL taking anything else
    fails here until this test learns what to put in it."""
    names = set(pattern.pattern.converters)
    if not names:
        return {}
    if names == {"pk"} and pattern.name in world["items"]:
        return {"pk": world["items"][pattern.name].pk}
    raise AssertionError(f"touches:{pattern.name} takes {names}: say here what to try it with")


def _post_data() -> dict:
    """Valid answers to any of the forms: a POST past the access check would change things."""
    data = {
        "plate": "ABC123D", "endorsed_on": days(-1).isoformat(), "satisfaction": "5",
        "documents_received": "yes", "phone": "+525511112222", "token": str(uuid.uuid4()),
        "touches-TOTAL_FORMS": "1", "touches-INITIAL_FORMS": "1",
        "touches-0-kind": TouchKind.THANK_YOU, "touches-0-days": "9", "touches-0-mode": "call",
        "touches-0-priority": "5",
    }  # fmt: skip
    return data


def _state():
    return (
        list(Touch.objects.order_by("pk").values_list("result", "plate", "satisfaction")),
        list(WorkItem.objects.order_by("pk").values_list("status", flat=True)),
        ItemResult.objects.count(), Interaction.objects.count(),
        list(Vehicle.objects.order_by("pk").values_list("plate", flat=True)),
        list(TouchSetting.objects.order_by("kind").values_list("days", "enabled", "mode")),
    )  # fmt: skip


def test_every_url_is_closed_to_an_agent_who_does_not_own_the_touch(client, world):
    client.force_login(world["outsider"])
    before = _state()
    tried = set()
    for pattern in _patterns():
        url = reverse(f"touches:{pattern.name}", kwargs=_kwargs(pattern, world))
        get, post = client.get(url), client.post(url, _post_data())
        tried.add(pattern.name)
        expected = 403 if pattern.name in MAINTAINERS else 404
        assert (get.status_code, post.status_code) == (expected, expected), url
    assert tried == {p.name for p in _patterns()}
    assert _state() == before


def test_the_owner_opens_their_touch_pages(client, world):
    """The same pages open for the touch's agent: the 404s above are about the owner."""
    client.force_login(world["owner"])
    for pattern in _patterns():
        if pattern.name in MAINTAINERS:
            continue
        url = reverse(f"touches:{pattern.name}", kwargs=_kwargs(pattern, world))
        assert client.get(url).status_code == 200, url
