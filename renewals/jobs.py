"""The renewal morning job, in set-based statements: a fixed number of queries per ladder
rung, whatever the number of policies. Running it twice, or twice at once, changes nothing the
second time: cases are unique per policy and work items per (kind, subject, key), and every
insert is ``ON CONFLICT DO NOTHING``."""

import hashlib
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import DateField, Exists, IntegerField, OuterRef, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat
from django.utils import timezone

from brokerage.core.bulk import update_with_history
from brokerage.core.sql import SqlNames, id_array
from clients.models import Client
from policies.models import Policy, PolicyStatus
from policies.services import policy_followers_lock
from workqueue.models import Queue, WorkItem
from workqueue.services import items_create, items_create_by_key

from .kind import LAPSED_KIND, RENEWAL_KIND
from .models import DIMENSIONS, CaseStatus, Ladder, LadderRule, RenewalCase
from .reminders import renewal_rung_messages

HAND_OVER_AFTER = timedelta(hours=48)
# A morning that wrote more rows than this refreshes the planner's statistics at once (a first
# morning, a lapse list); an ordinary day's (some 13,000 rows at a million policies) is left to
# autovacuum: the ANALYZE took 2.6 s of it.
ANALYZE_AFTER = 50_000
# The memory each sort or hash of the job's statements may take (PostgreSQL's work_mem, for
# the job's transaction only): a first morning's statements hash some 200,000 new cases, their
# policies and 430,000 clients at a million policies, which at the server's default (4 MB)
# spill to disk in 2 to 8 batches each.
JOB_WORK_MEM = "64MB"


@dataclass
class MorningReport:
    day: date
    cases_opened: int = 0
    items_created: dict[int, int] = field(default_factory=dict)  # rung days → items
    policies_lapsed: int = 0
    cases_handed_over: int = 0
    messages_queued: int = 0
    ladders: str = ""  # the ladders' signature it ran with (the morning run's record keeps it)

    @property
    def total_items(self) -> int:
        return sum(self.items_created.values())


@contextmanager
def _job_work_mem():
    """``JOB_WORK_MEM`` for the statements inside, then the transaction's own setting again
    (an error rolls the setting back with the job's savepoint)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('work_mem'), set_config('work_mem', %s, true)",
            [JOB_WORK_MEM],
        )
        previous = cursor.fetchone()[0]
    yield
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('work_mem', %s, true)", [previous])


def _minus_days(column: str) -> str:
    """SQL for ``column - N days`` as a date, N the next placeholder."""
    return f"({column} - CAST(%s AS integer))"


def _rules_by_precedence() -> list[tuple[Ladder, LadderRule | None]]:
    """Most specific rule first (insurer and line, insurer, line), the default ladder last."""
    rules = sorted(LadderRule.objects.select_related("ladder"), key=lambda r: -r.specificity)
    ordered = [(rule.ladder, rule) for rule in rules]
    default = Ladder.objects.filter(is_default=True).first()
    if default is not None:
        ordered.append((default, None))
    return ordered


def ladders_signature() -> str:
    """What decides which policies are in which ladder and when their rungs fall due (the
    ladders' rungs, the rules): a morning reads only what changed since its last run while
    this stays the same, and everything again once someone edits a ladder or a rule."""
    ladders = list(Ladder.objects.order_by("pk").values_list("pk", "rungs", "is_default"))
    rules = list(LadderRule.objects.order_by("pk").values_list("pk", "ladder", "insurer", "line"))
    text = json.dumps([ladders, rules], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _follow_end_dates() -> list[int]:
    """Open cases take their policy's end date again if someone edited it; returns the ids of
    the cases whose end date moved (their rungs fall due on other days)."""
    c, p = SqlNames(RenewalCase), SqlNames(Policy, "p")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {c.table} SET {c.end_date} = {p.end_date}
            FROM {p.from_}
            WHERE {p.id} = {c.table}.{c.policy} AND {c.table}.{c.status} = %s
              AND {c.table}.{c.end_date} <> {p.end_date}
            RETURNING {c.table}.{c.id}
            """,  # noqa: S608 - names from the models' _meta, values are placeholders
            [CaseStatus.OPEN],
        )
        return [row[0] for row in cursor.fetchall()]


