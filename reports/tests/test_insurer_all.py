"""The dashboards' insurer filter asks for its "All" with a context of its own, so that Spanish
can write "Todas" (la aseguradora) beside the team's and agent's "Todos"."""

import re

import pytest
from django.utils import translation

from brokerage.accounts.tests.factories import UserFactory
from brokerage.core.tests.catalog import translate_as

pytestmark = pytest.mark.django_db


def _first_option(html: str, select_id: str) -> str:
    select = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.search(r'<option value="">([^<]*)</option>', select).group(1)


@pytest.mark.parametrize("url", ["/reports/renewals/", "/reports/premium/", "/reports/agents/"])
def test_the_insurer_filters_all_is_its_own_word(client, monkeypatch, url):
    translate_as(monkeypatch, "es", {("every insurer", "All"): "Todas"})
    client.force_login(UserFactory(roles=["admin"], language="es"))
    html = client.get(url).content.decode()
    with translation.override("es"):
        everyone = translation.gettext("All")
    assert _first_option(html, "insurer") == "Todas"
    assert _first_option(html, "team") == _first_option(html, "line") == everyone != "Todas"
