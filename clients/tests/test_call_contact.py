"""Who to call on a call-list card is written in Python (clients.links.call_contact_html, issue
18): the same HTML the template wrote, the client's name and e-mail escaped, the words
translated."""

import re

import pytest
from django.template import engines
from django.utils import translation
from phonenumber_field.phonenumber import PhoneNumber

from clients.links import (
    call_client_fields,
    call_contact_html,
    call_links,
    phone_text,
    stored_call_links,
    stored_numbers,
)
from clients.models import Client
from clients.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

CONTACT_TEMPLATE = """{% load i18n workqueue_tags %}
<div class="fw-semibold">
  <a href="{{ client.pk|pk_url:'clients:detail' }}" data-testid="item-client">{{ client.display_name }}</a>
  {% if client.is_key %}<span class="badge text-bg-warning">{% translate "Key client" %}</span>{% endif %}
  {% if client.contact_inaccurate %}<span class="badge text-bg-danger">{% translate "Contact inaccurate" %}</span>{% endif %}
</div>
<div class="small">
  {% if phone %}<a href="tel:{{ phone }}" data-testid="tel-link">{{ phone }}</a>{% else %}<span class="text-body-secondary">{% translate "No phone" %}</span>{% endif %}
  {% if whatsapp_url %} · <a href="{{ whatsapp_url }}" target="_blank" rel="noopener noreferrer" data-testid="whatsapp-link">WhatsApp</a>{% endif %}
  {% if client.email %} · <a href="mailto:{{ client.email }}" data-testid="email-link">{{ client.email }}</a>{% endif %}
</div>"""  # noqa: E501


def _same(html: str) -> str:
    """HTML without the layout's whitespace around tags."""
    return re.sub(r"\s*([<>])\s*", r"\1", re.sub(r"\s+", " ", str(html))).strip()


@pytest.mark.parametrize("language", ["en", "es", "zh-hans"])
@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"is_key": True, "contact_inaccurate": True, "whatsapp": "+525512345678"},
        {"phone": "", "email": ""},
        {"first_name": "<script>alert(1)</script>", "last_name": "Peña²", "email": 'a"b@x.mx'},
    ],
    ids=["plain", "badges", "no-phone", "escaped"],
)
def test_the_contact_is_the_templates_html(language, fields):
    client = ClientFactory(**fields)
    phone, whatsapp = call_links(client)
    with translation.override(language):
        context = {"client": client, "phone": phone, "whatsapp_url": whatsapp}
        expected = engines["django"].from_string(CONTACT_TEMPLATE).render(context)
        written = call_contact_html(client, phone, whatsapp)
    assert _same(written) == _same(expected)
    assert "<script>" not in written


def test_a_name_with_markup_is_shown_as_text():
    client = ClientFactory(first_name="<script>alert(1)</script>", last_name="Peña²")
    written = call_contact_html(client, *call_links(client))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in written and "Peña²" in written
    assert f'href="/clients/{client.pk}/"' in written


@pytest.mark.parametrize(
    "raw, region",
    [("+525512345678", "MX"), ("5512345678", "MX"), ("2025550123", "US"),
     ("+39 06 1234 5678", None), ("+52 55 1234 5678 ext. 12", None), ("12345", "MX")],
)  # fmt: skip
def test_a_phone_is_written_as_it_formats_itself_whatever_was_formatted_before(
    raw, region, settings
):
    number = PhoneNumber.from_string(raw, region=region)
    assert phone_text(number) == str(number)
    assert phone_text(PhoneNumber.from_string(raw, region=region)) == str(number)
    settings.PHONENUMBER_DEFAULT_FORMAT = "E164"
    assert phone_text(number) == str(number)


def test_the_same_digits_typed_in_two_regions_are_two_numbers():
    mexican, american = (PhoneNumber.from_string("2025550123", region=r) for r in ("MX", "US"))
    assert phone_text(mexican) == str(mexican) and phone_text(american) == str(american)
    assert phone_text(mexican) != phone_text(american)


@pytest.mark.parametrize(
    "phone, whatsapp",
    [("+525512345678", ""), ("+525512345678", "+14155550123"), ("", "+393471234567"), ("", ""),
     ("+525512345678;ext=12", ""), ("+39 06 1234 5678", "+52 55 1234 5678")],
)  # fmt: skip
def test_the_links_from_the_stored_numbers_are_the_clients_links(phone, whatsapp, settings):
    """A call list reads a client's numbers as stored (clients.links.stored_numbers) instead of
    parsing them as each row is read: the same text and WhatsApp link either way, whatever
    the format the pages write numbers in."""
    client = ClientFactory(phone=phone, whatsapp=whatsapp)
    for form in ("INTERNATIONAL", "E164", "NATIONAL"):
        settings.PHONENUMBER_DEFAULT_FORMAT = form
        fresh = Client.objects.get(pk=client.pk)
        row = (
            Client.objects.only(*call_client_fields())
            .annotate(**stored_numbers())
            .get(pk=client.pk)
        )
        assert stored_call_links(row) == call_links(fresh)
        assert call_contact_html(row, *stored_call_links(row)) == call_contact_html(
            fresh, *call_links(fresh)
        )
