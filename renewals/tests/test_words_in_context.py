"""The renewals' short words that mean other things elsewhere are asked for with their context,
so that a translator can write each sense: a renewal case closed reads in the masculine in
Spanish (el caso: Cerrado), a renewal's "Open" and "Lapsed" are not a quote's, a claim's or a
policy's, a lapsed policy reads "Caducada" where a renewal not renewed reads "No renovada", and
the renewals whose policy has ended are not a payment overdue."""

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from brokerage.accounts.tests.factories import UserFactory
from brokerage.core.tests.catalog import translate_as
from clients.tests.factories import ClientFactory
from policies.models import PolicyStatus, QuotationStatus
from policies.tests.factories import PolicyFactory
from renewals.models import CaseStatus
from renewals.selectors import DUE_WINDOWS, OVERDUE
from renewals.tests.factories import RenewalCaseFactory

pytestmark = pytest.mark.django_db


def test_a_renewal_case_status_is_not_a_quotes_or_a_policys(monkeypatch):
    translate_as(monkeypatch, "zh-hans", {("renewal case status", "Open"): "进行中",
                                          ("renewal case status", "Lapsed"): "已脱保",
                                          ("policy status", "Lapsed"): "已失效"})  # fmt: skip
    translate_as(monkeypatch, "es", {("renewal case status", "Lapsed"): "No renovada",
                                     ("policy status", "Lapsed"): "Caducada"})  # fmt: skip
    with translation.override("zh-hans"):
        assert str(CaseStatus.OPEN.label) == "进行中"
        assert str(QuotationStatus.OPEN.label) == translation.gettext("Open") != "进行中"
        assert str(CaseStatus.LAPSED.label) == "已脱保"
        assert str(PolicyStatus.LAPSED.label) == "已失效"
    with translation.override("es"):
        assert str(PolicyStatus.LAPSED.label) == "Caducada"
        assert str(CaseStatus.LAPSED.label) == "No renovada"


def test_overdue_renewals_have_their_own_word(client, monkeypatch):
    context = "renewals whose policy has ended"
    translate_as(monkeypatch, "zh-hans", {(context, "Overdue"): "已到期未续保"})
    with translation.override("zh-hans"):
        assert str(DUE_WINDOWS[OVERDUE]) == "已到期未续保" != translation.gettext("Overdue")
    client.force_login(UserFactory(roles=["admin"], language="zh-hans"))
    html = client.get(reverse("renewals:list")).content.decode()
    assert 'value="overdue" >已到期未续保</option>' in html


def test_a_closed_lapsed_case_reads_in_its_own_words(client, monkeypatch):
    translate_as(monkeypatch, "es", {("renewal case, closed on", "Closed"): "Cerrado",
                                     ("renewal case status", "Lapsed"): "No renovada",
                                     ("policy status", "Lapsed"): "Caducada"})  # fmt: skip
    admin = UserFactory(roles=["admin"], language="es")
    policy = PolicyFactory(holder=ClientFactory(), status=PolicyStatus.LAPSED)
    case = RenewalCaseFactory(
        policy=policy, status=CaseStatus.LAPSED, closed_at=timezone.now(), closed_by=admin
    )
    client.force_login(admin)
    html = client.get(reverse("renewals:detail", args=[case.pk])).content.decode()
    assert '<dt class="col-5">Cerrado</dt>' in html and "Cerrada<" not in html
    assert 'data-testid="case-status">No renovada</span>' in html
    assert '<dd class="col-7">Caducada</dd>' in html
