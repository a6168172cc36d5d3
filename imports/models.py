import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from policies.models import Insurer

from .errors import render as render_error


class ReportKind(models.TextChoices):
    EXPIRY = "expiry", _("Expiry report")
    COLLECTIONS = "collections", _("Collection report")


class JobStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    # The dry run runs in a task: queued, then claimed by the worker running it.
    CHECK_QUEUED = "check_queued", _("Dry run queued")
    CHECKING = "checking", _("Dry run running")
    PREVIEWED = "previewed", _("Dry run done")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    # Never committed and taken off the list: its file and the data read from it are deleted.
    DISCARDED = "discarded", _("Discarded")


# Jobs that wrote nothing and may be discarded (a dry run or a commit in progress may not be).
DISCARDABLE = (JobStatus.UPLOADED, JobStatus.PREVIEWED)


def _report_path(instance, filename):
    return f"imports/{uuid.uuid4().hex}"


class ColumnMapping(models.Model):
    """Which column of an insurer's report fills which field: saved once, reused."""

    insurer = models.ForeignKey(Insurer, verbose_name=_("insurer"), on_delete=models.CASCADE)
    kind = models.CharField(_("report"), max_length=16, choices=ReportKind.choices)
    columns = models.JSONField(_("columns"), default=dict)  # {field: header}
    # The sheet the maintainer chose in a workbook of several (blank: the first with a header).
    sheet = models.CharField(_("sheet"), max_length=100, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("column mapping")
        verbose_name_plural = _("column mappings")
        constraints = [
            models.UniqueConstraint(fields=["insurer", "kind"], name="mapping_per_insurer")
        ]

    def __str__(self):
        return f"{self.insurer} · {self.get_kind_display()}"


class ImportJob(models.Model):
    """One uploaded report: its file, who and when, the mapping used, and what it did."""

    kind = models.CharField(
        _("report"), max_length=16, choices=ReportKind.choices, default=ReportKind.EXPIRY
    )
    insurer = models.ForeignKey(
        Insurer, verbose_name=_("insurer"), on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(_("file"), upload_to=_report_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    sha256 = models.CharField(max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.UPLOADED
    )
    columns = models.JSONField(_("columns"), default=dict)
    sheet = models.CharField(_("sheet"), max_length=100, blank=True)
    header_row = models.PositiveIntegerField(_("header row"), default=0)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    created = models.PositiveIntegerField(_("new"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    errors = models.PositiveIntegerField(_("errors"), default=0)
    preview = models.JSONField(_("preview"), default=dict, blank=True)
    # Read on upload, for the mapping page: {"sheets": [...], "headers": [...], "rows": [...]}
    # (the file's first rows as text), so the page never parses the file again.
    sample = models.JSONField(_("first rows"), default=dict, blank=True)
    diff = models.JSONField(_("since the last import"), default=dict, blank=True)
    policy_keys = models.JSONField(default=list, blank=True, editable=False)
    message = models.TextField(_("message"), blank=True)
    # When the commit was last sent to the broker: the beat sweep re-sends by this, not by upload.
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    discarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("discarded by"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    discarded_at = models.DateTimeField(_("discarded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-uploaded_at", "-pk"]
        indexes = [models.Index(fields=["insurer", "kind", "status"], name="import_by_insurer")]

    def __str__(self):
        return f"{self.original_name} ({self.insurer})"

    @property
    def percent(self) -> int:
        return min(int(self.rows_done * 100 / self.total_rows), 100) if self.total_rows else 0

    @property
    def changed_count(self) -> int:
        """Policies the import changed (its diff lists the first thousand)."""
        return self.diff.get("changed_count", len(self.diff.get("changed", {})))

    @property
    def changed_policies(self) -> list[tuple[str, list[tuple[str, str, str]]]]:
        """The first 50 changed policies as (number, [(field's label, before, after)]), the
        labels in the reader's language (the diff stores the fields' names)."""
        from policies.models import Policy

        def label(name: str) -> str:
            try:
                return str(Policy._meta.get_field(name).verbose_name)
            except Exception:  # noqa: BLE001 - a name from an older diff: shown as stored
                return name

        return [
            (number, [(label(name), pair[0], pair[1]) for name, pair in fields.items()])
            for number, fields in list(self.diff.get("changed", {}).items())[:50]
        ]

    @property
    def discardable(self) -> bool:
        """Never committed, and no task at work on it."""
        return self.status in DISCARDABLE

    def may_discard(self, user) -> bool:
        """Its uploader or a maintainer (or an administrator) may discard it."""
        return user.pk == self.uploaded_by_id or user.is_maintainer or user.is_cartera_admin

    @property
    def in_dry_run(self) -> bool:
        return self.status in (JobStatus.CHECK_QUEUED, JobStatus.CHECKING)

    @property
    def in_progress(self) -> bool:
        """A task is (or will be) working on the job: its page shows the progress bar."""
        return self.status in (
            JobStatus.CHECK_QUEUED,
            JobStatus.CHECKING,
            JobStatus.QUEUED,
            JobStatus.RUNNING,
        )


class RowLevel(models.TextChoices):
    ERROR = "error", _("Error")  # the row is not imported
    WARNING = "warning", _("Warning")  # the row is imported; something in it needs a look


class RowError(models.Model):
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    row = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=255, blank=True)
    value = models.CharField(_("value"), max_length=255, blank=True)
    reason = models.CharField(_("reason"), max_length=500)  # as rendered at import time
    code = models.CharField(_("code"), max_length=40, blank=True)  # imports.errors.TEMPLATES
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    level = models.CharField(
        _("level"), max_length=8, choices=RowLevel.choices, default=RowLevel.ERROR
    )

    class Meta:
        verbose_name = _("row error")
        verbose_name_plural = _("row errors")
        ordering = ["job", "row", "pk"]

    def __str__(self):
        return f"row {self.row}: {self.text}"

    @property
    def text(self) -> str:
        """The reason in the reader's language (rows stored before codes: as stored)."""
        return render_error(self.code, self.params, fallback=self.reason)


class CollectionLine(models.Model):
    """An instalment a committed collection report named, and what it said of it: the next
    report of the insurer is compared with these (newly paid, still unpaid, newly overdue)."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="collection_lines")
    instalment = models.ForeignKey(
        "billing.Instalment", verbose_name=_("instalment"), on_delete=models.CASCADE,
        related_name="+",
    )  # fmt: skip
    row = models.PositiveIntegerField(_("row"))
    paid = models.BooleanField(_("paid"))
    # Unpaid and past its due date on the day the report was imported.
    overdue = models.BooleanField(_("overdue"), default=False)

    class Meta:
        verbose_name = _("collection report line")
        verbose_name_plural = _("collection report lines")
        constraints = [
            models.UniqueConstraint(fields=["job", "instalment"], name="collection_line_once")
        ]

    def __str__(self):
        return f"{self.job_id} · {self.instalment_id}"
