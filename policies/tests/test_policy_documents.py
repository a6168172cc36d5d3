"""Documents kept in a policy's file (seed 000) and "request documents again": uploaded from the
policy page through the client's content-checked service, listed on the policy page by term and
on the client page with their policy; the request goes to the client in their language and on
the timeline; access on every new URL and the pages' queries."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from brokerage.accounts.tests.factories import UserFactory
from brokerage.notifications.models import Message
from clients.models import ClientDocument, Interaction
from clients.tests.factories import ClientFactory
from policies.documents import documents_request_again
from policies.tests.factories import InsurerFactory, PolicyFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _pdf(name="tarjeta.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


@pytest.fixture
def policy(agent):
    agent.phone = "+525511112222"
    agent.save(update_fields=["phone"])
    holder = ClientFactory(owner=agent, language="es", email="", whatsapp="+525512345678")
    previous = PolicyFactory(
        holder=holder, insurer=InsurerFactory(code="hdi", name="HDI Seguros"), number="HDI-1",
        start_date=timezone.localdate() - datetime.timedelta(days=565),
        end_date=timezone.localdate() - datetime.timedelta(days=200),
    )  # fmt: skip
    return PolicyFactory(
        holder=holder, insurer=previous.insurer, number="HDI-2", previous_policy=previous
    )


@pytest.fixture
def outsider(db):
    return UserFactory(roles=["agent"])


def _upload(client, policy, **data):
    return client.post(
        f"/policies/{policy.pk}/documents/",
        {"kind": "vehicle_registration", "file": _pdf(), "description": "", **data},
        follow=True,
    )


def test_it_keeps_a_document_in_the_policys_file_and_lists_it_on_both_pages(client, agent, policy):
    client.force_login(agent)
    response = _upload(client, policy, description="Tarjeta de circulación")

    assert response.redirect_chain[-1][0] == f"/policies/{policy.pk}/#documents"
    document = ClientDocument.objects.get()
    assert (document.client, document.policy, document.uploaded_by) == (
        policy.holder, policy, agent,
    )  # fmt: skip
    assert document.content_type == "application/pdf"
    html = response.content.decode()
    section = html[html.index('data-testid="policy-documents"') :]
    assert f'data-document="{document.pk}"' in section and "tarjeta.pdf" in section
    client_page = client.get(f"/clients/{policy.holder_id}/").content.decode()
    assert (
        f'href="/policies/{policy.pk}/" data-testid="document-policy">{policy}</a>' in client_page
    )


def test_it_groups_the_documents_by_term_newest_upload_first(client, agent, policy):
    client.force_login(agent)
    _upload(client, policy.previous_policy, file=_pdf("old.pdf"))
    _upload(client, policy, file=_pdf("first.pdf"))
    _upload(client, policy, file=_pdf("second.pdf"))
    ClientDocument.objects.filter(original_name="first.pdf").update(
        uploaded_at=timezone.now() - datetime.timedelta(hours=1)
    )

    html = client.get(f"/policies/{policy.pk}/").content.decode()
    section = html[html.index('data-testid="policy-documents"') :]
    this_term = section.index(f'data-term="{policy.pk}"')
    previous_term = section.index(f'data-term="{policy.previous_policy_id}"')
    assert this_term < section.index("second.pdf") < section.index("first.pdf") < previous_term
    assert previous_term < section.index("old.pdf")


def test_it_refuses_a_file_whose_content_is_not_a_document(client, agent, policy):
    client.force_login(agent)
    response = _upload(client, policy, file=_pdf("ine.pdf", b"Just some text, not a PDF.\n"))
    assert "Only PDF, JPEG and PNG files can be kept" in response.content.decode()
    assert not ClientDocument.objects.exists()


def test_it_sends_the_request_in_the_clients_language_and_logs_it(client, agent, policy):
    client.force_login(agent)
    response = client.post(
        f"/policies/{policy.pk}/documents/request/",
        {"problems": ["wrong_vin", "id_expired"], "note": "Urge antes del viernes."},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == f"/policies/{policy.pk}/#documents"
    message = Message.objects.get()
    # No e-mail: WhatsApp, in Spanish.
    assert (message.channel, message.to, message.language) == ("whatsapp", "+525512345678", "es")
    body = message.body
    assert "HDI HDI-2" in body and "Urge antes del viernes." in body
    assert "número de serie (VIN)" in body and "Su identificación venció" in body
    assert "licencia de conducir" not in body
    assert "Puede enviarlos respondiendo a este mensaje" in body
    assert "Teléfono: +52 55 1111 2222." in body
    entry = Interaction.objects.get(client=policy.holder)
    assert entry.channel == "whatsapp" and entry.user == agent
    assert entry.params["items"] == ["wrong_vin", "id_expired"]
    assert "HDI HDI-2" in entry.summary and "Urge antes del viernes." in entry.summary


def test_it_asks_for_something_to_request(client, agent, policy):
    client.force_login(agent)
    response = client.post(f"/clients/{policy.holder_id}/documents/request/", {"note": " "})
    assert "Tick what is missing or wrong, or write a note." in response.content.decode()
    assert not Message.objects.exists() and not Interaction.objects.exists()


def test_it_refuses_a_client_who_cannot_be_reached(agent):
    holder = ClientFactory(owner=agent, email="", whatsapp="", phone="")
    with pytest.raises(Exception, match="The client has no e-mail, WhatsApp or phone"):
        documents_request_again(client=holder, by=agent, problems=["not_compliant"])
    assert not Message.objects.exists()


def test_it_requests_from_the_client_page_for_the_clients_own_file(client, agent, policy):
    client.force_login(agent)
    page = client.get(f"/clients/{policy.holder_id}/").content.decode()
    assert f'href="/clients/{policy.holder_id}/documents/request/"' in page
    client.post(f"/clients/{policy.holder_id}/documents/request/", {"problems": ["not_compliant"]})
    message = Message.objects.get()
    assert "revisión de cumplimiento" in message.body and "HDI-2" not in message.body


def test_an_agent_gets_404_on_another_agents_policy_and_client(client, outsider, policy):
    client.force_login(outsider)
    assert _upload(client, policy).status_code == 404
    for path in (f"/policies/{policy.pk}/documents/request/",
                 f"/clients/{policy.holder_id}/documents/request/"):  # fmt: skip
        assert client.get(path).status_code == 404
        assert client.post(path, {"problems": ["wrong_vin"]}).status_code == 404
    assert not ClientDocument.objects.exists() and not Message.objects.exists()


def test_the_policy_and_client_pages_take_a_fixed_number_of_queries(
    client, agent, policy, django_assert_max_num_queries
):
    client.force_login(agent)
    for n in range(4):
        _upload(client, policy if n % 2 else policy.previous_policy, file=_pdf(f"d{n}.pdf"))
    with django_assert_max_num_queries(18):
        policy_page = client.get(f"/policies/{policy.pk}/")
    # The client file's own count (clients/tests/test_views.py), with its service touches and
    # policy-service sections.
    with django_assert_max_num_queries(24):
        client_page = client.get(f"/clients/{policy.holder_id}/")
    with django_assert_max_num_queries(10):
        client.get(f"/policies/{policy.pk}/documents/request/")
    assert policy_page.content.decode().count("data-document=") == 4
    assert client_page.content.decode().count('data-testid="document-policy"') == 4
