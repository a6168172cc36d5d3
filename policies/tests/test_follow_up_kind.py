"""The quote follow-up as a kind of work: its card in the call list, each of its results through
the result view, the hand-out of a prospect nobody owns, the export columns and the page's
queries."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from brokerage.accounts.services import user_set_export_grant
from brokerage.accounts.tests.factories import UserFactory
from clients.models import Client, Interaction
from clients.tests.factories import ClientFactory
from policies.kind import QUOTE_FOLLOW_UP
from policies.models import Quotation, QuotationStatus, Quote, QuoteStatus
from policies.services import quotation_schedule_follow_up, quote_decline
from policies.tests.factories import InsurerFactory, QuotationFactory, QuoteFactory
from workqueue.distribution import distribution_run, unworked_by_agent
from workqueue.models import ItemResult, ItemStatus, Queue, WorkItem
from workqueue.selectors import queue_export_columns

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _follow_up_today(settings):
    """Follow-ups fall due the day the last quote is declined, so they are on today's list."""
    settings.QUOTE_FOLLOW_UP_DAYS = 0


def declined(*, owner, by=None, whatsapp="", premiums=("9800.00", "8700.50")):
    """A prospect of ``owner`` (None: nobody's) who declined every quote of a quotation: the
    follow-up is scheduled by the service, as it is in real life."""
    client = ClientFactory(owner=owner, whatsapp=whatsapp)
    quotation = QuotationFactory(
        client=client, created_by=by or owner, description=f"Pickup of {client.last_name}"
    )
    for premium in premiums:
        QuoteFactory(quotation=quotation, premium=Decimal(premium))
    for quote in list(quotation.quotes.all()):
        quote_decline(quote=quote, by=by or owner)
    quotation.refresh_from_db()
    item = WorkItem.objects.get(kind=QUOTE_FOLLOW_UP, subject_id=quotation.pk)
    return {"client": client, "quotation": quotation, "item": item}


@pytest.fixture
def one(agent):
    return declined(owner=agent, whatsapp="+525512345678")


def _post(client, item, **data):
    return client.post(f"/queue/items/{item.pk}/result/", data, **HTMX)


def test_it_shows_a_follow_up_card_with_the_client_the_quotation_and_its_quotes(client, agent, one):
    client.force_login(agent)
    html = client.get("/queue/").content.decode()
    prospect, quotation = one["client"], one["quotation"]
    assert f'data-kind="{QUOTE_FOLLOW_UP}"' in html
    assert html.count('data-testid="call-item"') == 1
    assert f'href="/clients/{prospect.pk}/" data-testid="item-client">{prospect.display_name}<' in (
        html
    )
    assert f'href="tel:{prospect.phone}"' in html
    assert 'href="https://wa.me/525512345678"' in html
    assert f'href="mailto:{prospect.email}"' in html
    assert f'href="/quotations/{quotation.pk}/" data-testid="item-quotation">' in html
    assert quotation.description in html
    for quote in quotation.quotes.select_related("insurer"):
        assert f'data-quote="{quote.pk}"' in html and str(quote.insurer) in html
    assert "9,800.00" in html and "8,700.50" in html
    assert 'data-testid="item-best-premium">8,700.50 MXN<' in html
    for code in (
        "no_answer", "switched_off", "wrong_number", "bought", "still_thinking", "requoted",
        "not_interested",
    ):  # fmt: skip
        assert f'data-result="{code}"' in html
    assert 'data-testid="call-back"' in html


def test_it_logs_a_failed_attempt_on_the_timeline_and_shows_it_on_the_card(client, agent, one):
    client.force_login(agent)
    response = _post(client, one["item"], result="no_answer", note="Buzón")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div class="list-group-item call-item"')
    assert "No answer: logged (attempt 1)." in html
    assert 'data-testid="previous-results"' in html
    item = WorkItem.objects.get(pk=one["item"].pk)
    assert item.status == ItemStatus.OPEN and item.attempts == 1 and item.result == "no_answer"
    entry = Interaction.objects.get(client=one["client"])
    assert entry.result == "No answer" and entry.user == agent and entry.channel == "call"
    assert one["quotation"].description in entry.summary and "Buzón" in entry.summary


