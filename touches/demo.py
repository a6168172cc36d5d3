"""Service touches for ``manage.py seed_demo`` (issue 17): the morning runs of the last
``HISTORY_DAYS`` days and this morning's, run over the demo book by the real job, so that the
call lists, the client files and the outbox carry every kind of touch:

- a few cars of policies that started lately have no plate yet (plate endorsements);
- a few clients have their birthday today; the last public holiday of the brokerage's country
  was greeted on its day;
- thank-yous and return visits come from the policies written lately, inspection and licence
  reminders from the vehicles' dates;
- the calls of past mornings were worked by their agents (thanked, return visit done with its
  coded answers, reminded); one in ``WORKED_SHARE`` of this morning's too. Plate endorsements
  are left for the agents (the loaded book's vehicles keep no history).

The book itself is loaded without history (the initial load is not a change): the few plates
and birthdays are set by plain updates. Every draw comes from ``ctx.rng``: the same seed gives
the same touches. Nothing is added to a book that already has touches."""

from datetime import date, timedelta
from time import monotonic

from django.db.models import Count
from django.utils import timezone

from brokerage.core.demo import DemoContext
from clients.demo import demo_today
from clients.models import Client, ClientKind
from policies.models import Line, PolicyStatus, Vehicle
from workqueue.models import ItemStatus, Queue, WorkItem
from workqueue.services import item_record_result

from . import calendar
from .defaults import DEFAULTS
from .jobs import morning_now, touch_settings, touches_morning_job
from .kind import ALREADY_DONE, GREETED, REMINDED, THANKED, VISITED
from .models import Touch, TouchKind

HISTORY_DAYS = 21
NO_PLATE = 4  # cars of recently started policies without a plate yet
BIRTHDAYS = 3
WORKED_SHARE = 3  # one call in three of this morning's is worked
MAX_WORKED = 500  # calls worked at most (a benchmark-sized book keeps the rest open)
# The past mornings' kinds: calls about policies and vehicles (greetings go on the day only).
PAST_KINDS = [TouchKind.THANK_YOU, TouchKind.PLATE, TouchKind.RETURN_VISIT,
              TouchKind.INSPECTION, TouchKind.LICENCE]  # fmt: skip


def _no_plates(ctx: DemoContext, today: date) -> list[date]:
    """The cars of the auto policies that started last (their plate endorsement already due)
    have no plate yet. Returns the days their endorsement fell due."""
    latest = today - timedelta(days=touch_settings()[TouchKind.PLATE].days)
    recent = list(
        Vehicle.objects.filter(
            policy__status=PolicyStatus.ACTIVE, policy__line=Line.AUTO,
            policy__start_date__lte=latest,
        ).order_by("-policy__start_date", "pk").values_list("pk", "policy__start_date")[:20]
    )  # fmt: skip
    chosen = ctx.rng.sample(recent, min(NO_PLATE, len(recent)))
    Vehicle.objects.filter(pk__in=[pk for pk, _ in chosen]).update(plate="")
    return sorted({start + (today - latest) for _, start in chosen})


def _birthdays(ctx: DemoContext, today: date) -> int:
    ids = list(
        Client.objects.filter(
            kind=ClientKind.INDIVIDUAL, owner__isnull=False, greetings_opt_out=False,
            birthday__isnull=False, policies__status=PolicyStatus.ACTIVE,
        ).order_by("pk").values_list("pk", flat=True).distinct()[:100]
    )  # fmt: skip
    chosen = ctx.rng.sample(ids, min(BIRTHDAYS, len(ids)))
    day = 28 if (today.month, today.day) == (2, 29) else today.day
    clients = list(Client.objects.filter(pk__in=chosen))
    for client in clients:
        client.birthday = client.birthday.replace(month=today.month, day=day)
    return Client.objects.bulk_update(clients, ["birthday"])


def _last_holiday(today: date) -> date | None:
    country = calendar.home_country()
    for back in range(1, 366):
        day = today - timedelta(days=back)
        if calendar.holiday_on(country, day) is not None:
            return day
    return None


def _work(ctx: DemoContext, today: date) -> int:
    """The agents worked the calls of past mornings, and one in ``WORKED_SHARE`` of this
    morning's."""
    rng = ctx.rng
    items = WorkItem.objects.filter(
        kind__in=[k for k in TouchKind.values if k != TouchKind.PLATE],
        status=ItemStatus.OPEN, queue=Queue.AGENT, agent__isnull=False, due_on__lte=today,
    ).select_related("agent").order_by("due_on", "pk")  # fmt: skip
    worked = 0
    for item in items[: MAX_WORKED * WORKED_SHARE]:
        if worked >= MAX_WORKED:
            break
        if item.due_on >= today - timedelta(days=1) and rng.randrange(WORKED_SHARE):
            continue
        details, note = {}, ""
        if item.kind == TouchKind.THANK_YOU:
            result = THANKED.code
        elif item.kind == TouchKind.RETURN_VISIT:
            result = VISITED.code
            details = {"satisfaction": rng.choice((3, 4, 4, 5, 5, 5)), "documents_received": True}
            note = rng.choice(("", "Todo en orden", "Pide recibir avisos por WhatsApp"))
        elif item.kind in (TouchKind.INSPECTION, TouchKind.LICENCE):
            result = rng.choice((REMINDED.code, REMINDED.code, ALREADY_DONE.code))
        else:
            result = GREETED.code
        item_record_result(
            item=item, by=item.agent, result=result, note=note, details=details,
            page=result == VISITED.code,
        )  # fmt: skip
        worked += 1
    return worked


def seed_touches(ctx: DemoContext) -> None:
    started = monotonic()
    if Touch.objects.exists():
        ctx.write("touches: the book already has touches; none added")
        return
    today = demo_today(ctx)
    plates_due = _no_plates(ctx, today)
    _birthdays(ctx, today)
    history_start = today - timedelta(days=HISTORY_DAYS)
    for day in plates_due:
        if day < history_start:  # before the mornings run below
            touches_morning_job(day=day, now=morning_now(day), kinds=[TouchKind.PLATE])
    for back in range(HISTORY_DAYS, 0, -1):
        day = today - timedelta(days=back)
        touches_morning_job(day=day, now=morning_now(day), kinds=PAST_KINDS)
    holiday = _last_holiday(today)
    if holiday is not None:
        touches_morning_job(day=holiday, now=morning_now(holiday), kinds=[TouchKind.HOLIDAY])
    report = touches_morning_job(day=today, now=max(morning_now(today), timezone.now()))
    worked = _work(ctx, today)
    counts = dict(Touch.objects.values_list("kind").annotate(n=Count("pk")))
    shown = ", ".join(f"{k} {counts.get(k, 0)}" for k in DEFAULTS)
    ctx.write(
        f"touches: {report.total_calls} calls and {report.total_messages} messages this "
        f"morning; {sum(counts.values())} in all ({shown}); {worked} calls worked "
        f"in {monotonic() - started:.1f} s"
    )
