"""A policy's premium as instalments, and the payments that settle them.

An ``Instalment`` is one period's share of a policy's premium: its number (1..n), due date,
amount and currency, and how much of it is paid. A ``Payment`` is money a client paid (method,
reference, date, who recorded it); its ``Allocation`` rows say which instalments it settles and
by how much, so one payment may settle several instalments and one instalment be paid in parts.
Amounts are ``Decimal`` in cents; an instalment's status follows from what is allocated to it
(``billing.services`` is the only writer).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

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


class Instalment(models.Model):
    policy = models.ForeignKey(
        Policy, verbose_name=_("policy"), on_delete=models.CASCADE, related_name="instalments"
    )
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
    history = HistoricalRecords()

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
                fields=["due_on"], name="instalment_open_due",
                condition=Q(status__in=["pending", "partly_paid", "overdue"]),
            ),  # fmt: skip
        ]

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
    instalment = models.ForeignKey(
        Instalment, on_delete=models.PROTECT, related_name="allocations"
    )
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
