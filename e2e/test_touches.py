"""Service touches in the browser: the morning run puts a thank-you, a plate endorsement and a
return visit on the agent's call list; the agent thanks the client with one click, records the
new car's plate on its page and does the return visit with its coded answers, correcting the
client's phone on the way."""

import datetime
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from brokerage.accounts.tests.factories import PASSWORD, UserFactory
from clients.tests.factories import ClientFactory
from policies.tests.factories import InsurerFactory, PolicyFactory, VehicleFactory
from touches.jobs import touches_morning_job
from touches.models import Touch, TouchKind
from touches.services import touch_settings_default
from workqueue.models import ItemStatus, WorkItem

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path("/tmp/shots")  # noqa: S108 - where the review looks at them


def _sign_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _book():
    touch_settings_default()  # a transactional test before may have flushed the table
    agent = UserFactory(username="lucia", first_name="Lucía", last_name="Pérez",
                        roles=["agent"])  # fmt: skip
    insurer = InsurerFactory(name="GNP Seguros", code="gnp")
    today = timezone.localdate()

    def sold(first, last, days_ago, number, **client):
        start = today - datetime.timedelta(days=days_ago)
        return PolicyFactory(
            holder=ClientFactory(owner=agent, first_name=first, last_name=last, **client),
            insurer=insurer, number=number, start_date=start, written_on=start,
            end_date=start + datetime.timedelta(days=365),
        )  # fmt: skip

    thanks = sold("Ana", "Ruiz", 3, "GNP-1", occupation="Dentista", hobbies="Golf")
    plate = sold("Bruno", "Soto", 15, "GNP-2")
    car = VehicleFactory(policy=plate, make="Nissan", model="Kicks", plate="")
    visit = sold("Carla", "Vega", 7, "GNP-3", email="carla@example.com")
    touches_morning_job(
        day=today, kinds=[TouchKind.THANK_YOU, TouchKind.PLATE, TouchKind.RETURN_VISIT]
    )
    items = {
        Touch.objects.get(pk=i.subject_id).policy_id: i
        for i in WorkItem.objects.filter(agent=agent, kind__in=TouchKind.values)
    }
    return agent, car, {
        "thanks": next(i for i in items.values() if i.kind == TouchKind.THANK_YOU
                       and Touch.objects.get(pk=i.subject_id).policy_id == thanks.pk),
        "plate": items[plate.pk],
        "visit": next(i for i in items.values() if i.kind == TouchKind.RETURN_VISIT
                      and Touch.objects.get(pk=i.subject_id).policy_id == visit.pk),
    }  # fmt: skip


def test_an_agent_works_a_thank_you_a_plate_endorsement_and_a_return_visit(page):
    agent, car, items = _book()
    SHOTS.mkdir(exist_ok=True)
    _sign_in(page, agent.username)
    expect(page).to_have_url(re.compile(r"/queue/$"))
    page.set_viewport_size({"width": 1280, "height": 1400})

    thanks = page.locator(f"#item-{items['thanks'].pk}")
    expect(thanks.get_by_test_id("touch-kind")).to_have_text("Thank-you for a new policy")
    expect(thanks.get_by_test_id("touch-profile")).to_have_text("Dentista · Golf")
    plate = page.locator(f"#item-{items['plate'].pk}")
    expect(plate.get_by_test_id("touch-vehicle")).to_contain_text("Nissan Kicks")
    page.screenshot(path=str(SHOTS / "touches_call_list.png"), full_page=True)

    # The thank-you: one click, the card says it is done.
    thanks.locator('button[data-result="thanked"]').click()
    expect(page.get_by_text("Thanked: done.")).to_be_visible()
    assert WorkItem.objects.get(pk=items["thanks"].pk).status == ItemStatus.DONE

    # The plate: its own page; a plate that is not one is refused, then the right one.
    page.locator(f"#item-{items['plate'].pk} a[data-result='plate_recorded']").click()
    expect(page.get_by_role("heading", name="Plate endorsement")).to_be_visible()
    page.locator("#id_plate").fill("12")
    page.get_by_test_id("plate-submit").click()
    expect(page.get_by_text("A plate has 5 to 10 letters and digits.")).to_be_visible()
    page.locator("#id_plate").fill("nxa-123-b")
    page.screenshot(path=str(SHOTS / "touches_plate.png"), full_page=True)
    page.get_by_test_id("plate-submit").click()
    expect(page).to_have_url(re.compile(r"/queue/$"))
    expect(page.get_by_text("Plate recorded for Bruno Soto.")).to_be_visible()
    car.refresh_from_db()
    assert car.plate == "NXA123B"
    assert car.history.order_by("-history_date").first().history_user_id == agent.pk

    # The return visit: documents received, satisfaction, a new phone.
    page.locator(f"#item-{items['visit'].pk} a[data-result='visited']").click()
    expect(page.get_by_role("heading", name="Return visit")).to_be_visible()
    page.get_by_label("Yes").check()
    page.get_by_label("4 — Satisfied").check()
    page.locator("#id_phone").fill("+52 55 1234 9876")
    page.get_by_label("Suggestions and remarks").fill("Prefiere WhatsApp")
    page.screenshot(path=str(SHOTS / "touches_visit.png"), full_page=True)
    page.get_by_test_id("visit-submit").click()
    expect(page.get_by_text("Return visit recorded for Carla Vega.")).to_be_visible()
    touch = Touch.objects.select_related("client").get(pk=items["visit"].subject_id)
    assert (touch.satisfaction, touch.documents_received, touch.contact_corrected) == (
        4, True, True,
    )  # fmt: skip
    assert touch.client.phone.as_e164 == "+525512349876"
    # Only the return visit's client's thank-you (caught up) is left on the list.
    expect(page.locator(f"#item-{items['thanks'].pk}")).to_have_count(0)
    expect(page.locator(f"#item-{items['plate'].pk}")).to_have_count(0)
    expect(page.locator(f"#item-{items['visit'].pk}")).to_have_count(0)
    page.screenshot(path=str(SHOTS / "touches_after.png"), full_page=True)


def test_a_maintainer_sends_thank_yous_by_message_from_the_touches_page(page):
    touch_settings_default()
    maintainer = UserFactory(username="irene", roles=["maintainer"])
    _sign_in(page, maintainer.username)
    page.set_viewport_size({"width": 1280, "height": 1100})
    page.goto("/touches/settings/")
    row = page.locator('tr[data-kind="thank_you"]')
    row.locator("select").select_option("message")
    page.locator('tr[data-kind="licence_due"] input[type="number"]').first.fill("400")
    page.get_by_test_id("touches-save").click()
    expect(page.locator('tr[data-kind="licence_due"]')).to_contain_text("less than or equal to 365")
    page.screenshot(path=str(SHOTS / "touches_settings_error.png"), full_page=True)
    page.locator('tr[data-kind="licence_due"] input[type="number"]').first.fill("30")
    page.get_by_test_id("touches-save").click()
    expect(page.get_by_text("Service touches saved.")).to_be_visible()
    page.screenshot(path=str(SHOTS / "touches_settings.png"), full_page=True)
    from touches.models import TouchSetting

    saved = {s.kind: s for s in TouchSetting.objects.all()}
    assert saved["thank_you"].mode == "message" and saved["licence_due"].days == 30
