"""Service touches (issue 17, seeds 001, 003 and 004): the calls and messages between sales
that keep a client served — a thank-you after a new policy, the plate endorsement, the return
visit after issuance (回访), the vehicle-inspection and licence reminders, birthday and holiday
greetings.

``TouchSetting`` says, per kind, whether the morning run makes the touch, when (days after the
event or before the date), and how: a call on the agent's list or a message to the client
through the outbox. ``Touch`` is the claim table: one row per kind and occasion (a policy, a
vehicle's date, a client's birthday or holiday of a year), inserted ``ON CONFLICT DO
NOTHING`` by the morning run, so that a touch is made once however many runs see it. A call's
work item has the touch as its subject; its result is written back on the touch."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from brokerage.notifications.models import Channel


class TouchKind(models.TextChoices):
    THANK_YOU = "thank_you", _("Thank-you for a new policy")
    PLATE = "plate_endorsement", _("Plate endorsement")
    RETURN_VISIT = "return_visit", _("Return visit after issuance")
    INSPECTION = "inspection_due", _("Vehicle inspection reminder")
    LICENCE = "licence_due", _("Driver's licence reminder")
    BIRTHDAY = "birthday", _("Birthday greeting")
    HOLIDAY = "holiday", _("Holiday greeting")


GREETINGS = (TouchKind.BIRTHDAY, TouchKind.HOLIDAY)
# Counted in days before the vehicle's date; the others in days after their event.
BEFORE_A_DATE = (TouchKind.INSPECTION, TouchKind.LICENCE)


class TouchMode(models.TextChoices):
    CALL = "call", _("A call on the agent's list")
    MESSAGE = "message", _("A message to the client")


class TouchSetting(models.Model):
    """How the morning run makes one kind of touch. One row per kind (data migration
    touches/0002 writes the seeds' defaults); edited by maintainers and administrators on the
    touches page, with history."""

    kind = models.CharField(_("touch"), max_length=32, choices=TouchKind.choices, unique=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    days = models.PositiveSmallIntegerField(
        _("days"), default=0, validators=[MaxValueValidator(365)],
        help_text=_("After the event, or before the vehicle's date; greetings go on the day."),
    )  # fmt: skip
    mode = models.CharField(_("how"), max_length=16, choices=TouchMode.choices)
    priority = models.SmallIntegerField(
        _("priority"), default=30, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("touch setting")
        verbose_name_plural = _("touch settings")
        ordering = ["pk"]

    def __str__(self):
        return self.get_kind_display()


class Touch(models.Model):
    """One touch made (or being made) for one client on one occasion: the claim row."""

    kind = models.CharField(_("touch"), max_length=32, choices=TouchKind.choices)
    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.CASCADE,
        related_name="touches",
    )  # fmt: skip
    policy = models.ForeignKey(
        "policies.Policy", verbose_name=_("policy"), on_delete=models.CASCADE, null=True,
        blank=True, related_name="touches",
    )  # fmt: skip
    vehicle = models.ForeignKey(
        "policies.Vehicle", verbose_name=_("vehicle"), on_delete=models.SET_NULL, null=True,
        blank=True, related_name="touches",
    )  # fmt: skip
    # What makes the touch unique of its kind: "policy-12", "inspection-<VIN>-2027-03-01",
    # "client-7-2026" (a birthday), "client-7-2026-national-day"…
    occasion = models.CharField(_("occasion"), max_length=120)
    # The holiday's name in English (its names in the clients' languages come from the
    # holidays package when a message or a card shows it).
    holiday = models.CharField(_("holiday"), max_length=120, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    due_on = models.DateField(_("due on"))
    mode = models.CharField(_("how"), max_length=16, choices=TouchMode.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True)
    message = models.ForeignKey(
        "notifications.Message", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # The call's final result, written by touches.work when the agent logs it.
    result = models.CharField(_("result"), max_length=32, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("done by"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    note = models.CharField(_("note"), max_length=255, blank=True)
    # The plate endorsement's outcome: the plate recorded on the vehicle and the day the
    # insurer endorsed it.
    plate = models.CharField(_("plate"), max_length=15, blank=True)
    endorsed_on = models.DateField(_("endorsed on"), null=True, blank=True)
    # The return visit's coded outcome (seed 001, 八): satisfaction 1–5, documents received.
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )  # fmt: skip
    documents_received = models.BooleanField(_("policy documents received"), null=True)
    contact_corrected = models.BooleanField(_("contact details corrected"), default=False)

    class Meta:
        verbose_name = _("service touch")
        verbose_name_plural = _("service touches")
        ordering = ["-due_on", "-pk"]
        constraints = [
            # Not per client: a merge of two files moves their touches without a clash.
            models.UniqueConstraint(fields=["kind", "occasion"], name="touch_once_per_occasion"),
            models.CheckConstraint(
                condition=models.Q(satisfaction__isnull=True)
                | models.Q(satisfaction__gte=1, satisfaction__lte=5),
                name="touch_satisfaction_1_to_5",
            ),
        ]
        indexes = [models.Index(fields=["kind", "due_on"], name="touch_kind_due")]

    def __str__(self):
        return f"{self.kind} {self.client_id} {self.occasion}"
