"""The load test reads the real pages: what bench/load/pages.py takes from the sign-in form,
the call list's cards and the imports page works against the HTML Cartera renders, and the
result it posts is the card's own htmx post (CSRF enforced, its submission token honoured).
A template change that breaks the load test fails here."""

import datetime
from decimal import Decimal

import pages
import pytest
from django.test import Client
from django.utils import timezone

from brokerage.accounts.tests.factories import PASSWORD
from clients.tests.factories import ClientFactory
from policies.tests.factories import InsurerFactory, PolicyFactory
from renewals.jobs import renewals_morning_job
from renewals.ladders import DEFAULT_RUNGS, validate_rungs
from renewals.models import Ladder
from workqueue.models import ItemResult, WorkItem

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def call_list(agent):
    """Two renewal items on the agent's call list today."""
    Ladder.objects.update_or_create(
        code="design-card",
        defaults={"name": "30/25/15", "rungs": validate_rungs(DEFAULT_RUNGS), "is_default": True},
    )
    end = timezone.localdate() + datetime.timedelta(days=30)
    policies = [
        PolicyFactory(
            holder=ClientFactory(owner=agent),
            start_date=end - datetime.timedelta(days=365),
            end_date=end,
            premium=Decimal("9800.00"),
        )
        for _ in range(2)
    ]
    renewals_morning_job(day=timezone.localdate())
    return policies


def test_it_signs_in_with_the_login_forms_csrf_token(agent):
    browser = Client(enforce_csrf_checks=True)
    form = browser.get("/accounts/login/").content.decode()
    data = {"username": agent.username, "password": PASSWORD, "next": ""}
    assert browser.post("/accounts/login/", data).status_code == 403  # the token matters
    data["csrfmiddlewaretoken"] = pages.csrf_token(form)
    response = browser.post("/accounts/login/", data)
    assert response.status_code == 302 and "/accounts/login/" not in response["Location"]


def test_it_reads_each_cards_result_form_and_client_file(agent, call_list):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(agent)
    html = browser.get("/queue/").content.decode()

    cards = pages.call_cards(html)

    items = WorkItem.objects.filter(agent=agent).order_by("pk")
    assert sorted(int(c.item) for c in cards) == [i.pk for i in items]
    for card in cards:
        assert card.post_url == f"/queue/items/{card.item}/result/"
        assert card.csrf and len(card.token) == 36
        assert "no_answer" in card.results
    assert len({c.token for c in cards}) == 2  # one submission token per card
    holders = {f"/clients/{p.holder_id}/" for p in call_list}
    assert {c.client_url for c in cards} == holders
    assert holders <= set(pages.links(html, "/clients/"))


def test_the_parsed_card_logs_one_result_however_often_it_is_posted(agent, call_list):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(agent)
    card = pages.call_cards(browser.get("/queue/").content.decode())[0]
    data = {"csrfmiddlewaretoken": card.csrf, "token": card.token, "result": "no_answer"}

    first = browser.post(card.post_url, data, **HTMX)
    again = browser.post(card.post_url, data, **HTMX)

    assert first.status_code == again.status_code == 200
    assert 'data-testid="item-error"' not in first.content.decode()
    assert ItemResult.objects.filter(item_id=card.item).count() == 1
    assert WorkItem.objects.get(pk=card.item).attempts == 1
    # The swapped card is itself a card the load test can post again.
    assert [c.item for c in pages.call_cards(first.content.decode())] == [card.item]


def test_it_reads_the_upload_forms_insurers_and_csrf_token(maintainer):
    insurer = InsurerFactory(name="Carga Seguros", active=True)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(maintainer)
    html = browser.get("/imports/").content.decode()

    assert str(insurer.pk) in pages.select_options(html, "insurer")
    assert pages.csrf_token(html)
    assert pages.form_values(html, "upload-form")["csrfmiddlewaretoken"] == pages.csrf_token(html)
