import unicodedata

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.modelfields import PhoneNumberField
from stdnum.util import clean as stdnum_clean

from brokerage.core.history import BulkHistoricalRecords
from brokerage.core.names import person_name


def default_language() -> str:
    return settings.LANGUAGE_CODE


class ClientKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    CORPORATE = "corporate", _("Corporate")


class ClientStatus(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    ACTIVE = "active", pgettext_lazy("client status", "Active")
    FORMER = "former", _("Former")


class LeadSource(models.TextChoices):
    REFERRAL = "referral", _("Referral from a client")
    WALK_IN = "walk_in", _("Walked into the office")
    PHONE = "phone", _("Phone call")
    WEB = "web", _("Website")
    SOCIAL = "social", _("Social media")
    DEALER = "dealer", _("Car dealer")
    INSURER = "insurer", _("Insurer's list")
    OTHER = "other", _("Other")


class VipTier(models.TextChoices):
    NONE = "", _("None")
    SILVER = "silver", _("Silver")
    GOLD = "gold", _("Gold")
    PLATINUM = "platinum", _("Platinum")


class ClientQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The one place that says which clients a user may see.

        Agents: clients they own or are co-assigned to. Managers: those of the agents in the
        teams they lead (and their own). Maintainers and admins: every client.
        """
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        # A file merged into another is no longer a client of anyone's: its address
        # redirects to the file it was merged into.
        live = self.filter(merged_into__isnull=True)
        if user.is_superuser or user.is_cartera_admin or user.is_maintainer:
            return live
        # The small lists are read first so that PostgreSQL can combine plain index
        # lookups (owner, primary key) instead of scanning every client.
        through = Client.co_agents.through
        agents = [user.pk]
        if user.is_manager:
            agents += list(
                get_user_model().objects.filter(team__manager=user).values_list("pk", flat=True)
            )
        co_assigned = list(
            through.objects.filter(user_id__in=agents).values_list("client_id", flat=True)
        )
        mine = Q(owner_id__in=agents)
        if co_assigned:
            mine |= Q(pk__in=co_assigned)
        return live.filter(mine)


# The characters national and tax IDs are written with that are not part of them ("GODE-561231
# GR8", "110101 19900307 123X"). Both sides of a comparison are put in the same normal form:
# typed values by id_key, stored ones by id_key_expression (indexed), whatever wrote them.
ID_SEPARATORS = " -_./"
# What stdnum's clean does to plain ASCII (its only ASCII mapping is ` to '), in one translate:
# imports put 100,000 IDs at a time in normal form (1 µs each instead of 8).
_ASCII_ID = str.maketrans({**dict.fromkeys(ID_SEPARATORS), "`": "'"})


def id_key(value: str) -> str:
    """A national or tax ID in its normal form: python-stdnum's ``compact`` of a Mexican RFC or
    CURP, a Chinese resident ID or credit code (upper case, without separators; stdnum's clean
    turns typographic dashes into plain ones), full-width letters and digits made plain."""
    value = value or ""
    if value.isascii():
        return value.translate(_ASCII_ID).strip().upper()
    return stdnum_clean(unicodedata.normalize("NFKC", value), ID_SEPARATORS).strip().upper()


def id_key_expression(field: str) -> Func:
    """The database's id_key of a stored ID: UPPER(TRANSLATE(field, separators, ''))."""
    return Upper(Func(F(field), Value(ID_SEPARATORS), Value(""), function="TRANSLATE"))


def display_name_of(kind: str, first_name: str, last_name: str, legal_name: str) -> str:
    """The name a client is listed under: a company's legal name, a person's name in their
    language's order (without building a model instance: imports name 100,000 at a time)."""
    if kind == ClientKind.CORPORATE:
        return legal_name.strip()
    return person_name(first_name, last_name)


class Client(models.Model):
    kind = models.CharField(
        _("type"), max_length=16, choices=ClientKind.choices, default=ClientKind.INDIVIDUAL
    )
    # Individual
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    national_id = models.CharField(
        _("national ID"), max_length=32, blank=True, help_text=_("CURP, INE or resident ID number.")
    )
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    # Corporate
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=200, blank=True)
    tax_id = models.CharField(
        _("tax ID"), max_length=32, blank=True, help_text=_("RFC or unified social credit code.")
    )
    registered_capital = models.DecimalField(
        _("registered capital"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    business_scope = models.TextField(_("business scope"), blank=True)
    # Both
    display_name = models.CharField(_("name"), max_length=200, editable=False)
    address = models.TextField(_("address"), blank=True)
    postal_code = models.CharField(_("postal code"), max_length=16, blank=True)
    phone = PhoneNumberField(_("phone"), blank=True)
    phone_other = PhoneNumberField(_("other phone"), blank=True)
    fax = PhoneNumberField(_("fax"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    whatsapp = PhoneNumberField(_("WhatsApp"), blank=True)
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=default_language,
        help_text=_("The language of the messages Cartera sends this client."),
    )
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=16, blank=True,
        choices=[("email", _("E-mail")), ("whatsapp", _("WhatsApp")), ("sms", _("SMS"))],
        help_text=_(
            "How the client wants reminders. Empty: WhatsApp if they have it, else e-mail, "
            "else SMS."
        ),
    )  # fmt: skip
    # A number an insurer's report gave that is not a phone number in its region: kept as
    # written for whoever fixes the contact (shown while the client has no phone).
    phone_as_written = models.CharField(
        _("phone as written in a report"), max_length=40, blank=True, editable=False
    )
    contact_inaccurate = models.BooleanField(
        _("contact details inaccurate"),
        default=False,
        help_text=_("Set when the client could not be reached at these details."),
    )
    lead_source = models.CharField(
        _("how did they hear about us"), max_length=16, choices=LeadSource.choices, blank=True
    )
    vip_tier = models.CharField(
        _("VIP tier"), max_length=16, choices=VipTier.choices, blank=True, default=""
    )
    membership_card = models.CharField(_("membership card number"), max_length=40, blank=True)
    is_key = models.BooleanField(
        _("key client"),
        default=False,
        help_text=_("Key clients need at least two assigned people."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ClientStatus.choices, default=ClientStatus.PROSPECT
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner agent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_clients",
        db_index=False,  # covered by the (owner, status) index
    )
    co_agents = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("co-assigned agents"),
        blank=True,
        related_name="co_assigned_clients",
    )
    notes = models.TextField(_("notes"), blank=True)
    # The client's profile for service (seed 004, 7): who they are beyond their policies, and
    # when and how they like to be reached. The contact window (seed 001's call-back windows)
    # is the client's own; empty, the brokerage's settings apply.
    occupation = models.CharField(_("occupation"), max_length=120, blank=True)
    hobbies = models.CharField(_("hobbies and interests"), max_length=255, blank=True)
    contact_from = models.TimeField(_("reachable from"), null=True, blank=True)
    contact_to = models.TimeField(_("reachable until"), null=True, blank=True)
    greetings_opt_out = models.BooleanField(
        _("no greetings"),
        default=False,
        help_text=_("The client asked not to receive birthday and holiday greetings."),
    )
    # Set when a maintainer merged this (duplicate) file into another: the file is kept, with
    # its history, and its address leads to the one it was merged into (clients.services
    # client_merge).
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="merged_files",
        db_index=False,  # the partial index below: almost every file has none
    )
    # Who created the file: users are deactivated, never deleted, so neither an index for a
    # user's deletion nor a foreign-key check per inserted client (an import inserts 100,000).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # History is read by client (its id): no index on the other columns (each would cost every
    # imported row), nor on its user (BulkHistoricalRecords: neither checked nor indexed).
    history = BulkHistoricalRecords(
        excluded_fields=["updated_at", "display_name"],
        no_db_index=["owner", "created_by", "merged_into"],
    )
    objects = ClientQuerySet.as_manager()

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["display_name", "pk"]
        indexes = [
            # Plain b-tree indexes: exact matches only (Django's db_index would add an unused
            # LIKE index per column on PostgreSQL). Names are searched through a trigram index
            # (migration 0002).
            models.Index(fields=["display_name", "id"], name="client_name_order"),
            models.Index(fields=["phone"], name="client_phone"),
            # Columns most files leave blank (reports bring neither) are indexed where filled:
            # no one looks up a blank, and an import writes no index entry for it.
            models.Index(
                fields=["phone_other"], name="client_phone_other", condition=~Q(phone_other="")
            ),
            models.Index(fields=["whatsapp"], name="client_whatsapp", condition=~Q(whatsapp="")),
            models.Index(fields=["owner", "status"], name="client_owner_status"),
            # IDs are compared in their normal form, however they were stored (duplicate
            # checks, the search box, imports): only these indexes, no plain twin on the
            # columns (each index is written for every imported client). Not partial: the
            # planner has no statistics of a partial index's expression, and joined the
            # import's 5,000 keys of a chunk to the whole table (0.4 s instead of 0.03).
            models.Index(id_key_expression("national_id"), name="client_national_id_key"),
            models.Index(id_key_expression("tax_id"), name="client_tax_id_key"),
            models.Index(
                fields=["merged_into"],
                name="client_merged_into",
                condition=Q(merged_into__isnull=False),
            ),
        ]

    def __str__(self):
        return self.display_name

    def compute_display_name(self) -> str:
        return display_name_of(self.kind, self.first_name, self.last_name, self.legal_name)

    @property
    def is_corporate(self) -> bool:
        return self.kind == ClientKind.CORPORATE

    def assigned_people_count(self) -> int:
        """Owner plus co-assigned agents (uses a prefetch of co_agents when there is one)."""
        others = {u.pk for u in self.co_agents.all()} - {self.owner_id}
        return len(others) + (1 if self.owner_id else 0)

    @property
    def needs_second_contact(self) -> bool:
        return self.is_key and self.assigned_people_count() < 2


class ContactPerson(models.Model):
    """A person to speak to at a corporate client."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=150)
    position = models.CharField(_("position"), max_length=100, blank=True)
    phone = PhoneNumberField(_("phone"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)

    class Meta:
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name


class DocumentKind(models.TextChoices):
    NATIONAL_ID = "national_id", _("National or voter ID")
    DRIVERS_LICENCE = "drivers_licence", _("Driver's licence")
    VEHICLE_REGISTRATION = "vehicle_registration", _("Vehicle registration")
    ANNUAL_REPORT = "annual_report", _("Annual report")
    OTHER = "other", _("Other")


def _document_path(instance, filename):
    now = timezone.now()
    return f"clients/{instance.client_id}/{now:%Y%m}/{instance.stored_name}"


class ClientDocument(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("kind"), max_length=32, choices=DocumentKind.choices)
    file = models.FileField(_("file"), upload_to=_document_path, max_length=300)
    stored_name = models.CharField(max_length=100, editable=False)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    description = models.CharField(_("description"), max_length=255, blank=True)
    # The policy the document belongs to, when it is one (a copy kept in the policy's file,
    # seed 000); empty for the client's own papers.
    policy = models.ForeignKey(
        "policies.Policy", verbose_name=_("policy"), on_delete=models.SET_NULL, null=True,
        blank=True, related_name="documents",
    )  # fmt: skip
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.original_name}"


class Channel(models.TextChoices):
    CALL = "call", _("Call")
    EMAIL = "email", _("E-mail")
    WHATSAPP = "whatsapp", _("WhatsApp")
    SMS = "sms", _("SMS")
    LETTER = "letter", _("Letter")
    VISIT = "visit", _("Visit")


class Direction(models.TextChoices):
    OUTBOUND = "out", _("We contacted them")
    INBOUND = "in", _("They contacted us")


class Interaction(models.Model):
    """One contact with a client, on the client file's timeline."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="interactions")
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default=Direction.OUTBOUND
    )
    summary = models.TextField(_("summary"))
    result = models.CharField(_("result"), max_length=100, blank=True)
    # An entry written by the system: its message code (clients.timeline) and parameters,
    # rendered in the reader's language; ``summary`` keeps the creator's words for search and
    # exports (and is all there is for old rows and for what users typed).
    message = models.CharField(_("message"), max_length=64, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-occurred_at", "-pk"]
        indexes = [models.Index(fields=["client", "-occurred_at"], name="interaction_timeline")]

    def __str__(self):
        return f"{self.get_channel_display()} {self.occurred_at:%Y-%m-%d}"

    @property
    def text(self) -> str:
        """The summary in the reader's language (the stored one when it has no message)."""
        from . import timeline

        if self.message and (text := timeline.render(self.message, self.params)) is not None:
            return text
        return self.summary

    @property
    def result_text(self) -> str:
        """The result in the reader's language (the stored one when it has no message)."""
        from . import timeline

        if self.message and (shown := timeline.values(self.message, self.params)):
            if "result" in shown:
                return shown["result"]
        return self.result


class ClientAccess(models.Model):
    """Who opened which client file, and when."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("client file opened")
        verbose_name_plural = _("client files opened")
        indexes = [models.Index(fields=["client", "-at"], name="clientaccess_client_at")]

    def __str__(self):
        return f"{self.user_id} opened {self.client_id} at {self.at:%Y-%m-%d %H:%M}"
