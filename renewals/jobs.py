"""The renewal morning job, in set-based statements: a fixed number of queries per ladder
rung, whatever the number of policies. Running it twice, or twice at once, changes nothing the
second time: cases are unique per policy and work items per (kind, subject, key), and every
insert is ``ON CONFLICT DO NOTHING``."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from policies.models import Policy, PolicyStatus
from workqueue.models import ItemStatus, Queue

from .models import CaseStatus, Ladder, LadderRule, RenewalCase
from .reminders import renewal_rung_messages

RENEWAL_KIND = "renewal"
LAPSED_KIND = "renewal_lapsed"
HAND_OVER_AFTER = timedelta(hours=48)


@dataclass
class MorningReport:
    day: date
    cases_opened: int = 0
    items_created: dict[int, int] = field(default_factory=dict)  # rung days → items
    policies_lapsed: int = 0
    cases_handed_over: int = 0
    messages_queued: int = 0

    @property
    def total_items(self) -> int:
        return sum(self.items_created.values())


def _minus_days(column: str, days_sql: str) -> str:
    """SQL for ``column - N days`` as a date, on PostgreSQL and SQLite."""
    if connection.vendor == "postgresql":
        return f"({column} - CAST({days_sql} AS integer))"
    return f"date({column}, '-' || {days_sql} || ' days')"


def _rules_by_precedence() -> list[tuple[Ladder, LadderRule | None]]:
    """Most specific rule first (insurer and line, insurer, line), the default ladder last."""
    rules = sorted(LadderRule.objects.select_related("ladder"), key=lambda r: -r.specificity)
    ordered = [(rule.ladder, rule) for rule in rules]
    default = Ladder.objects.filter(is_default=True).first()
    if default is not None:
        ordered.append((default, None))
    return ordered


def _follow_end_dates() -> int:
    """Open cases take their policy's end date again if someone edited it."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE renewals_renewalcase SET end_date = (
                SELECT p.end_date FROM policies_policy p
                WHERE p.id = renewals_renewalcase.policy_id)
            WHERE status = %s AND end_date <> (
                SELECT p.end_date FROM policies_policy p
                WHERE p.id = renewals_renewalcase.policy_id)
            """,
            [CaseStatus.OPEN],
        )
        return max(cursor.rowcount, 0)


def _refresh_statistics() -> None:
    """After a big morning the planner needs fresh statistics at once (autovacuum may take a
    while): call lists must use the agent index, not scan the day's queue."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE renewals_renewalcase, workqueue_workitem")


def _open_cases(day: date) -> int:
    opened = 0
    for ladder, rule in _rules_by_precedence():
        conditions = ["p.status = %s", "p.end_date >= %s", "p.end_date <= %s"]
        params = [PolicyStatus.ACTIVE, day, day + timedelta(days=ladder.max_days)]
        if rule is not None and rule.insurer_id:
            conditions.append("p.insurer_id = %s")
            params.append(rule.insurer_id)
        if rule is not None and rule.line:
            conditions.append("p.line = %s")
            params.append(rule.line)
        sql = f"""
            INSERT INTO renewals_renewalcase
                (policy_id, ladder_id, stage, grade, client_type, status, outcome_reason,
                 lost_why, outcome_note, end_date, last_premium, opened_on)
            SELECT p.id, %s, '', '', '', %s, '', '', '', p.end_date, p.premium, %s
            FROM policies_policy p
            WHERE {" AND ".join(conditions)}
              AND NOT EXISTS (SELECT 1 FROM renewals_renewalcase c WHERE c.policy_id = p.id)
            ON CONFLICT (policy_id) DO NOTHING
        """  # noqa: S608 - only placeholders and fixed SQL are interpolated
        with connection.cursor() as cursor:
            cursor.execute(sql, [ladder.pk, CaseStatus.OPEN, day, *params])
            opened += max(cursor.rowcount, 0)
    return opened


