"""The repair-shop directory in the Django admin (staff repairs): listed, searched, opened,
its history kept; no delete (a shop is deactivated: its claims keep it)."""

import pytest
from django.urls import reverse

from claims.models import RepairShop
from claims.tests.factories import RepairShopFactory

pytestmark = pytest.mark.django_db


def test_the_repair_shops_are_in_the_admin(admin_client):
    shop = RepairShopFactory(name="Taller Norte", partner=True)
    RepairShopFactory(name="Agencia Sur")
    listed = admin_client.get(reverse("admin:claims_repairshop_changelist"), {"q": "Norte"})
    assert listed.status_code == 200
    html = listed.content.decode()
    assert "Taller Norte" in html and "Agencia Sur" not in html
    page = admin_client.get(reverse("admin:claims_repairshop_change", args=[shop.pk]))
    assert page.status_code == 200 and 'name="insurers"' in page.content.decode()
    history = admin_client.get(reverse("admin:claims_repairshop_history", args=[shop.pk]))
    assert history.status_code == 200
    deleting = admin_client.post(reverse("admin:claims_repairshop_delete", args=[shop.pk]))
    assert deleting.status_code == 403 and RepairShop.objects.filter(pk=shop.pk).exists()
