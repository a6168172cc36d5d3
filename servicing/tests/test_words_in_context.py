"""Policy service's short words that mean other things elsewhere are asked for with their
context, so that a translator can write each sense: the case class 失效件 is not a policy's
lapsed status, a case is masculine in Spanish (Cerrado), the request kind "Other" is a
solicitud (Otra), a service item done is not a request done."""

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from brokerage.accounts.tests.factories import UserFactory
from brokerage.core.tests.catalog import translate_as
from clients.tests.factories import ClientFactory
from policies.models import PolicyStatus
from servicing.models import CaseClass, ItemState, Relation, RequestKind, RequestStatus
from servicing.tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def test_the_lapsed_case_class_is_not_the_lapsed_policy(monkeypatch):
    translate_as(monkeypatch, "zh-hans", {("service case class", "Lapsed"): "失效件"})
    translate_as(monkeypatch, "es", {("service case class", "Lapsed"): "Caducada"})
    for language, word in (("zh-hans", "失效件"), ("es", "Caducada")):
        with translation.override(language):
            assert str(CaseClass.LAPSED.label) == word
    # The policy's status has its own context (es: Caducada too, zh: not a case class).
    with translation.override("zh-hans"):
        policy_lapsed = translation.pgettext("policy status", "Lapsed")
        assert str(PolicyStatus.LAPSED.label) == policy_lapsed != "失效件"


def test_a_request_kind_and_an_item_state_have_their_own_sense(monkeypatch):
    translate_as(monkeypatch, "es", {("service request kind", "Other"): "Otra",
                                     ("service item state", "Done"): "Realizado"})  # fmt: skip
    with translation.override("es"):
        assert str(RequestKind.OTHER.label) == "Otra"
        assert str(Relation.OTHER.label) == translation.gettext("Other") != "Otra"
        assert str(ItemState.DONE.label) == "Realizado"
        assert str(RequestStatus.DONE.label) == translation.gettext("Done") != "Realizado"


def test_a_closed_case_reads_closed_in_the_masculine(client, monkeypatch):
    translate_as(monkeypatch, "es", {("service case", "Closed"): "Cerrado",
                                     ("service cases filter", "Closed"): "Cerrados"})  # fmt: skip
    agent = UserFactory(roles=["agent"], language="es")
    case = CaseFactory(client=ClientFactory(owner=agent), closed_at=timezone.now(), closed_by=agent)
    client.force_login(agent)
    html = client.get(reverse("servicing:case_detail", args=[case.pk])).content.decode()
    assert '<dt class="col-5">Cerrado</dt>' in html
    client.force_login(UserFactory(roles=["maintainer"], language="es"))
    html = client.get(reverse("servicing:case_list")).content.decode()
    assert 'for="f-closed">Cerrados</label>' in html
    assert "Cerrada<" not in html
