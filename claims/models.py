"""Claims (issue 16): the claim file of a policy, its status with the date each was reached,
the amounts, and the 10-minute first contact (``contact_due_at``, ``first_contact_at``,
``escalated_at``). Written only by ``claims.services``."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

from policies.models import Currency, Insurer, Policy

# The client hears from us within this time of the report (seed 004: 10 minutes).
CONTACT_WITHIN = timedelta(minutes=10)


class ClaimKind(models.TextChoices):
    COLLISION = "collision", _("Collision")
    THEFT = "theft", _("Theft")
    GLASS = "glass", _("Glass")
    FIRE_FLOOD = "fire_flood", _("Fire or flood")
    INJURY = "injury", _("Injury")
    THIRD_PARTY = "third_party", _("Third-party liability")
    OTHER = "other", _("Other")


class ClaimStatus(models.TextChoices):
    REPORTED = "reported", _("Reported")
    FIRST_CONTACT = "first_contact", _("First contact made")
    IN_ASSESSMENT = "in_assessment", _("In assessment")
    DOCUMENTS_COMPLETE = "documents_complete", _("Documents complete")
    WITH_INSURER = "with_insurer", _("With the insurer")
    APPROVED = "approved", _("Approved")
    PARTLY_APPROVED = "partly_approved", _("Partly approved")
    DENIED = "denied", _("Denied")
    IN_REPAIR = "in_repair", _("In repair")
    SETTLED = "settled", _("Settled")
    CLOSED = "closed", pgettext_lazy("claim status", "Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Where a claim may go from each status (claims.services.claim_set_status refuses the rest).
# Any claim still open may be withdrawn by the client.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    ClaimStatus.REPORTED: (ClaimStatus.FIRST_CONTACT, ClaimStatus.WITHDRAWN),
    ClaimStatus.FIRST_CONTACT: (ClaimStatus.IN_ASSESSMENT, ClaimStatus.WITHDRAWN),
    ClaimStatus.IN_ASSESSMENT: (ClaimStatus.DOCUMENTS_COMPLETE, ClaimStatus.WITHDRAWN),
    ClaimStatus.DOCUMENTS_COMPLETE: (ClaimStatus.WITH_INSURER, ClaimStatus.WITHDRAWN),
    ClaimStatus.WITH_INSURER: (
        ClaimStatus.APPROVED,
        ClaimStatus.PARTLY_APPROVED,
        ClaimStatus.DENIED,
        ClaimStatus.WITHDRAWN,
    ),  # fmt: skip
    ClaimStatus.APPROVED: (ClaimStatus.IN_REPAIR, ClaimStatus.SETTLED),
    ClaimStatus.PARTLY_APPROVED: (ClaimStatus.IN_REPAIR, ClaimStatus.SETTLED),
    ClaimStatus.DENIED: (ClaimStatus.CLOSED,),
    ClaimStatus.IN_REPAIR: (ClaimStatus.SETTLED,),
    ClaimStatus.SETTLED: (ClaimStatus.CLOSED,),
    ClaimStatus.CLOSED: (),
    ClaimStatus.WITHDRAWN: (),
}
# The path a claim normally takes, for the status-with-dates list of its page.
MAIN_PATH = (
    ClaimStatus.REPORTED, ClaimStatus.FIRST_CONTACT, ClaimStatus.IN_ASSESSMENT,
    ClaimStatus.DOCUMENTS_COMPLETE, ClaimStatus.WITH_INSURER,
)  # fmt: skip
FINISHED = (ClaimStatus.CLOSED, ClaimStatus.WITHDRAWN)


class RepairPlace(models.TextChoices):
    PARTNER = "partner", _("Partner shop (referred)")
    ELSEWHERE = "elsewhere", _("Elsewhere (outside repair)")


class OutsideReason(models.TextChoices):
    """Why a vehicle was repaired outside the partner shops (the referral report counts
    them)."""

    CLIENT_CHOICE = "client_choice", _("The client's own choice")
    DEALER = "dealer", _("Dealer or warranty")
    TOO_FAR = "too_far", _("No partner shop near enough")
    INSURER_NETWORK = "insurer_network", _("The insurer's own network")
    TOTAL_LOSS = "total_loss", _("Total loss: not repaired")
    OTHER = "other", _("Other")


class RepairShop(models.Model):
    """A repair shop of the directory (issue 16): a partner shop the agents steer their
    clients' repairs to, or one the vehicles went to instead. Written only by
    ``claims.repair``."""

    name = models.CharField(_("name"), max_length=150)
    address = models.CharField(_("address"), max_length=255, blank=True)
    phone = PhoneNumberField(_("phone"), blank=True)
    brands = models.CharField(
        _("brands serviced"), max_length=255, blank=True,
        help_text=_("The makes it services, separated by commas; blank: every make."),
    )  # fmt: skip
    partner = models.BooleanField(_("partner shop"), default=False)
    insurers = models.ManyToManyField(
        Insurer, verbose_name=_("insurers it works with"), blank=True, related_name="+"
    )
    active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)

    history = HistoricalRecords(m2m_fields=[insurers])

    class Meta:
        verbose_name = _("repair shop")
        verbose_name_plural = _("repair shops")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="repair_shop_name_once"),
        ]

    def __str__(self):
        return self.name

    @property
    def brand_list(self) -> list[str]:
        return [b.strip() for b in self.brands.split(",") if b.strip()]


class ClaimQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Claims of the policies the user may see (Policy.objects.visible_to, which follows
        Client.objects.visible_to): an agent their own clients', a manager their teams',
        maintainers and administrators all."""
        if Policy.objects.sees_all(user):
            return self.all()
        return self.filter(policy__in=Policy.objects.visible_to(user).values("pk"))


