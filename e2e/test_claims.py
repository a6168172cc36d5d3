"""The 10-minute contact in the browser (issue 16, "Done when"): a maintainer reports a claim
through the report form (the policy searched, the form filled in); the policy's agent, signed in
on another browser, has it first on the call list, above the morning's renewal and payment
calls, with the 10-minute countdown running; the agent logs "Client contacted" from the card;
the manager's claims view shows the claims contacted within 10 minutes at 100 %. Then the
agent's card in Spanish and in Chinese. Screenshots go to /tmp/shots/claims_*.png (and
e2e/artifacts/) for a person to read."""

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone, translation
from django.utils.formats import time_format
from playwright.sync_api import expect

from billing.jobs import collections_morning_job
from billing.ladder import collection_ladder_default
from billing.services import instalments_plan
from brokerage.accounts.tests.factories import PASSWORD, TeamFactory, UserFactory
from claims.kind import CLAIM_KIND
from claims.models import Claim, ClaimStatus
from claims.tests.factories import report
from clients.tests.factories import ClientFactory
from policies.models import PaymentFrequency
from policies.tests.factories import InsurerFactory, PolicyFactory
from renewals.jobs import renewals_morning_job
from renewals.ladders import DEFAULT_RUNGS, validate_rungs
from renewals.models import Ladder
from workqueue.models import ItemStatus, WorkItem

from .conftest import ARTIFACTS

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path("/tmp/shots")  # noqa: S108 - where the reviewers look at them
LOCALES = {"en": "en-US", "es": "es-MX", "zh-hans": "zh-CN"}


def _shot(page, name, **kwargs):
    for folder in (SHOTS, ARTIFACTS):
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"claims_{name}.png"), **kwargs)