def _create_items(day: date, now) -> dict[int, int]:
    """One work item per open case and rung that has fallen due. Rungs that fell due while the
    job was down are caught up; of the rungs that had passed before the case opened (a late
    import) only the latest is kept, so the case gets one first touch at the stage it is in."""
    created: dict[int, int] = {}
    for ladder in Ladder.objects.filter(cases__status=CaseStatus.OPEN).distinct():
        rungs = sorted(ladder.rungs, key=lambda r: -r["days"])
        for index, rung in enumerate(rungs):
            days = rung["days"]
            due = _minus_days("p.end_date", "%s")
            if index + 1 < len(rungs):
                # ...or the next rung was still ahead when the case opened.
                entry, entry_params = f"{due} > c.opened_on", [rungs[index + 1]["days"]]
            else:
                entry, entry_params = "1 = 1", []
            sql = f"""
                INSERT INTO workqueue_workitem
                    (kind, subject_id, key, title, agent_id, queue, due_on, priority, status,
                     attempts, result, created_at, handed_out_at)
                SELECT %s, c.id, %s, cl.display_name || ' · ' || p.number, cl.owner_id, %s,
                       {due}, %s, %s, 0, '', %s,
                       CASE WHEN cl.owner_id IS NULL THEN NULL ELSE %s END
                FROM renewals_renewalcase c
                JOIN policies_policy p ON p.id = c.policy_id
                JOIN clients_client cl ON cl.id = p.holder_id
                WHERE c.ladder_id = %s AND c.status = %s
                  AND {due} <= %s
                  AND ({due} >= c.opened_on OR {entry})
                ON CONFLICT (kind, subject_id, key) DO NOTHING
            """  # noqa: S608 - only placeholders and fixed SQL are interpolated
            params = [
                RENEWAL_KIND, f"rung-{days}", Queue.AGENT, days, 100 - days, ItemStatus.OPEN,
                now, now, ladder.pk, CaseStatus.OPEN, days, day, days, *entry_params,
            ]  # fmt: skip
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                if cursor.rowcount > 0:
                    created[days] = cursor.rowcount
        # The case's stage is the stage of its latest rung that has fallen due.
        for index, rung in enumerate(rungs):
            due = _minus_days("p.end_date", "%s")
            params = [rung["stage"], ladder.pk, CaseStatus.OPEN, rung["stage"], rung["days"], day]
            nearer = ""
            if index + 1 < len(rungs):
                nearer = f"AND {due} > %s"
                params += [rungs[index + 1]["days"], day]
            with connection.cursor() as cursor:
                cursor.execute(
                    f"""
                    UPDATE renewals_renewalcase SET stage = %s
                    WHERE ladder_id = %s AND status = %s AND stage <> %s AND EXISTS (
                        SELECT 1 FROM policies_policy p
                        WHERE p.id = renewals_renewalcase.policy_id AND {due} <= %s {nearer})
                    """,  # noqa: S608 - only placeholders and fixed SQL are interpolated
                    params,
                )
    return created


def _lapse(day: date, now) -> int:
    """Active policies past their end date that nobody renewed are lapsed, with history; their
    open cases are lapsed too."""
    # Whole rows: the history records copy every field (deferred fields would cost a query
    # each).
    stale = list(Policy.objects.filter(status=PolicyStatus.ACTIVE, end_date__lt=day))
    for policy in stale:
        policy.status = PolicyStatus.LAPSED
        policy.updated_at = now
    if stale:
        bulk_update_with_history(
            stale, Policy, ["status", "updated_at"],
            default_change_reason="lapsed: not renewed by the end date",
        )  # fmt: skip
    RenewalCase.objects.filter(
        status=CaseStatus.OPEN, policy__end_date__lt=day, policy__status=PolicyStatus.LAPSED
    ).update(status=CaseStatus.LAPSED, lapsed_at=now)
    return len(stale)


def _hand_over(now) -> int:
    """Cases lapsed more than 48 hours go to the maintainers' queue, once."""
    cutoff = now - HAND_OVER_AFTER
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO workqueue_workitem
                (kind, subject_id, key, title, agent_id, queue, due_on, priority, status,
                 attempts, result, created_at)
            SELECT %s, c.id, 'lapsed', cl.display_name || ' · ' || p.number, NULL, %s, %s, 50,
                   %s, 0, '', %s
            FROM renewals_renewalcase c
            JOIN policies_policy p ON p.id = c.policy_id
            JOIN clients_client cl ON cl.id = p.holder_id
            WHERE c.status = %s AND c.lapsed_at <= %s AND c.handed_over_at IS NULL
            ON CONFLICT (kind, subject_id, key) DO NOTHING
            """,
            [LAPSED_KIND, Queue.MAINTAINERS, timezone.localdate(now), ItemStatus.OPEN, now,
             CaseStatus.LAPSED, cutoff],
        )  # fmt: skip
    return RenewalCase.objects.filter(
        status=CaseStatus.LAPSED, lapsed_at__lte=cutoff, handed_over_at__isnull=True
    ).update(handed_over_at=now)


@transaction.atomic
def renewals_morning_job(*, day: date | None = None, now=None) -> MorningReport:
    """Open the cases entering their ladder, queue the touches that fall due (catching up),
    lapse unrenewed policies and hand cases lapsed over 48 hours to the maintainers."""
    day = day or timezone.localdate()
    now = now or timezone.now()
    report = MorningReport(day=day)
    report.policies_lapsed = _lapse(day, now)
    _follow_end_dates()
    report.cases_opened = _open_cases(day)
    report.items_created = _create_items(day, now)
    report.cases_handed_over = _hand_over(now)
    report.messages_queued = renewal_rung_messages(day=day, now=now)
    if report.cases_opened + report.total_items > 10_000:
        _refresh_statistics()
    return report


@transaction.atomic
def renewals_open_and_queue(*, day: date | None = None, now=None) -> MorningReport:
    """Open the cases of policies that have entered their ladder and queue their due touches
    (after an import brought new policies), without the rest of the morning job."""
    day = day or timezone.localdate()
    now = now or timezone.now()
    report = MorningReport(day=day)
    report.cases_opened = _open_cases(day)
    report.items_created = _create_items(day, now)
    return report
