"""Who may open each policy-service page (issue 17). A life policy of a client owned by an
agent of team A, with a service request and a service case, is tried by its owner, a teammate,
an agent of team B, the manager of team A, the manager of team B, a maintainer, an
administrator and an anonymous visitor: those who see the client see the pages; the others get
a 404 on every URL (GET and POST) and change nothing; anonymous visitors go to sign in. Lists
show each one only what they may open."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from clients.models import ClientDocument
from policies.models import PolicyStatus
from servicing.models import CaseSource, PolicyParty, RequestKind, ServiceCase, ServiceRequest
from servicing.services import service_cases_open, service_request_create

pytestmark = pytest.mark.django_db

ROLES = [
    "owner", "teammate", "outsider", "manager", "other_manager", "maintainer", "admin",
    "anonymous",
]  # fmt: skip
SEES = {"owner", "manager", "maintainer", "admin"}


@pytest.fixture
def objects(world):
    users, policy = world
    owner = users["owner"]
    request = service_request_create(
        policy=policy, by=owner, kind=RequestKind.ADDRESS_CHANGE,
        due_on=timezone.localdate() + datetime.timedelta(days=5),
    )  # fmt: skip
    policy.status = PolicyStatus.LAPSED
    policy.save()
    (case,) = service_cases_open(previous={policy.holder_id: None}, source=CaseSource.ORPHAN)
    ClientDocument.objects.create(
        client=policy.holder, kind="national_id", file="ine.pdf", stored_name="ine.pdf",
        original_name="ine.pdf", content_type="application/pdf", size=1, uploaded_by=owner,
    )  # fmt: skip
    return users, policy, request, case


def _get_urls(policy, request, case):
    return [
        reverse("servicing:parties", args=[policy.pk]),
        reverse("servicing:request_create", args=[policy.pk]),
        reverse("servicing:request_detail", args=[request.pk]),
        reverse("servicing:case_detail", args=[case.pk]),
    ]


def _post_urls(policy, request, case):
    from clients.models import ClientDocument

    document = ClientDocument.objects.filter(client_id=policy.holder_id).first()
    due = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
    parties = {
        "parties-TOTAL_FORMS": "1",
        "parties-INITIAL_FORMS": "0",
        "parties-0-role": "beneficiary",
        "parties-0-name": "X",
        "parties-0-share": "100",
    }
    new = {"kind": "other", "due_on": due, "new-TOTAL_FORMS": "0", "new-INITIAL_FORMS": "0"}
    return [
        (reverse("servicing:parties", args=[policy.pk]), parties),
        (reverse("servicing:request_create", args=[policy.pk]), new),
        (reverse("servicing:request_attach", args=[request.pk]), {"documents": [document.pk]}),
        (reverse("servicing:request_status", args=[request.pk]), {"status": "sent"}),
        (reverse("servicing:case_classify", args=[case.pk]), {"case_class": "lapsed"}),
        (reverse("servicing:case_sign", args=[case.pk]), {}),
        (reverse("servicing:case_item", args=[case.pk]), {"item": "riders", "state": "offered"}),
        (reverse("servicing:case_search", args=[case.pk]), {"method": "phone"}),
        (reverse("servicing:case_reinstatement", args=[case.pk]),
         {"policy": policy.pk, "due_on": due}),
        (reverse("servicing:case_close", args=[case.pk]),
         {"outcome": "declined", "note": "No quiere"}),
    ]  # fmt: skip


def _snapshot(policy, request, case):
    request.refresh_from_db()
    case.refresh_from_db()
    return (
        request.documents.count(),
        PolicyParty.objects.count(), ServiceRequest.objects.count(), request.status,
        case.case_class, case.closed_at, case.list_signed_at, case.service_items.count(),
        case.searches.count(),
    )  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_every_url_answers_404_to_those_who_cannot_see_the_client(client, objects, role):
    users, policy, request, case = objects
    user = users.get(role)
    if user is not None:
        client.force_login(user)
    before = _snapshot(policy, request, case)
    for url in _get_urls(policy, request, case):
        response = client.get(url)
        if role == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        elif role in SEES:
            assert response.status_code == 200, url
        else:
            assert response.status_code == 404, url
    for url, data in _post_urls(policy, request, case):
        response = client.post(url, data)
        if role == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        elif role not in SEES:
            assert response.status_code == 404, url
    if role not in SEES:
        assert _snapshot(policy, request, case) == before


def test_the_owner_can_do_each_step_through_the_pages(client, objects):
    users, policy, request, case = objects
    client.force_login(users["owner"])
    for url, data in _post_urls(policy, request, case):
        response = client.post(url, data)
        assert response.status_code in (302, 400), url
    request.refresh_from_db()
    case.refresh_from_db()
    assert request.status == "sent" and request.documents.count() == 1
    assert case.closed_at is not None and case.outcome == "declined"
    assert ServiceRequest.objects.filter(kind=RequestKind.REINSTATEMENT).exists()


@pytest.mark.parametrize("role", ROLES[:-1])
def test_lists_show_only_what_each_one_may_open(client, objects, role):
    users, policy, request, case = objects
    client.force_login(users[role])
    requests = client.get(reverse("servicing:requests")).context["page"].object_list
    cases = client.get(reverse("servicing:case_list")).context["page"].object_list
    overview = client.get(reverse("servicing:cases")).context["overview"]
    expected = role in SEES
    assert (request in list(requests)) is expected
    assert (case in list(cases)) is expected
    assert overview["total"] == (1 if expected else 0)


def test_only_maintainers_managers_and_admins_run_the_orphans_sweep(client, objects):
    users, *_rest = objects
    client.force_login(users["owner"])
    assert client.post(reverse("servicing:case_sweep")).status_code == 403
    client.force_login(users["maintainer"])
    assert client.post(reverse("servicing:case_sweep")).status_code == 302


def test_a_user_without_a_staff_role_is_refused(client, objects):
    from brokerage.accounts.tests.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(reverse("servicing:requests")).status_code == 403
    assert ServiceCase.objects.count() == 1
