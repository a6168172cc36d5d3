from decimal import Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from policies.models import Insurer, Line, Policy

from .ladders import validate_rungs


class Stage(models.TextChoices):
    REMINDER = "reminder", _("Reminder")
    QUOTE = "quote", _("Quote and renew")
    NEGOTIATION = "negotiation", _("Negotiation")
    CONFIRMATION = "confirmation", _("Confirmation")
    PUSH = "push", _("Push")
    PERSIST = "persist", _("Persist")
    LAPSE_NOTICE = "lapse_notice", _("Lapse notice")


class Ladder(models.Model):
    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=30, unique=True)
    rungs = models.JSONField(_("rungs"), default=list)
    is_default = models.BooleanField(_("default ladder"), default=False)

    class Meta:
        verbose_name = _("renewal ladder")
        verbose_name_plural = _("renewal ladders")
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="ladder_one_default",
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        self.rungs = validate_rungs(self.rungs)

    @property
    def days(self) -> list[int]:
        return [r["days"] for r in self.rungs]

    @property
    def max_days(self) -> int:
        return max(self.days)


class LadderRule(models.Model):
    """Which ladder serves a line of business, an insurer, or an insurer's line."""

    ladder = models.ForeignKey(Ladder, on_delete=models.CASCADE, related_name="rules")
    line = models.CharField(_("line of business"), max_length=16, choices=Line.choices, blank=True)
    insurer = models.ForeignKey(
        Insurer, verbose_name=_("insurer"), on_delete=models.CASCADE, null=True, blank=True
    )

    class Meta:
        verbose_name = _("ladder rule")
        verbose_name_plural = _("ladder rules")
        constraints = [
            # NULLS NOT DISTINCT: two line-only rules for the same line are duplicates too.
            models.UniqueConstraint(
                fields=["line", "insurer"], name="ladder_rule_unique", nulls_distinct=False
            ),
            models.CheckConstraint(
                condition=~models.Q(line="", insurer__isnull=True), name="ladder_rule_not_empty"
            ),
        ]

    def __str__(self):
        return f"{self.insurer or '*'} / {self.line or '*'} → {self.ladder}"

    @property
    def specificity(self) -> int:
        return (2 if self.insurer_id else 0) + (1 if self.line else 0)


class Grade(models.TextChoices):
    A = "A", _("A — sure")
    B = "B", _("B — likely")
    C = "C", _("C — possible")
    D = "D", _("D — likely lost")


class ClientType(models.TextChoices):
    PRICE = "price", _("Price-sensitive")
    SERVICE = "service", _("Service-sensitive")
    INDIFFERENT = "indifferent", _("Indifferent")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")
    LAPSED = "lapsed", _("Lapsed")
    CANCELLED = "cancelled", _("Cancelled")


class LostReason(models.TextChoices):
    RENEWED_ELSEWHERE = "renewed_elsewhere", _("Renewed with another insurer")
    PRICE = "price", _("Price")
    SERVICE = "service", _("Service")
    VEHICLE_SOLD = "vehicle_sold", _("Vehicle sold")
    DECLINED = "declined", _("Declined")
    UNREACHABLE = "unreachable", _("Unreachable")


class CompetitorWhy(models.TextChoices):
    """Why a client renewed with another insurer."""

    PRICE = "price", _("Cheaper premium")
    COVER = "cover", _("Better cover")
    SERVICE = "service", _("Unhappy with our service")
    RELATIONSHIP = "relationship", _("Relationship with another agent or dealer")
    OTHER = "other", _("Other")


def _copy(model, verbose_name):
    """A reference copied from the policy by a trigger: no constraint or index of its own (the
    policy's own reference holds the constraint)."""
    return models.ForeignKey(
        model, verbose_name=verbose_name, on_delete=models.DO_NOTHING, db_constraint=False,
        db_index=False, null=True, editable=False, related_name="+",
    )  # fmt: skip