def _refresh_statistics(*models) -> None:
    """After a big morning the planner needs fresh statistics at once (autovacuum may take a
    while): the rungs' statement must see the cases just opened (not plan for none and probe
    the policies one case at a time), call lists must use the agent index, not scan the day's
    queue."""
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(SqlNames(model).table for model in models)}")


def _stage_at(
    ladder: Ladder, end_date: str, day: date, before_first: str = "''"
) -> tuple[str, list]:
    """SQL (and its parameters) for the stage a case of ``ladder`` is in on ``day``: the stage
    of its latest rung that has fallen due (``before_first`` before the first), as
    ``_create_items`` sets it. A case opens at that stage, so the job does not write each new
    case a second time."""
    whens, params = [], []
    for rung in sorted(ladder.rungs, key=lambda r: r["days"]):
        whens.append(f"WHEN {_minus_days(end_date)} <= %s THEN CAST(%s AS varchar)")
        params += [rung["days"], day, rung["stage"]]
    if not whens:
        return before_first, []
    return f"CASE {' '.join(whens)} ELSE {before_first} END", params


def _open_cases(
    day: date, *, ended: bool = False, since: date | None = None,
    changed_since: datetime | None = None, policies: list[int] | None = None, now=None,
) -> list[int]:  # fmt: skip
    """Open a case for each active policy entering its ladder. With ``ended``, also for those
    that had already ended when they reached Cartera (an insurer's lapse list, 脱保清单): their
    case opens at its last rung, lapsed (at ``now``), as the lapse the caller runs next
    (``_lapse``) leaves every case of a lapsed policy, and goes where every lapse goes.
    Returns the ids of the cases opened.

    With ``since`` (the last run's day) and ``changed_since`` (when it started), only the
    policies that entered their ladder after that day, or were written since (created, their
    end date or status edited), are read for a missing case: every other one in its ladder
    had its case opened by that run. With ``policies``, only those (an import's chunk)."""
    opened: list[int] = []
    now = now or timezone.now()
    c, p = SqlNames(RenewalCase), SqlNames(Policy, "p")
    for ladder, rule in _rules_by_precedence():
        conditions = [f"{p.status} = %s", f"{p.end_date} <= %s"]
        params = [PolicyStatus.ACTIVE, day + timedelta(days=ladder.max_days)]
        if not ended:
            conditions.append(f"{p.end_date} >= %s")
            params.append(day)
        if since is not None and changed_since is not None:
            conditions.append(f"({p.end_date} > %s OR {p.updated_at} >= %s)")
            params += [since + timedelta(days=ladder.max_days), changed_since]
        if policies is not None:
            conditions.append(f"{p.id} = ANY(%s::bigint[])")
            params.append(id_array(policies))
        if rule is not None and rule.insurer_id:
            conditions.append(f"{p.insurer} = %s")
            params.append(rule.insurer_id)
        if rule is not None and rule.line:
            conditions.append(f"{p.line} = %s")
            params.append(rule.line)
        # Whether the policy has a case already: for the given policies (an import's chunk)
        # one probe of the cases' unique policy index each (the LIMIT keeps the probe a
        # subquery the planner cannot turn into a join). As an anti join, the planner hashed
        # every case in the table for each chunk, the cases of all the chunks before it too,
        # its statistics not yet counting them: a scan per chunk that grew with the report.
        # (Should the planner, the cases' table looking empty, probe by scanning it while the
        # statement fills it, the cost is bounded by the chunk: its 5,000 policies once.)
        if policies is not None:
            missing = f"""NOT EXISTS (
                SELECT 1 FROM (SELECT 1 FROM {c.table} WHERE {c.policy} = {p.id} LIMIT 1) AS x
            )"""
        else:
            missing = f"NOT EXISTS (SELECT 1 FROM {c.table} WHERE {c.policy} = {p.id})"
        # The report dimensions (agent, insurer, line, currency, holder) are copied from the
        # policy here, so the case's insert trigger skips these rows (RenewalCase.Meta.triggers:
        # it fires only for rows with no holder); a new case renews nothing yet (no renewed
        # premium, no renewed currency).
        columns = ", ".join(
            getattr(c, name)
            for name in ("policy", "ladder", "stage", "grade", "client_type", "status",
                         "lapsed_at", "outcome_reason", "lost_why", "outcome_note", "end_date",
                         "last_premium", "opened_on", *DIMENSIONS, "renewed_currency")
        )  # fmt: skip
        dimensions = ", ".join(getattr(p, name) for name in DIMENSIONS)
        stage, stage_params = _stage_at(ladder, p.end_date, day)
        # A policy that had already ended (``ended``) is lapsed by the same caller, in the same
        # transaction, right after (``_lapse``): its case opens lapsed, not open only to be
        # written again (at 100,000 rows, 0.3 CPU-seconds of updating 10,716 cases, each
        # with its 14 indexes and the report rollups' trigger).
        status, status_params = "CAST(%s AS varchar)", [CaseStatus.OPEN]
        lapsed_at, lapsed_params = "NULL::timestamptz", []
        if ended:
            status = f"CASE WHEN {p.end_date} < %s THEN %s ELSE %s END"
            status_params = [day, CaseStatus.LAPSED, CaseStatus.OPEN]
            lapsed_at = f"CASE WHEN {p.end_date} < %s THEN %s::timestamptz END"
            lapsed_params = [day, now]
        sql = f"""
            INSERT INTO {c.table} ({columns})
            SELECT {p.id}, %s, {stage}, '', '', {status}, {lapsed_at}, '', '', '',
                   {p.end_date}, {p.premium}, %s, {dimensions}, ''
            FROM {p.from_}
            WHERE {" AND ".join(conditions)}
              AND {missing}
            -- In policy order: with the cases' table vacuumed while empty, the plan without
            -- an order scanned that table once per policy while this statement filled it
            -- (100,000 policies: 130-157 CPU-seconds instead of 2); ordered, the planner
            -- reads the cases once (sorted for a merge anti join) before the first is
            -- written, as the instalment plan does. The policies' key checks come in order.
            ORDER BY {p.id}
            ON CONFLICT ({c.policy}) DO NOTHING
            RETURNING {c.id}
        """  # noqa: S608 - names from the models' _meta, values are placeholders
        with connection.cursor() as cursor:
            cursor.execute(
                sql, [ladder.pk, *stage_params, *status_params, *lapsed_params, day, *params]
            )
            opened += [row[0] for row in cursor.fetchall()]
    return opened


