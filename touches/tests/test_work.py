"""Working touches from the call list (touches.kind, touches.work, touches.views): the card,
one-click results, the plate endorsement page (plate on the vehicle with history, endorsement
date) and the return visit page (coded answers, contact correction with history); access."""

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from brokerage.accounts.tests.factories import UserFactory
from clients.models import Client, Interaction
from clients.tests.factories import ClientFactory
from touches.jobs import touches_morning_job
from touches.models import Touch, TouchKind, TouchSetting
from workqueue.models import ItemResult, ItemStatus, Queue, WorkItem

from .factories import sold_policy, vehicle_of

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


def days(n):
    return today() + datetime.timedelta(days=n)


@pytest.fixture
def agent():
    return UserFactory(roles=["agent"])


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def touch_item(agent, kind, **client_fields):
    """A touch of ``kind`` on ``agent``'s call list today, made by the morning run."""
    TouchSetting.objects.exclude(kind=kind).update(enabled=False)
    client = ClientFactory(owner=agent, **client_fields)
    if kind == TouchKind.THANK_YOU:
        sold_policy(days(-3), client=client)
    elif kind == TouchKind.RETURN_VISIT:
        sold_policy(days(-7), client=client)
    elif kind == TouchKind.PLATE:
        vehicle_of(sold_policy(days(-15), client=client), plate="")
    elif kind == TouchKind.INSPECTION:
        vehicle_of(sold_policy(days(-60), client=client), inspection_due=days(15))
    touches_morning_job(day=today())
    TouchSetting.objects.update(enabled=True)
    return WorkItem.objects.filter(kind=kind, agent=agent).latest("pk")


def post_result(client, item, result, **data):
    return client.post(
        reverse("workqueue:result", args=[item.pk]),
        {"result": result, "token": str(uuid.uuid4()), **data},
    )


def test_the_call_list_shows_each_touch_with_its_card_and_results(signed_in, agent):
    thanks = touch_item(agent, TouchKind.THANK_YOU, occupation="Dentist", hobbies="Golf",
                        contact_from=datetime.time(9), contact_to=datetime.time(13))  # fmt: skip
    plate = touch_item(agent, TouchKind.PLATE)
    visit = touch_item(agent, TouchKind.RETURN_VISIT)
    page = signed_in.get(reverse("workqueue:queue")).content.decode()
    for item in (thanks, plate, visit):
        assert f'id="item-{item.pk}"' in page and f'data-kind="{item.kind}"' in page
    assert 'data-result="thanked"' in page and 'data-result="no_answer"' in page
    assert reverse("touches:item_plate", args=[plate.pk]) in page
    assert reverse("touches:item_visit", args=[visit.pk]) in page
    assert "Dentist · Golf" in page and "09:00–13:00" in page


def test_thanked_closes_the_item_and_the_touch_and_goes_on_the_timeline(signed_in, agent):
    item = touch_item(agent, TouchKind.THANK_YOU)
    response = post_result(signed_in, item, "thanked", note="Very kind")
    assert response.status_code == 302
    item.refresh_from_db()
    touch = Touch.objects.get(pk=item.subject_id)
    assert (item.status, touch.result, touch.done_by_id, touch.note) == (
        ItemStatus.DONE, "thanked", agent.pk, "Very kind",
    )  # fmt: skip
    entry = Interaction.objects.get(client=touch.client, message="touches.result")
    assert entry.text == "Thank-you for a new policy: Thanked. Very kind"


def test_three_failed_attempts_send_the_touch_to_the_maintainers(signed_in, agent):
    item = touch_item(agent, TouchKind.INSPECTION)
    for result in ("no_answer", "switched_off", "no_answer"):
        post_result(signed_in, item, result)
    item.refresh_from_db()
    assert (item.queue, item.agent_id) == (Queue.MAINTAINERS, None)
    client = Client.objects.get(touches__pk=item.subject_id)
    assert client.contact_inaccurate
    signed_in.force_login(UserFactory(roles=["maintainer"]))
    page = signed_in.get(reverse("workqueue:maintainers")).content.decode()
    assert f'id="item-{item.pk}"' in page and "Vehicle inspection reminder" in page
    assert client.display_name in page


