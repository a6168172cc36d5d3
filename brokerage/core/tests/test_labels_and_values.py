"""A label and its value are one sentence to translate (issue 13, item 11), so that Chinese
joins them with a full-width colon (经理：…) and no ASCII one is left between them; a policy
ending today says so rather than "0 days left"."""

import datetime

import pytest
from django import forms
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from brokerage.accounts.tests.factories import TeamFactory, UserFactory
from brokerage.core.forms import form_errors_text
from clients.tests.factories import ClientFactory
from policies.tests.factories import PolicyFactory, VehicleFactory
from renewals.tests.factories import RenewalCaseFactory

pytestmark = pytest.mark.django_db


def _page(client, user, path: str) -> str:
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


@pytest.mark.parametrize(
    ("language", "expected"), [("zh-hans", "经理：Ana Ruiz"), ("es", "Gerente: Ana Ruiz")]
)
def test_the_team_card_names_its_manager_in_one_sentence(client, language, expected):
    manager = UserFactory(roles=["manager"], first_name="Ana", last_name="Ruiz")
    TeamFactory(name="Norte", manager=manager)
    html = _page(client, UserFactory(roles=["admin"], language=language), "/accounts/team/")
    assert expected in html


def test_a_case_and_its_vehicle_read_with_full_width_colons_in_chinese(client):
    admin = UserFactory(roles=["admin"], language="zh-hans")
    case = RenewalCaseFactory(policy=PolicyFactory(holder=ClientFactory()))
    vehicle = VehicleFactory(policy=case.policy, plate="XYZ123")
    html = _page(client, admin, f"/renewals/{case.pk}/")
    assert f"节点方案：{case.ladder}" in html
    html = _page(client, admin, f"/policies/{case.policy_id}/")
    assert f"车架号（VIN）：<code>{vehicle.vin}</code>" in html
    assert "车牌号：XYZ123" in html
    assert "): <" not in html and "号: " not in html


@pytest.mark.parametrize(
    ("language", "today", "wrong"),
    [
        ("es", "Vence hoy", "Quedan 0"),
        ("zh-hans", "今天到期", "剩余 0"),
        ("en", "Ends today", " 0 days left"),
    ],
)
def test_a_policy_ending_today_says_so(client, language, today, wrong):
    user = UserFactory(roles=["admin"], language=language)
    ends = timezone.localdate()
    policy = PolicyFactory(
        holder=ClientFactory(), start_date=ends - datetime.timedelta(days=365), end_date=ends
    )
    case = RenewalCaseFactory(policy=policy)
    for path in ("/renewals/?status=all", f"/renewals/{case.pk}/", f"/policies/{policy.pk}/"):
        html = _page(client, user, path)
        assert today in html, path
        assert wrong not in html, path


def test_a_forms_errors_name_their_field_in_the_readers_punctuation():
    class Form(forms.Form):
        name = forms.CharField(label=gettext_lazy("Name"))
        phone = forms.CharField(label=gettext_lazy("Phone"))

    with translation.override("zh-hans"):
        text = form_errors_text(Form(data={}))
        assert text.startswith("姓名：") and "电话：" in text
        assert ": " not in text and "；" not in text
    with translation.override("es"):
        assert form_errors_text(Form(data={})).startswith("Nombre: ")
