"""Prospects and quotes (issue 17): the printed quotation (read back with pypdf), sending it by
e-mail with the PDF attached or by WhatsApp, the follow-up it books and that call's results,
and access on every new URL."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from pypdf import PdfReader

from brokerage.accounts.tests.factories import UserFactory
from brokerage.notifications.models import Message
from clients.models import Client, Interaction
from clients.tests.factories import ClientFactory
from policies.kind import QUOTE_FOLLOW_UP
from policies.models import (
    Policy,
    Quotation,
    QuotationSending,
    QuotationStatus,
    QuoteStatus,
)
from policies.sending import quotation_send
from policies.tests.factories import InsurerFactory, QuotationFactory, QuoteFactory, make_vin
from workqueue.models import ItemStatus, WorkItem

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
TOKEN = "0b6f3c1e-7a52-4a0e-8d4b-5f6a7b8c9d0e"


def _today():
    return timezone.localdate()


def _pdf_text(content: bytes) -> str:
    return " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages
    )


@pytest.fixture
def prospect(agent):
    """A Spanish-speaking prospect of ``agent`` with a quotation: the preferred insurer's quote
    dearer than another's, and a quote the client already declined."""
    agent.phone = "+525511112222"
    agent.save(update_fields=["phone"])
    client = ClientFactory(
        owner=agent, first_name="Lucía", last_name="Ramos", language="es",
        email="lucia@example.com", whatsapp="+525512345678",
    )  # fmt: skip
    quotation = QuotationFactory(client=client, created_by=agent, description="Pickup nueva")
    preferred = InsurerFactory(code="hdi", name="HDI Seguros", preferred=True)
    cheaper = InsurerFactory(code="qualitas", name="Quálitas")
    gone = InsurerFactory(code="ana", name="ANA Seguros")
    QuoteFactory(quotation=quotation, insurer=cheaper, premium=Decimal("8700.50"),
                 coverage="Limitada")  # fmt: skip
    QuoteFactory(quotation=quotation, insurer=preferred, premium=Decimal("9800.00"),
                 coverage="Amplia")  # fmt: skip
    QuoteFactory(quotation=quotation, insurer=gone, premium=Decimal("7000.00"),
                 status=QuoteStatus.DECLINED)  # fmt: skip
    return {"client": client, "quotation": quotation}


@pytest.fixture
def outsider(db):
    return UserFactory(roles=["agent"])


# --- The printed quotation -------------------------------------------------------------------


def test_it_prints_the_insurers_side_by_side_preferred_first_in_the_clients_language(
    client, agent, prospect
):
    client.force_login(agent)
    response = client.get(f"/quotations/{prospect['quotation'].pk}/pdf/")

    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    text = _pdf_text(response.content)
    assert "Lucía Ramos" in text and "Pickup nueva" in text
    # The preferred insurer first although dearer; the declined quote is not offered.
    assert text.index("HDI Seguros") < text.index("Quálitas")
    assert "ANA Seguros" not in text and "7,000.00" not in text
    assert "9,800.00 MXN" in text and "8,700.50 MXN" in text
    assert "Amplia" in text and "Limitada" in text
    # Spanish (the client's language, not the agent's English): labels and frequencies.
    assert "Cobertura" in text and "Válida hasta" in text and "Forma de pago" in text
    assert "Mensual" in text and "Trimestral" in text and "Anual" in text
    # Monthly: 12 instalments, the cents that do not divide on the first.
    assert "816.74" in text and "816.66" in text
    assert "Coverage" not in text


def test_it_prints_a_chinese_clients_quotation_in_chinese(client, agent, prospect):
    Client.objects.filter(pk=prospect["client"].pk).update(language="zh-hans")
    client.force_login(agent)
    text = _pdf_text(client.get(f"/quotations/{prospect['quotation'].pk}/pdf/").content)
    squeezed = text.replace(" ", "")  # pypdf spaces the characters of a narrow cell
    assert "保障范围" in squeezed and "缴费频率" in squeezed and "月缴" in squeezed
    assert "车险" in squeezed and "9,800.00MXN" in squeezed
    assert "Cobertura" not in text