def _fallen_due(
    since: date | None, day: date, rung_days: list[int], recheck: list[int]
) -> tuple[str, list]:
    """SQL (and parameters) limiting a ladder's statements to the open cases they can concern:
    with ``since`` (the last day the job ran to its end: every rung due by then has its item),
    those one of whose rungs (``rung_days``) falls due after it (their end date in one of the
    rungs' ranges of the open cases' index) and the cases in ``recheck`` (opened or moved by
    this run); without, every case."""
    if since is None:
        return "", []
    if since >= day:
        # No rung can have fallen due since: the cases in ``recheck`` alone, as one constant
        # array (an import's 100,000 opened cases: the array computed by the statement below
        # is a parameter, searched element by element for each case when the planner, with
        # the just-opened cases not yet in its statistics, filters the ladder's cases by it
        # instead of reading them by id, 31 CPU-seconds; a constant is searched by hash).
        return f"AND c.{SqlNames(RenewalCase).id} = ANY(%s::bigint[])", [id_array(recheck)]
    r = SqlNames(RenewalCase, "r")
    ranges = " OR ".join(f"({r.end_date} > %s AND {r.end_date} <= %s)" for _ in rung_days)
    params: list = [CaseStatus.OPEN]
    for days in rung_days:
        params += [since + timedelta(days=days), day + timedelta(days=days)]
    return (
        # An array computed first, so that the statement reads these cases by their ids
        # instead of scanning every open case for them.
        f"""AND c.{SqlNames(RenewalCase).id} = ANY(ARRAY(
            SELECT {r.id} FROM {r.from_} WHERE {r.status} = %s AND ({ranges})
            UNION ALL SELECT unnest(%s::bigint[])))""",
        [*params, id_array(recheck)],
    )


