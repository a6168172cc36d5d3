import uuid
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from brokerage.core.history import BulkHistoricalRecords
from clients.models import Client

from .validators import validate_vin


class Line(models.TextChoices):
    AUTO = "auto", _("Auto")
    HEALTH = "health", _("Health")
    LIFE = "life", _("Life")
    PROPERTY = "property", _("Property")
    OTHER = "other", _("Other")


class Currency(models.TextChoices):
    MXN = "MXN", _("Mexican peso")
    USD = "USD", _("US dollar")
    CNY = "CNY", _("Chinese yuan")
    EUR = "EUR", _("Euro")


class PaymentFrequency(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    SEMIANNUAL = "semiannual", _("Semiannual")
    ANNUAL = "annual", _("Annual")


class Insurer(models.Model):
    name = models.CharField(_("name"), max_length=150)
    code = models.SlugField(_("code"), max_length=20, unique=True)
    preferred = models.BooleanField(
        _("preferred"), default=False, help_text=_("Offered first when quoting.")
    )
    active = models.BooleanField(_("active"), default=True)
    contracted = models.BooleanField(
        _("contracted"),
        default=True,
        help_text=_(
            "The brokerage places policies with this insurer. Market-only insurers are only "
            "named as the competitor a client renewed with."
        ),
    )
    # How this insurer's reports are read: phones without a country code, amounts without a
    # currency column, the language of the clients they bring. Blank: the brokerage's own.
    country = models.CharField(
        _("country"), max_length=2, blank=True,
        help_text=_("Phones in its reports without a country code are read as this country's."),
    )  # fmt: skip
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, blank=True,
        help_text=_("Amounts in its reports without a currency column are in this currency."),
    )  # fmt: skip
    client_language = models.CharField(
        _("clients' language"), max_length=10, choices=settings.LANGUAGES, blank=True,
        help_text=_("The language of the new clients its reports bring."),
    )  # fmt: skip
    grace_days = models.PositiveSmallIntegerField(
        _("grace period (days)"), default=30,
        validators=[MaxValueValidator(365)],
        help_text=_(
            "An instalment unpaid this many days after it falls due puts the policy at risk of "
            "cancellation for non-payment."
        ),
    )  # fmt: skip
    payment_instructions = models.TextField(
        _("how to pay"), blank=True, max_length=1000,
        help_text=_(
            "Told to clients in payment reminders: bank, account or CLABE, where to pay, and "
            "that the policy number is the reference to quote."
        ),
    )  # fmt: skip

    class Meta:
        verbose_name = _("insurer")
        verbose_name_plural = _("insurers")
        ordering = ["-preferred", "name"]

    def __str__(self):
        return self.name

    @property
    def phone_region(self) -> str:
        return (self.country or settings.PHONENUMBER_DEFAULT_REGION).upper()

    @property
    def report_currency(self) -> str:
        return self.currency or settings.DEFAULT_CURRENCY

    @property
    def report_language(self) -> str:
        return self.client_language or settings.LANGUAGE_CODE


class QuotationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Bought")
    LOST = "lost", _("Not bought")


class QuotationKind(models.TextChoices):
    NEED = "", _("Need of the client")
    RENEWAL = "renewal", _("Renewal")


class LostReason(models.TextChoices):
    PRICE = "price", _("Price too high")
    COVERAGE = "coverage", _("Coverage does not suit")
    ELSEWHERE = "elsewhere", _("Bought elsewhere")
    NO_NEED = "no_need", _("No longer needs it")
    OTHER = "other", _("Other reason")


