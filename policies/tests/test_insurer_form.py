"""An insurer says how its reports are read: country (its phones' region), currency and the
language of the clients they bring, each blank for the brokerage's own (issue 14)."""

import pytest
from django.utils import translation

from brokerage.accounts.tests.factories import UserFactory
from policies.countries import COUNTRY_CODES, country_choices, country_name
from policies.forms import InsurerForm
from policies.models import Insurer
from policies.tests.factories import InsurerFactory

pytestmark = pytest.mark.django_db


def test_the_form_offers_countries_currencies_and_languages_with_the_defaults_named(settings):
    settings.PHONENUMBER_DEFAULT_REGION, settings.DEFAULT_CURRENCY = "MX", "MXN"
    settings.LANGUAGE_CODE = "es"
    with translation.override("en"):
        form = InsurerForm()
        country = dict(form.fields["country"].choices)
        currency = dict(form.fields["currency"].choices)
        language = dict(form.fields["client_language"].choices)
    assert country[""] == "The brokerage's default (Mexico (MX))"
    assert country["CN"] == "China (CN)" and len(country) == len(COUNTRY_CODES) + 1
    assert currency[""] == "The brokerage's default (MXN · Mexican peso)"
    assert currency["CNY"] == "CNY · Chinese yuan"
    assert str(language[""]) == "The brokerage's default (Spanish)"
    assert "zh-hans" in language


def test_country_names_follow_the_reader_language():
    assert country_name("CN", "zh-hans") == "中国"
    assert country_name("MX", "es") == "México"
    assert country_name("US", "en") == "United States"
    assert country_name("XK", "zh-hans") == "Kosovo"  # no name in Chinese: the English one
    assert ("CN", "中国 (CN)") in country_choices("zh-hans")


def test_a_maintainer_sets_how_an_insurer_reports_read_and_clears_it(client, settings):
    settings.PHONENUMBER_DEFAULT_REGION, settings.DEFAULT_CURRENCY = "MX", "MXN"
    client.force_login(UserFactory(roles=["maintainer"]))
    insurer = InsurerFactory(name="Ping An", code="pingan")
    page = client.get(f"/insurers/{insurer.pk}/edit/").content.decode()
    assert "The brokerage&#x27;s default (Mexico (MX))" in page
    data = {"name": "Ping An", "code": "pingan", "active": "on", "country": "CN",
            "currency": "CNY", "client_language": "zh-hans", "grace_days": "30"}  # fmt: skip
    response = client.post(f"/insurers/{insurer.pk}/edit/", data)
    assert response.status_code == 302
    insurer.refresh_from_db()
    assert (insurer.phone_region, insurer.report_currency, insurer.report_language) == (
        "CN", "CNY", "zh-hans",
    )  # fmt: skip
    data.update(country="", currency="", client_language="")
    client.post(f"/insurers/{insurer.pk}/edit/", data)
    insurer.refresh_from_db()
    assert (insurer.country, insurer.currency, insurer.client_language) == ("", "", "")
    assert (insurer.phone_region, insurer.report_currency) == ("MX", "MXN")


def test_a_country_that_is_not_one_is_refused(client):
    client.force_login(UserFactory(roles=["maintainer"]))
    response = client.post(
        "/insurers/new/", {"name": "X", "code": "x", "active": "on", "country": "ZZ"}
    )
    assert response.status_code == 200 and not Insurer.objects.filter(code="x").exists()


def test_a_maintainer_sets_the_grace_period_and_how_to_pay(client):
    client.force_login(UserFactory(roles=["maintainer"]))
    insurer = InsurerFactory(name="GNP", code="gnp")
    data = {"name": "GNP", "code": "gnp", "active": "on", "grace_days": "15",
            "payment_instructions": "CLABE 0121 8000 1234 5678 90, ref.: póliza"}  # fmt: skip
    assert client.post(f"/insurers/{insurer.pk}/edit/", data).status_code == 302
    insurer.refresh_from_db()
    assert insurer.grace_days == 15
    assert insurer.payment_instructions.startswith("CLABE 0121")
    data["grace_days"] = "9999"
    page = client.post(f"/insurers/{insurer.pk}/edit/", data).content.decode()
    insurer.refresh_from_db()
    assert insurer.grace_days == 15 and "365" in page