def test_it_refuses_to_print_a_quotation_with_no_open_quote(client, agent, prospect):
    prospect["quotation"].quotes.update(status=QuoteStatus.DECLINED)
    client.force_login(agent)
    response = client.get(f"/quotations/{prospect['quotation'].pk}/pdf/", follow=True)
    assert response.redirect_chain[-1][0] == f"/quotations/{prospect['quotation'].pk}/"
    assert "There is no open quote to print" in response.content.decode()


# --- Sending -------------------------------------------------------------------------------


def test_it_sends_by_email_with_the_printed_quotation_attached(
    client, agent, prospect, django_capture_on_commit_callbacks
):
    client.force_login(agent)
    quotation = prospect["quotation"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/quotations/{quotation.pk}/send/", {"channel": "email"},
                               follow=True)  # fmt: skip

    assert "Quotation sent by E-mail to lucia@example.com" in response.content.decode()
    sending = QuotationSending.objects.get(quotation=quotation)
    assert (sending.channel, sending.to, sending.sent_by, sending.language) == (
        "email", "lucia@example.com", agent, "es",
    )  # fmt: skip
    message = Message.objects.get()
    assert sending.message == message and message.language == "es"
    assert message.status == "sent"
    [email] = mail.outbox
    assert email.to == ["lucia@example.com"]
    [(filename, content, mimetype)] = email.attachments
    assert (filename, mimetype) == (f"quotation-{quotation.pk}.pdf", "application/pdf")
    attached = _pdf_text(content)
    assert attached.index("HDI Seguros") < attached.index("Quálitas") and "Cobertura" in attached
    assert "HDI Seguros" in email.body and "9,800.00 MXN" in email.body
    assert "Teléfono: +52 55 1111 2222." in email.body
    # On the quotation page (history) and the client's timeline.
    page = client.get(f"/quotations/{quotation.pk}/").content.decode()
    assert f'data-sending="{sending.pk}"' in page and "lucia@example.com" in page
    entry = Interaction.objects.get(client=prospect["client"])
    assert entry.channel == "email" and entry.user == agent
    assert entry.summary == "Quotation “Pickup nueva” sent to the client: HDI Seguros, Quálitas."


def test_it_sends_by_whatsapp_a_summary_in_the_clients_language(agent, prospect):
    sending = quotation_send(quotation=prospect["quotation"], by=agent, channel="whatsapp")

    message = sending.message
    assert (message.channel, message.to, message.language) == ("whatsapp", "+525512345678", "es")
    assert not sending.pdf and "attachments" not in message.context
    body = message.body
    assert body.index("HDI Seguros") < body.index("Quálitas")
    assert "9,800.00 MXN" in body and "8,700.50 MXN" in body and "ANA" not in body
    assert "Teléfono: +52 55 1111 2222." in body
    assert Interaction.objects.get(client=prospect["client"]).channel == "whatsapp"


@pytest.mark.parametrize(
    ("channel", "cleared", "error"),
    [
        ("email", "email", "The client has no e-mail address"),
        ("whatsapp", "whatsapp", "The client has no WhatsApp number"),
    ],
)
def test_it_refuses_to_send_without_the_channel(client, agent, prospect, channel, cleared, error):
    Client.objects.filter(pk=prospect["client"].pk).update(**{cleared: ""})
    client.force_login(agent)
    page = client.get(f"/quotations/{prospect['quotation'].pk}/").content.decode()
    assert f'value="{channel}" disabled' in page

    response = client.post(
        f"/quotations/{prospect['quotation'].pk}/send/", {"channel": channel}, follow=True
    )

    assert error in response.content.decode()
    assert not QuotationSending.objects.exists() and not Message.objects.exists()
    assert not WorkItem.objects.exists() and not Interaction.objects.exists()


