import pgtrigger
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from brokerage.core.sql import SqlNames
from brokerage.core.triggers import InsertTrigger, copied_reference
from renewals.models import CaseStatus, RenewalCase
from workqueue.models import ItemStatus, PointsAward, WorkItem


class PrintStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class DashboardPrint(models.Model):
    """The whole dashboard as a PDF, printed by a Celery task (a minute at a large book): who
    asked, with which filters and in which language, how far it has got, and the file."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("asked by"), on_delete=models.CASCADE,
        related_name="+",
    )  # fmt: skip
    filters = models.JSONField(_("filters"), default=dict)
    language = models.CharField(_("language"), max_length=10)
    status = models.CharField(
        _("status"), max_length=10, choices=PrintStatus.choices, default=PrintStatus.QUEUED
    )
    views_done = models.PositiveSmallIntegerField(_("views done"), default=0)
    views_total = models.PositiveSmallIntegerField(_("views"), default=0)
    file = models.FileField(_("file"), upload_to="reports/prints/", blank=True)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("asked at"), default=timezone.now)
    # When the print was last sent to the broker: the beat sweep re-sends by this.
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("dashboard print")
        verbose_name_plural = _("dashboard prints")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == PrintStatus.DONE:
            return 100
        return int(100 * self.views_done / self.views_total) if self.views_total else 0


# The renewal-case columns a rollup row is keyed on (its ``day`` is the case's end date).
ROLLUP_KEYS = ("agent", "insurer", "line", "currency", "status", "outcome_reason", "lost_to",
               "lost_why")  # fmt: skip
# The monthly rollup's (RenewalMonth): RenewalDay's but the insurer and the line.
MONTH_KEYS = ("agent", "currency", "status", "outcome_reason", "lost_to", "lost_why")
# The open cases' rollup's (RenewalOpenDay): the pipeline's groupings and filters.
OPEN_KEYS = ("agent", "insurer", "line", "currency", "stage", "grade")


class RenewalOutcomeCounts(models.Model):
    """What RenewalDay and RenewalMonth count for each of their keys: the cases' status and
    outcome (reason, winning insurer, why), how many, and their premiums."""

    status = models.CharField(_("status"), max_length=16)
    outcome_reason = models.CharField(_("reason"), max_length=24, blank=True)
    lost_to = copied_reference("policies.Insurer", _("renewed with"))
    lost_why = models.CharField(_("why they left"), max_length=16, blank=True)
    cases = models.IntegerField(_("cases"), default=0)
    last_premium = models.DecimalField(
        _("last year's premium"), max_digits=16, decimal_places=2, default=0
    )
    renewed_premium = models.DecimalField(
        _("renewed premium"), max_digits=16, decimal_places=2, default=0
    )

    class Meta:
        abstract = True


class RenewalDay(RenewalOutcomeCounts):
    """The renewal cases whose policy ends on ``day``, counted per agent, insurer, line,
    currency, status and outcome (reason, winning insurer, why): what the renewal-rate and
    lost-renewals dashboards add up, so that a year of a million-policy book is a few thousand
    rows instead of a million cases. Cancelled cases are not counted (no dashboard counts
    them). ``renewed_premium`` holds only the renewing premium written in the case's own
    currency (the dashboards sum one currency at a time).

    Kept by the database: statement-level triggers on the cases' table (declared on the proxy
    ``RenewalCaseRolledUp`` below) add each statement's inserted, updated and deleted cases as
    +1/−1 deltas, in the same transaction. Additive upserts commute, so two transactions that
    change cases of the same key at once both count (the second waits on the row's lock and
    adds to what the first committed); no recount can read a stale snapshot. Rows a statement
    writes are upserted in key order, so two statements never take each other's rows in
    opposite orders. Every writer is caught: the services, the morning job's set-based SQL,
    the policies' trigger that moves a reassigned book. ``rebuild_rollups`` recounts a range
    from the cases (after a restore, or to check)."""

    day = models.DateField(_("policy ends"))
    agent = copied_reference(settings.AUTH_USER_MODEL, _("agent"))
    insurer = copied_reference("policies.Insurer", _("insurer"))
    line = models.CharField(_("line of business"), max_length=16, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)

    class Meta:
        verbose_name = _("renewal cases of a day")
        verbose_name_plural = _("renewal cases per day")
        constraints = [
            models.UniqueConstraint(
                fields=["day", *ROLLUP_KEYS], nulls_distinct=False, name="renewal_day_key"
            ),
        ]

    def __str__(self):
        return f"{self.day} {self.status}: {self.cases}"


class RenewalMonth(RenewalOutcomeCounts):
    """RenewalDay's figures per month (``day``: the month's first day) and without the insurer
    and the line: a year of a large book is a few thousand rows here where RenewalDay, with
    every dimension, keeps nearly a row per case (hundreds of agents × insurers × lines ×
    currencies leave a few cases per day and key). The reports read it for the whole months
    of their range when they neither group nor filter by insurer or line (rollups.split)."""

    day = models.DateField(_("month"))
    agent = copied_reference(settings.AUTH_USER_MODEL, _("agent"))
    currency = models.CharField(_("currency"), max_length=3, blank=True)

    class Meta:
        verbose_name = _("renewal cases of a month")
        verbose_name_plural = _("renewal cases per month")
        constraints = [
            models.UniqueConstraint(
                fields=["day", *MONTH_KEYS], nulls_distinct=False, name="renewal_month_key"
            ),
        ]

    def __str__(self):
        return f"{self.day:%Y-%m} {self.status}: {self.cases}"


class RenewalOpenDay(models.Model):
    """The open renewal cases whose policy ends on ``day``, per agent, insurer, line,
    currency, stage and grade, with the premium at stake (the quoted premium, else last
    year's): what the pipeline adds up. Kept by the same triggers as RenewalDay, the same
    way."""

    day = models.DateField(_("policy ends"))
    agent = copied_reference(settings.AUTH_USER_MODEL, _("agent"))
    insurer = copied_reference("policies.Insurer", _("insurer"))
    line = models.CharField(_("line of business"), max_length=16, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    stage = models.CharField(_("stage"), max_length=30, blank=True)
    grade = models.CharField(_("grade"), max_length=1, blank=True)
    cases = models.IntegerField(_("cases"), default=0)
    at_stake = models.DecimalField(_("at stake"), max_digits=16, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("open renewal cases of a day")
        verbose_name_plural = _("open renewal cases per day")
        constraints = [
            models.UniqueConstraint(
                fields=["day", *OPEN_KEYS], nulls_distinct=False, name="renewal_open_day_key"
            ),
        ]

    def __str__(self):
        return f"{self.day} {self.stage}: {self.cases}"


def _upsert_sql(model, keys, measures: dict, where: str, source: str, sign: str,
                day_sql: str | None = None) -> str:  # fmt: skip
    """An upsert adding the cases in ``source`` (a table or subquery with the cases' columns,
    and a ``sign`` column when ``sign`` names it) that match ``where`` to ``model``'s rows:
    grouped per key (the case's end date, or ``day_sql``, and ``keys``), in key order,
    ``measures`` (column -> SQL over a case) summed times the sign; deltas that cancel out
    left unwritten."""
    case, day = SqlNames(RenewalCase), SqlNames(model)
    group = ", ".join([day_sql or case.end_date, *(getattr(case, k) for k in keys)])
    target = ", ".join([day.day, *(getattr(day, k) for k in keys)])
    sums = {getattr(day, name): f"SUM({sign} * {sql})" for name, sql in measures.items()}
    return f"""
        INSERT INTO {day.table} ({target}, {", ".join(sums)})
        SELECT {group}, {", ".join(sums.values())}
          FROM {source} AS changed
         WHERE {where}
         GROUP BY {group}
        HAVING {" OR ".join(f"{total} <> 0" for total in sums.values())}
         ORDER BY {group}
        ON CONFLICT ({target}) DO UPDATE
           SET {", ".join(f"{c} = {day.table}.{c} + EXCLUDED.{c}" for c in sums)}"""


def _case_measures() -> dict[str, str]:
    """What the cases' rollups sum, as SQL over a case: the count, last year's premium, the
    renewing premium written in the case's own currency, the premium at stake."""
    case = SqlNames(RenewalCase)
    return {
        "cases": "1",
        "last_premium": case.last_premium,
        "renewed_premium": (
            f"CASE WHEN {case.renewed_currency} = {case.currency} "
            f"THEN COALESCE({case.renewed_premium}, 0) ELSE 0 END"
        ),
        "at_stake": f"COALESCE({case.quoted_premium}, {case.last_premium})",
    }


def rollup_upsert_sql(source: str, sign: str = "1", measures: dict | None = None) -> str:
    """RenewalDay's upsert of the cases in ``source`` (_upsert_sql): cancelled cases left
    out, the renewing premium only in the case's own currency. ``measures``: other SQL for
    the sums (``case_rollups_sql``'s, over cases already summed)."""
    case, sums = SqlNames(RenewalCase), measures or _case_measures()
    return _upsert_sql(
        RenewalDay, ROLLUP_KEYS,
        {k: sums[k] for k in ("cases", "last_premium", "renewed_premium")},
        f"{case.status} <> '{CaseStatus.CANCELLED}'", source, sign,
    )  # fmt: skip


def month_upsert_sql(source: str, sign: str = "1", measures: dict | None = None) -> str:
    """RenewalMonth's upsert of the cases in ``source``: RenewalDay's per month."""
    case, sums = SqlNames(RenewalCase), measures or _case_measures()
    return _upsert_sql(
        RenewalMonth, MONTH_KEYS,
        {k: sums[k] for k in ("cases", "last_premium", "renewed_premium")},
        f"{case.status} <> '{CaseStatus.CANCELLED}'", source, sign,
        day_sql=f"CAST(DATE_TRUNC('month', {case.end_date}) AS date)",
    )  # fmt: skip


def open_upsert_sql(source: str, sign: str = "1", measures: dict | None = None) -> str:
    """RenewalOpenDay's upsert of the open cases in ``source`` (_upsert_sql)."""
    case, sums = SqlNames(RenewalCase), measures or _case_measures()
    return _upsert_sql(
        RenewalOpenDay, OPEN_KEYS, {k: sums[k] for k in ("cases", "at_stake")},
        f"{case.status} = '{CaseStatus.OPEN}'", source, sign,
    )  # fmt: skip


def case_rollups_sql(source: str) -> str:
    """The three cases' upserts (RenewalDay's, RenewalMonth's, RenewalOpenDay's) of the cases
    in ``source`` (with a ``sign`` column) as one statement that reads them once: summed
    first per every key any of the three groups by (a bulk statement's 100,000 cases are a
    few dozen rows there), then each rollup's upsert sums those rows (sums of sums: the same
    totals). The three upserts run in one fixed order in every transaction (PostgreSQL runs
    a statement's data-modifying WITH clauses after its main query), each in its rows' key
    order, so two writers still take the rollups' rows in the same order."""
    case = SqlNames(RenewalCase)
    keys = [case.end_date, *dict.fromkeys(getattr(case, k) for k in (*ROLLUP_KEYS, *OPEN_KEYS))]
    measures = _case_measures()
    sums = {name: f"s_{name}" for name in measures}
    totals = ", ".join(f"SUM(sign * {sql}) AS {sums[name]}" for name, sql in measures.items())
    return f"""
        WITH summed AS MATERIALIZED (
            SELECT {", ".join(keys)}, {totals}
              FROM {source} AS changed
             GROUP BY {", ".join(keys)}
        ),
        days AS ({rollup_upsert_sql("summed", measures=sums)}),
        months AS ({month_upsert_sql("summed", measures=sums)})
        {open_upsert_sql("summed", measures=sums)}"""


def rollup_triggers(prefix: str, rows: str, *upserts) -> list:
    """The three statement-level triggers (insert, update, delete; a trigger with transition
    tables fires on one event) that add each statement's new rows as +1 and its old rows as −1
    to rollups: ``upserts`` are functions of a source of rows with a ``sign`` column returning
    one upsert's SQL each. Named ``<prefix>rollup_<operation>``; the transition tables
    ``new_<rows>`` and ``old_<rows>``.

    The upserts run with JIT compilation off (then the setting as it was): the planner costs
    a cross join with the clock's row and a transition table of a bulk statement's 100,000
    rows high enough to compile each upsert with inlining and optimization, 0.5-0.75 s apiece
    (the work items' two upserts 1.1-1.5 s of an import's 100,000 items), for aggregates that
    take milliseconds to run."""
    new, old = f"new_{rows}", f"old_{rows}"

    def func(sources: str):
        def sql(_model) -> str:
            upserting = ";\n".join(upsert(f"({sources})") for upsert in upserts)
            return (
                "jit_was := current_setting('jit');\n"
                "        PERFORM set_config('jit', 'off', true);\n"
                f"{upserting};\n"
                "        PERFORM set_config('jit', jit_was, true);\n"
                "        RETURN NULL;"
            )

        return sql

    declare = [("jit_was", "text")]
    return [
        InsertTrigger(
            name=f"{prefix}rollup_insert", when=pgtrigger.After, operation=pgtrigger.Insert,
            level=pgtrigger.Statement, referencing=pgtrigger.Referencing(new=new),
            declare=declare, func=func(f"SELECT 1 AS sign, * FROM {new}"),
        ),
        InsertTrigger(
            name=f"{prefix}rollup_update", when=pgtrigger.After, operation=pgtrigger.Update,
            level=pgtrigger.Statement, referencing=pgtrigger.Referencing(old=old, new=new),
            declare=declare,
            func=func(f"SELECT 1 AS sign, * FROM {new} UNION ALL SELECT -1, * FROM {old}"),
        ),
        InsertTrigger(
            name=f"{prefix}rollup_delete", when=pgtrigger.After, operation=pgtrigger.Delete,
            level=pgtrigger.Statement, referencing=pgtrigger.Referencing(old=old),
            declare=declare, func=func(f"SELECT -1 AS sign, * FROM {old}"),
        ),
    ]  # fmt: skip


class RenewalCaseRolledUp(RenewalCase):
    """Renewal cases as the reports see them: the triggers that keep RenewalDay, RenewalMonth
    and RenewalOpenDay fire on the cases' table but belong to reports, which sits above
    renewals, so they are declared on this proxy (their migration is reports'). One per
    operation: a trigger with transition tables fires on one event."""

    class Meta:
        proxy = True
        default_permissions = ()
        triggers = rollup_triggers("", "cases", case_rollups_sql)


class RollupClock(models.Model):
    """The time zone and the result cutoff (settings.TIME_ZONE, settings.WORK_RESULT_CUTOFF)
    the work items' rollups (WorkDay, WorkMonth) are counted under: an item's hand-out day is
    a local day and "on time" is "by the cutoff of the day after", so both depend on them. One
    row, written by the migration and by ``rebuild_rollups`` (which recounts the rollups
    whenever the settings have changed), read by the rollups' triggers. The agent-performance
    report reads the rollups only while this row names the current time zone and cutoff;
    otherwise it counts the items (exact either way)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    time_zone = models.CharField(_("time zone"), max_length=64)
    result_cutoff = models.TimeField(_("result cutoff"))

    class Meta:
        verbose_name = _("rollups' clock")
        verbose_name_plural = _("rollups' clock")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="rollup_clock_one")]

    def __str__(self):
        return f"{self.time_zone} {self.result_cutoff:%H:%M}"


# The work items' rollups' keys besides the day: the item's owner (its agent, or for an item
# that left the agents' lists the agent who logged its first result), its result, whether it
# was worked and whether by the cutoff (performance.work_figures' groups but past_cutoff,
# which is a function of the day and today).
WORK_KEYS = ("owner", "result", "worked", "on_time")


class WorkCounts(models.Model):
    """What WorkDay and WorkMonth count per key: the work items handed out."""

    owner = copied_reference(settings.AUTH_USER_MODEL, _("agent"))
    result = models.CharField(_("contact result"), max_length=32, blank=True)
    worked = models.BooleanField(_("worked"))
    on_time = models.BooleanField(_("on time"))
    items = models.IntegerField(_("items"), default=0)

    class Meta:
        abstract = True


class WorkDay(WorkCounts):
    """The work items handed out on ``day`` (the local day, RollupClock's time zone), counted
    per owner, result, worked and worked by the cutoff: what the agent-performance report adds
    up (a year of a million-policy book's 130,000 items is some 50,000 rows here, 7,500 in
    WorkMonth). Cancelled items, items never handed out and items with no owner are not
    counted (the report counts none of them).

    Kept by the database as RenewalDay is: statement-level triggers on the items' table
    (declared on the proxy ``WorkItemRolledUp`` below) add each statement's inserted, updated
    and deleted items as +1/−1 deltas, in the writer's transaction, in key order; a result
    logged, an item closed, reassigned, sent to the maintainers or cancelled moves it between
    keys."""

    day = models.DateField(_("handed out on"))

    class Meta:
        verbose_name = _("work items of a day")
        verbose_name_plural = _("work items per day")
        constraints = [
            models.UniqueConstraint(
                fields=["day", *WORK_KEYS], nulls_distinct=False, name="work_day_key"
            ),
        ]

    def __str__(self):
        return f"{self.day} {self.owner_id} {self.result}: {self.items}"


class WorkMonth(WorkCounts):
    """WorkDay's figures per month (``day``: the month's first day): the report reads them for
    the whole months of its range whose every day is past its cutoff."""

    day = models.DateField(_("month"))

    class Meta:
        verbose_name = _("work items of a month")
        verbose_name_plural = _("work items per month")
        constraints = [
            models.UniqueConstraint(
                fields=["day", *WORK_KEYS], nulls_distinct=False, name="work_month_key"
            ),
        ]

    def __str__(self):
        return f"{self.day:%Y-%m} {self.owner_id} {self.result}: {self.items}"


def work_upsert_sql(model, source: str, sign: str = "1", where: str = "") -> str:
    """An upsert adding the work items in ``source`` (a table or subquery with the items'
    columns, and a ``sign`` column when ``sign`` names it) that match ``where`` to ``model``'s
    rows (WorkDay's, or WorkMonth's per month; ``where``: more conditions, each after an
    `` AND ``), the day and "on time" reckoned with
    RollupClock's time zone and cutoff (nothing is counted while it has no row), as
    performance.work_figures reckons them: worked when a contact result was logged or the
    item closed; on time when the first contact result or the closing came on the local
    hand-out day or the next one by the cutoff (local wall-clock times compared)."""
    item, target, clock = SqlNames(WorkItem), SqlNames(model), SqlNames(RollupClock, "clock")
    local_day = f"CAST(({item.handed_out_at} AT TIME ZONE {clock.time_zone}) AS date)"
    day = local_day if model is WorkDay else f"CAST(DATE_TRUNC('month', {local_day}) AS date)"
    first = (
        f"LEAST({item.first_contact_at} AT TIME ZONE {clock.time_zone}, "
        f"{item.done_at} AT TIME ZONE {clock.time_zone})"
    )
    group = ", ".join([
        day, f"COALESCE({item.agent_id}, {item.first_contact_by_id})", item.result,
        f"({item.first_contact_at} IS NOT NULL OR {item.status} = '{ItemStatus.DONE}')",
        f"COALESCE({first} <= {local_day} + 1 + {clock.result_cutoff}, FALSE)",
    ])  # fmt: skip
    columns = ", ".join([target.day, *(getattr(target, k) for k in WORK_KEYS)])
    return f"""
        INSERT INTO {target.table} ({columns}, {target.items})
        SELECT {group}, SUM({sign})
          FROM {source} AS changed CROSS JOIN {clock.from_}
         WHERE {item.status} <> '{ItemStatus.CANCELLED}' AND {item.handed_out_at} IS NOT NULL
           AND COALESCE({item.agent_id}, {item.first_contact_by_id}) IS NOT NULL{where}
         GROUP BY {group}
        HAVING SUM({sign}) <> 0
         ORDER BY {group}
        ON CONFLICT ({columns}) DO UPDATE
           SET {target.items} = {target.table}.{target.items} + EXCLUDED.{target.items}"""


class WorkItemRolledUp(WorkItem):
    """Work items as the reports see them: the triggers that keep WorkDay and WorkMonth fire on
    the items' table but belong to reports (which sits above workqueue), so they are declared
    on this proxy, one per operation as RenewalCaseRolledUp's."""

    class Meta:
        proxy = True
        default_permissions = ()
        triggers = rollup_triggers(
            "work_", "items",
            lambda source: work_upsert_sql(WorkDay, source, sign="sign"),
            lambda source: work_upsert_sql(WorkMonth, source, sign="sign"),
        )  # fmt: skip


class PointsCounts(models.Model):
    """What PointsDay and PointsMonth count per agent: the points awards and their points."""

    agent = copied_reference(settings.AUTH_USER_MODEL, _("agent"))
    awards = models.IntegerField(_("awards"), default=0)
    points = models.DecimalField(_("points"), max_digits=16, decimal_places=2, default=0)

    class Meta:
        abstract = True


class PointsDay(PointsCounts):
    """The points awarded on ``day`` (the local day, RollupClock's time zone) per agent: what
    agent performance adds up, kept by the triggers declared on ``PointsAwardRolledUp`` as
    WorkDay is (additive deltas in the writer's transaction, in key order)."""

    day = models.DateField(_("awarded on"))

    class Meta:
        verbose_name = _("points of a day")
        verbose_name_plural = _("points per day")
        constraints = [models.UniqueConstraint(fields=["day", "agent"], name="points_day_key")]

    def __str__(self):
        return f"{self.day} {self.agent_id}: {self.points}"


class PointsMonth(PointsCounts):
    """PointsDay's figures per month (``day``: the month's first day)."""

    day = models.DateField(_("month"))

    class Meta:
        verbose_name = _("points of a month")
        verbose_name_plural = _("points per month")
        constraints = [models.UniqueConstraint(fields=["day", "agent"], name="points_month_key")]

    def __str__(self):
        return f"{self.day:%Y-%m} {self.agent_id}: {self.points}"


def points_upsert_sql(model, source: str, sign: str = "1", where: str = "") -> str:
    """An upsert adding the points awards in ``source`` (as work_upsert_sql's) to ``model``'s
    rows (PointsDay's, or PointsMonth's per month), per local day of the award (RollupClock's
    time zone; nothing is counted while it has no row) and agent."""
    award, target, clock = SqlNames(PointsAward), SqlNames(model), SqlNames(RollupClock, "clock")
    local_day = f"CAST(({award.awarded_at} AT TIME ZONE {clock.time_zone}) AS date)"
    day = local_day if model is PointsDay else f"CAST(DATE_TRUNC('month', {local_day}) AS date)"
    group = f"{day}, {award.agent_id}"
    columns = f"{target.day}, {target.agent_id}"
    sums = f"SUM({sign}), SUM({sign} * {award.points})"
    return f"""
        INSERT INTO {target.table} ({columns}, {target.awards}, {target.points})
        SELECT {group}, {sums}
          FROM {source} AS changed CROSS JOIN {clock.from_}
         WHERE TRUE{where}
         GROUP BY {group}
        HAVING SUM({sign}) <> 0 OR SUM({sign} * {award.points}) <> 0
         ORDER BY {group}
        ON CONFLICT ({columns}) DO UPDATE
           SET {target.awards} = {target.table}.{target.awards} + EXCLUDED.{target.awards},
               {target.points} = {target.table}.{target.points} + EXCLUDED.{target.points}"""


class PointsAwardRolledUp(PointsAward):
    """Points awards as the reports see them: the triggers that keep PointsDay and PointsMonth,
    declared here as WorkItemRolledUp's."""

    class Meta:
        proxy = True
        default_permissions = ()
        triggers = rollup_triggers(
            "points_", "awards",
            lambda source: points_upsert_sql(PointsDay, source, sign="sign"),
            lambda source: points_upsert_sql(PointsMonth, source, sign="sign"),
        )  # fmt: skip