class Quotation(models.Model):
    """One need of a client (e.g. "insure the new pickup"), answered by several quotes."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="quotations")
    line = models.CharField(_("line of business"), max_length=16, choices=Line.choices)
    description = models.CharField(_("what the client needs"), max_length=255)
    # A quotation the system opened is titled in the reader's language (see ``title``); its
    # ``description`` keeps the creator's words for search and exports.
    kind = models.CharField(
        _("kind"), max_length=16, choices=QuotationKind.choices, default=QuotationKind.NEED,
        blank=True,
    )  # fmt: skip
    status = models.CharField(
        _("status"), max_length=8, choices=QuotationStatus.choices, default=QuotationStatus.OPEN
    )
    follow_up_on = models.DateField(_("follow up on"), null=True, blank=True)
    # A renewal quotation: the policy whose next term is quoted (the quote bought renews it).
    renews = models.ForeignKey(
        "Policy", verbose_name=_("renews policy"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="renewal_quotations",
    )  # fmt: skip
    # Why the prospect declined (the follow-up's "declined" result), while the quotation is lost.
    lost_reason = models.CharField(
        _("why the client declined"), max_length=16, choices=LostReason.choices, blank=True
    )
    lost_note = models.CharField(_("note"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("quotation")
        verbose_name_plural = _("quotations")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.title

    @property
    def renews_label(self) -> str:
        """The renewed policy of a renewal quotation the system opened ("" otherwise)."""
        if self.kind == QuotationKind.RENEWAL and self.renews_id:
            return str(self.renews)
        return ""

    @property
    def title(self) -> str:
        """The title in the reader's language: a renewal quotation says which policy it
        renews; any other shows what the client needs as typed."""
        if renews := self.renews_label:
            return gettext("Renewal of %(policy)s") % {"policy": renews}
        return self.description


class QuoteStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")


class Quote(models.Model):
    quotation = models.ForeignKey(Quotation, on_delete=models.CASCADE, related_name="quotes")
    insurer = models.ForeignKey(Insurer, verbose_name=_("insurer"), on_delete=models.PROTECT)
    premium = models.DecimalField(
        _("premium"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.MXN
    )
    coverage = models.TextField(_("coverage"))
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(
        _("status"), max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.OPEN
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["-insurer__preferred", "premium", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(premium__gte=0), name="quote_premium_not_negative")
        ]

    def __str__(self):
        return f"{self.insurer} {self.premium} {self.currency}"


class SendChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    WHATSAPP = "whatsapp", _("WhatsApp")


def _sending_path(instance, filename):
    return f"quotations/{instance.quotation_id}/{uuid.uuid4().hex}.pdf"


class QuotationSending(models.Model):
    """One sending of a quotation to its client: by e-mail with the printed quotation attached
    (the PDF as sent is kept), or by WhatsApp with a summary. The quotation's history of
    sendings."""

    quotation = models.ForeignKey(Quotation, on_delete=models.CASCADE, related_name="sendings")
    channel = models.CharField(_("channel"), max_length=16, choices=SendChannel.choices)
    to = models.CharField(pgettext_lazy("message recipient", "to"), max_length=254)
    language = models.CharField(_("language"), max_length=10)
    pdf = models.FileField(_("PDF"), upload_to=_sending_path, max_length=300, blank=True)
    message = models.ForeignKey(
        "notifications.Message", verbose_name=_("message"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sent by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("quotation sent")
        verbose_name_plural = _("quotations sent")
        ordering = ["-sent_at", "-pk"]
        indexes = [models.Index(fields=["quotation", "sent_at"], name="quotation_sending_at")]

    def __str__(self):
        return f"{self.quotation_id} → {self.to}"


class PolicyStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("policy status", "Active")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")
    RENEWED = "renewed", _("Renewed")
    LAPSED = "lapsed", pgettext_lazy("policy status", "Lapsed")


class PolicyQuerySet(models.QuerySet):
    def sees_all(self, user) -> bool:
        """Whether the user sees every policy (administrators and maintainers)."""
        return (
            getattr(user, "is_authenticated", False)
            and user.is_active
            and (user.is_superuser or user.is_cartera_admin or user.is_maintainer)
        )

    def visible_to(self, user):
        """Policies of the clients the user may see (clients.Client.objects.visible_to)."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if self.sees_all(user):
            return self.all()
        return self.filter(holder__in=Client.objects.visible_to(user).values("pk"))


