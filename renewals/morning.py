"""The whole morning run, in order (the beat task's and ``manage.py run_morning_jobs``' work):
the renewals, the catch-up of policies left without instalments, the payments, then the service
touches; the hand-out of the items nobody owns follows (``workqueue.distribution``).

The parts that read the whole book run once a day (``brokerage.core.morning``): a second run of
the same day finds them done and returns in a few queries, unless ``force``. The catch-up of
unplanned instalments is such a part too (its window is a week: a policy written after today's
run is planned by tomorrow's)."""

from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import timezone

from billing.jobs import CollectionsReport, collections_morning_job
from billing.services import instalments_plan_catch_up
from brokerage.core.models import MorningRun
from brokerage.core.morning import morning_part, morning_part_done, morning_part_last
from touches.jobs import TouchesReport, touches_morning_job

from .jobs import MorningReport, ladders_signature, renewals_morning_job

RENEWALS, INSTALMENTS, PAYMENTS, TOUCHES = "renewals", "instalments", "payments", "touches"
PARTS = (RENEWALS, INSTALMENTS, PAYMENTS, TOUCHES)


@dataclass
class MorningRunReport:
    day: date
    renewals: MorningReport | None = None
    instalments_planned: int = 0
    payments: CollectionsReport | None = None
    touches: TouchesReport | None = None
    # Parts found done earlier that day: their record (when, and what they did then).
    done_before: dict[str, MorningRun] = field(default_factory=dict)

    @property
    def did_nothing(self) -> bool:
        """Every part had been done earlier that day: nothing new for the hand-out either."""
        return len(self.done_before) == len(PARTS)

    def figures(self, part: str) -> dict:
        """What this run did in a part, as plain figures (none for a part done before: its
        record keeps what it did then)."""
        report = {RENEWALS: self.renewals, PAYMENTS: self.payments, TOUCHES: self.touches}[part]
        return _SUMMARIES[part](report) if report is not None else {}


def _renewals(day: date, now: datetime | None) -> MorningReport:
    """The renewals read only what changed since their last run (its day and start), while
    the ladders are those it ran with; the first run, one after a gap in the records or after
    a ladder was edited reads every policy in a ladder and every open case."""
    ladders = ladders_signature()
    last = morning_part_last(part=RENEWALS, before=day)
    fresh = last is not None and last.report.get("ladders") == ladders
    report = renewals_morning_job(
        day=day, now=now, since=last.day if fresh else None,
        changed_since=last.started_at if fresh else None,
    )  # fmt: skip
    report.ladders = ladders
    return report


def _renewals_summary(report: MorningReport) -> dict:
    return {
        "ladders": report.ladders,
        "cases_opened": report.cases_opened, "items_created": report.total_items,
        "policies_lapsed": report.policies_lapsed, "cases_handed_over": report.cases_handed_over,
        "messages_queued": report.messages_queued,
    }  # fmt: skip


def _payments_summary(report: CollectionsReport) -> dict:
    return {
        "marked_overdue": report.marked_overdue, "items_created": report.total_items,
        "reminders_queued": report.reminders_queued, "promises_broken": report.promises_broken,
        "risks_opened": report.risks_opened,
    }  # fmt: skip


def _touches_summary(report: TouchesReport) -> dict:
    return {"calls": dict(report.calls), "messages": dict(report.messages),
            "cancelled": report.cancelled}  # fmt: skip


def morning_run(
    *,
    day: date | None = None,
    now: datetime | None = None,
    force: bool = False,
    around=None,
) -> MorningRunReport:
    """Run the morning's parts for ``day`` (default today), each once a day unless ``force``.
    ``around(part)``, when given, is a context manager entered around each part (the bench
    times the parts with it)."""
    day = day or (timezone.localdate(now) if now else timezone.localdate())
    around = around or (lambda _part: nullcontext())
    report = MorningRunReport(day=day)

    def once(part: str, work, summary):
        with around(part):
            result = morning_part(part=part, day=day, work=work, summary=summary, force=force)
            if result is None:
                report.done_before[part] = morning_part_done(part=part, day=day)
            return result

    # The renewals read only the rungs fallen due since their last run (every earlier one has
    # its item); the first run, or one after a gap in the records, reads every open case.
    report.renewals = once(RENEWALS, lambda: _renewals(day, now), _renewals_summary)
    # Any policy of the last days still unplanned (a hook or an import task that failed); one
    # written later today waits for tomorrow's (its window is a week), or an import's reopening.
    report.instalments_planned = (
        once(INSTALMENTS, instalments_plan_catch_up, lambda planned: {"planned": planned}) or 0
    )
    report.payments = once(
        PAYMENTS, lambda: collections_morning_job(day=day, now=now), _payments_summary
    )
    report.touches = once(TOUCHES, lambda: touches_morning_job(day=day, now=now), _touches_summary)
    return report


_SUMMARIES = {RENEWALS: _renewals_summary, PAYMENTS: _payments_summary, TOUCHES: _touches_summary}
