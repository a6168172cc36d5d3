"""Policy-service factories. They write rows directly: tests of behaviour go through the
services."""

from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from clients.tests.factories import ClientFactory
from policies.models import Line
from policies.tests.factories import PolicyFactory
from servicing.models import CaseClass, CaseSource, PartyRole, PolicyParty, ServiceCase


class LifePolicyFactory(PolicyFactory):
    line = Line.LIFE
    coverage = "Vida entera, suma asegurada 1,000,000"


class PartyFactory(DjangoModelFactory):
    class Meta:
        model = PolicyParty

    policy = factory.SubFactory(LifePolicyFactory)
    role = PartyRole.BENEFICIARY
    name = factory.Faker("name", locale="es_MX")
    relation = "child"
    share = Decimal("100")


class CaseFactory(DjangoModelFactory):
    class Meta:
        model = ServiceCase

    client = factory.SubFactory(ClientFactory)
    source = CaseSource.DEPARTED_AGENT
    case_class = CaseClass.NORMAL
    opened_at = factory.LazyFunction(timezone.now)


def beneficiaries(*shares) -> list[dict]:
    """Rows of the parties page for beneficiaries with these shares (text or Decimal)."""
    return [
        {"role": PartyRole.BENEFICIARY, "name": f"Beneficiario {n}", "relation": "child",
         "id_number": "", "share": Decimal(str(share))}
        for n, share in enumerate(shares, start=1)
    ]  # fmt: skip
