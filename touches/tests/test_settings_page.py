"""The touches page (touches.views.settings_edit): maintainers and administrators edit each
kind's setting, with history; others are refused; bad values are field errors."""

import pytest
from django.urls import reverse

from brokerage.accounts.tests.factories import UserFactory
from brokerage.core.navigation import nav_for
from touches.models import TouchKind, TouchSetting

pytestmark = pytest.mark.django_db

URL = reverse("touches:settings")
KINDS = list(TouchKind)


def post_data(**changes) -> dict:
    """The page's form as shown, with ``changes`` ({kind: {field: value}})."""
    data = {"touches-TOTAL_FORMS": str(len(KINDS)), "touches-INITIAL_FORMS": str(len(KINDS))}
    for index, setting in enumerate(TouchSetting.objects.order_by("pk")):
        row = {
            "kind": setting.kind, "days": setting.days, "mode": setting.mode,
            "priority": setting.priority, "enabled": "on" if setting.enabled else "",
        }  # fmt: skip
        row.update(changes.get(setting.kind, {}))
        for name, value in row.items():
            if name == "enabled" and not value:
                continue
            data[f"touches-{index}-{name}"] = value
    return data


@pytest.mark.parametrize("role", ["agent", "manager"])
def test_only_maintainers_and_administrators_open_the_page(client, role):
    client.force_login(UserFactory(roles=[role]))
    assert client.get(URL).status_code == 403
    assert client.post(URL, post_data(thank_you={"days": 9})).status_code == 403
    assert TouchSetting.objects.get(kind=TouchKind.THANK_YOU).days == 3


@pytest.mark.parametrize("role", ["maintainer", "admin"])
def test_a_maintainer_changes_when_and_how_a_touch_is_made(client, role):
    user = UserFactory(roles=[role])
    client.force_login(user)
    page = client.get(URL).content.decode()
    assert page.count('data-testid="touch-row"') == 7
    assert "Cartera does not know which cars are imported" in page
    response = client.post(
        URL,
        post_data(
            thank_you={"days": 2, "mode": "message"}, plate_endorsement={"days": 30},
            birthday={"enabled": "", "days": 99},
        ),
    )  # fmt: skip
    assert response.status_code == 302
    settings = {s.kind: s for s in TouchSetting.objects.all()}
    assert (settings["thank_you"].days, settings["thank_you"].mode) == (2, "message")
    assert settings["plate_endorsement"].days == 30
    assert (settings["birthday"].enabled, settings["birthday"].days) == (False, 0)
    last = settings["thank_you"].history.order_by("-history_date").first()
    assert last.history_user_id == user.pk
    assert any(e["url"] == URL for e in nav_for(user))


def test_bad_values_are_field_errors_and_nothing_is_saved(client):
    client.force_login(UserFactory(roles=["maintainer"]))
    response = client.post(
        URL, post_data(thank_you={"days": 400}, licence_due={"days": ""},
                       holiday={"mode": "pigeon"}, return_visit={"priority": -1}),
    )  # fmt: skip
    assert response.status_code == 200
    forms = {f.initial["kind"]: f for f in response.context["formset"].forms}
    assert "days" in forms["thank_you"].errors and "days" in forms["licence_due"].errors
    assert "mode" in forms["holiday"].errors and "priority" in forms["return_visit"].errors
    assert TouchSetting.objects.get(kind="thank_you").days == 3


def test_agents_do_not_see_the_page_in_their_navbar():
    agent = UserFactory(roles=["agent"])
    assert all(e["url"] != URL for e in nav_for(agent))
