"""Every URL of the servicing app, found by reading ``servicing.urls.urlpatterns`` (so a URL
added later is tried too), opened with GET and POST by an agent of another team: a URL about a
policy, a service request or a service case answers 404 and changes nothing; the lists open
(agents reach them) without the other agent's request or case; the orphans' sweep answers
403."""

import datetime

import pytest
from django.urls import URLPattern, reverse
from django.utils import timezone

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from clients.models import ClientDocument, Interaction
from clients.tests.factories import ClientFactory
from policies.models import PolicyStatus
from servicing import urls
from servicing.models import (
    CaseSearch,
    CaseServiceItem,
    CaseSource,
    PolicyParty,
    RequestKind,
    ServiceCase,
    ServiceRequest,
)
from servicing.services import service_cases_open, service_request_create
from servicing.tests.factories import LifePolicyFactory
from workqueue.models import WorkItem

pytestmark = pytest.mark.django_db

# Lists any agent opens, showing only their own requests and cases.
LISTS = {"requests", "cases", "case_list"}
# What an agent may not do at all.
FORBIDDEN = {"case_sweep"}


@pytest.fixture
def world():
    owner = UserFactory(roles=["agent"], team=TeamFactory())
    outsider = UserFactory(roles=["agent"], team=TeamFactory())
    policy = LifePolicyFactory(holder=ClientFactory(owner=owner), agent=owner)
    request = service_request_create(
        policy=policy, by=owner, kind=RequestKind.ADDRESS_CHANGE,
        due_on=timezone.localdate() + datetime.timedelta(days=5),
    )  # fmt: skip
    policy.status = PolicyStatus.LAPSED
    policy.save()
    (case,) = service_cases_open(previous={policy.holder_id: None}, source=CaseSource.ORPHAN)
    document = ClientDocument.objects.create(
        client=policy.holder, kind="national_id", file="ine.pdf", stored_name="ine.pdf",
        original_name="ine.pdf", content_type="application/pdf", size=1, uploaded_by=owner,
    )  # fmt: skip
    return {
        "owner": owner, "outsider": outsider, "policy": policy, "request": request,
        "case": case, "document": document,
    }  # fmt: skip


def _patterns():
    return [p for p in urls.urlpatterns if isinstance(p, URLPattern)]


def _kwargs(pattern, world) -> dict:
    """A URL's arguments: the policy's id, the request's or the case's. A URL taking anything
    else fails here until this test learns what to put in it."""
    names = set(pattern.pattern.converters)
    if not names:
        return {}
    route = str(pattern.pattern)
    if names == {"pk"} and route.startswith("policy/"):
        return {"pk": world["policy"].pk}
    if names == {"pk"} and route.startswith("requests/"):
        return {"pk": world["request"].pk}
    if names == {"pk"} and route.startswith("cases/"):
        return {"pk": world["case"].pk}
    raise AssertionError(f"servicing:{pattern.name} takes {names}: say here what to try it with")


def _post_data(world) -> dict:
    """Everything any of the forms could want, valid: a POST that gets past the access check
    would change something."""
    due = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
    return {
        "parties-TOTAL_FORMS": "1", "parties-INITIAL_FORMS": "0",
        "parties-0-role": "beneficiary", "parties-0-name": "X", "parties-0-share": "100",
        "new-TOTAL_FORMS": "0", "new-INITIAL_FORMS": "0",
        "kind": "other", "due_on": due, "documents": [world["document"].pk], "status": "sent",
        "case_class": "difficult", "item": "riders", "state": "offered", "method": "phone",
        "policy": world["policy"].pk, "outcome": "declined", "note": "No quiere",
    }  # fmt: skip


def _state(world):
    request = ServiceRequest.objects.get(pk=world["request"].pk)
    case = ServiceCase.objects.get(pk=world["case"].pk)
    return (
        request.status, request.documents.count(), ServiceRequest.objects.count(),
        PolicyParty.objects.count(), case.case_class, case.closed_at, case.list_signed_at,
        CaseServiceItem.objects.count(), CaseSearch.objects.count(), ServiceCase.objects.count(),
        WorkItem.objects.count(), Interaction.objects.count(),
    )  # fmt: skip


def test_every_url_is_closed_to_an_agent_who_does_not_own_the_client(client, world):
    client.force_login(world["outsider"])
    before = _state(world)
    tried = set()
    for pattern in _patterns():
        url = reverse(f"servicing:{pattern.name}", kwargs=_kwargs(pattern, world))
        get, post = client.get(url), client.post(url, _post_data(world))
        tried.add(pattern.name)
        if pattern.name in FORBIDDEN:
            assert (get.status_code, post.status_code) in ((403, 403), (405, 403)), url
        elif pattern.name in LISTS:
            assert get.status_code == 200, url
            page = get.content.decode()
            assert world["request"].reference not in page, url
            assert world["case"].reference not in page, url
            assert world["policy"].holder.display_name not in page, url
        else:
            assert get.status_code in (404, 405), url
            assert post.status_code == 404, url
    assert tried == {p.name for p in _patterns()}
    assert _state(world) == before


def test_the_owner_opens_every_page_about_their_client(client, world):
    """The same URLs open for the owner: the 404s above are about the client, not broken."""
    client.force_login(world["owner"])
    for pattern in _patterns():
        if pattern.name in FORBIDDEN:
            continue
        url = reverse(f"servicing:{pattern.name}", kwargs=_kwargs(pattern, world))
        assert client.get(url).status_code in (200, 302, 405), url
