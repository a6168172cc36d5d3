"""Policy, quote and vehicle factories. They write rows directly: tests of behaviour go
through the services."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from brokerage.accounts.tests.factories import UserFactory
from clients.tests.factories import ClientFactory
from policies.models import (
    Insurer,
    Line,
    Policy,
    PolicyStatus,
    Quotation,
    QuotationStatus,
    Quote,
    QuoteStatus,
    Vehicle,
)
from policies.validators import vin_check_digit

VIN_ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"  # no I, O, Q


def make_vin(serial: int, *, wmi: str = "3N1") -> str:
    """A VIN with a correct check digit: 16 characters, then the 9th computed."""
    vds = "AB7AP"  # positions 4-8
    tail = f"KL{serial % 1_000_000:06d}"  # positions 10-17
    draft = f"{wmi}{vds}0{tail}"  # position 9 weighs 0, so the placeholder does not count
    assert len(draft) == 17
    return draft[:8] + vin_check_digit(draft) + draft[9:]


class InsurerFactory(DjangoModelFactory):
    class Meta:
        model = Insurer
        django_get_or_create = ("code",)

    name = factory.Faker("company", locale="es_MX")
    code = factory.Sequence(lambda n: f"ins{n}")
    preferred = False
    active = True


class PolicyFactory(DjangoModelFactory):
    class Meta:
        model = Policy

    number = factory.Sequence(lambda n: f"POL-{n:07d}")
    number_key = factory.LazyAttribute(
        lambda p: "".join(ch for ch in p.number.upper() if ch.isalnum())
    )
    insurer = factory.SubFactory(InsurerFactory)
    holder = factory.SubFactory(ClientFactory)
    line = Line.AUTO
    coverage = "Amplia"
    premium = Decimal("12500.00")
    start_date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=200))
    end_date = factory.LazyAttribute(lambda o: o.start_date + datetime.timedelta(days=365))
    status = PolicyStatus.ACTIVE
    agent = factory.LazyAttribute(lambda o: o.holder.owner)


class VehicleFactory(DjangoModelFactory):
    class Meta:
        model = Vehicle

    policy = factory.SubFactory(PolicyFactory)
    make = "Nissan"
    model = "Versa"
    year = 2022
    vin = factory.Sequence(make_vin)
    plate = factory.Sequence(lambda n: f"ABC{n:04d}")


def _quotation_author(o):
    return o.client.owner or UserFactory(roles=["agent"])


class QuotationFactory(DjangoModelFactory):
    class Meta:
        model = Quotation

    client = factory.SubFactory(ClientFactory)
    line = Line.AUTO
    description = "Seguro para la camioneta nueva"
    status = QuotationStatus.OPEN
    created_by = factory.LazyAttribute(_quotation_author)


class QuoteFactory(DjangoModelFactory):
    class Meta:
        model = Quote

    quotation = factory.SubFactory(QuotationFactory)
    insurer = factory.SubFactory(InsurerFactory)
    premium = Decimal("9800.00")
    coverage = "Amplia, deducible 5 %"
    valid_until = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))
    status = QuoteStatus.OPEN
