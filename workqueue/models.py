from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ItemStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Queue(models.TextChoices):
    AGENT = "agent", _("Agent's call list")
    MAINTAINERS = "maintainers", _("Maintainers")


class WorkItem(models.Model):
    """One piece of work for one agent on one day: a renewal touch, a payment-due notice, a
    claim follow-up, a call-back. ``kind`` names a registered kind (workqueue.kinds) and
    ``subject_id`` the kind's own record; ``key`` makes an item unique for its subject (for
    example the renewal rung), so a job run twice creates it once.

    Written only by workqueue.services, which keeps the derived columns ``handed_out_at``
    (the hand-out rule) and ``first_contact_at``/``first_contact_by``; no trigger of the
    queue's own (the reports count every statement's items into their rollups by triggers
    declared on reports.models.WorkItemRolledUp)."""

    kind = models.CharField(_("kind"), max_length=32)
    subject_id = models.PositiveBigIntegerField(_("subject"))
    key = models.CharField(_("key"), max_length=64, default="", blank=True)
    title = models.CharField(_("title"), max_length=255)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="work_items",
        db_index=False,  # workitem_agent_open (Meta) leads with it
    )
    queue = models.CharField(_("queue"), max_length=16, choices=Queue.choices, default=Queue.AGENT)
    due_on = models.DateField(_("due on"))
    priority = models.SmallIntegerField(_("priority"), default=0)
    status = models.CharField(
        _("status"), max_length=16, choices=ItemStatus.choices, default=ItemStatus.OPEN
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    result = models.CharField(_("contact result"), max_length=32, blank=True)
    callback_at = models.DateTimeField(_("call back at"), null=True, blank=True)
    handed_out_at = models.DateTimeField(_("handed out at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # The first contact result logged since the hand-out, when and by whom, so that agent
    # performance reads one table: kept by workqueue.services (every result and every hand-out
    # goes through it), never by a form or the admin.
    first_contact_at = models.DateTimeField(_("first contact result at"), null=True, editable=False)
    first_contact_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("first contact result by"),
        on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, null=True,
        editable=False, related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = _("work item")
        verbose_name_plural = _("work items")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_id", "key"], name="workitem_unique_per_subject"
            )
        ]
        indexes = [
            models.Index(fields=["agent", "status", "due_on"], name="workitem_agent_open"),
            models.Index(fields=["queue", "status", "due_on"], name="workitem_queue_open"),
            # The distribution's pool: the open call-list items nobody holds (a departed
            # agent's are read through workitem_agent_open), and the day's hand-out it checks.
            models.Index(
                fields=["due_on"], name="workitem_pool",
                condition=models.Q(agent__isnull=True, status="open", queue="agent"),
            ),
            models.Index(
                fields=["handed_out_at"], name="workitem_handed_out",
                condition=models.Q(handed_out_at__isnull=False),
            ),
        ]  # fmt: skip

    def __str__(self):
        return f"{self.kind} #{self.subject_id}: {self.title}"


class ItemResult(models.Model):
    """Every result logged on an item, so the call list can show the previous ones."""

    item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="results")
    result = models.CharField(_("result"), max_length=32)
    note = models.CharField(_("note"), max_length=255, blank=True)
    callback_at = models.DateTimeField(_("call back at"), null=True, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), auto_now_add=True)
    # The submission this result came from (a token in the card's form): the same form posted
    # again (a double click, a retry) is recognised by it and logs nothing more.
    token = models.UUIDField(_("submission"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("logged result")
        verbose_name_plural = _("logged results")
        ordering = ["item", "at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["item", "token"], name="itemresult_once_per_submission")
        ]

    def __str__(self):
        return f"{self.result} on {self.item_id}"


class HandOutReason(models.TextChoices):
    OWNER = "owner", _("Client's owner")
    CONTINUITY = "continuity", _("Worked this case before")
    SHARED = "shared", _("Shared at random")


class DistributionRun(models.Model):
    """One hand-out of the items nobody owns: its random seed, the deadline it checked, the
    agents it skipped and why, and (in its lines) who got which item and why."""

    day = models.DateField(_("day"))
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("run by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the morning job ran it."),
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    seed = models.BigIntegerField(_("random seed"))
    cutoff_at = models.DateTimeField(_("results checked up to"))
    items_count = models.PositiveIntegerField(_("items handed out"), default=0)
    unassigned_count = models.PositiveIntegerField(_("items left for lack of agents"), default=0)
    skipped = models.JSONField(_("agents skipped"), default=list, blank=True)

    class Meta:
        verbose_name = _("distribution run")
        verbose_name_plural = _("distribution runs")
        ordering = ["-started_at", "-pk"]

    def __str__(self):
        return f"{self.day} #{self.pk}"


class DistributionLine(models.Model):
    run = models.ForeignKey(DistributionRun, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("agent"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    previous_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("previous agent"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    reason = models.CharField(_("why"), max_length=16, choices=HandOutReason.choices)

    class Meta:
        verbose_name = _("handed-out item")
        verbose_name_plural = _("handed-out items")
        ordering = ["run", "agent", "pk"]

    def __str__(self):
        return f"{self.item_id} → {self.agent_id} ({self.reason})"


class PointsAward(models.Model):
    """Points an agent earned, e.g. for a won renewal (a base plus an amount per premium).
    One award per subject of a kind: winning the same renewal twice cannot happen."""

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("agent"), on_delete=models.PROTECT,
        related_name="points_awards",
    )  # fmt: skip
    kind = models.CharField(_("kind"), max_length=32)
    subject_id = models.PositiveBigIntegerField(_("subject"))
    points = models.DecimalField(_("points"), max_digits=10, decimal_places=2)
    premium = models.DecimalField(_("premium"), max_digits=12, decimal_places=2, null=True)
    reason = models.CharField(_("reason"), max_length=255)
    awarded_at = models.DateTimeField(_("awarded at"), default=timezone.now)

    class Meta:
        verbose_name = _("points award")
        verbose_name_plural = _("points awards")
        constraints = [
            models.UniqueConstraint(fields=["kind", "subject_id"], name="points_once_per_subject")
        ]
        indexes = [models.Index(fields=["awarded_at", "agent"], name="points_by_day")]

    def __str__(self):
        return f"{self.points} → {self.agent_id}"