def test_a_plate_is_recorded_on_the_vehicle_with_history_and_its_endorsement_date(signed_in, agent):
    item = touch_item(agent, TouchKind.PLATE)
    touch = Touch.objects.get(pk=item.subject_id)
    url = reverse("touches:item_plate", args=[item.pk])
    page = signed_in.get(url)
    assert touch.vehicle.vin in page.content.decode()
    # A one-click post of a result that has its page is refused.
    post_result(signed_in, item, "plate_recorded")
    assert WorkItem.objects.get(pk=item.pk).status == ItemStatus.OPEN
    token = str(uuid.uuid4())
    bad = signed_in.post(url, {"plate": "12", "endorsed_on": days(1).isoformat(), "token": token})
    assert bad.status_code == 200
    errors = bad.context["form"].errors
    assert "plate" in errors and "endorsed_on" in errors
    ok = signed_in.post(
        url, {"plate": "jal-12 34a", "endorsed_on": days(-1).isoformat(), "token": token}
    )
    assert ok.status_code == 302
    touch.refresh_from_db()
    vehicle = touch.vehicle
    vehicle.refresh_from_db()
    assert (vehicle.plate, touch.plate, touch.endorsed_on, touch.result) == (
        "JAL1234A", "JAL1234A", days(-1), "plate_recorded",
    )  # fmt: skip
    last = vehicle.history.order_by("-history_date").first()
    assert (last.plate, last.history_user_id) == ("JAL1234A", agent.pk)
    assert last.prev_record.plate == ""
    assert WorkItem.objects.get(pk=item.pk).status == ItemStatus.DONE
    # The same form posted again records nothing more.
    signed_in.post(url, {"plate": "OTHER99", "endorsed_on": days(-1).isoformat(), "token": token})
    assert ItemResult.objects.filter(item=item).count() == 1


def test_a_return_visit_records_its_codes_and_corrects_the_contact_with_history(signed_in, agent):
    item = touch_item(agent, TouchKind.RETURN_VISIT, email="old@example.com",
                      contact_inaccurate=False)  # fmt: skip
    touch = Touch.objects.get(pk=item.subject_id)
    old_phone = touch.client.phone.as_e164
    url = reverse("touches:item_visit", args=[item.pk])
    form = signed_in.get(url).context["form"]
    assert form["email"].value() == "old@example.com"
    data = {
        "documents_received": "yes", "phone": "+52 55 9876 5432", "email": "new@example.com",
        "address": touch.client.address, "note": "Wants e-mail", "token": str(uuid.uuid4()),
    }  # fmt: skip
    missing = signed_in.post(url, data)
    assert "satisfaction" in missing.context["form"].errors
    response = signed_in.post(url, {**data, "satisfaction": "4"})
    assert response.status_code == 302
    touch.refresh_from_db()
    client = touch.client
    client.refresh_from_db()
    assert (touch.satisfaction, touch.documents_received) == (4, True)
    assert touch.contact_corrected
    assert (client.phone.as_e164, client.email) == ("+525598765432", "new@example.com")
    history = client.history.order_by("-history_date")
    assert (history[0].email, history[0].history_user_id) == ("new@example.com", agent.pk)
    assert history[1].email == "old@example.com" and history[1].phone.as_e164 == old_phone
    assert Interaction.objects.filter(client=client, message="touches.contact_corrected").exists()
    page = signed_in.get(reverse("clients:detail", args=[client.pk])).content.decode()
    assert 'data-testid="client-touches"' in page and "satisfaction 4/5" in page
    assert "Return visit done" in page


def test_a_wrong_phone_on_the_return_visit_is_a_field_error(signed_in, agent):
    item = touch_item(agent, TouchKind.RETURN_VISIT)
    url = reverse("touches:item_visit", args=[item.pk])
    response = signed_in.post(url, {"documents_received": "no", "satisfaction": "2",
                                    "phone": "12", "token": str(uuid.uuid4())})  # fmt: skip
    assert response.status_code == 200 and "phone" in response.context["form"].errors
    assert WorkItem.objects.get(pk=item.pk).status == ItemStatus.OPEN