class Claim(models.Model):
    policy = models.ForeignKey(
        Policy, verbose_name=_("policy"), on_delete=models.PROTECT, related_name="claims",
        db_index=False,  # covered by the (policy, reported_at) index
    )  # fmt: skip
    # The agent given the 10-minute contact (the policy's agent or the client's owner); empty
    # when neither could take it and it went to the maintainers' queue.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("agent"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    reported_at = models.DateTimeField(_("reported at"))
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reported by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    occurred_at = models.DateTimeField(_("occurred at"))
    place = models.CharField(_("place"), max_length=255)
    kind = models.CharField(_("what happened"), max_length=16, choices=ClaimKind.choices)
    injured = models.BooleanField(_("people injured"), default=False)
    description = models.TextField(_("description"), blank=True)
    reporter_name = models.CharField(_("reported by (name)"), max_length=150)
    reporter_phone = PhoneNumberField(_("reporter's phone"), blank=True)
    reporter_email = models.EmailField(_("reporter's e-mail"), blank=True)
    insurer_claim_number = models.CharField(_("insurer's claim number"), max_length=60, blank=True)
    adjuster = models.CharField(_("adjuster"), max_length=150, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.REPORTED
    )
    status_changed_at = models.DateTimeField(_("status since"))
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.MXN
    )
    amount_claimed = models.DecimalField(
        _("amount claimed"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    amount_assessed = models.DecimalField(
        _("amount assessed"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    amount_settled = models.DecimalField(
        _("amount settled"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("settled by"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    # The 10-minute contact: due at report time plus CONTACT_WITHIN; the first contact with
    # the client (and who made it); escalated once when it was not made in time.
    contact_due_at = models.DateTimeField(_("contact due by"))
    first_contact_at = models.DateTimeField(_("first contact at"), null=True, blank=True)
    first_contact_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("first contact by"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    # An injury claim is referred to the person who handles its legal and medical side: a
    # maintainer, manager or administrator chosen on the claim's page (told by e-mail).
    referred_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("referred to (legal/medical)"),
        on_delete=models.PROTECT, null=True, blank=True, related_name="+",
    )  # fmt: skip
    referred_at = models.DateTimeField(_("referred at"), null=True, blank=True)
    referral_note = models.CharField(_("referral note"), max_length=255, blank=True)
    # A dispute the agent could not resolve: escalated to the manager (an item in the
    # maintainers' queue and an e-mail to the agent's team manager).
    dispute_escalated_at = models.DateTimeField(_("dispute escalated at"), null=True, blank=True)
    dispute_note = models.CharField(_("dispute"), max_length=500, blank=True)
    # The call-back after settlement (赔案回访): the client's satisfaction, 1 to 5, and words.
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True)
    satisfaction_comments = models.TextField(_("comments"), blank=True)
    called_back_at = models.DateTimeField(_("called back at"), null=True, blank=True)
    called_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("called back by"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip

    # Where the vehicle was repaired (送修: a partner shop; 外修: elsewhere, and why), the
    # repair's amount, and when and by whom it was first recorded: the month of the
    # repair-referral report (corrections keep that date; the history keeps every change).
    repair_place = models.CharField(
        _("where it was repaired"), max_length=12, choices=RepairPlace.choices, blank=True
    )
    repair_shop = models.ForeignKey(
        RepairShop, verbose_name=_("repair shop"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="claims",
        db_index=False,  # covered by the partial claim_repair_shop index
    )  # fmt: skip
    repair_shop_name = models.CharField(
        _("shop (not in the directory)"), max_length=150, blank=True
    )
    outside_reason = models.CharField(
        _("why elsewhere"), max_length=20, choices=OutsideReason.choices, blank=True
    )
    outside_reason_note = models.CharField(_("reason (other)"), max_length=255, blank=True)
    repair_amount = models.DecimalField(
        _("repair amount"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    repair_recorded_at = models.DateTimeField(_("repair recorded at"), null=True, blank=True)
    repair_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("repair recorded by"),
        on_delete=models.PROTECT, null=True, blank=True, related_name="+",
    )  # fmt: skip

    history = HistoricalRecords(
        no_db_index=[
            "policy",
            "agent",
            "reported_by",
            "settled_by",
            "first_contact_by",
            "referred_to",
            "repair_shop",
            "repair_recorded_by",
        ]
    )
    objects = ClaimQuerySet.as_manager()

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["-reported_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_claimed__gte=0)
                & Q(amount_assessed__gte=0)
                & Q(amount_settled__gte=0),
                name="claim_amounts_not_negative",
            ),  # fmt: skip
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True) | Q(satisfaction__range=(1, 5)),
                name="claim_satisfaction_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(repair_amount__gte=0), name="claim_repair_amount_not_negative"
            ),
            # A referral names its partner shop.
            models.CheckConstraint(
                condition=~Q(repair_place=RepairPlace.PARTNER) | Q(repair_shop__isnull=False),
                name="claim_partner_repair_names_shop",
            ),
        ]
        indexes = [
            models.Index(fields=["policy", "-reported_at"], name="claim_policy_reported"),
            models.Index(fields=["-reported_at", "-id"], name="claim_reported"),
            models.Index(fields=["status", "-reported_at"], name="claim_status_reported"),
            # The escalation sweep: claims still waiting for their first contact.
            models.Index(
                fields=["contact_due_at"],
                name="claim_awaiting_contact",
                condition=Q(first_contact_at__isnull=True, escalated_at__isnull=True),
            ),  # fmt: skip
            # The repair-referral report: the repairs recorded in a month.
            models.Index(
                fields=["repair_recorded_at"],
                name="claim_repair_recorded",
                condition=Q(repair_recorded_at__isnull=False),
            ),  # fmt: skip
            models.Index(
                fields=["repair_shop"],
                name="claim_repair_shop",
                condition=Q(repair_shop__isnull=False),
            ),  # fmt: skip
        ]

    def __str__(self):
        return f"#{self.pk}"

    @property
    def reference(self) -> str:
        return f"#{self.pk}"

    @property
    def time_to_first_contact(self) -> timedelta | None:
        if self.first_contact_at is None:
            return None
        return self.first_contact_at - self.reported_at

    @property
    def contacted_in_time(self) -> bool | None:
        if self.first_contact_at is None:
            return None
        return self.first_contact_at <= self.contact_due_at

    @property
    def allowed_statuses(self) -> list[str]:
        return list(TRANSITIONS.get(self.status, ()))

    @property
    def is_open(self) -> bool:
        return self.status not in FINISHED

    @property
    def is_injury(self) -> bool:
        return self.kind == ClaimKind.INJURY or self.injured


class ClaimStatusChange(models.Model):
    """Each status a claim reached, when, by whom and why: the claim page's status with its
    dates."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField(_("status"), max_length=20, choices=ClaimStatus.choices)
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("claim status change")
        verbose_name_plural = _("claim status changes")
        ordering = ["claim", "at", "pk"]

    def __str__(self):
        return f"{self.claim_id}: {self.status}"


class DocumentItem(models.TextChoices):
    CLAIM_FORM = "claim_form", _("Claim form")
    NATIONAL_ID = "national_id", _("Identification (ID)")
    DRIVERS_LICENCE = "drivers_licence", _("Driving licence")
    VEHICLE_REGISTRATION = "vehicle_registration", _("Vehicle registration")
    POLICE_REPORT = "police_report", _("Police, traffic or authority report")
    PHOTOS = "photos", _("Photos")
    REPAIR_ESTIMATE = "repair_estimate", _("Repair estimate")
    INVOICE = "invoice", _("Invoice")
    MEDICAL_RECORDS = "medical_records", _("Medical records")
    MEDICAL_RECEIPTS = "medical_receipts", _("Medical receipts")
    VEHICLE_INVOICE = "vehicle_invoice", _("Vehicle's purchase invoice")
    KEYS = "keys", _("All the vehicle's keys")
    THIRD_PARTY_DETAILS = "third_party_details", _("Third party's details and claim")


_I = DocumentItem
_COLLISION = (
    _I.CLAIM_FORM, _I.NATIONAL_ID, _I.DRIVERS_LICENCE, _I.VEHICLE_REGISTRATION,
    _I.POLICE_REPORT, _I.PHOTOS, _I.REPAIR_ESTIMATE, _I.INVOICE,
)  # fmt: skip
_MEDICAL = (_I.MEDICAL_RECORDS, _I.MEDICAL_RECEIPTS)
# The documents each kind of claim needs (issue 16; the broker may mark any of them "not
# needed" on a given claim):
# - collision: the claim form, ID, driving licence, vehicle registration, the police or
#   traffic report, photos, the repair estimate and the repair invoice;
# - injury: a collision's list plus the medical records and the medical receipts (and any
#   claim reported with people injured adds those two);
# - theft: the claim form, ID, vehicle registration, the report to the authorities, the
#   vehicle's purchase invoice and all its keys (what insurers ask before paying a total loss);
# - glass: the claim form, ID, vehicle registration, photos, the estimate and the invoice (no
#   police report nor licence: nobody else is involved);
# - fire or flood: the claim form, ID, vehicle registration, the authority's report (fire
#   brigade, civil protection), photos, the estimate and the invoice;
# - third-party liability: a collision's list plus the third party's details and claim;
# - other: the claim form, ID, photos and the invoice.
CHECKLISTS: dict[str, tuple[str, ...]] = {
    ClaimKind.COLLISION: _COLLISION,
    ClaimKind.INJURY: _COLLISION + _MEDICAL,
    ClaimKind.THEFT: (
        _I.CLAIM_FORM, _I.NATIONAL_ID, _I.VEHICLE_REGISTRATION, _I.POLICE_REPORT,
        _I.VEHICLE_INVOICE, _I.KEYS,
    ),
    ClaimKind.GLASS: (
        _I.CLAIM_FORM, _I.NATIONAL_ID, _I.VEHICLE_REGISTRATION, _I.PHOTOS,
        _I.REPAIR_ESTIMATE, _I.INVOICE,
    ),
    ClaimKind.FIRE_FLOOD: (
        _I.CLAIM_FORM, _I.NATIONAL_ID, _I.VEHICLE_REGISTRATION, _I.POLICE_REPORT, _I.PHOTOS,
        _I.REPAIR_ESTIMATE, _I.INVOICE,
    ),
    ClaimKind.THIRD_PARTY: _COLLISION + (_I.THIRD_PARTY_DETAILS,),
    ClaimKind.OTHER: (_I.CLAIM_FORM, _I.NATIONAL_ID, _I.PHOTOS, _I.INVOICE),
}  # fmt: skip


def checklist_for(kind: str, injured: bool = False) -> tuple[str, ...]:
    """The documents a claim of this kind needs, in the order the page lists them."""
    items = CHECKLISTS.get(kind, CHECKLISTS[ClaimKind.OTHER])
    if injured:
        items = items + tuple(item for item in _MEDICAL if item not in items)
    return items


class DocumentState(models.TextChoices):
    RECEIVED = "received", _("Received")
    MISSING = "missing", _("Missing")
    NOT_NEEDED = "not_needed", _("Not needed")


class ClaimDocument(models.Model):
    """Where one item of a claim's checklist stands. No row: missing. A received item may
    point at the file, kept among the client's documents (``clients.services.document_upload``
    checks its content); an original received on paper has none."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="documents")
    item = models.CharField(_("document"), max_length=32, choices=DocumentItem.choices)
    state = models.CharField(_("state"), max_length=12, choices=DocumentState.choices)
    document = models.ForeignKey(
        "clients.ClientDocument", verbose_name=_("file"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    changed_at = models.DateTimeField(_("changed at"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip

    history = HistoricalRecords(no_db_index=["claim", "document", "changed_by"])

    class Meta:
        verbose_name = _("claim document")
        verbose_name_plural = _("claim documents")
        constraints = [
            models.UniqueConstraint(fields=["claim", "item"], name="claim_document_item_once")
        ]

    def __str__(self):
        return f"{self.claim_id}: {self.item} {self.state}"


class ClaimFollowUp(models.Model):
    """A follow-up call on a claim after its first contact. The first (首次跟踪) records the
    cause and liability, the damage and where the client wants the vehicle repaired; any
    follow-up may book the next one (二次跟踪 and after) at a time agreed with the client,
    which puts a ``claim_follow_up`` item on the agent's call list at that time."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="follow_ups")
    number = models.PositiveSmallIntegerField(_("follow-up"))
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    cause_and_liability = models.TextField(_("cause and liability"), blank=True)
    damage = models.TextField(_("damage"), blank=True)
    repair_wish = models.CharField(_("where the client wants it repaired"), max_length=255,
                                   blank=True)  # fmt: skip
    note = models.TextField(_("note"), blank=True)
    next_at = models.DateTimeField(_("next follow-up at"), null=True, blank=True)

    history = HistoricalRecords(no_db_index=["claim", "by"])

    class Meta:
        verbose_name = _("claim follow-up")
        verbose_name_plural = _("claim follow-ups")
        ordering = ["claim", "number"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "number"], name="claim_follow_up_once")
        ]

    def __str__(self):
        return f"{self.claim_id}: {self.number}"