# Bounds of a policy's dates: every loop over a policy's term (its instalments, its PDF) is
# bounded by them, and a date outside them is a typing mistake, never a real policy.
POLICY_FIRST_DAY = date(1900, 1, 1)
POLICY_LAST_DAY = date(2200, 12, 31)
POLICY_MAX_TERM_YEARS = 10


# What can be wrong with a policy's dates: a code and its message (imports store the code and
# its parameters, imports.errors renders the same words in each reader's language).
POLICY_DATE_MESSAGES = {
    "date_out_of_bounds": _("The date must be between %(first)s and %(last)s."),
    "end_not_after_start": _("The end date must be after the start date."),
    "term_too_long": _("A policy cannot run for more than %(years)d years."),
}


def years_after(day: date, years: int) -> date:
    """``day + relativedelta(years=years)`` without dateutil's general arithmetic (an import
    checks 100,000 terms): the same day and month that many years later (or earlier), 29
    February becoming the 28th in a year without it."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        if day.month == 2 and day.day == 29:
            return day.replace(year=day.year + years, day=28)
        raise


def policy_date_problems(*, start: date | None, end: date | None) -> dict[str, tuple[str, dict]]:
    """What is wrong with a policy's start and end dates, by field: (code, params)."""
    problems = {}
    for name, day in (("start_date", start), ("end_date", end)):
        if day is not None and not POLICY_FIRST_DAY <= day <= POLICY_LAST_DAY:
            problems[name] = (
                "date_out_of_bounds",
                {"first": POLICY_FIRST_DAY.isoformat(), "last": POLICY_LAST_DAY.isoformat()},
            )
    if problems or start is None or end is None:
        return problems
    if end <= start:
        problems["end_date"] = ("end_not_after_start", {})
    elif end > years_after(start, POLICY_MAX_TERM_YEARS):
        problems["end_date"] = ("term_too_long", {"years": POLICY_MAX_TERM_YEARS})
    return problems


def policy_date_errors(*, start: date | None, end: date | None) -> dict[str, str]:
    """What is wrong with a policy's start and end dates, by field (empty when nothing)."""
    errors = {}
    for name, (code, params) in policy_date_problems(start=start, end=end).items():
        message = str(POLICY_DATE_MESSAGES[code])
        errors[name] = message % params if params else message
    return errors


