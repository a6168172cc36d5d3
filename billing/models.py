"""A policy's premium as instalments, and the payments that settle them.

An ``Instalment`` is one period's share of a policy's premium: its number (1..n), due date,
amount and currency, and how much of it is paid. A ``Payment`` is money a client paid (method,
reference, date, who recorded it); its ``Allocation`` rows say which instalments it settles and
by how much, so one payment may settle several instalments and one instalment be paid in parts.
Amounts are ``Decimal`` in cents; an instalment's status follows from what is allocated to it
(``billing.services`` is the only writer).
"""

from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from brokerage.core.history import BulkHistoricalRecords
from brokerage.core.sql import SqlNames
from brokerage.core.triggers import InsertTrigger, ModelTrigger, copied_reference
from policies.models import Currency, Policy

CENT = Decimal("0.01")


class InstalmentStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("instalment status", "Pending")
    PARTLY_PAID = "partly_paid", pgettext_lazy("instalment status", "Partly paid")
    PAID = "paid", pgettext_lazy("instalment status", "Paid")
    OVERDUE = "overdue", pgettext_lazy("instalment status", "Overdue")
    CANCELLED = "cancelled", pgettext_lazy("instalment status", "Cancelled")
    WAIVED = "waived", pgettext_lazy("instalment status", "Waived")


# Instalments still owed: re-planned when the policy changes, reminded, counted as due.
OPEN_STATUSES = (InstalmentStatus.PENDING, InstalmentStatus.PARTLY_PAID, InstalmentStatus.OVERDUE)


# The report dimensions an instalment copies from its policy: fields of the same name on both.
DIMENSIONS = ("agent", "insurer", "line", "holder")


def _copy_from_policy(instalment_model) -> str:
    """The instalment's trigger: its policy's dimensions."""
    i, p = SqlNames(instalment_model), SqlNames(Policy, "p")
    return f"""
        SELECT {", ".join(getattr(p, f) for f in DIMENSIONS)}
          INTO {", ".join(f"NEW.{getattr(i, f)}" for f in DIMENSIONS)}
          FROM {p.from_} WHERE {p.id} = NEW.{i.policy};
        RETURN NEW;"""


class Instalment(models.Model):
    """One period's share of a policy's premium. It carries copies of its policy's report
    dimensions (agent, insurer, line, client), kept by the database (triggers declared here and
    on ``PolicyFollowedByInstalments``), so that the collections dashboard over millions of
    instalments reads this one table and its covering index instead of joining the policies.
    The application never writes the copies: a row inserted without them (the ORM, a bulk
    create) gets them from its trigger, and the set-based plan may select them itself."""

    policy = models.ForeignKey(
        Policy, verbose_name=_("policy"), on_delete=models.CASCADE, related_name="instalments",
        db_index=False,  # covered by the unique (policy, number) index
    )  # fmt: skip
    number = models.PositiveSmallIntegerField(_("instalment"))
    count = models.PositiveSmallIntegerField(_("of"))  # instalments in the plan
    due_on = models.DateField(_("due on"))
    amount = models.DecimalField(
        _("amount"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=InstalmentStatus.choices,
        default=InstalmentStatus.PENDING,
    )  # fmt: skip
    paid_amount = models.DecimalField(
        _("amount paid"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    # The dashboards' dimensions, kept by the triggers (see the docstring).
    agent = copied_reference(settings.AUTH_USER_MODEL, _("agent"))
    insurer = copied_reference("policies.Insurer", _("insurer"))
    line = models.CharField(
        _("line of business"), max_length=16, default="", db_default="", editable=False
    )
    holder = copied_reference("clients.Client", _("client"))
    # Planned in bulk (two rows a policy on an import): its user neither checked nor indexed,
    # and read by the instalment (its id) only, so no index on the copied references either.
    history = BulkHistoricalRecords(no_db_index=["policy", *DIMENSIONS])

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ["policy", "number"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="instalment_per_number"),
            models.CheckConstraint(
                condition=Q(paid_amount__gte=0) & Q(amount__gte=0), name="instalment_amounts"
            ),
        ]
        indexes = [
            # The morning run's scan: open instalments by due date.
            models.Index(
                fields=["due_on"],
                name="instalment_open_due",
                condition=Q(status__in=["pending", "partly_paid", "overdue"]),
            ),  # fmt: skip
            # The collections dashboard: a period of instalments in one currency read from the
            # index alone.
            models.Index(
                fields=["currency", "due_on"],
                name="instalment_report",
                include=["status", "agent", "insurer", "line", "holder", "amount", "paid_amount"],
            ),  # fmt: skip
            # An agent's instalments; where there is one (an imported policy's instalments have
            # none until its client is handed out: 196,000 entries of NULLs at 100,000 rows).
            models.Index(
                fields=["agent", "due_on"],
                name="instalment_agent_due",
                condition=Q(agent__isnull=False),
            ),
        ]
        triggers = [
            InsertTrigger(
                name="instalment_dimensions_insert", when=pgtrigger.Before,
                operation=pgtrigger.Insert, condition=pgtrigger.Q(new__holder__isnull=True),
                func=_copy_from_policy,
            ),
            ModelTrigger(
                name="instalment_dimensions", when=pgtrigger.Before,
                update_of=("policy", *DIMENSIONS), func=_copy_from_policy,
            ),
        ]  # fmt: skip

    def __str__(self):
        return f"{self.policy.number} {self.number}/{self.count}"

    @property
    def outstanding(self) -> Decimal:
        return max(self.amount - self.paid_amount, Decimal("0.00"))


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    CARD = "card", _("Card")
    TRANSFER = "transfer", _("Bank transfer")
    DIRECT_DEBIT = "direct_debit", _("Direct debit")
    AT_INSURER = "at_insurer", _("Paid at the insurer")
    OTHER = "other", pgettext_lazy("payment method", "Other")


class Payment(models.Model):
    """Money a client paid, allocated to one or several of their instalments."""

    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.PROTECT,
        related_name="payments",
    )  # fmt: skip
    amount = models.DecimalField(
        _("amount"), max_digits=12, decimal_places=2, validators=[MinValueValidator(CENT)]
    )
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    method = models.CharField(_("method"), max_length=16, choices=PaymentMethod.choices)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    paid_on = models.DateField(_("paid on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT,
        null=True, related_name="+",
    )  # fmt: skip
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    # A retried or double-clicked form posts the same token: recorded once.
    token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-paid_on", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive")]

    def __str__(self):
        return f"{self.amount} {self.currency} · {self.paid_on}"


