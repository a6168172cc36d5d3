"""The documents checklist of a claim (issue 16): the list each kind of claim needs, items
received (a file checked from its content, kept among the client's documents) / missing / not
needed, and "Request missing documents", which sends the client the list through the outbox in
their language and records it on the timeline. Every new URL answers 404 to those who cannot
see the claim; the claim page reads a fixed number of queries."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from brokerage.notifications.models import Message
from claims import services
from claims.models import ClaimDocument, ClaimKind, DocumentItem, DocumentState, checklist_for
from claims.selectors import claim_checklist
from claims.tests.factories import report
from clients.models import ClientDocument, Interaction
from clients.tests.factories import ClientFactory
from clients.tests.test_views import png_bytes
from policies.tests.factories import PolicyFactory

pytestmark = pytest.mark.django_db

COLLISION = [
    "claim_form", "national_id", "drivers_licence", "vehicle_registration", "police_report",
    "photos", "repair_estimate", "invoice",
]  # fmt: skip


@pytest.fixture
def world():
    manager, other_manager = UserFactory(roles=["manager"]), UserFactory(roles=["manager"])
    team, other_team = TeamFactory(manager=manager), TeamFactory(manager=other_manager)
    owner = UserFactory(roles=["agent"], team=team)
    holder = ClientFactory(owner=owner, language="es", email="ana@example.com")
    policy = PolicyFactory(holder=holder, agent=owner)
    claim = report(policy=policy, by=owner)
    users = {
        "owner": owner, "manager": manager, "other_manager": other_manager,
        "outsider": UserFactory(roles=["agent"], team=other_team), "anonymous": None,
    }  # fmt: skip
    return users, claim


def test_each_kind_has_its_checklist_and_injury_adds_the_medical_papers():
    assert list(checklist_for(ClaimKind.COLLISION)) == COLLISION
    assert list(checklist_for(ClaimKind.INJURY)) == [
        *COLLISION, "medical_records", "medical_receipts",
    ]  # fmt: skip
    assert list(checklist_for(ClaimKind.THEFT)) == [
        "claim_form", "national_id", "vehicle_registration", "police_report",
        "vehicle_invoice", "keys",
    ]  # fmt: skip
    assert "police_report" not in checklist_for(ClaimKind.GLASS)
    assert list(checklist_for(ClaimKind.THIRD_PARTY))[-1] == "third_party_details"
    # A collision with people injured needs the medical papers too, once.
    injured = checklist_for(ClaimKind.COLLISION, injured=True)
    assert list(injured) == [*COLLISION, "medical_records", "medical_receipts"]
    assert list(checklist_for(ClaimKind.INJURY, injured=True)).count("medical_records") == 1


def test_the_checklist_shows_each_item_missing_until_received_or_not_needed(world):
    users, claim = world
    owner = users["owner"]
    assert {e["state"] for e in claim_checklist(claim=claim)} == {DocumentState.MISSING}
    services.claim_document_mark(claim=claim, by=owner, item="photos",
                                 state=DocumentState.NOT_NEEDED)  # fmt: skip
    services.claim_document_mark(claim=claim, by=owner, item="claim_form",
                                 state=DocumentState.RECEIVED)  # fmt: skip
    states = {e["item"]: e["state"] for e in claim_checklist(claim=claim)}
    assert states["photos"] == "not_needed" and states["claim_form"] == "received"
    assert services.claim_documents_missing(claim) == [
        i for i in COLLISION if i not in ("photos", "claim_form")
    ]
    # Marked missing again: asked for again.
    services.claim_document_mark(claim=claim, by=owner, item="photos", state="missing")
    assert "photos" in services.claim_documents_missing(claim)
    # An item not on a collision's list is refused.
    with pytest.raises(Exception, match="not on this claim's checklist"):
        services.claim_document_mark(claim=claim, by=owner, item="keys", state="received")


def test_an_upload_is_kept_among_the_client_documents_and_marks_the_item_received(world):
    users, claim = world
    upload = SimpleUploadedFile("licencia.png", png_bytes(), content_type="image/png")
    row = services.claim_document_upload(
        claim=claim, by=users["owner"], item="drivers_licence", upload=upload
    )
    assert row.state == DocumentState.RECEIVED
    document = ClientDocument.objects.get(pk=row.document_id)
    assert document.client_id == claim.policy.holder_id
    assert document.kind == "drivers_licence" and document.content_type == "image/png"
    assert Interaction.objects.filter(
        client=claim.policy.holder, message="claims.document"
    ).exists()


def test_an_upload_whose_content_is_not_a_pdf_or_image_is_refused_whatever_its_name(client, world):
    users, claim = world
    client.force_login(users["owner"])
    fake = SimpleUploadedFile("poliza.pdf", b"MZ\x90\x00 not a pdf at all", "application/pdf")
    response = client.post(
        reverse("claims:document_upload", args=[claim.pk]),
        {"item": "invoice", "file": fake}, follow=True,
    )  # fmt: skip
    assert "whatever its name says" in response.content.decode()
    assert not ClaimDocument.objects.filter(claim=claim).exists()
    assert not ClientDocument.objects.filter(client=claim.policy.holder).exists()


def test_request_missing_documents_sends_the_list_in_the_clients_language(client, world):
    users, claim = world
    owner = users["owner"]
    services.claim_document_mark(claim=claim, by=owner, item="claim_form", state="received")
    services.claim_document_mark(claim=claim, by=owner, item="photos", state="not_needed")
    client.force_login(owner)
    response = client.post(reverse("claims:documents_request", args=[claim.pk]))
    assert response.status_code == 302
    message = Message.objects.get(template="claim_documents")
    assert message.channel == "email" and message.to == "ana@example.com"
    assert message.language == "es"
    assert claim.reference in message.subject
    # The claim's kind in Spanish; the items asked for, and only those.
    assert "Colisión" in message.body
    missing = [i for i in COLLISION if i not in ("claim_form", "photos")]
    with translation.override("es"):
        expected = [str(DocumentItem(i).label) for i in missing]
        claim_form = str(DocumentItem.CLAIM_FORM.label)
    assert "Tarjeta de circulación" in expected  # vehicle registration, in Spanish
    assert message.context["items"] == expected
    for label in expected:
        assert f"- {label}" in message.body
    assert f"- {claim_form}" not in message.body
    entry = Interaction.objects.get(
        client=claim.policy.holder, message="claims.documents_requested"
    )
    assert entry.channel == "email" and entry.params["items"] == missing


def test_nothing_is_sent_when_nothing_is_missing_or_the_client_cannot_be_reached(client, world):
    users, claim = world
    owner = users["owner"]
    holder = claim.policy.holder
    holder.email, holder.whatsapp, holder.phone = "", "", ""
    holder.save()
    with pytest.raises(Exception, match="no e-mail, WhatsApp or phone"):
        services.claim_documents_request(claim=claim, by=owner)
    for item in COLLISION:
        services.claim_document_mark(claim=claim, by=owner, item=item, state="not_needed")
    client.force_login(owner)
    response = client.post(reverse("claims:documents_request", args=[claim.pk]), follow=True)
    assert "nothing to ask for" in response.content.decode()
    assert not Message.objects.filter(template="claim_documents").exists()


def test_the_claim_page_shows_the_checklist(client, world):
    users, claim = world
    services.claim_document_mark(claim=claim, by=users["owner"], item="photos", state="received")
    client.force_login(users["owner"])
    html = client.get(reverse("claims:detail", args=[claim.pk])).content.decode()
    assert html.count('data-item="') == len(COLLISION)
    assert 'data-item="photos" data-state="received"' in html
    assert 'data-item="invoice" data-state="missing"' in html
    assert 'data-testid="documents-request"' in html


@pytest.mark.parametrize("role", ["owner", "manager", "outsider", "other_manager", "anonymous"])
def test_the_document_urls_answer_only_those_who_see_the_claim(client, world, role):
    users, claim = world
    if users[role] is not None:
        client.force_login(users[role])
    posts = {
        "claims:document_mark": {"item": "photos", "state": "received"},
        "claims:documents_request": {},
        "claims:document_upload": {
            "item": "photos",
            "file": SimpleUploadedFile("f.png", png_bytes(), "image/png"),
        },
    }
    for name, data in posts.items():
        response = client.post(reverse(name, args=[claim.pk]), data)
        if role == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        elif role in ("owner", "manager"):
            assert response.status_code == 302 and "#documents" in response["Location"]
        else:
            assert response.status_code == 404
    changed = ClaimDocument.objects.filter(claim=claim).exists()
    sent = Message.objects.filter(template="claim_documents").exists()
    assert changed == sent == (role in ("owner", "manager"))


@pytest.mark.parametrize("received", [0, 1, 6])
def test_the_claim_page_reads_a_fixed_number_of_queries_whatever_the_documents(
    client, world, received, django_assert_max_num_queries
):
    from claims.tests.test_access import DETAIL_QUERIES

    users, claim = world
    for item in COLLISION[:received]:
        upload = SimpleUploadedFile(f"{item}.png", png_bytes(), content_type="image/png")
        services.claim_document_upload(claim=claim, by=users["owner"], item=item, upload=upload)
    client.force_login(users["owner"])
    with django_assert_max_num_queries(DETAIL_QUERIES):
        response = client.get(reverse("claims:detail", args=[claim.pk]))
    assert response.content.decode().count('data-state="received"') == received