def test_it_refuses_to_send_a_closed_quotation(agent, prospect):
    Quotation.objects.filter(pk=prospect["quotation"].pk).update(status=QuotationStatus.WON)
    with pytest.raises(Exception, match="Only an open quotation can be sent"):
        quotation_send(quotation=prospect["quotation"], by=agent, channel="email")


# --- The follow-up it books ------------------------------------------------------------------


def test_it_books_one_follow_up_in_three_days_however_often_it_is_sent(agent, prospect, settings):
    settings.QUOTE_SENT_FOLLOW_UP_DAYS = 3
    quotation = prospect["quotation"]
    quotation_send(quotation=quotation, by=agent, channel="whatsapp")
    quotation_send(quotation=quotation, by=agent, channel="email")

    item = WorkItem.objects.get(kind=QUOTE_FOLLOW_UP, subject_id=quotation.pk)
    assert (item.status, item.agent, item.due_on) == (ItemStatus.OPEN, agent, _today() + 3 * DAY)
    assert Quotation.objects.get(pk=quotation.pk).follow_up_on == _today() + 3 * DAY
    assert QuotationSending.objects.filter(quotation=quotation).count() == 2


def test_it_keeps_a_follow_up_date_already_set_ahead(agent, prospect):
    quotation = prospect["quotation"]
    Quotation.objects.filter(pk=quotation.pk).update(follow_up_on=_today() + 10 * DAY)
    quotation_send(quotation=quotation, by=agent, channel="whatsapp")
    item = WorkItem.objects.get(kind=QUOTE_FOLLOW_UP, subject_id=quotation.pk)
    assert item.due_on == _today() + 10 * DAY


@pytest.fixture
def due(agent, prospect, settings):
    """The quotation was sent and its follow-up falls due today."""
    settings.QUOTE_SENT_FOLLOW_UP_DAYS = 0
    quotation_send(quotation=prospect["quotation"], by=agent, channel="whatsapp")
    return WorkItem.objects.get(kind=QUOTE_FOLLOW_UP, subject_id=prospect["quotation"].pk)


def test_it_offers_bought_as_the_quotation_page_and_still_thinking_and_declined_as_forms(
    client, agent, prospect, due
):
    client.force_login(agent)
    html = client.get("/queue/").content.decode()
    quotation = prospect["quotation"]
    assert f'href="/quotations/{quotation.pk}/" data-result="bought"' in html
    assert f'href="/quotations/follow-ups/{due.pk}/thinking/" data-result="still_thinking"' in html
    assert f'href="/quotations/follow-ups/{due.pk}/declined/" data-result="not_interested"' in html