def test_it_marks_the_contact_inaccurate_after_three_failed_attempts(client, agent, one):
    client.force_login(agent)
    for result in ("no_answer", "switched_off"):
        _post(client, one["item"], result=result)
    assert not Client.objects.get(pk=one["client"].pk).contact_inaccurate
    _post(client, one["item"], result="wrong_number")

    assert Client.objects.get(pk=one["client"].pk).contact_inaccurate
    item = WorkItem.objects.get(pk=one["item"].pk)
    assert item.queue == Queue.MAINTAINERS and item.agent is None
    assert Interaction.objects.filter(client=one["client"]).count() == 3


def test_it_shows_the_maintainers_whom_to_fix_after_three_failed_attempts(
    client, agent, maintainer, one
):
    client.force_login(agent)
    for result in ("no_answer", "switched_off", "wrong_number"):
        _post(client, one["item"], result=result)
    client.force_login(maintainer)
    html = client.get("/queue/maintainers/").content.decode()
    assert one["client"].display_name in html
    assert f'href="tel:{one["client"].phone}"' in html
    assert one["quotation"].description in html and "Wrong number" in html


def test_it_closes_the_follow_up_when_the_prospect_declines_with_the_reason(client, agent, one):
    client.force_login(agent)
    refused = _post(client, one["item"], result="not_interested")
    assert "is recorded on its own page" in refused.content.decode()

    response = client.post(
        f"/quotations/follow-ups/{one['item'].pk}/declined/",
        {"reason": "price", "note": "Too dear", "token": "8c1b4f8e-3c55-4a3e-9d0e-1f2a3b4c5d6e"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/queue/"
    assert "declined the quotation" in response.content.decode()
    item = WorkItem.objects.get(pk=one["item"].pk)
    assert item.status == ItemStatus.DONE and item.result == "not_interested"
    assert Interaction.objects.get(client=one["client"]).result == "Declined"
    quotation = Quotation.objects.get(pk=one["quotation"].pk)
    assert (quotation.status, quotation.lost_reason, quotation.lost_note) == (
        QuotationStatus.LOST, "price", "Too dear",
    )  # fmt: skip
    assert not WorkItem.objects.filter(
        kind=QUOTE_FOLLOW_UP, subject_id=quotation.pk, status=ItemStatus.OPEN
    ).exists()


def test_it_reopens_the_lost_quotation_on_requoted_and_it_takes_a_new_quote(client, agent, one):
    quotation = one["quotation"]
    assert quotation.status == QuotationStatus.LOST
    client.force_login(agent)
    response = _post(client, one["item"], result="requoted")

    assert response.headers["HX-Redirect"] == f"/quotations/{quotation.pk}/"
    item = WorkItem.objects.get(pk=one["item"].pk)
    assert item.status == ItemStatus.DONE and item.result == "requoted"
    assert Interaction.objects.get(client=one["client"]).result == "Reached — re-quoted"
    quotation.refresh_from_db()
    assert quotation.status == QuotationStatus.OPEN and quotation.follow_up_on is None

    insurer = InsurerFactory()
    response = client.post(
        reverse("policies:quote_add", args=[quotation.pk]),
        {
            "insurer": insurer.pk, "premium": "7600.00", "currency": "MXN", "coverage": "Amplia",
            "valid_until": (timezone.localdate() + datetime.timedelta(days=15)).isoformat(),
        },
        follow=True,
    )  # fmt: skip
    assert "Quote added." in response.content.decode()
    new = Quote.objects.get(quotation=quotation, insurer=insurer)
    assert new.status == QuoteStatus.OPEN and new.premium == Decimal("7600.00")


def test_it_lands_on_the_quotation_after_requoted_without_javascript(client, agent, one):
    client.force_login(agent)
    response = client.post(f"/queue/items/{one['item'].pk}/result/", {"result": "requoted"})
    assert response.status_code == 302
    assert response.url == f"/quotations/{one['quotation'].pk}/"
    assert client.get(response.url).status_code == 200


def test_it_opens_an_open_quotation_as_it_is_on_requoted(client, agent):
    quotation = QuotationFactory(client=ClientFactory(owner=agent), created_by=agent)
    QuoteFactory(quotation=quotation)
    item = quotation_schedule_follow_up(quotation=quotation, by=agent, on=timezone.localdate())
    client.force_login(agent)
    response = _post(client, item, result="requoted")
    assert response.headers["HX-Redirect"] == f"/quotations/{quotation.pk}/"
    assert Quotation.objects.get(pk=quotation.pk).status == QuotationStatus.OPEN
    assert WorkItem.objects.get(pk=item.pk).status == ItemStatus.DONE


def test_it_refuses_a_result_the_follow_up_does_not_offer(client, agent, one):
    client.force_login(agent)
    response = _post(client, one["item"], result="renewed")
    assert "is not a result of this kind of work" in response.content.decode()
    item = WorkItem.objects.get(pk=one["item"].pk)
    assert item.status == ItemStatus.OPEN and item.attempts == 0 and item.result == ""
    assert not ItemResult.objects.filter(item=item).exists()
    assert not Interaction.objects.filter(client=one["client"]).exists()


def test_it_lets_the_agent_handed_a_prospect_nobody_owns_open_the_client_and_log(
    client, agent, maintainer
):
    lead = declined(owner=None, by=maintainer)
    assert lead["item"].agent is None
    client.force_login(agent)
    assert client.get(f"/clients/{lead['client'].pk}/").status_code == 404

    plan = distribution_run(by=maintainer)

    assert [line.agent_id for line in plan.lines] == [agent.pk]
    item = WorkItem.objects.get(pk=lead["item"].pk)
    assert item.agent == agent and item.handed_out_at is not None
    assert Client.objects.get(pk=lead["client"].pk).owner == agent
    assert client.get(f"/clients/{lead['client'].pk}/").status_code == 200
    assert client.get(f"/quotations/{lead['quotation'].pk}/").status_code == 200
    assert lead["client"].display_name in client.get("/queue/").content.decode()

    response = _post(client, item, result="requoted")
    assert response.headers["HX-Redirect"] == f"/quotations/{lead['quotation'].pk}/"
    assert WorkItem.objects.get(pk=item.pk).status == ItemStatus.DONE
    assert Interaction.objects.get(client=lead["client"]).user == agent
    # The hand-out was worked: the next morning's distribution does not hold the agent back.
    tomorrow_evening = item.handed_out_at + datetime.timedelta(days=1, hours=12)
    assert unworked_by_agent([agent.pk], tomorrow_evening)[1] == {}


def test_it_is_handed_to_the_clients_owner_by_the_distribution(agent, maintainer):
    lead = declined(owner=None, by=maintainer)
    UserFactory(roles=["agent"])
    Client.objects.filter(pk=lead["client"].pk).update(owner=agent)

    plan = distribution_run(by=maintainer)

    assert [(line.agent_id, line.reason) for line in plan.lines] == [(agent.pk, "owner")]
    assert WorkItem.objects.get(pk=lead["item"].pk).agent == agent


def test_it_exports_the_client_the_phone_and_the_quotation(client, agent, one, cartera_admin):
    user_set_export_grant(user=agent, by=cartera_admin, granted=True)
    client.force_login(agent)
    sheet = load_workbook(io.BytesIO(client.get("/queue/export.xlsx").content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    row = dict(zip(header, rows[1], strict=True))
    assert row["Client"] == one["client"].display_name
    assert row["Phone"] == str(one["client"].phone)
    assert row["Quotation"] == one["quotation"].description


def test_it_shares_the_client_and_phone_columns_with_renewals():
    keys = [
        column.key
        for column in queue_export_columns(
            [WorkItem(kind="renewal"), WorkItem(kind=QUOTE_FOLLOW_UP)]
        )
    ]
    assert keys.count("client") == 1 and keys.count("phone") == 1
    assert "quotation" in keys and "policy" in keys


def test_it_keeps_the_call_list_to_a_fixed_number_of_queries(
    client, agent, django_assert_max_num_queries
):
    for _ in range(3):
        declined(owner=agent)
    client.force_login(agent)
    with django_assert_max_num_queries(16) as few:
        response = client.get("/queue/")
    assert response.content.decode().count('data-testid="call-item"') == 3
    for _ in range(27):
        declined(owner=agent)
    with django_assert_max_num_queries(len(few)):
        response = client.get("/queue/")
    assert response.content.decode().count('data-testid="call-item"') == 30
