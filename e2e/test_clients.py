"""An agent's day in the browser: a new client, an auto policy from the client file, its PDF."""

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from brokerage.accounts.tests.factories import PASSWORD, UserFactory
from clients.models import Client
from policies.models import Policy
from policies.tests.factories import InsurerFactory, make_vin

pytestmark = pytest.mark.django_db(transaction=True)


def _sign_in(page, username, password):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_an_agent_creates_a_client_adds_an_auto_policy_and_downloads_its_pdf(page):
    InsurerFactory(name="HDI Seguros", code="hdi", preferred=True)
    InsurerFactory(name="Qualitas", code="qualitas")
    agent = UserFactory(username="marta", first_name="Marta", last_name="Ibáñez", roles=["agent"])
    _sign_in(page, agent.username, PASSWORD)
    expect(page).to_have_url(re.compile(r"/queue/$"))

    # A new individual client, through the form.
    page.goto("/clients/new/")
    page.locator("#id_first_name").fill("Ana")
    page.locator("#id_last_name").fill("López")
    page.locator("#id_phone").fill("55 1234 5678")
    page.locator("#id_email").fill("ana.lopez@example.com")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(re.compile(r"/clients/\d+/$"))
    expect(page.get_by_test_id("client-name")).to_have_text("Ana López")
    client = Client.objects.get()
    assert client.owner == agent

    # An auto policy with its vehicle, from the client file.
    page.get_by_role("link", name="New policy").click()
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/policies/new/$"))
    today = timezone.localdate()
    vin = make_vin(2468)
    page.locator("#id_insurer").select_option(label="HDI Seguros")
    page.locator("#id_number").fill("hdi-e2e-001")
    page.locator("#id_line").select_option("auto")
    page.locator("#id_coverage").fill("Amplia con asistencia vial")
    page.locator("#id_premium").fill("12500.50")
    page.locator("#id_payment_frequency").select_option("quarterly")
    page.locator("#id_start_date").fill(today.isoformat())
    page.locator("#id_end_date").fill((today + timedelta(days=365)).isoformat())
    page.locator("#id_general_conditions").fill("Condiciones generales HDI 2024.")
    vehicle = page.get_by_test_id("vehicle-fields")
    vehicle.locator("#id_vehicle-make").fill("Nissan")
    vehicle.locator("#id_vehicle-model").fill("Versa")
    vehicle.locator("#id_vehicle-year").fill("2022")
    vehicle.locator("#id_vehicle-vin").fill(vin.lower())
    vehicle.locator("#id_vehicle-plate").fill("abc-123")
    page.get_by_role("button", name="Save", exact=True).click()

    policy = Policy.objects.get()
    expect(page).to_have_url(re.compile(rf"/policies/{policy.pk}/$"))
    expect(page.get_by_test_id("policy-title")).to_have_text("HDI Seguros HDI-E2E-001")
    expect(page.locator("[data-vehicle] code")).to_have_text(vin)
    assert policy.holder == client
    assert policy.vehicles.get().plate == "ABC123"

    # The printable PDF.
    with page.expect_download() as info:
        page.get_by_test_id("policy-pdf").click()
    download = info.value
    assert download.suggested_filename == "policy-hdi-HDI-E2E-001.pdf"
    content = Path(download.path()).read_bytes()
    assert content.startswith(b"%PDF")
    text = " ".join(
        " ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(content)).pages
    )
    assert "Ana López" in text
    assert "Nissan" in text and vin in text