def _create_items(
    day: date, now, *, since: date | None = None, recheck: list[int] = (),
    staged: list[int] = (),
) -> dict[int, int]:  # fmt: skip
    """One work item per open case and rung that has fallen due. Rungs that fell due while the
    job was down are caught up; of the rungs that had passed before the case opened (a late
    import) only the latest is kept, so the case gets one first touch at the stage it is in.
    The queue's set-based call writes the items (and owns the hand-out rule); a touch falls
    due on its rung, or on its policy's later hand-out date (``Policy.handout_on``). A touch of a
    client with no usable phone (no phone, other phone or WhatsApp, or a contact marked to fix:
    three failed attempts, a report's number that does not read) goes to the maintainers' "fix
    contact" queue, not to a call list. This CASE is the one routing rule of renewal touches:
    every touch is created here.

    Each ladder's rungs are joined to its cases in one statement (one pass over the cases,
    their policies and clients, whatever the number of rungs), and one more sets the cases'
    stages.

    ``since`` (the last day the job ran to its end) limits the work to the rungs that fell due
    after it and to the cases in ``recheck`` (opened, or whose end date moved, in this run):
    the next morning reads a day of cases, not every open one. ``staged``: cases opened by this
    run, at the stage they are in (``_stage_at``), which the stages' statement skips (a first
    morning's 194,532 at a million policies: 2 s of reading their policies for no change)."""
    created: dict[int, int] = {}
    recheck, staged = list(recheck), list(staged)
    c, p, cl = SqlNames(RenewalCase, "c"), SqlNames(Policy, "p"), SqlNames(Client, "cl")
    due = "(" + p.end_date + " - r.days)"
    callable_ = (
        f"(NOT {cl.contact_inaccurate}"
        f" AND ({cl.phone} <> '' OR {cl.phone_other} <> '' OR {cl.whatsapp} <> ''))"
    )
    only_recheck = since is not None and since >= day
    # Just opened, a lapse list's case is lapsed already (``_open_cases``): when only the
    # cases just opened are read, it gets its last touch all the same, as it did when it
    # lapsed after the touch.
    statuses = [CaseStatus.OPEN, CaseStatus.LAPSED] if only_recheck else [CaseStatus.OPEN]
    open_case = RenewalCase.objects.filter(ladder=OuterRef("pk"), status__in=statuses)
    for ladder in Ladder.objects.filter(Exists(open_case)):
        rungs = sorted(ladder.rungs, key=lambda r: -r["days"])
        if not rungs:
            continue
        days = [int(rung["days"]) for rung in rungs]
        # Each rung with the next one's days (NULL for the last): a rung that had passed when
        # the case opened is kept only if the next one was still ahead then.
        following = [*days[1:], None]
        window, window_params = _fallen_due(since, day, days, recheck)
        rung_window, rung_window_params = "", []
        if since is not None:
            rung_window = f"AND ({c.end_date} - r.days > %s OR {c.id} = ANY(%s::bigint[]))"
            rung_window_params = [since, id_array(recheck)]
        cases, cases_params = c.from_, []
        read_window, read_window_params = window, window_params
        if only_recheck:
            # The cases in ``recheck`` alone (an import's chunk, just opened): each read by its
            # id (the LIMIT keeps the read a subquery the planner cannot turn into a join),
            # not found among the ladder's open cases by the (ladder, status) index, which
            # the planner chose with its statistics not yet counting the chunks before: a
            # read of every open case per chunk that grew with the report.
            cases = f"""unnest(%s::bigint[]) AS chosen(id) CROSS JOIN LATERAL (
                SELECT * FROM {SqlNames(RenewalCase).table} WHERE id = chosen.id LIMIT 1
            ) AS c"""
            cases_params, read_window, read_window_params = [id_array(recheck)], "", []
        select = f"""
            SELECT {c.id}, 'rung-' || CAST(r.days AS text),
                   {cl.display_name} || ' · ' || {p.number},
                   CASE WHEN {callable_} THEN {cl.owner} END,
                   CASE WHEN {callable_} THEN %s ELSE %s END,
                   GREATEST({due}, {p.handout_on}), 100 - r.days
            FROM {cases}
            JOIN {p.from_} ON {p.id} = {c.policy}
            JOIN {cl.from_} ON {cl.id} = {p.holder}
            JOIN unnest(%s::integer[], %s::integer[]) AS r(days, next_days)
              ON {due} <= %s
             AND ({due} >= {c.opened_on} OR r.next_days IS NULL
                  OR ({p.end_date} - r.next_days) > {c.opened_on})
            WHERE {c.ladder} = %s AND {c.status} = ANY(%s) {read_window} {rung_window}
        """  # noqa: S608 - names from the models' _meta, values are placeholders
        params = [
            Queue.AGENT, Queue.MAINTAINERS, *cases_params, days, following, day, ladder.pk,
            statuses, *read_window_params, *rung_window_params,
        ]  # fmt: skip
        counts = items_create_by_key(kind=RENEWAL_KIND, select=(select, params), now=now)
        for key, count in counts.items():
            created[int(key.removeprefix("rung-"))] = count
        # The case's stage is the stage of its latest rung that has fallen due (a case none of
        # whose rungs has fallen due keeps its own). Cases opened by this run are at theirs
        # already: with only those to read (an import's chunk), nothing to do.
        if only_recheck and not set(recheck) - set(staged):
            continue
        u, p2 = SqlNames(RenewalCase, "c"), SqlNames(Policy, "p")
        stage, stage_params = _stage_at(ladder, p2.end_date, day, before_first="NULL")
        fresh, fresh_params = (
            (f"AND {u.id} <> ALL(%s::bigint[])", [id_array(staged)]) if staged else ("", [])
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                UPDATE {u.from_} SET {SqlNames(RenewalCase).stage} = s.stage
                FROM (SELECT {p2.id} AS policy_id, {stage} AS stage FROM {p2.from_}) AS s
                WHERE s.policy_id = {u.policy} AND {u.ladder} = %s AND {u.status} = %s
                  AND s.stage IS NOT NULL AND {u.stage} <> s.stage {window} {fresh}
                """,  # noqa: S608 - names from the models' _meta, values are placeholders
                [*stage_params, ladder.pk, CaseStatus.OPEN, *window_params, *fresh_params],
            )
    return dict(sorted(created.items(), reverse=True))


def _lapse(day: date, now, *, policies: list[int] | None = None) -> int:
    """Active policies past their end date that nobody renewed are lapsed, with history; their
    open cases are lapsed too. One statement writes the policies and their history rows
    (``update_with_history``): a lapse list brings thousands at once, none loaded into memory.
    With ``policies``, only those (an import's chunk)."""
    p = SqlNames(Policy)
    where, params = f"{p.status} = %s AND {p.end_date} < %s", [PolicyStatus.ACTIVE, day]
    if policies is not None:
        where += f" AND {p.id} = ANY(%s::bigint[])"
        params.append(id_array(policies))
    lapsed = update_with_history(
        Policy, values={"status": PolicyStatus.LAPSED}, where=where, params=params,
        reason="lapsed: not renewed by the end date",
    )  # fmt: skip
    # The open cases' end dates follow their policies' (``_follow_end_dates`` runs first):
    # read from the cases' own index, not from every open case's policy.
    cases = RenewalCase.objects.filter(
        status=CaseStatus.OPEN, end_date__lt=day, policy__end_date__lt=day,
        policy__status=PolicyStatus.LAPSED,
    )  # fmt: skip
    if policies is not None:
        ids = RawSQL("SELECT unnest(%s::bigint[])", (id_array(policies),))  # noqa: S611
        cases = cases.filter(policy_id__in=ids)
    cases.update(status=CaseStatus.LAPSED, lapsed_at=now)
    return lapsed


def _hand_over(now) -> int:
    """Cases lapsed more than 48 hours go to the maintainers' queue, once; not those whose
    policy was reinstated meanwhile."""
    cutoff = now - HAND_OVER_AFTER
    lapsed = RenewalCase.objects.filter(
        status=CaseStatus.LAPSED, lapsed_at__lte=cutoff, handed_over_at__isnull=True,
        policy__status=PolicyStatus.LAPSED,
    )  # fmt: skip
    items_create(
        kind=LAPSED_KIND,
        select=lapsed.annotate(
            item_key=Value("lapsed"),
            item_title=Concat("policy__holder__display_name", Value(" · "), "policy__number"),
            item_agent=Value(None, output_field=IntegerField()),
            item_queue=Value(Queue.MAINTAINERS),
            item_due_on=Value(timezone.localdate(now), output_field=DateField()),
            item_priority=Value(50),
        ).values_list(
            "pk",
            "item_key",
            "item_title",
            "item_agent",
            "item_queue",
            "item_due_on",
            "item_priority",
        ),
        now=now,
    )
    return lapsed.update(handed_over_at=now)


@transaction.atomic
def renewals_morning_job(
    *, day: date | None = None, now=None, since: date | None = None,
    changed_since: datetime | None = None,
) -> MorningReport:  # fmt: skip
    """Open the cases entering their ladder, queue the touches that fall due (catching up),
    lapse unrenewed policies and hand cases lapsed over 48 hours to the maintainers.
    ``since``: the last day this job ran to its end (the morning run's record, kept only while
    the ladders stay as they were: ``ladders_signature``), and ``changed_since``, when that run
    started, so that only the policies entering a ladder or written since are read for new
    cases (``_open_cases``) and only the rungs fallen due since for touches
    (``_create_items``); None reads every policy in a ladder and every open case."""
    day = day or timezone.localdate()
    now = now or timezone.now()
    report = MorningReport(day=day)
    if since is not None and since >= day:
        since = None
    policy_followers_lock(shared=True)  # before the job writes or reads a policy
    with _job_work_mem():
        moved = _follow_end_dates()
        report.policies_lapsed = _lapse(day, now)
        opened = _open_cases(day, since=since, changed_since=changed_since)
        report.cases_opened = len(opened)
        if report.cases_opened > ANALYZE_AFTER:
            _refresh_statistics(RenewalCase)
        report.items_created = _create_items(
            day, now, since=since, recheck=[*opened, *moved], staged=opened
        )
        report.cases_handed_over = _hand_over(now)
        report.messages_queued = renewal_rung_messages(day=day, now=now)
    if report.cases_opened + report.total_items > ANALYZE_AFTER:
        # The cases once more only if not just done.
        big = report.cases_opened > ANALYZE_AFTER
        _refresh_statistics(WorkItem, *(() if big else (RenewalCase,)))
    return report


@transaction.atomic
def renewals_open_and_queue(*, day: date | None = None, now=None) -> MorningReport:
    """After an import brought new policies: open the cases of those that have entered their
    ladder and queue their due touches, without the rest of the morning job. A policy that had
    already ended (a lapse list) gets its case and its last touch too, then lapses as the
    morning job lapses every policy not renewed by its end date: the touch stays on the
    agent's call list and the case reaches the maintainers once lapsed 48 hours.

    Touches are queued for the cases this call opened only (``since`` today: the other open
    cases' rungs due by today were queued by today's morning run, or will be when it runs),
    not by joining every open case of the book with its policy and client and each fallen-due
    rung to find them already queued (about 0.9 CPU-second of the database's per 100,000 open
    cases, paid by every import, whatever its size)."""
    day = day or timezone.localdate()
    now = now or timezone.now()
    report = MorningReport(day=day)
    policy_followers_lock(shared=True)
    with _job_work_mem():
        opened = _open_cases(day, ended=True, now=now)
        report.cases_opened = len(opened)
        report.items_created = _create_items(day, now, since=day, recheck=opened, staged=opened)
        report.policies_lapsed = _lapse(day, now)
    return report


@transaction.atomic
def renewals_open_for(policy_ids: list[int], *, day: date | None = None, now=None) -> MorningReport:
    """``renewals_open_and_queue`` for these policies alone (an import's chunk, just
    committed): the cases of those that have entered their ladder or had already ended, their
    due touches, and the lapse of those past their end. It runs while the import writes its
    next chunks; the followers' lock (``policy_followers_lock``) keeps it apart from a chunk
    that renews or reassigns them (a lapsed case is won all the same by a renewal)."""
    day = day or timezone.localdate()
    now = now or timezone.now()
    report = MorningReport(day=day)
    policy_followers_lock(shared=True)
    with _job_work_mem():
        opened = _open_cases(day, ended=True, policies=list(policy_ids), now=now)
        report.cases_opened = len(opened)
        if opened:
            report.items_created = _create_items(
                day, now, since=day, recheck=opened, staged=opened
            )
        report.policies_lapsed = _lapse(day, now, policies=list(policy_ids))
    return report
