"""The renewals' "Change" is the premium's change in percent, asked for with that context (a
policy change, 批改, is another word)."""

import pytest
from django.urls import reverse

from brokerage.accounts.tests.factories import UserFactory
from brokerage.core.tests.catalog import translate_as
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory
from renewals.tests.factories import RenewalCaseFactory

pytestmark = pytest.mark.django_db


def test_the_premium_change_has_its_own_word(client, monkeypatch):
    translate_as(monkeypatch, "zh-hans", {("premium change, in percent", "Change"): "保费变化"})
    case = RenewalCaseFactory(policy=PolicyFactory(holder=ClientFactory()))
    client.force_login(UserFactory(roles=["admin"], language="zh-hans"))
    html = client.get("/renewals/?status=all").content.decode()
    assert '<th class="text-end">保费变化</th>' in html
    html = client.get(reverse("renewals:detail", args=[case.pk])).content.decode()
    assert '<dt class="col-5">保费变化</dt>' in html