def _signed_in(browser, live_server, user, language="en"):
    """A browser of its own for ``user``, signed in (the login form's fields by name: its labels
    are in the browser's language)."""
    context = browser.new_context(
        base_url=live_server.url, locale=LOCALES[language], viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(user.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_test_id("user-menu")).to_be_visible()
    return context, page


@pytest.fixture
def book():
    """Lucía's book: a renewal due in 30 days, a policy whose first instalment falls due today
    (both on this morning's call list) and Ana Ruiz's car policy, the one the claim is for."""
    Ladder.objects.update_or_create(
        code="design-card",
        defaults={"name": "30/25/15", "rungs": validate_rungs(DEFAULT_RUNGS), "is_default": True},
    )
    collection_ladder_default()
    manager = UserFactory(username="marta", first_name="Marta", last_name="Ríos", roles=["manager"])
    team = TeamFactory(name="Norte", manager=manager)
    agent = UserFactory(
        username="lucia", first_name="Lucía", last_name="Pérez", roles=["agent"], team=team
    )
    maintainer = UserFactory(
        username="mario", first_name="Mario", last_name="Gómez", roles=["maintainer"]
    )
    insurer = InsurerFactory(name="GNP Seguros", code="gnp")
    today = timezone.localdate()
    renewing = PolicyFactory(
        holder=ClientFactory(owner=agent, first_name="Bruno", last_name="Soto"), agent=agent,
        insurer=insurer, number="GNP-RENUEVA", premium=Decimal("9000.00"),
        start_date=today - datetime.timedelta(days=335),
        end_date=today + datetime.timedelta(days=30),
    )  # fmt: skip
    paying = PolicyFactory(
        holder=ClientFactory(owner=agent, first_name="Carla", last_name="Vega"), agent=agent,
        insurer=insurer, number="GNP-PAGO", premium=Decimal("12000.00"),
        payment_frequency=PaymentFrequency.QUARTERLY,
        start_date=today, end_date=today + datetime.timedelta(days=365),
    )  # fmt: skip
    instalments_plan(paying)
    renewals_morning_job(day=today)
    collections_morning_job(day=today)
    claimed = PolicyFactory(
        holder=ClientFactory(owner=agent, first_name="Ana", last_name="Ruiz"), agent=agent,
        insurer=insurer, number="GNP-AUTO-77", premium=Decimal("15000.00"),
        start_date=today - datetime.timedelta(days=100),
        end_date=today + datetime.timedelta(days=265),
    )  # fmt: skip
    others = WorkItem.objects.filter(agent=agent, status=ItemStatus.OPEN)
    assert {"renewal", "payment_due"} <= set(others.values_list("kind", flat=True))
    return {
        "manager": manager, "agent": agent, "maintainer": maintainer, "policy": claimed,
        "others": list(others.values_list("pk", flat=True)), "renewing": renewing,
    }  # fmt: skip


def test_a_reported_claim_is_first_on_the_agents_list_contacted_in_time_and_counted(
    browser, live_server, book
):
    agent, manager, policy = book["agent"], book["manager"], book["policy"]

    # 1. The maintainer on duty reports the claim: the policy searched, the form filled in.
    context, page = _signed_in(browser, live_server, book["maintainer"])
    page.goto("/claims/report/")
    page.get_by_test_id("policy-search").locator("input[name=q]").fill("Ana Ruiz")
    page.get_by_test_id("policy-search").get_by_role("button").click()
    match = page.get_by_test_id("policy-match")
    expect(match).to_have_count(1)
    expect(match).to_contain_text("GNP-AUTO-77")
    match.click()
    expect(page.get_by_test_id("report-policy")).to_contain_text("Ana Ruiz")
    form = page.get_by_test_id("claim-form")
    # Fields by name (crispy adds a star to the required ones' labels).
    form.locator("[name=place]").fill("Periférico Sur y Viaducto, CDMX")
    form.locator("select[name=kind]").select_option("collision")
    form.locator("[name=description]").fill("Choque lateral al cambiar de carril.")
    expect(form.locator("[name=reporter_name]")).to_have_value("Ana Ruiz")  # the holder
    form.locator("[name=reporter_phone]").fill("+525512345678")
    _shot(page, "1_report_form", full_page=True)
    reported_before = timezone.now().replace(microsecond=0)
    page.get_by_test_id("claim-submit").click()
    expect(page.locator(".alert-success").first).to_contain_text(
        "Lucía Pérez has it first on their call list"
    )
    claim = Claim.objects.get(policy=policy)
    assert claim.reported_by == book["maintainer"] and claim.agent == agent
    assert claim.reported_at >= reported_before and claim.reported_at.microsecond == 0
    context.close()

    # 2. Lucía's call list: the claim first, above the renewal and the payment call, with the
    # ten minutes counting down.
    context, page = _signed_in(browser, live_server, agent)
    page.goto("/queue/")
    cards = page.get_by_test_id("call-item")
    expect(cards).to_have_count(1 + len(book["others"]))
    first = cards.first
    expect(first).to_have_attribute("data-kind", "claim_contact")
    expect(first.get_by_test_id("item-claim")).to_have_text(f"Claim {claim.reference}")
    expect(first).to_contain_text("Ana Ruiz")
    expect(first.get_by_test_id("item-claim-kind")).to_contain_text("Collision")
    item = WorkItem.objects.get(kind=CLAIM_KIND, subject_id=claim.pk)
    order = [cards.nth(i).get_attribute("id") for i in range(cards.count())]
    assert order[0] == f"item-{item.pk}"
    assert set(order[1:]) == {f"item-{pk}" for pk in book["others"]}  # the renewal, the payment
    below = " ".join(cards.nth(i).inner_text() for i in range(1, cards.count()))
    assert "GNP-RENUEVA" in below and "GNP-PAGO" in below
    countdown = first.get_by_test_id("claim-countdown")
    expect(countdown).to_be_visible()
    expect(countdown).to_contain_text("Contact within")
    expect(countdown.locator("[data-clock]")).to_have_text(re.compile(r"^(9|10):[0-5]\d$"))
    clock = countdown.locator("[data-clock]").inner_text()
    page.wait_for_timeout(1_200)
    assert countdown.locator("[data-clock]").inner_text() != clock  # it ticks
    expect(countdown.locator("[data-late]")).to_be_hidden()
    _shot(page, "2_call_list_en", full_page=True)
    first.screenshot(path=str(SHOTS / "claims_2_card_en.png"))

    # 3. Lucía reaches Ana and logs it from the card.
    first.get_by_role("button", name="Client contacted").click()
    done = page.locator(f"#item-{item.pk}[data-done]")
    expect(done.get_by_role("status")).to_have_text("Client contacted: done.")
    _shot(page, "3_contacted_en", full_page=True)
    claim.refresh_from_db()
    assert claim.first_contact_by == agent and claim.status == ClaimStatus.FIRST_CONTACT
    assert claim.contacted_in_time is True
    assert claim.time_to_first_contact < datetime.timedelta(minutes=10)
    item.refresh_from_db()
    assert (item.status, item.result) == (ItemStatus.DONE, "contacted")
    page.reload()
    expect(page.get_by_test_id("call-item")).to_have_count(len(book["others"]))
    context.close()

    # 4. Marta, the team's manager, reads the claims view: 1 reported, 1 in 10 minutes, 100 %.
    context, page = _signed_in(browser, live_server, manager)
    page.goto("/reports/claims/")
    filters = page.get_by_test_id("report-filters")
    filters.locator("select[name=by]").select_option("agent")
    filters.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"by=agent"))
    section = page.get_by_test_id("report-claims-contact")
    expect(section.locator("h2")).to_have_text("First contact within 10 minutes")
    headers = [h.strip() for h in section.locator("thead tr").first.locator("th").all_inner_texts()]
    share = headers.index("Share in 10 min")
    in_time = headers.index("Contacted in 10 min")
    row = section.get_by_test_id("report-row").filter(has_text="Lucía Pérez")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(share)).to_have_text("100.0 %")
    expect(row.locator("td").nth(in_time)).to_have_text("1")
    totals = section.get_by_test_id("report-totals").locator("td")
    expect(totals.nth(share)).to_have_text("100.0 %")
    expect(totals.nth(headers.index("Reported"))).to_have_text("1")
    expect(totals.nth(headers.index("Escalated"))).to_have_text("0")
    _shot(page, "4_manager_view_en", full_page=True)
    context.close()


