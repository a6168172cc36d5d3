import pgtrigger
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from brokerage.core.sql import SqlNames
from brokerage.core.triggers import InsertTrigger, copied_reference
from renewals.models import CaseStatus, RenewalCase


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


class RenewalDay(models.Model):
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
        verbose_name = _("renewal cases of a day")
        verbose_name_plural = _("renewal cases per day")
        constraints = [
            models.UniqueConstraint(
                fields=["day", *ROLLUP_KEYS], nulls_distinct=False, name="renewal_day_key"
            ),
        ]

    def __str__(self):
        return f"{self.day} {self.status}: {self.cases}"


def _rollup_columns():
    case, day = SqlNames(RenewalCase), SqlNames(RenewalDay)
    keys = [(getattr(day, k), getattr(case, k)) for k in ROLLUP_KEYS]
    return case, day, keys


def rollup_upsert_sql(source: str, sign: str = "1") -> str:
    """An upsert adding the cases in ``source`` (a table or subquery with the cases' columns,
    and a ``sign`` column when ``sign`` names it) to the rollup: grouped per key, in key
    order, deltas that cancel out left unwritten."""
    case, day, keys = _rollup_columns()
    status = case.status
    group = ", ".join([case.end_date, *(c for _d, c in keys)])
    renewed = (
        f"CASE WHEN {case.renewed_currency} = {case.currency} "
        f"THEN COALESCE({case.renewed_premium}, 0) ELSE 0 END"
    )
    return f"""
        INSERT INTO {day.table} ({day.day}, {", ".join(d for d, _c in keys)}, {day.cases},
                                 {day.last_premium}, {day.renewed_premium})
        SELECT {group}, SUM({sign}), SUM({sign} * {case.last_premium}), SUM({sign} * {renewed})
          FROM {source} AS changed
         WHERE {status} <> '{CaseStatus.CANCELLED}'
         GROUP BY {group}
        HAVING SUM({sign}) <> 0 OR SUM({sign} * {case.last_premium}) <> 0
            OR SUM({sign} * {renewed}) <> 0
         ORDER BY {group}
        ON CONFLICT ({day.day}, {", ".join(d for d, _c in keys)}) DO UPDATE
           SET {day.cases} = {day.table}.{day.cases} + EXCLUDED.{day.cases},
               {day.last_premium} = {day.table}.{day.last_premium} + EXCLUDED.{day.last_premium},
               {day.renewed_premium} = {day.table}.{day.renewed_premium}
                                       + EXCLUDED.{day.renewed_premium}"""


def _rollup_func(sources: str):
    def func(_model) -> str:
        return rollup_upsert_sql(f"({sources})", sign="sign") + ";\n        RETURN NULL;"

    return func


class RenewalCaseRolledUp(RenewalCase):
    """Renewal cases as the reports see them: the triggers that keep RenewalDay fire on the
    cases' table but belong to reports, which sits above renewals, so they are declared on
    this proxy (their migration is reports'). One per operation: a trigger with transition
    tables fires on one event."""

    class Meta:
        proxy = True
        default_permissions = ()
        triggers = [
            InsertTrigger(
                name="rollup_insert", when=pgtrigger.After, operation=pgtrigger.Insert,
                level=pgtrigger.Statement, referencing=pgtrigger.Referencing(new="new_cases"),
                func=_rollup_func("SELECT 1 AS sign, * FROM new_cases"),
            ),
            InsertTrigger(
                name="rollup_update", when=pgtrigger.After, operation=pgtrigger.Update,
                level=pgtrigger.Statement,
                referencing=pgtrigger.Referencing(old="old_cases", new="new_cases"),
                func=_rollup_func(
                    "SELECT 1 AS sign, * FROM new_cases UNION ALL SELECT -1, * FROM old_cases"
                ),
            ),
            InsertTrigger(
                name="rollup_delete", when=pgtrigger.After, operation=pgtrigger.Delete,
                level=pgtrigger.Statement, referencing=pgtrigger.Referencing(old="old_cases"),
                func=_rollup_func("SELECT -1 AS sign, * FROM old_cases"),
            ),
        ]  # fmt: skip