class RenewalCase(models.Model):
    """One policy approaching its end date, worked along its ladder until won or lost."""

    policy = models.OneToOneField(Policy, on_delete=models.PROTECT, related_name="renewal_case")
    ladder = models.ForeignKey(Ladder, on_delete=models.PROTECT, related_name="cases")
    stage = models.CharField(_("stage"), max_length=30, blank=True)
    grade = models.CharField(_("grade"), max_length=1, choices=Grade.choices, blank=True)
    client_type = models.CharField(
        _("client type"), max_length=16, choices=ClientType.choices, blank=True
    )
    status = models.CharField(
        _("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    outcome_reason = models.CharField(
        _("reason"), max_length=24, choices=LostReason.choices, blank=True
    )
    lost_to = models.ForeignKey(
        Insurer,
        verbose_name=_("renewed with"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    lost_why = models.CharField(
        _("why they left"), max_length=16, choices=CompetitorWhy.choices, blank=True
    )
    outcome_note = models.TextField(_("note"), blank=True)
    new_policy = models.ForeignKey(
        Policy,
        verbose_name=_("new policy"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The policy's end date, copied so that lists sort and filter by it on one table (the morning
    # job keeps open cases in step if a policy's end date is edited).
    end_date = models.DateField(_("policy ends"))
    last_premium = models.DecimalField(_("last year's premium"), max_digits=12, decimal_places=2)
    quoted_premium = models.DecimalField(
        _("quoted premium"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    opened_on = models.DateField(_("opened on"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    lapsed_at = models.DateTimeField(_("lapsed at"), null=True, blank=True)
    handed_over_at = models.DateTimeField(_("sent to the maintainers at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The dashboards' dimensions, copied from the policy (and the renewing policy's premium) by
    # database triggers (migration 0006), so that a report over a year of a million-policy book
    # aggregates this one table instead of joining the policies twice. Never written by the
    # application: the triggers fill them on every insert and follow every policy change.
    agent = _copy(settings.AUTH_USER_MODEL, _("agent"))
    insurer = _copy(Insurer, _("insurer"))
    # Database defaults too: the morning job inserts cases in SQL without naming them (on
    # SQLite the trigger fills them only after the row is written).
    line = models.CharField(
        _("line of business"), max_length=16, default="", db_default="", editable=False
    )
    currency = models.CharField(
        _("currency"), max_length=3, default="", db_default="", editable=False
    )
    holder = _copy("clients.Client", _("client"))
    renewed_premium = models.DecimalField(
        _("renewed premium"), max_digits=12, decimal_places=2, null=True, editable=False
    )
    renewed_currency = models.CharField(
        _("renewed premium currency"), max_length=3, default="", db_default="", editable=False
    )

    class Meta:
        verbose_name = _("renewal case")
        verbose_name_plural = _("renewal cases")
        indexes = [
            models.Index(fields=["status", "ladder"], name="renewal_status_ladder"),
            models.Index(fields=["status", "lapsed_at"], name="renewal_status_lapsed"),
            models.Index(fields=["status", "end_date", "id"], name="renewal_status_end"),
            # The dashboards: a year of cases in one currency read from the index alone
            # (PostgreSQL; elsewhere a plain index on the key).
            models.Index(
                fields=["currency", "end_date"], name="renewal_report",
                include=["status", "holder", "agent", "insurer", "line", "last_premium",
                         "renewed_premium", "renewed_currency"],
            ),
            models.Index(fields=["status", "closed_at"], name="renewal_status_closed"),
        ]  # fmt: skip

    def __str__(self):
        return f"{self.policy} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("renewals:detail", args=[self.pk])

    @property
    def premium_change_percent(self) -> Decimal | None:
        if self.quoted_premium is None or not self.last_premium:
            return None
        change = (self.quoted_premium - self.last_premium) / self.last_premium * 100
        return change.quantize(Decimal("0.1"))
