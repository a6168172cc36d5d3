import datetime
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from claims.models import CONTACT_WITHIN, Claim, ClaimKind, ClaimStatus, RepairShop
from claims.services import claim_report
from policies.tests.factories import PolicyFactory


class ClaimFactory(DjangoModelFactory):
    """A claim row as it stands after a report (no work item: use ``report`` for the flow)."""

    class Meta:
        model = Claim

    policy = factory.SubFactory(PolicyFactory)
    agent = factory.LazyAttribute(lambda o: o.policy.agent)
    reported_at = factory.LazyFunction(lambda: timezone.now().replace(microsecond=0))
    reported_by = factory.LazyAttribute(lambda o: o.policy.agent)
    occurred_at = factory.LazyAttribute(lambda o: o.reported_at - datetime.timedelta(hours=1))
    place = "Av. Insurgentes Sur 1602, CDMX"
    kind = ClaimKind.COLLISION
    injured = False
    description = "Alcance en semáforo"
    reporter_name = factory.LazyAttribute(lambda o: o.policy.holder.display_name)
    reporter_phone = factory.LazyAttribute(lambda o: o.policy.holder.phone)
    status = ClaimStatus.REPORTED
    status_changed_at = factory.LazyAttribute(lambda o: o.reported_at)
    currency = factory.LazyAttribute(lambda o: o.policy.currency)
    amount_claimed = Decimal("18500.00")
    contact_due_at = factory.LazyAttribute(lambda o: o.reported_at + CONTACT_WITHIN)


def report_data(**overrides) -> dict:
    """What the report form sends, cleaned: a collision an hour ago."""
    data = {
        "occurred_at": timezone.now() - datetime.timedelta(hours=1),
        "place": "Periférico Sur y Viaducto, CDMX",
        "kind": ClaimKind.COLLISION,
        "injured": False,
        "description": "Choque lateral al cambiar de carril.",
        "reporter_name": "María López",
        "reporter_phone": "+525512345678",
        "reporter_email": "",
        "insurer_claim_number": "",
        "adjuster": "",
        "amount_claimed": Decimal("25000.00"),
    }
    return data | overrides


def report(*, policy, by, **overrides) -> Claim:
    """A claim reported through the service (its item on the call list, its history)."""
    return claim_report(policy=policy, by=by, data=report_data(**overrides))


class RepairShopFactory(DjangoModelFactory):
    """A shop of the directory (partner or not); pass ``insurers=[...]`` to link insurers."""

    class Meta:
        model = RepairShop
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Taller {n}")
    address = factory.Sequence(lambda n: f"Calz. de Tlalpan {100 + n}, CDMX")
    phone = "+525550001111"
    brands = "Nissan, Toyota"
    partner = True
    active = True

    @factory.post_generation
    def insurers(self, create, extracted, **kwargs):
        if create and extracted:
            self.insurers.set(extracted)