def test_it_ends_the_follow_up_as_bought_when_a_quote_is_accepted(client, agent, prospect, due):
    client.force_login(agent)
    quote = prospect["quotation"].quotes.get(insurer__code="hdi")
    response = client.post(
        f"/quotes/{quote.pk}/accept/",
        {
            "number": "HDI-778",
            "payment_frequency": "monthly",
            "start_date": _today().isoformat(),
            "end_date": (_today() + 365 * DAY).isoformat(),
            "vehicle-make": "Nissan",
            "vehicle-model": "NP300",
            "vehicle-year": "2024",
            "vehicle-vin": make_vin(778),
            "vehicle-use": "private",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    item = WorkItem.objects.get(pk=due.pk)
    assert (item.status, item.result) == (ItemStatus.DONE, "bought")
    assert Policy.objects.get(source_quote=quote).number == "HDI-778"


def test_it_books_the_next_call_when_the_client_is_still_thinking(client, agent, prospect, due):
    client.force_login(agent)
    url = f"/quotations/follow-ups/{due.pk}/thinking/"
    form = client.get(url).content.decode()
    assert "HDI Seguros" in form and 'name="on"' in form

    past = client.post(url, {"on": _today().isoformat(), "token": TOKEN})
    assert "Choose a day after today." in past.content.decode()
    assert WorkItem.objects.get(pk=due.pk).status == ItemStatus.OPEN

    day = _today() + 5 * DAY
    response = client.post(url, {"on": day.isoformat(), "note": "Habla con su esposa",
                                 "token": TOKEN}, follow=True)  # fmt: skip
    assert response.redirect_chain[-1][0] == "/queue/"
    assert WorkItem.objects.get(pk=due.pk).result == "still_thinking"
    following = WorkItem.objects.get(
        kind=QUOTE_FOLLOW_UP, subject_id=prospect["quotation"].pk, status=ItemStatus.OPEN
    )
    assert following.pk != due.pk and following.due_on == day and following.agent == agent
    quotation = Quotation.objects.get(pk=prospect["quotation"].pk)
    assert quotation.status == QuotationStatus.OPEN and quotation.follow_up_on == day
    # The same form posted again logs nothing more.
    client.post(url, {"on": day.isoformat(), "token": TOKEN})
    assert WorkItem.objects.filter(kind=QUOTE_FOLLOW_UP, status=ItemStatus.OPEN).count() == 1


def test_it_declines_the_open_quotes_with_the_reason(client, agent, prospect, due):
    client.force_login(agent)
    url = f"/quotations/follow-ups/{due.pk}/declined/"
    missing = client.post(url, {"reason": "", "token": TOKEN})
    assert "This field is required." in missing.content.decode()

    client.post(url, {"reason": "elsewhere", "note": "Con su banco", "token": TOKEN})

    quotation = Quotation.objects.get(pk=prospect["quotation"].pk)
    assert (quotation.status, quotation.lost_reason, quotation.lost_note) == (
        QuotationStatus.LOST, "elsewhere", "Con su banco",
    )  # fmt: skip
    assert set(quotation.quotes.values_list("status", flat=True)) == {QuoteStatus.DECLINED}
    assert not WorkItem.objects.filter(kind=QUOTE_FOLLOW_UP, status=ItemStatus.OPEN).exists()
    page = client.get(f"/quotations/{quotation.pk}/").content.decode()
    assert 'data-testid="lost-reason">Bought elsewhere: Con su banco<' in page


# --- Access and queries ----------------------------------------------------------------------


def test_an_agent_gets_404_on_another_agents_quotation_and_follow_up(
    client, outsider, agent, prospect, due
):
    client.force_login(outsider)
    quotation = prospect["quotation"]
    assert client.get(f"/quotations/{quotation.pk}/pdf/").status_code == 404
    assert client.post(f"/quotations/{quotation.pk}/send/", {"channel": "email"}).status_code == (
        404
    )
    for path in (f"/quotations/follow-ups/{due.pk}/thinking/",
                 f"/quotations/follow-ups/{due.pk}/declined/"):  # fmt: skip
        assert client.get(path).status_code == 404
        assert client.post(path, {"reason": "price", "token": TOKEN}).status_code == 404
    assert QuotationSending.objects.filter(quotation=quotation).count() == 1
    assert WorkItem.objects.get(pk=due.pk).status == ItemStatus.OPEN


def test_the_quotation_page_takes_a_fixed_number_of_queries(
    client, agent, prospect, django_assert_max_num_queries
):
    quotation = prospect["quotation"]
    for channel in ("whatsapp", "email", "whatsapp"):
        quotation_send(quotation=quotation, by=agent, channel=channel)
    client.force_login(agent)
    with django_assert_max_num_queries(11):
        response = client.get(f"/quotations/{quotation.pk}/")
    assert response.content.decode().count("data-sending=") == 3


def test_the_follow_up_result_page_takes_a_fixed_number_of_queries(
    client, agent, due, django_assert_max_num_queries
):
    client.force_login(agent)
    with django_assert_max_num_queries(10):
        response = client.get(f"/quotations/follow-ups/{due.pk}/declined/")
    assert 'name="reason"' in response.content.decode()


def test_it_answers_an_unknown_channel_with_a_message_not_an_error(client, agent, prospect):
    client.force_login(agent)
    response = client.post(
        f"/quotations/{prospect['quotation'].pk}/send/", {"channel": "fax"}, follow=True
    )
    assert response.status_code == 200 and "Choose e-mail or WhatsApp." in response.content.decode()
    assert not QuotationSending.objects.exists()
