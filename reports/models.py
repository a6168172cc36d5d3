from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