class Policy(models.Model):
    number = models.CharField(_("policy number"), max_length=40)
    # The number without spaces, dashes or dots, so that "HDI0042" finds "HDI-0042".
    number_key = models.CharField(max_length=40, editable=False, default="")
    insurer = models.ForeignKey(
        Insurer, verbose_name=_("insurer"), on_delete=models.PROTECT,
        db_index=False,  # covered by the (insurer, number) unique constraint
    )  # fmt: skip
    holder = models.ForeignKey(
        Client,
        verbose_name=_("holder"),
        on_delete=models.PROTECT,
        related_name="policies",
        db_index=False,  # covered by the (holder, end_date) index
    )
    line = models.CharField(_("line of business"), max_length=16, choices=Line.choices)
    coverage = models.TextField(_("coverage"))
    premium = models.DecimalField(
        _("premium"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.MXN
    )
    payment_frequency = models.CharField(
        _("payment frequency"),
        max_length=16,
        choices=PaymentFrequency.choices,
        default=PaymentFrequency.ANNUAL,
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    status = models.CharField(
        _("status"), max_length=16, choices=PolicyStatus.choices, default=PolicyStatus.ACTIVE
    )
    previous_policy = models.ForeignKey(
        "self",
        verbose_name=_("renews policy"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renewals",
        db_index=False,  # indexed where set (policy_renews): a report's policies renew none
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="policies",
        db_index=False,  # covered by the (agent, end_date) index
    )
    general_conditions = models.TextField(_("general conditions"), blank=True)
    source_quote = models.OneToOneField(
        Quote, on_delete=models.SET_NULL, null=True, blank=True, related_name="policy"
    )
    # The day the brokerage sold the policy in Cartera (a new sale or a renewal): the date of
    # its written premium. Empty for the book that came from the insurers' reports.
    written_on = models.DateField(_("written on"), null=True, blank=True, editable=False)
    # The day its renewal work reaches the agent, when the report that brought it said so
    # (seed 001: the maintainer fills in the hand-out date before importing); empty: the day
    # each touch falls due.
    handout_on = models.DateField(_("hand-out date"), null=True, blank=True, editable=False)
    cancelled_on = models.DateField(_("cancelled on"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # History is read by policy (its id); the other columns need no index of their own, and
    # each one would cost every imported row; nor its user (BulkHistoricalRecords).
    history = BulkHistoricalRecords(
        excluded_fields=["updated_at"],
        no_db_index=["number_key", "agent", "holder", "insurer", "previous_policy", "source_quote"],
    )
    objects = PolicyQuerySet.as_manager()

    class Meta:
        verbose_name = _("policy")
        verbose_name_plural = _("policies")
        ordering = ["end_date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["insurer", "number"], name="policy_number_per_insurer"),
            models.CheckConstraint(
                condition=Q(end_date__gt=models.F("start_date")), name="policy_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(premium__gte=0), name="policy_premium_not_negative"),
        ]
        indexes = [
            # Equality and IN lookups only (no LIKE-prefix index): searches and imports.
            models.Index(fields=["number_key"], name="policy_number_key"),
            models.Index(fields=["end_date", "id"], name="policy_end_id"),
            models.Index(fields=["status", "end_date"], name="policy_status_end"),
            models.Index(fields=["holder", "end_date"], name="policy_holder_end"),
            # Where set only: an imported policy has no agent until its client is handed out,
            # and nothing looks policies up by a missing agent or renewed policy through these
            # (100,000 imported rows wrote 200,000 entries of NULLs into them).
            models.Index(
                fields=["agent", "end_date"],
                name="policy_agent_end",
                condition=Q(agent__isnull=False),
            ),
            models.Index(
                fields=["previous_policy"],
                name="policy_renews",
                condition=Q(previous_policy__isnull=False),
            ),
            models.Index(
                fields=["written_on", "agent"],
                name="policy_written",
                condition=Q(written_on__isnull=False),
            ),  # fmt: skip
        ]

    def __str__(self):
        return f"{self.insurer.code.upper()} {self.number}"

    def clean(self):
        super().clean()
        errors = policy_date_errors(start=self.start_date, end=self.end_date)
        if errors:
            raise ValidationError(errors)

    @property
    def days_left(self) -> int:
        return (self.end_date - timezone.localdate()).days


class VehicleUse(models.TextChoices):
    PRIVATE = "private", _("Private")
    COMMERCIAL = "commercial", _("Commercial")
    TAXI = "taxi", _("Taxi or ride-hailing")
    CARGO = "cargo", _("Cargo")


class Vehicle(models.Model):
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="vehicles")
    make = models.CharField(_("make"), max_length=50)
    model = models.CharField(_("model"), max_length=80)
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(1950), MaxValueValidator(2100)]
    )
    vin = models.CharField(_("serial (VIN)"), max_length=17, validators=[validate_vin])
    plate = models.CharField(_("plate"), max_length=15, blank=True)
    use = models.CharField(
        _("use"), max_length=16, choices=VehicleUse.choices, default=VehicleUse.PRIVATE
    )
    inspection_due = models.DateField(_("annual inspection date"), null=True, blank=True)
    licence_expiry = models.DateField(_("driver's licence expiry"), null=True, blank=True)

    # Written in bulk by imports: its user neither checked nor indexed.
    history = BulkHistoricalRecords()

    class Meta:
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["vin"], name="vehicle_vin"),
            models.Index(fields=["plate"], name="vehicle_plate"),
        ]

    def __str__(self):
        return f"{self.make} {self.model} {self.year}"
