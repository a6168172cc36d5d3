"""seed_demo's repairs (claims.demo): a directory of partner and other shops, partner shops
working with insurers; each vehicle that went into repair or was settled recorded as referred
to a partner shop or repaired elsewhere with a reason (a note with "other"), after it went
into repair; call-backs after settlement with their scores; and the Claims view's repair
report shows those figures for the month of the last repair."""

import pytest
from django.db.models import F, Q
from django.utils import timezone

from brokerage.accounts.tests.factories import UserFactory
from claims.models import Claim, ClaimStatus, OutsideReason, RepairPlace, RepairShop
from claims.tests.test_demo import seed

pytestmark = pytest.mark.django_db


def test_the_demo_records_repairs_at_partner_shops_and_elsewhere_with_reasons():
    output = seed(clients=400)
    assert "repairs at 8 shops" in output
    shops = RepairShop.objects.all()
    assert shops.filter(partner=True).count() == 5 and shops.filter(partner=False).count() == 3
    assert not shops.filter(partner=True, insurers__isnull=True).exists()
    repaired = Claim.objects.exclude(repair_place="")
    partner = repaired.filter(repair_place=RepairPlace.PARTNER)
    elsewhere = repaired.filter(repair_place=RepairPlace.ELSEWHERE)
    assert partner.count() > elsewhere.count() > 0
    assert not partner.filter(Q(repair_shop__isnull=True) | Q(repair_shop__partner=False)).exists()
    assert not elsewhere.filter(outside_reason="").exists()
    assert not elsewhere.filter(repair_shop__partner=True).exists()
    assert not elsewhere.filter(outside_reason=OutsideReason.OTHER, outside_reason_note="").exists()
    # Only vehicles that went into repair or were settled, recorded after the report.
    went = Q(status_changes__status__in=[ClaimStatus.IN_REPAIR, ClaimStatus.SETTLED])
    assert not repaired.exclude(pk__in=Claim.objects.filter(went).values("pk")).exists()
    assert not repaired.filter(repair_recorded_at__lt=F("reported_at")).exists()
    assert repaired.filter(repair_amount__isnull=False).exists()
    assert not repaired.filter(repair_recorded_by__isnull=True).exists()
    called = Claim.objects.filter(called_back_at__isnull=False)
    assert called.exists() and set(called.values_list("satisfaction", flat=True)) <= {1, 2, 3, 4, 5}
    assert not called.filter(settled_by__isnull=True).exists()


def test_the_claims_view_shows_the_demos_repairs_for_a_month(client):
    seed(clients=400)
    last = Claim.objects.exclude(repair_place="").latest("repair_recorded_at")
    month = timezone.localtime(last.repair_recorded_at).strftime("%Y-%m")
    in_month = [
        claim
        for claim in Claim.objects.exclude(repair_place="")
        if timezone.localtime(claim.repair_recorded_at).strftime("%Y-%m") == month
    ]
    client.force_login(UserFactory(roles=["admin"]))
    response = client.get("/reports/claims/", {"month": month})
    table = next(t for t in response.context["tables"] if t.slug == "claims-repair-shops")
    totals = table.totals.values
    assert totals["referred"] == sum(1 for c in in_month if c.repair_place == "partner")
    assert totals["referred"] + totals["elsewhere"] == len(in_month) > 0
