"""Walk through the client and policy pages as an agent: create, quote, buy, print."""

import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from policies.models import Insurer, Policy
from policies.validators import vin_check_digit

pytestmark = pytest.mark.django_db


def _vin(prefix="3N1AB7AP5KY"):
    body = (prefix + "000000000")[:17]
    body = body[:8] + "0" + body[9:]
    return body[:8] + vin_check_digit(body) + body[9:]


def test_agent_walkthrough(client, agent):
    hdi = Insurer.objects.create(name="HDI Seguros", code="hdi", preferred=True)
    client.force_login(agent)
    r = client.post(
        "/clients/new/?kind=individual",
        {
            "first_name": "Ana",
            "last_name": "López",
            "phone": "55 1234 5678",
            "email": "ana@example.com",
            "language": "es",
            "status": "prospect",
            "vip_tier": "",
        },
    )
    assert r.status_code == 302, r.context["form"].errors
    pk = int(re.search(r"/clients/(\d+)/", r["Location"]).group(1))
    r = client.get(f"/clients/{pk}/")
    assert r.status_code == 200
    today = timezone.localdate()
    r = client.post(
        f"/clients/{pk}/policies/new/",
        {
            "insurer": hdi.pk,
            "number": "hdi-001",
            "line": "auto",
            "coverage": "Amplia",
            "premium": "12500.50",
            "currency": "MXN",
            "payment_frequency": "quarterly",
            "start_date": today.isoformat(),
            "end_date": (today + timedelta(days=365)).isoformat(),
            "general_conditions": "Condiciones generales",
            "vehicle-make": "Nissan",
            "vehicle-model": "Versa",
            "vehicle-year": "2022",
            "vehicle-vin": _vin(),
            "vehicle-plate": "abc-123",
            "vehicle-use": "private",
        },
    )
    assert r.status_code == 302, (r.context["form"].errors, r.context["vehicle_form"].errors)
    policy = Policy.objects.get()
    r = client.get(f"/policies/{policy.pk}/pdf/")
    assert r["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
    assert "Ana López" in text and "Nissan" in text and "Versa" in text
    for url in [
        "/clients/",
        "/clients/?q=ana",
        "/clients/?q=HDI-001",
        "/policies/",
        f"/policies/{policy.pk}/",
        f"/clients/{pk}/edit/",
        f"/clients/{pk}/quotations/new/",
    ]:
        assert client.get(url).status_code == 200, url
