"""Claims' short words are asked for with their context: a claim (siniestro) and a repair shop
(taller) are masculine in Spanish, while the same English words name feminine things
elsewhere (a renewal case closed, an insurer inactive)."""

import pytest
from django.urls import reverse
from django.utils import translation

from brokerage.accounts.tests.factories import UserFactory
from brokerage.core.tests.catalog import translate_as
from claims.models import ClaimStatus
from claims.tests.factories import RepairShopFactory

pytestmark = pytest.mark.django_db


def test_a_closed_claim_has_its_own_word(monkeypatch):
    translate_as(monkeypatch, "es", {("claim status", "Closed"): "Cerrado"})
    with translation.override("es"):
        assert str(ClaimStatus.CLOSED.label) == "Cerrado"
        assert translation.gettext("Closed") != "Cerrado"


def test_an_inactive_repair_shop_reads_in_the_masculine(client, monkeypatch):
    translate_as(monkeypatch, "es", {("repair shop", "Inactive"): "Inactivo"})
    RepairShopFactory(name="Taller Viejo", active=False)
    client.force_login(UserFactory(roles=["maintainer"], language="es"))
    html = client.get(reverse("claims:repair_shops") + "?inactive=1").content.decode()
    assert ">Inactivo</span>" in html and ">Inactiva</span>" not in html


def test_open_claims_are_counted_and_filtered_with_their_word(client, monkeypatch):
    translate_as(monkeypatch, "es", {("claims filter", "Open"): "Abiertos",
                                     ("claims counted", "Open"): "Abiertos"})  # fmt: skip
    manager = UserFactory(roles=["manager"], language="es")
    client.force_login(manager)
    html = client.get(reverse("claims:list")).content.decode()
    assert 'for="f-open">Abiertos</label>' in html
    html = client.get(reverse("reports:report", args=["claims"])).content.decode()
    assert ">Abiertos<" in html
