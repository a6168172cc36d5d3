"""Service requests (保全, issue 17): requested → sent to the insurer → done or rejected, each
step with its date and who; any other move is refused; a rejection needs its reason; the work
item goes to the policy's agent (else the maintainers' queue) and closes with the request; a
done beneficiary or policyholder change puts the new parties on the policy, in its history;
the request page never answers 500 to a wrong form."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from brokerage.accounts.tests.factories import UserFactory
from clients.models import ClientDocument, Interaction
from clients.tests.factories import ClientFactory
from policies.models import PolicyStatus
from servicing.kind import REQUEST_KIND
from servicing.models import PartyRole, PolicyParty, RequestKind, RequestStatus, ServiceRequest
from servicing.services import (
    policy_parties_set,
    service_request_create,
    service_request_set_status,
)
from servicing.tests.factories import LifePolicyFactory, beneficiaries
from workqueue.models import ItemStatus, Queue, WorkItem

pytestmark = pytest.mark.django_db


def _due():
    return timezone.localdate() + datetime.timedelta(days=10)


def _new(name, share):
    return {"name": name, "relation": "spouse", "id_number": "", "share": Decimal(share)}


@pytest.fixture
def policy(agent):
    return LifePolicyFactory(holder=ClientFactory(owner=agent), agent=agent)


def test_it_walks_requested_sent_done_with_dates_and_who_and_closes_the_item(policy, agent):
    request = service_request_create(
        policy=policy, by=agent, kind=RequestKind.ADDRESS_CHANGE, due_on=_due()
    )
    item = WorkItem.objects.get(kind=REQUEST_KIND, subject_id=request.pk)
    assert (item.agent, item.queue, item.status) == (agent, Queue.AGENT, ItemStatus.OPEN)
    maintainer = UserFactory(roles=["maintainer"])
    service_request_set_status(request=request, by=maintainer, status=RequestStatus.SENT)
    request.refresh_from_db()
    assert (request.status, request.sent_by, request.closed_at) == ("sent", maintainer, None)
    item.refresh_from_db()
    assert item.status == ItemStatus.OPEN
    service_request_set_status(request=request, by=agent, status=RequestStatus.DONE)
    request.refresh_from_db()
    assert (request.status, request.closed_by) == ("done", agent)
    assert request.sent_at <= request.closed_at
    item.refresh_from_db()
    assert (item.status, item.result) == (ItemStatus.DONE, "done")
    assert request.history.count() == 3
    assert Interaction.objects.filter(client=policy.holder, message="servicing.status").count() == 2


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ([], RequestStatus.DONE),
        ([], RequestStatus.REQUESTED),
        ([RequestStatus.SENT], RequestStatus.REQUESTED),
        ([RequestStatus.SENT], RequestStatus.SENT),
        ([RequestStatus.SENT, RequestStatus.DONE], RequestStatus.REJECTED),
        ([RequestStatus.REJECTED], RequestStatus.SENT),
        ([RequestStatus.REJECTED], RequestStatus.DONE),
        ([], "lost"),
    ],
)
def test_it_refuses_an_illegal_move(policy, agent, path, refused):
    request = service_request_create(
        policy=policy, by=agent, kind=RequestKind.PHONE_CHANGE, due_on=_due()
    )
    for status in path:
        service_request_set_status(request=request, by=agent, status=status, reason="Sin firma")
    request.refresh_from_db()
    before = (request.status, request.history.count())
    with pytest.raises(ValidationError):
        service_request_set_status(request=request, by=agent, status=refused, reason="x")
    request.refresh_from_db()
    assert (request.status, request.history.count()) == before


def test_a_rejection_needs_its_reason_and_keeps_it(policy, agent):
    request = service_request_create(policy=policy, by=agent, kind=RequestKind.RIDER, due_on=_due())
    with pytest.raises(ValidationError):
        service_request_set_status(request=request, by=agent, status=RequestStatus.REJECTED)
    service_request_set_status(
        request=request, by=agent, status=RequestStatus.REJECTED, reason="Falta la firma"
    )
    request.refresh_from_db()
    assert (request.status, request.rejection_reason) == ("rejected", "Falta la firma")
    assert WorkItem.objects.get(subject_id=request.pk, kind=REQUEST_KIND).status == "done"


def test_a_policy_with_no_active_agent_sends_its_request_to_the_maintainers(agent):
    gone = UserFactory(roles=["agent"], is_active=False)
    policy = LifePolicyFactory(holder=ClientFactory(owner=gone), agent=gone)
    request = service_request_create(policy=policy, by=agent, kind=RequestKind.OTHER, due_on=_due())
    item = WorkItem.objects.get(kind=REQUEST_KIND, subject_id=request.pk)
    assert (item.agent, item.queue) == (None, Queue.MAINTAINERS)


def test_a_done_beneficiary_change_replaces_the_beneficiaries_in_the_history(policy, agent):
    policy_parties_set(
        policy=policy, by=agent,
        parties=[{"role": PartyRole.POLICYHOLDER, "name": "Ana Pérez", "relation": "",
                  "id_number": "", "share": None}, *beneficiaries("100")],
    )  # fmt: skip
    old = PolicyParty.objects.get(policy=policy, role=PartyRole.BENEFICIARY)
    request = service_request_create(
        policy=policy, by=agent, kind=RequestKind.BENEFICIARY_CHANGE, due_on=_due(),
        new_parties=[_new("Luis Gómez", "60"), _new("Eva Gómez", "40")],
    )  # fmt: skip
    service_request_set_status(request=request, by=agent, status=RequestStatus.SENT)
    # Not applied before it is done.
    assert PolicyParty.objects.filter(policy=policy, role=PartyRole.BENEFICIARY).count() == 1
    maintainer = UserFactory(roles=["maintainer"])
    service_request_set_status(request=request, by=maintainer, status=RequestStatus.DONE)
    now = PolicyParty.objects.filter(policy=policy).order_by("role", "position")
    assert [(p.role, p.name, p.share) for p in now] == [
        ("beneficiary", "Luis Gómez", Decimal("60.00")),
        ("beneficiary", "Eva Gómez", Decimal("40.00")),
        ("policyholder", "Ana Pérez", None),
    ]
    removed = PolicyParty.history.get(id=old.pk, history_type="-")
    assert removed.history_user == maintainer
    assert removed.history_change_reason == f"service request {request.reference}"
    added = PolicyParty.history.filter(policy_id=policy.pk, history_type="+", name="Luis Gómez")
    assert added.get().history_user == maintainer


def test_a_done_policyholder_change_replaces_the_policyholder_only(policy, agent):
    policy_parties_set(
        policy=policy, by=agent,
        parties=[{"role": PartyRole.POLICYHOLDER, "name": "Ana Pérez", "relation": "",
                  "id_number": "", "share": None}, *beneficiaries("100")],
    )  # fmt: skip
    request = service_request_create(
        policy=policy, by=agent, kind=RequestKind.POLICYHOLDER_CHANGE, due_on=_due(),
        new_parties=[{"name": "Jorge Pérez", "relation": "child", "id_number": "",
                      "share": None}],
    )  # fmt: skip
    service_request_set_status(request=request, by=agent, status=RequestStatus.SENT)
    service_request_set_status(request=request, by=agent, status=RequestStatus.DONE)
    assert set(PolicyParty.objects.filter(policy=policy).values_list("role", "name")) == {
        ("policyholder", "Jorge Pérez"), ("beneficiary", "Beneficiario 1"),
    }  # fmt: skip


@pytest.mark.parametrize("shares", [("99.99",), ("60", "40.01")])
def test_a_beneficiary_change_whose_shares_miss_100_is_refused(policy, agent, shares):
    with pytest.raises(ValidationError) as error:
        service_request_create(
            policy=policy, by=agent, kind=RequestKind.BENEFICIARY_CHANGE, due_on=_due(),
            new_parties=[_new(f"B{n}", s) for n, s in enumerate(shares)],
        )  # fmt: skip
    assert "new_parties" in error.value.error_dict
    assert not ServiceRequest.objects.exists()


def test_reinstatement_is_for_lapsed_policies_and_other_documents_are_refused(policy, agent):
    with pytest.raises(ValidationError) as error:
        service_request_create(
            policy=policy, by=agent, kind=RequestKind.REINSTATEMENT, due_on=_due()
        )
    assert "kind" in error.value.error_dict
    stranger_doc = ClientDocument.objects.create(
        client=ClientFactory(), kind="other", file="x.pdf", stored_name="x.pdf",
        original_name="x.pdf", content_type="application/pdf", size=1, uploaded_by=agent,
    )  # fmt: skip
    with pytest.raises(ValidationError) as error:
        service_request_create(
            policy=policy, by=agent, kind=RequestKind.OTHER, due_on=_due(),
            documents=[stranger_doc],
        )  # fmt: skip
    assert "documents" in error.value.error_dict
    policy.status = PolicyStatus.LAPSED
    policy.save()
    mine = ClientDocument.objects.create(
        client=policy.holder, kind="national_id", file="y.pdf", stored_name="y.pdf",
        original_name="ine.pdf", content_type="application/pdf", size=1, uploaded_by=agent,
        policy=policy,
    )  # fmt: skip
    request = service_request_create(
        policy=policy, by=agent, kind=RequestKind.REINSTATEMENT, due_on=_due(), documents=[mine]
    )
    assert list(request.documents.all()) == [mine]


def _form(kind, rows=(), due=None):
    data = {
        "kind": kind, "due_on": (due or _due()).isoformat(), "notes": "",
        "new-TOTAL_FORMS": "4", "new-INITIAL_FORMS": "0", "new-MIN_NUM_FORMS": "0",
        "new-MAX_NUM_FORMS": "1000",
    }  # fmt: skip
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"new-{index}-{key}"] = value
    return data


def test_the_form_shows_errors_not_a_500(client, policy, agent):
    client.force_login(agent)
    url = reverse("servicing:request_create", args=[policy.pk])
    response = client.post(
        url,
        _form("beneficiary_change", [{"name": "Luis", "share": "50"},
                                     {"name": "Eva", "share": "49.99"}]),
    )  # fmt: skip
    assert response.status_code == 400
    assert "99.99" in response.content.decode()
    response = client.post(url, _form("address_change", [{"name": "Luis"}]))
    assert response.status_code == 400
    response = client.post(url, _form("address_change", due=datetime.date(1999, 1, 1)))
    assert response.status_code == 400
    response = client.post(
        url,
        _form("beneficiary_change", [{"name": "Luis", "share": "100"}],
              due=datetime.date(1999, 1, 1)),
    )  # fmt: skip
    assert response.status_code == 400
    assert "Only a beneficiary" not in response.content.decode()
    assert not ServiceRequest.objects.exists()
    response = client.post(
        url,
        _form("beneficiary_change", [{"name": "Luis", "share": "50"},
                                     {"name": "Eva", "share": "50"}]),
    )  # fmt: skip
    request = ServiceRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("servicing:request_detail", args=[request.pk])
    assert [p["name"] for p in request.new_parties] == ["Luis", "Eva"]


def test_the_status_form_refuses_a_rejection_without_reason_with_a_400(client, policy, agent):
    request = service_request_create(
        policy=policy, by=agent, kind=RequestKind.ID_CHANGE, due_on=_due()
    )
    client.force_login(agent)
    url = reverse("servicing:request_status", args=[request.pk])
    assert client.post(url, {"status": "rejected", "reason": ""}).status_code == 400
    assert client.post(url, {"status": "done"}).status_code == 400  # not offered yet
    assert client.post(url, {"status": "sent"}).status_code == 302
    request.refresh_from_db()
    assert request.status == "sent"


def test_the_list_filters_by_status_type_and_overdue(client, maintainer, agent):
    policy = LifePolicyFactory(holder=ClientFactory(owner=agent), agent=agent)
    late = service_request_create(
        policy=policy, by=agent, kind=RequestKind.RIDER, due_on=timezone.localdate()
    )
    ServiceRequest.objects.filter(pk=late.pk).update(
        due_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    sent = service_request_create(
        policy=policy, by=agent, kind=RequestKind.PAYMENT_METHOD, due_on=_due()
    )
    service_request_set_status(request=sent, by=agent, status=RequestStatus.SENT)
    client.force_login(maintainer)
    url = reverse("servicing:requests")

    def shown(**params):
        page = client.get(url, params).context["page"]
        return {r.pk for r in page.object_list}

    assert shown() == {late.pk, sent.pk}
    assert shown(status="sent") == {sent.pk}
    assert shown(kind="rider") == {late.pk}
    assert shown(overdue="1") == {late.pk}
    assert shown(status="bogus") == {late.pk, sent.pk}  # ignored, with a warning


def test_the_form_offers_the_policys_own_documents_first(policy, agent):
    from servicing.services import documents_of

    def doc(name, **extra):
        return ClientDocument.objects.create(
            client=policy.holder, kind="other", file=name, stored_name=name, original_name=name,
            content_type="application/pdf", size=1, uploaded_by=agent, **extra,
        )  # fmt: skip

    own_paper = doc("ine.pdf")
    in_file = doc("poliza.pdf", policy=policy)
    ClientDocument.objects.create(
        client=ClientFactory(), kind="other", file="z.pdf", stored_name="z.pdf",
        original_name="z.pdf", content_type="application/pdf", size=1, uploaded_by=agent,
    )  # fmt: skip
    assert list(documents_of(policy)) == [in_file, own_paper]


def test_more_documents_are_attached_to_an_open_request_only(client, policy, agent):
    from servicing.services import service_request_attach

    def doc(name, client_=None):
        return ClientDocument.objects.create(
            client=client_ or policy.holder, kind="other", file=name, stored_name=name,
            original_name=name, content_type="application/pdf", size=1, uploaded_by=agent,
        )  # fmt: skip

    first, later, stranger = doc("a.pdf"), doc("b.pdf"), doc("c.pdf", ClientFactory())
    request = service_request_create(
        policy=policy, by=agent, kind=RequestKind.ID_CHANGE, due_on=_due(), documents=[first]
    )
    with pytest.raises(ValidationError):
        service_request_attach(request=request, by=agent, documents=[stranger])
    assert service_request_attach(request=request, by=agent, documents=[first, later]) == 1
    client.force_login(agent)
    url = reverse("servicing:request_attach", args=[request.pk])
    assert client.post(url, {"documents": [stranger.pk]}).status_code == 400
    assert client.post(url, {}).status_code == 400
    assert set(request.documents.values_list("pk", flat=True)) == {first.pk, later.pk}
    service_request_set_status(request=request, by=agent, status=RequestStatus.REJECTED,
                               reason="Ilegible")  # fmt: skip
    with pytest.raises(ValidationError):
        service_request_attach(request=request, by=agent, documents=[first])
    html = client.get(reverse("servicing:request_detail", args=[request.pk])).content.decode()
    assert 'data-testid="attach-form"' not in html and "b.pdf" in html
