"""The agent's call list: what each renewal item shows, the one-click results by htmx and
without JavaScript, renew and renewed-elsewhere from the list, points and the leaderboard."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from brokerage.accounts.models import Team
from brokerage.accounts.tests.factories import UserFactory
from clients.models import Interaction
from clients.tests.factories import ClientFactory
from policies.models import Policy, Quotation
from policies.tests.factories import InsurerFactory, PolicyFactory, VehicleFactory
from renewals.jobs import renewals_morning_job
from renewals.kind import RENEWAL_KIND
from renewals.models import CaseStatus, CompetitorWhy, LostReason, RenewalCase
from workqueue.models import ItemResult, ItemStatus, PointsAward, Queue, WorkItem

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def ending(n, *, owner, **kwargs):
    """A policy of a client of ``owner`` ending ``n`` days from today."""
    end = timezone.localdate() + datetime.timedelta(days=n)
    holder = ClientFactory(owner=owner, whatsapp=kwargs.pop("whatsapp", ""))
    return PolicyFactory(
        holder=holder, start_date=end - datetime.timedelta(days=365), end_date=end, **kwargs
    )


def morning():
    renewals_morning_job(day=timezone.localdate())


@pytest.fixture
def one(ladders, agent):
    policy = ending(30, owner=agent, premium=Decimal("12500.00"), whatsapp="+525512345678")
    VehicleFactory(policy=policy)
    morning()
    return {
        "policy": policy,
        "case": RenewalCase.objects.get(policy=policy),
        "item": WorkItem.objects.get(kind=RENEWAL_KIND),
    }


def _post(client, item, **data):
    return client.post(f"/queue/items/{item.pk}/result/", data, **HTMX)


def test_it_shows_client_phone_whatsapp_policy_end_days_left_premium_and_grade(client, agent, one):
    RenewalCase.objects.filter(pk=one["case"].pk).update(grade="B")
    client.force_login(agent)
    html = client.get("/queue/").content.decode()
    policy = one["policy"]
    assert policy.holder.display_name in html
    assert f'href="tel:{policy.holder.phone}"' in html
    assert 'href="https://wa.me/525512345678"' in html
    assert policy.number in html and str(policy.insurer) in html
    assert "30 days" in html
    assert "12,500.00" in html
    assert 'data-testid="item-grade">B<' in html
    assert f"/renewals/{one['case'].pk}/renew/?next=%2Fqueue%2F&amp;item={one['item'].pk}" in html


def test_it_shows_the_previous_results_of_the_case(client, agent, one):
    _post_plain = client.post
    client.force_login(agent)
    _post_plain(f"/queue/items/{one['item'].pk}/result/", {"result": "no_answer"})
    html = client.get("/queue/").content.decode()
    assert 'data-testid="previous-results"' in html and "No answer" in html


def test_the_call_list_runs_a_fixed_number_of_queries(
    client, agent, ladders, django_assert_max_num_queries
):
    for _ in range(3):
        ending(30, owner=agent)
    morning()
    client.force_login(agent)
    with django_assert_max_num_queries(14) as few:
        client.get("/queue/")
    for _ in range(40):
        ending(25, owner=agent)
    morning()
    with django_assert_max_num_queries(len(few)):
        response = client.get("/queue/")
    assert response.content.decode().count('data-testid="call-item"') == 43


def test_no_answer_by_htmx_logs_it_on_the_item_and_the_timeline_and_swaps_the_item(
    client, agent, one
):
    client.force_login(agent)
    response = _post(client, one["item"], result="no_answer")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div class="list-group-item call-item"')
    assert "No answer: logged (attempt 1)." in html
    item = WorkItem.objects.get(pk=one["item"].pk)
    assert item.attempts == 1 and item.status == ItemStatus.OPEN and item.result == "no_answer"
    assert ItemResult.objects.get(item=item).by == agent
    assert Interaction.objects.get(client=one["policy"].holder).result == "No answer"


def test_without_javascript_a_result_comes_back_to_the_list_with_a_message(client, agent, one):
    client.force_login(agent)
    response = client.post(
        f"/queue/items/{one['item'].pk}/result/", {"result": "switched_off"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/queue/"
    assert "Switched off: logged (attempt 1)." in response.content.decode()


def test_three_failed_attempts_send_the_item_to_the_maintainers(client, agent, maintainer, one):
    client.force_login(agent)
    for result in ("no_answer", "switched_off"):
        _post(client, one["item"], result=result)
    response = _post(client, one["item"], result="wrong_number")
    assert 'data-done="1"' in response.content.decode()
    assert "maintainers" in response.content.decode()
    item = WorkItem.objects.get(pk=one["item"].pk)
    assert item.queue == Queue.MAINTAINERS and item.agent is None
    one["policy"].holder.refresh_from_db()
    assert one["policy"].holder.contact_inaccurate
    assert one["item"].title not in client.get("/queue/").content.decode()

    client.force_login(maintainer)
    html = client.get("/queue/maintainers/").content.decode()
    assert one["policy"].holder.display_name in html and "Contact inaccurate" in html
    client.post(f"/queue/maintainers/{item.pk}/close/", {"action": "return"})
    item.refresh_from_db()
    assert item.queue == Queue.AGENT and item.agent == agent and item.attempts == 0
    # Strikes count again from the fix: one more failure does not send it straight back.
    client.force_login(agent)
    _post(client, item, result="no_answer")
    item.refresh_from_db()
    assert item.queue == Queue.AGENT


def test_a_maintainer_closes_an_item_only_with_a_note(client, maintainer, one):
    WorkItem.objects.filter(pk=one["item"].pk).update(queue=Queue.MAINTAINERS, agent=None)
    client.force_login(maintainer)
    response = client.post(
        f"/queue/maintainers/{one['item'].pk}/close/", {"action": "close", "note": ""}, follow=True
    )
    assert "This field is required" in response.content.decode()
    assert WorkItem.objects.get(pk=one["item"].pk).status == ItemStatus.OPEN
    client.post(f"/queue/maintainers/{one['item'].pk}/close/", {"action": "close", "note": "ok"})
    assert WorkItem.objects.get(pk=one["item"].pk).status == ItemStatus.DONE


def test_an_agent_cannot_reach_the_maintainers_queue(client, agent, one):
    client.force_login(agent)
    assert client.get("/queue/maintainers/").status_code == 403
    assert client.post(f"/queue/maintainers/{one['item'].pk}/close/").status_code == 403


def test_a_call_back_in_the_past_is_refused_and_nothing_is_saved(client, agent, one):
    client.force_login(agent)
    past = timezone.localtime() - datetime.timedelta(hours=2)
    response = _post(
        client, one["item"], result="call_back", callback_at=past.strftime("%Y-%m-%dT%H:%M")
    )
    assert "The call-back time must be in the future." in response.content.decode()
    assert not ItemResult.objects.exists() and not Interaction.objects.exists()
    response = _post(client, one["item"], result="call_back", callback_at="not a date")
    assert "Enter a valid date/time." in response.content.decode()
    assert not ItemResult.objects.exists()


def test_a_call_back_moves_the_item_to_that_day(client, agent, one):
    client.force_login(agent)
    when = timezone.localtime() + datetime.timedelta(days=1)
    when = when.replace(hour=9, minute=30, second=0, microsecond=0)
    response = _post(
        client, one["item"], result="call_back", callback_at=when.strftime("%Y-%m-%dT%H:%M")
    )
    assert 'data-done="1"' in response.content.decode()
    item = WorkItem.objects.get(pk=one["item"].pk)
    assert item.callback_at == when and item.due_on == when.date()
    assert item.status == ItemStatus.OPEN


def test_the_call_list_proposes_the_call_back_windows(client, agent, one):
    client.force_login(agent)
    html = client.get("/queue/").content.decode()
    assert html.count('data-testid="callback-choice"') == 3
    assert "T09:30" in html and "T15:30" in html


def test_a_result_on_someone_elses_item_is_404(client, one):
    other = UserFactory(roles=["agent"])
    client.force_login(other)
    assert _post(client, one["item"], result="no_answer").status_code == 404
    assert client.get(f"/renewals/{one['case'].pk}/renew/").status_code == 404
    assert client.get(f"/renewals/{one['case'].pk}/elsewhere/").status_code == 404
    assert not ItemResult.objects.exists()


def test_a_result_on_a_closed_item_is_refused(client, agent, one):
    WorkItem.objects.filter(pk=one["item"].pk).update(status=ItemStatus.DONE)
    client.force_login(agent)
    response = _post(client, one["item"], result="no_answer")
    assert "This item is already closed." in response.content.decode()
    assert not ItemResult.objects.exists()


def test_an_unknown_result_is_refused(client, agent, one):
    client.force_login(agent)
    response = _post(client, one["item"], result="bribed")
    assert "“bribed” is not a result of this kind of work." in response.content.decode()
    assert not ItemResult.objects.exists()


def test_renewed_posted_by_hand_is_refused_and_the_case_stays_open(client, agent, one):
    """A renewal is won on the renew form, with its new policy; a bare "renewed" post would
    close the touch while the case stays open."""
    client.force_login(agent)
    response = _post(client, one["item"], result="renewed")
    assert "is recorded on its own page" in response.content.decode()
    one["item"].refresh_from_db()
    assert one["item"].status == ItemStatus.OPEN and not ItemResult.objects.exists()
    assert RenewalCase.objects.get(pk=one["item"].subject_id).status == CaseStatus.OPEN


def test_interested_opens_the_renewal_quotation_at_last_years_premium(client, agent, one):
    client.force_login(agent)
    response = _post(client, one["item"], result="interested")
    quotation = Quotation.objects.get(client=one["policy"].holder)
    assert response["HX-Redirect"] == f"/quotations/{quotation.pk}/"
    quote = quotation.quotes.get()
    assert quote.insurer == one["policy"].insurer and quote.premium == Decimal("12500.00")


def test_declined_and_vehicle_sold_close_the_case_as_lost(client, agent, ladders):
    declined, sold = ending(30, owner=agent), ending(30, owner=agent)
    morning()
    client.force_login(agent)
    for policy, result in ((declined, "declined"), (sold, "vehicle_sold")):
        item = WorkItem.objects.get(subject_id=policy.renewal_case.pk)
        response = _post(client, item, result=result)
        assert 'data-done="1"' in response.content.decode()
    assert RenewalCase.objects.get(policy=declined).outcome_reason == LostReason.DECLINED
    assert RenewalCase.objects.get(policy=sold).outcome_reason == LostReason.VEHICLE_SOLD
    assert set(RenewalCase.objects.values_list("status", flat=True)) == {CaseStatus.LOST}


def test_renewed_opens_a_prefilled_form_and_creates_the_linked_policy(client, agent, one):
    client.force_login(agent)
    url = f"/renewals/{one['case'].pk}/renew/?item={one['item'].pk}&next=/queue/"
    form = client.get(url).context["form"]
    old = one["policy"]
    assert form.initial["insurer"] == old.insurer and form.initial["premium"] == old.premium
    assert form.initial["start_date"] == old.end_date
    data = {
        "insurer": old.insurer.pk, "number": "NEW-0001", "line": old.line,
        "coverage": old.coverage, "premium": "13100.00", "currency": old.currency,
        "payment_frequency": old.payment_frequency, "start_date": old.end_date.isoformat(),
        "end_date": (old.end_date + datetime.timedelta(days=365)).isoformat(),
        "item": one["item"].pk, "next": "/queue/",
    }  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == "/queue/"
    new = Policy.objects.get(number="NEW-0001")
    case = RenewalCase.objects.get(pk=one["case"].pk)
    assert new.previous_policy == old and case.status == CaseStatus.WON and case.new_policy == new
    assert new.vehicles.count() == 1
    assert WorkItem.objects.get(pk=one["item"].pk).status == ItemStatus.DONE
    award = PointsAward.objects.get()
    # 10 base + 1 per 1,000 of premium.
    assert award.agent == agent and award.points == Decimal("23.10")
    html = client.get("/queue/").content.decode()
    assert 'data-testid="points-today">23.10<' in html


def test_a_renewal_ending_before_it_starts_is_refused_and_nothing_saved(client, agent, one):
    client.force_login(agent)
    old = one["policy"]
    response = client.post(
        f"/renewals/{one['case'].pk}/renew/",
        {
            "insurer": old.insurer.pk, "number": "NEW-0002", "line": old.line,
            "coverage": old.coverage, "premium": "100", "currency": old.currency,
            "payment_frequency": old.payment_frequency,
            "start_date": old.end_date.isoformat(),
            "end_date": (old.end_date - datetime.timedelta(days=1)).isoformat(),
        },
    )  # fmt: skip
    assert response.status_code == 200
    assert "The end date must be after the start date." in response.content.decode()
    assert not Policy.objects.filter(number="NEW-0002").exists()
    assert RenewalCase.objects.get(pk=one["case"].pk).status == CaseStatus.OPEN
    assert not PointsAward.objects.exists()


def test_renewed_elsewhere_asks_which_insurer_and_why(client, agent, one):
    rival = InsurerFactory(name="Rival Seguros")
    client.force_login(agent)
    url = f"/renewals/{one['case'].pk}/elsewhere/?item={one['item'].pk}&next=/queue/"
    response = client.post(url, {"lost_to": "", "lost_why": ""})
    assert "This field is required" in response.content.decode()
    assert RenewalCase.objects.get(pk=one["case"].pk).status == CaseStatus.OPEN
    response = client.post(
        url, {"lost_to": rival.pk, "lost_why": CompetitorWhy.PRICE, "note": "-15 %"}
    )
    assert response["Location"] == "/queue/"
    case = RenewalCase.objects.get(pk=one["case"].pk)
    assert case.status == CaseStatus.LOST and case.lost_to == rival
    assert case.outcome_reason == LostReason.RENEWED_ELSEWHERE and case.lost_why == "price"
    item = WorkItem.objects.get(pk=one["item"].pk)
    assert item.status == ItemStatus.DONE and item.result == "renewed_elsewhere"
    # A second try on the closed case says so and changes nothing.
    response = client.post(url, {"lost_to": rival.pk, "lost_why": "service"}, follow=True)
    assert "already closed" in response.content.decode()
    assert RenewalCase.objects.get(pk=one["case"].pk).lost_why == "price"


def test_the_leaderboard_ranks_the_team_by_points_this_month(client, ladders):
    team = Team.objects.create(name="Norte")
    ana, bea = UserFactory(roles=["agent"], team=team), UserFactory(roles=["agent"], team=team)
    outsider = UserFactory(roles=["agent"])
    for who, points, days_ago in (
        (ana, "5", 0),
        (bea, "30", 3),
        (bea, "1", 0),
        (outsider, "99", 0),
    ):
        award = PointsAward.objects.create(
            agent=who, kind="x", subject_id=PointsAward.objects.count() + 1, points=points,
            reason="test",
        )  # fmt: skip
        PointsAward.objects.filter(pk=award.pk).update(
            awarded_at=timezone.now() - datetime.timedelta(days=days_ago)
        )
    client.force_login(ana)
    board = client.get("/queue/").context["leaderboard"]
    now = timezone.localdate()
    bea_month = Decimal("31") if now.day > 3 else Decimal("1")
    assert [(row["name"], row["today"], row["month"]) for row in board] == sorted(
        [
            (ana.get_full_name(), Decimal("5"), Decimal("5")),
            (bea.get_full_name(), Decimal("1"), bea_month),
        ],
        key=lambda r: -r[2],
    )


def test_a_lapsed_case_cannot_be_sent_to_the_call_lists_only_closed(client, maintainer, one):
    lapsed = WorkItem.objects.create(
        kind="renewal_lapsed", subject_id=one["case"].pk, key="lapsed", title="Lapsed",
        queue=Queue.MAINTAINERS, due_on=timezone.localdate(),
    )  # fmt: skip
    client.force_login(maintainer)
    response = client.post(
        f"/queue/maintainers/{lapsed.pk}/close/", {"action": "return"}, follow=True
    )
    assert "close it with a note" in response.content.decode()
    lapsed.refresh_from_db()
    assert lapsed.queue == Queue.MAINTAINERS and lapsed.status == ItemStatus.OPEN