# The agent's card in the agent's language: each phrase as the card says it, in context.
CARD_WORDS = {
    "es": {
        "claim": "Siniestro {ref}", "countdown": "Contactar en", "kind": "Colisión",
        "labels": ["Qué ocurrió", "Reportado por"], "contacted": "Cliente contactado",
        "no_answer": "No contesta",
    },
    "zh-hans": {
        "claim": "理赔案件 {ref}", "countdown": "剩余联系时间", "kind": "碰撞",
        "labels": ["出险情况", "报案人"], "contacted": "已联系客户", "no_answer": "无人接听",
    },
}  # fmt: skip


@pytest.mark.parametrize("language", ["es", "zh-hans"])
def test_the_claim_card_reads_in_the_agents_language(browser, live_server, book, language):
    agent = book["agent"]
    agent.language = language
    agent.save(update_fields=["language"])
    claim = report(policy=book["policy"], by=book["maintainer"])
    words = CARD_WORDS[language]
    context, page = _signed_in(browser, live_server, agent, language)
    page.goto("/queue/")
    first = page.get_by_test_id("call-item").first
    expect(first).to_have_attribute("data-kind", "claim_contact")
    expect(first.get_by_test_id("item-claim")).to_have_text(
        words["claim"].format(ref=claim.reference)
    )
    countdown = first.get_by_test_id("claim-countdown")
    expect(countdown.locator("[data-left]")).to_have_text(words["countdown"])
    expect(countdown.locator("[data-clock]")).to_have_text(re.compile(r"^(9|10):[0-5]\d$"))
    expect(first.get_by_test_id("item-claim-kind")).to_contain_text(words["kind"])
    for label in words["labels"]:
        expect(first.locator("dt", has_text=label)).to_have_count(1)
    expect(first.get_by_role("button", name=words["contacted"])).to_be_visible()
    expect(first.get_by_role("button", name=words["no_answer"])).to_be_visible()
    text = first.inner_text()
    for english in ("Claim ", "Contact within", "What happened", "Reported by", "Collision"):
        assert english not in text, (language, english)
    _shot(page, f"5_call_list_{language}", full_page=True)
    first.screenshot(path=str(SHOTS / f"claims_5_card_{language}.png"))
    item = WorkItem.objects.get(kind=CLAIM_KIND, subject_id=claim.pk)
    first.get_by_role("button", name=words["contacted"]).click()
    done = page.locator(f"#item-{item.pk}[data-done]")
    expect(done.get_by_role("status")).to_contain_text(words["contacted"])
    expect(done).to_contain_text(words["claim"].format(ref=claim.reference))  # its title
    _shot(page, f"6_contacted_{language}", full_page=True)
    claim.refresh_from_db()
    assert claim.first_contact_by == agent and claim.contacted_in_time is True
    context.close()


