from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ExportRecord(models.Model):
    """Every export of data out of Cartera: who, what, with which filters, how many rows."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    what = models.CharField(_("what"), max_length=50)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.what} by {self.user_id} at {self.at:%Y-%m-%d %H:%M}"


class MorningRun(models.Model):
    """One part of one day's morning run (renewals, payments, service touches), done: written
    in the same transaction as the part's work (``brokerage.core.morning``), so that a second
    run of that day, or one beside it, finds the part done without reading the book again."""

    part = models.CharField(_("part"), max_length=40)
    day = models.DateField(_("day"))
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # What the part did, as its report's figures (for the command's and the task's output).
    report = models.JSONField(_("report"), default=dict, blank=True)

    class Meta:
        verbose_name = _("morning run")
        verbose_name_plural = _("morning runs")
        ordering = ["-day", "part"]
        constraints = [
            models.UniqueConstraint(fields=["part", "day"], name="morning_run_once_per_day")
        ]

    def __str__(self):
        return f"{self.part} {self.day.isoformat()}"