class Allocation(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations")
    instalment = models.ForeignKey(Instalment, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        constraints = [
            models.UniqueConstraint(fields=["payment", "instalment"], name="allocation_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_positive"),
        ]

    def __str__(self):
        return f"{self.amount} → {self.instalment_id}"


# --- The payment-due ladder, promises and the at-risk list ----------------------------------


class RungAction(models.TextChoices):
    MESSAGE = "message", _("Reminder to the client")
    CALL = "call", _("Call")
    BOTH = "both", _("Reminder and call")


class CollectionRung(models.Model):
    """One rung of the payment-due ladder: ``days`` from an instalment's due date (negative
    before it, 0 on the day, positive overdue) and what happens then. A maintainer edits the
    ladder on its page; the defaults are seed 000's (7 and 1 day before: a reminder; the due
    date: a call; 3 and 15 days overdue: a call, higher priority). An instalment unpaid past its
    insurer's grace period goes to the managers' at-risk list whatever the rungs."""

    days = models.SmallIntegerField(_("days from the due date"), unique=True)
    action = models.CharField(_("action"), max_length=8, choices=RungAction.choices)
    priority = models.SmallIntegerField(_("priority"), default=50)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("payment-due rung")
        verbose_name_plural = _("payment-due ladder")
        ordering = ["days"]
        constraints = [
            models.CheckConstraint(
                condition=Q(days__gte=-90) & Q(days__lte=365), name="collection_rung_days"
            )
        ]

    def __str__(self):
        return f"{self.days:+d}"

    @property
    def calls(self) -> bool:
        return self.action in (RungAction.CALL, RungAction.BOTH)

    @property
    def messages(self) -> bool:
        return self.action in (RungAction.MESSAGE, RungAction.BOTH)


class InstalmentReminder(models.Model):
    """A reminder queued for an instalment at a rung: inserted ``ON CONFLICT DO NOTHING``
    before the message is queued, so that an instalment is reminded once per rung, whatever
    the number of runs."""

    instalment = models.ForeignKey(Instalment, on_delete=models.CASCADE, related_name="reminders")
    days = models.SmallIntegerField(_("days from the due date"))
    channel = models.CharField(_("channel"), max_length=16, blank=True)
    queued_at = models.DateTimeField(_("queued at"))
    message = models.ForeignKey(
        "notifications.Message", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = _("instalment reminder")
        verbose_name_plural = _("instalment reminders")
        constraints = [
            models.UniqueConstraint(fields=["instalment", "days"], name="reminder_once_per_rung")
        ]

    def __str__(self):
        return f"{self.instalment_id} {self.days:+d}"


class PromiseStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("promise", "Open")
    KEPT = "kept", pgettext_lazy("promise", "Kept")
    BROKEN = "broken", pgettext_lazy("promise", "Broken")


class PaymentPromise(models.Model):
    """A client's promise to pay an instalment by a date, logged on a payment-due item. Kept
    when the instalment is paid by then; broken otherwise, and the morning run brings the
    item back the day after."""

    instalment = models.ForeignKey(Instalment, on_delete=models.CASCADE, related_name="promises")
    promised_on = models.DateField(_("promised for"))
    status = models.CharField(
        _("status"), max_length=8, choices=PromiseStatus.choices, default=PromiseStatus.OPEN
    )
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("logged by"), on_delete=models.PROTECT,
        null=True, related_name="+",
    )  # fmt: skip
    made_at = models.DateTimeField(_("logged at"), auto_now_add=True)
    settled_on = models.DateField(_("settled on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("promise to pay")
        verbose_name_plural = _("promises to pay")
        ordering = ["-promised_on", "-pk"]
        indexes = [
            models.Index(
                fields=["promised_on"],
                name="promise_open_due",
                condition=Q(status="open"),
            ),  # fmt: skip
        ]

    def __str__(self):
        return f"{self.instalment_id} → {self.promised_on}"


class RiskSource(models.TextChoices):
    GRACE = "grace", _("Unpaid past the grace period")
    AGENT = "agent", _("Agent: policy to cancel")


class RiskStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("at risk", "Open")
    CANCELLED = "cancelled", pgettext_lazy("at risk", "Policy cancelled")
    KEPT = "kept", pgettext_lazy("at risk", "Kept in force")
    PAID = "paid", pgettext_lazy("at risk", "Paid")


class CancellationRisk(models.Model):
    """A policy at risk of cancellation for non-payment: an instalment unpaid past its
    insurer's grace period (the morning run), or an agent's "policy to cancel". At most one
    open per policy. The manager decides: cancel the policy (its future instalments are
    cancelled with it) or keep it in force; a payment that settles the instalment closes it."""

    policy = models.ForeignKey(
        Policy, verbose_name=_("policy"), on_delete=models.CASCADE, related_name="risks"
    )
    instalment = models.ForeignKey(
        Instalment, verbose_name=_("instalment"), on_delete=models.CASCADE, related_name="risks"
    )
    source = models.CharField(_("why"), max_length=8, choices=RiskSource.choices)
    opened_on = models.DateField(_("since"))
    status = models.CharField(
        _("status"), max_length=10, choices=RiskStatus.choices, default=RiskStatus.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("policy at risk of cancellation")
        verbose_name_plural = _("policies at risk of cancellation")
        ordering = ["opened_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy"], condition=Q(status="open"), name="risk_one_open_per_policy"
            )
        ]
        indexes = [models.Index(fields=["status", "opened_on"], name="risk_status")]

    def __str__(self):
        return f"{self.policy_id} ({self.get_status_display()})"


def _follow_into_instalments(policy_model) -> str:
    """The policy's trigger: a changed dimension into its instalments."""
    p, i = SqlNames(policy_model), SqlNames(Instalment)
    changed = " OR ".join(
        f"OLD.{column} IS DISTINCT FROM NEW.{column}"
        for column in (getattr(p, f) for f in DIMENSIONS)
    )
    copies = ", ".join(f"{getattr(i, f)} = NEW.{getattr(p, f)}" for f in DIMENSIONS)
    return f"""
        IF {changed} THEN
            UPDATE {i.table} SET {copies} WHERE {i.policy} = NEW.{p.id};
        END IF;
        RETURN NULL;"""


class PolicyFollowedByInstalments(Policy):
    """Policies as billing sees them: the trigger that carries a policy's changed dimensions
    into its instalments fires on the policies' table but belongs to billing, which sits above
    policies, so it is declared on this proxy (its migration is billing's)."""

    class Meta:
        proxy = True
        default_permissions = ()
        triggers = [
            ModelTrigger(
                name="policy_into_instalments", when=pgtrigger.After,
                update_of=DIMENSIONS, condition=pgtrigger.AnyChange(*DIMENSIONS),
                func=_follow_into_instalments,
            ),
        ]  # fmt: skip