def test_a_late_claim_and_a_booked_follow_up_on_the_call_list(browser, live_server, book):
    """A claim past its 10 minutes says how late it is, in red; a follow-up booked for later
    today shows the time agreed. Both read by a person from the screenshot."""
    from claims import services

    agent, now = book["agent"], timezone.now()
    if timezone.localtime(now + datetime.timedelta(minutes=5)).date() != timezone.localdate(now):
        pytest.skip("the follow-up booked 5 minutes ahead would fall on tomorrow's list")
    late = report(policy=book["policy"], by=book["maintainer"])
    Claim.objects.filter(pk=late.pk).update(
        reported_at=now - datetime.timedelta(minutes=12),
        contact_due_at=now - datetime.timedelta(minutes=2),
    )
    followed = report(policy=book["renewing"], by=agent)
    services.claim_record_contact(claim=followed, by=agent)
    services.claim_follow_up_record(
        claim=followed, by=agent,
        data={"cause_and_liability": "Alcance; el tercero es responsable", "damage": "Defensa",
              "repair_wish": "Taller de la agencia",
              "next_at": now + datetime.timedelta(minutes=5)},
    )  # fmt: skip
    context, page = _signed_in(browser, live_server, agent)
    page.goto("/queue/")
    cards = page.get_by_test_id("call-item")
    late_card = cards.first
    expect(late_card).to_have_attribute("data-kind", "claim_contact")
    countdown = late_card.get_by_test_id("claim-countdown")
    expect(countdown.locator("[data-late]")).to_have_text("Contact late by")
    expect(countdown.locator("[data-left]")).to_be_hidden()
    expect(countdown).to_have_class(re.compile(r"text-bg-danger"))
    expect(countdown.locator("[data-clock]")).to_have_text(re.compile(r"^[23]:[0-5]\d$"))
    follow_up = page.locator("[data-testid=call-item][data-kind=claim_follow_up]")
    expect(follow_up).to_have_count(1)
    # The time as the badge writes it too: the agent's language's format ("4:30 p.m.").
    with translation.override(agent.language):
        agreed = time_format(timezone.localtime(now + datetime.timedelta(minutes=5)))
    expect(follow_up).to_contain_text(f"second follow-up with Bruno Soto at {agreed}")
    # The time agreed, once, as the call list shows a call-back's time (red once it has come).
    expect(follow_up.get_by_test_id("callback-time")).to_have_count(1)
    expect(follow_up.get_by_test_id("callback-time")).to_contain_text(f"Call back at {agreed}")
    _shot(page, "7_late_and_follow_up_en", full_page=True)
    context.close()