def test_another_agents_touch_pages_answer_404(client, agent):
    plate = touch_item(agent, TouchKind.PLATE)
    visit = touch_item(agent, TouchKind.RETURN_VISIT)
    client.force_login(UserFactory(roles=["agent"]))
    assert client.get(reverse("touches:item_plate", args=[plate.pk])).status_code == 404
    assert client.get(reverse("touches:item_visit", args=[visit.pk])).status_code == 404
    # A plate item is not a return visit's page, even for its own agent.
    client.force_login(agent)
    assert client.get(reverse("touches:item_visit", args=[plate.pk])).status_code == 404


def test_the_call_list_with_touches_takes_a_fixed_number_of_queries(
    signed_in, agent, django_assert_max_num_queries
):
    def add():
        for kind in (TouchKind.THANK_YOU, TouchKind.PLATE, TouchKind.RETURN_VISIT,
                     TouchKind.INSPECTION):  # fmt: skip
            item = touch_item(agent, kind)
            ItemResult.objects.create(item=item, result="no_answer", by=agent)

    add()
    with django_assert_max_num_queries(80) as one:
        first = signed_in.get(reverse("workqueue:queue"))
    assert first.content.decode().count('data-testid="touch-kind"') == 4
    for _ in range(4):
        add()
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = signed_in.get(reverse("workqueue:queue"))
    open_items = WorkItem.objects.filter(agent=agent, status=ItemStatus.OPEN).count()
    assert page.content.decode().count('data-testid="touch-kind"') == open_items >= 20


def test_merging_two_greeted_files_moves_their_touches(agent):
    from clients.services import client_merge
    from touches.models import TouchMode

    TouchSetting.objects.exclude(kind=TouchKind.BIRTHDAY).update(enabled=False)
    born = datetime.date(1980, today().month, min(today().day, 28))
    files = []
    for _ in range(2):
        files.append(ClientFactory(owner=agent, birthday=born, national_id="GODE561231GR8"))
        sold_policy(days(-100), client=files[-1])
    now = timezone.make_aware(datetime.datetime.combine(born.replace(year=today().year),
                                                        datetime.time(12)))  # fmt: skip
    touches_morning_job(day=timezone.localdate(now), now=now)
    assert Touch.objects.filter(mode=TouchMode.MESSAGE).count() == 2
    client_merge(survivor=files[0], merged=files[1], by=UserFactory(roles=["maintainer"]))
    assert set(Touch.objects.values_list("client", flat=True)) == {files[0].pk}


def test_a_return_visit_done_closes_the_same_policys_thank_you_still_waiting(signed_in, agent):
    client = ClientFactory(owner=agent)
    policy = sold_policy(days(-7), client=client)
    other = sold_policy(days(-7), client=ClientFactory(owner=agent))
    touches_morning_job(day=days(-4))  # the thank-yous, 3 days after the sales
    touches_morning_job(day=today())  # the return visits, 7 days after
    thanks = WorkItem.objects.get(
        kind=TouchKind.THANK_YOU, subject_id=Touch.objects.get(kind="thank_you", policy=policy).pk
    )
    visit = WorkItem.objects.get(
        kind=TouchKind.RETURN_VISIT,
        subject_id=Touch.objects.get(kind="return_visit", policy=policy).pk,
    )
    assert thanks.status == ItemStatus.OPEN
    response = signed_in.post(
        reverse("touches:item_visit", args=[visit.pk]),
        {"satisfaction": "5", "documents_received": "yes", "phone": client.phone.as_e164,
         "email": client.email, "address": client.address, "token": str(uuid.uuid4())},
    )  # fmt: skip
    assert response.status_code == 302
    thanks.refresh_from_db()
    assert (thanks.status, thanks.result) == (ItemStatus.DONE, "visited")
    touch = Touch.objects.get(kind="thank_you", policy=policy)
    assert (touch.result, touch.done_by) == ("visited", agent)
    # Another policy's thank-you waits for its own call.
    assert (
        WorkItem.objects.get(
            kind=TouchKind.THANK_YOU,
            subject_id=Touch.objects.get(kind="thank_you", policy=other).pk,
        ).status
        == ItemStatus.OPEN
    )
