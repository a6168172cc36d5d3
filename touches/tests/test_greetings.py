"""Birthday and holiday greetings (touches.jobs, touches.calendar): on the client's own day
(their country's, read from their phone), in their language, once a year per occasion, never
to a client who opted out or has no policy in force."""

import datetime

import pytest
from django.utils import timezone

from brokerage.accounts.tests.factories import UserFactory
from brokerage.notifications.models import Message
from brokerage.notifications.services import message_render
from clients.tests.factories import ClientFactory
from policies.models import PolicyStatus
from policies.tests.factories import PolicyFactory
from touches.calendar import local_days
from touches.jobs import touches_morning_job
from touches.models import Touch, TouchKind, TouchMode, TouchSetting
from workqueue.models import Queue, WorkItem

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
# 16 February 2026, 20:00 in Mexico City: already the 17th in Shanghai (Spring Festival).
EVENING = datetime.datetime(2026, 2, 17, 2, 0, tzinfo=UTC)
CN_PHONE = "+8613800138{:03d}"


@pytest.fixture
def agent():
    return UserFactory(roles=["agent"])


def greetings_only():
    TouchSetting.objects.exclude(kind__in=[TouchKind.BIRTHDAY, TouchKind.HOLIDAY]).update(
        enabled=False
    )


def insured(n=0, *, policy_status=PolicyStatus.ACTIVE, **kwargs):
    client = ClientFactory(**kwargs)
    PolicyFactory(holder=client, status=policy_status)
    return client


def run(now, day=None):
    return touches_morning_job(day=day or timezone.localdate(now), now=now)


def test_each_country_has_its_own_day():
    days = local_days(EVENING)
    assert days == {"CN": datetime.date(2026, 2, 17), "MX": datetime.date(2026, 2, 16)}


def test_a_birthday_is_greeted_on_the_clients_own_day(agent):
    greetings_only()
    shanghai = insured(owner=agent, phone=CN_PHONE.format(1), birthday=datetime.date(1985, 2, 17),
                       language="zh-hans", preferred_channel="sms")  # fmt: skip
    mexico_tomorrow = insured(owner=agent, birthday=datetime.date(1985, 2, 17), language="es")
    mexico_today = insured(owner=agent, birthday=datetime.date(1970, 2, 16), language="es",
                           preferred_channel="email")  # fmt: skip
    report = run(EVENING)
    greeted = dict(Touch.objects.filter(kind=TouchKind.BIRTHDAY).values_list("client", "due_on"))
    assert greeted == {
        shanghai.pk: datetime.date(2026, 2, 17), mexico_today.pk: datetime.date(2026, 2, 16),
    }  # fmt: skip
    assert report.messages[TouchKind.BIRTHDAY] == 2
    sms = Message.objects.get(to=shanghai.phone.as_e164, template="touch_birthday")
    assert (sms.channel, sms.template, sms.language) == ("sms", "touch_birthday", "zh-hans")
    mail = Message.objects.get(to=mexico_today.email)
    assert (mail.channel, mail.language) == ("email", "es")
    mail = message_render(mail)
    assert mexico_today.first_name in mail.body and mexico_today.first_name in mail.subject
    # Six hours later it is the 17th in Mexico City too: that client's turn, and only theirs.
    run(EVENING + datetime.timedelta(hours=10))
    assert set(Touch.objects.values_list("client", flat=True)) == {
        shanghai.pk, mexico_today.pk, mexico_tomorrow.pk,
    }  # fmt: skip


def test_a_holiday_greeting_names_the_holiday_in_the_clients_language(agent):
    greetings_only()
    chinese = insured(owner=agent, phone=CN_PHONE.format(2), language="zh-hans")
    english = insured(owner=agent, phone=CN_PHONE.format(3), language="en")
    mexican = insured(owner=agent, language="es")
    run(EVENING)
    touches = {t.client_id: t for t in Touch.objects.filter(kind=TouchKind.HOLIDAY)}
    assert set(touches) == {chinese.pk, english.pk}  # no holiday in Mexico that day
    assert touches[chinese.pk].holiday == "Chinese New Year (Spring Festival)"
    names = {m.language: m.context["holiday"] for m in Message.objects.all()}
    assert names == {"zh-hans": "春节", "en": "Chinese New Year (Spring Festival)"}
    # The festival's next days are the same occasion: no second greeting.
    run(EVENING + datetime.timedelta(days=1))
    assert Touch.objects.filter(kind=TouchKind.HOLIDAY).count() == 2
    # Christmas in Mexico, in Spanish.
    run(datetime.datetime(2026, 12, 25, 12, 0, tzinfo=UTC))
    christmas = Touch.objects.get(kind=TouchKind.HOLIDAY, client=mexican)
    assert christmas.occasion == f"client-{mexican.pk}-2026-christmas-day"
    assert Message.objects.get(context__touch=christmas.pk).context["holiday"] == "Navidad"


def test_no_greeting_for_a_client_who_opted_out_or_has_no_policy_in_force(agent):
    greetings_only()
    insured(owner=agent, birthday=datetime.date(1980, 2, 16), greetings_opt_out=True)
    insured(owner=agent, birthday=datetime.date(1980, 2, 16), policy_status=PolicyStatus.LAPSED)
    ClientFactory(owner=agent, birthday=datetime.date(1980, 2, 16))  # a prospect
    insured(owner=agent, phone=CN_PHONE.format(4), greetings_opt_out=True)
    report = run(EVENING)
    assert report.total_messages == 0 and not Touch.objects.exists()


def test_a_greeting_goes_once_a_year(agent):
    greetings_only()
    client = insured(owner=agent, birthday=datetime.date(1980, 2, 16))
    run(EVENING)
    run(EVENING + datetime.timedelta(minutes=5))
    assert Touch.objects.filter(client=client).count() == 1
    run(EVENING.replace(year=2027))
    assert list(Touch.objects.order_by("occasion").values_list("occasion", flat=True)) == [
        f"client-{client.pk}-2026", f"client-{client.pk}-2027",
    ]  # fmt: skip
    assert Message.objects.count() == 2


def test_born_on_the_29th_of_february_is_greeted_on_the_28th_in_other_years(agent):
    greetings_only()
    client = insured(owner=agent, birthday=datetime.date(1988, 2, 29))
    run(datetime.datetime(2027, 2, 28, 12, 0, tzinfo=UTC))
    assert Touch.objects.get(client=client).due_on == datetime.date(2027, 2, 28)


def test_greetings_by_call_go_to_the_agents_list(agent):
    greetings_only()
    TouchSetting.objects.filter(kind=TouchKind.BIRTHDAY).update(mode=TouchMode.CALL)
    client = insured(owner=agent, birthday=datetime.date(1980, 2, 16))
    report = run(EVENING)
    item = WorkItem.objects.get(kind=TouchKind.BIRTHDAY)
    assert (item.agent_id, item.queue) == (agent.pk, Queue.AGENT)
    assert report.calls == {TouchKind.BIRTHDAY: 1} and not Message.objects.exists()
    assert client.display_name in item.title
