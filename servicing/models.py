"""Policy service (issue 17; seed 003, the life-policy service norm).

- ``PolicyParty``: the policyholder, the insured and the beneficiaries of a policy (shares of
  the beneficiaries add up to exactly 100 %). Auto policies usually have none: their holder
  (the client) is both policyholder and insured.
- ``ServiceRequest`` (保全): a change asked of the insurer on a policy, requested → sent to
  the insurer → done or rejected, each step with its date and who; a beneficiary or
  policyholder change carries the new parties, applied when it is done.
- ``ServiceCase``: a client whose life or health policies came to a new agent (a departed
  agent's book) or have no active agent (orphans), classified normal / difficult / lapsed
  (正常件 / 困难件 / 失效件) and worked as the seed says.

Written only by ``servicing.services``; every model that matters keeps its history.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from clients.models import Client, ClientDocument
from policies.models import Line, Policy, PolicyStatus

# The lines whose policies name their parties and get life-policy service cases.
SERVICE_LINES = (Line.LIFE, Line.HEALTH)
# The policies a service case serves: in force, or lapsed (to be reinstated).
SERVED_STATUSES = (PolicyStatus.ACTIVE, PolicyStatus.LAPSED)
FULL_SHARE = Decimal("100")


# -- parties -------------------------------------------------------------------------------


class PartyRole(models.TextChoices):
    POLICYHOLDER = "policyholder", _("Policyholder")
    INSURED = "insured", _("Insured")
    BENEFICIARY = "beneficiary", _("Beneficiary")


ROLE_ORDER = {PartyRole.POLICYHOLDER: 0, PartyRole.INSURED: 1, PartyRole.BENEFICIARY: 2}


class Relation(models.TextChoices):
    SELF = "self", _("The insured themself")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    SIBLING = "sibling", _("Brother or sister")
    RELATIVE = "relative", _("Other relative")
    EMPLOYER = "employer", _("Employer")
    OTHER = "other", _("Other")


class PolicyParty(models.Model):
    policy = models.ForeignKey(
        Policy, verbose_name=_("policy"), on_delete=models.CASCADE, related_name="parties"
    )
    role = models.CharField(_("role"), max_length=16, choices=PartyRole.choices)
    name = models.CharField(_("name"), max_length=200)
    relation = models.CharField(
        _("relation to the insured"), max_length=16, choices=Relation.choices, blank=True
    )
    id_number = models.CharField(
        _("ID number"), max_length=32, blank=True,
        help_text=_("CURP, resident ID or passport number."),
    )  # fmt: skip
    share = models.DecimalField(
        _("share (%)"), max_digits=5, decimal_places=2, null=True, blank=True,
        help_text=_("Beneficiaries only: the shares add up to 100."),
    )  # fmt: skip
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = HistoricalRecords(no_db_index=["policy"])

    class Meta:
        verbose_name = _("policy party")
        verbose_name_plural = _("policy parties")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(share__isnull=True) | Q(share__gt=0, share__lte=100),
                name="policyparty_share_in_range",
            ),
            models.CheckConstraint(
                condition=Q(role=PartyRole.BENEFICIARY) | Q(share__isnull=True),
                name="policyparty_share_beneficiaries_only",
            ),
        ]

    def __str__(self):
        return f"{self.get_role_display()}: {self.name}"


# -- service requests (保全) ---------------------------------------------------------------


class RequestKind(models.TextChoices):
    ADDRESS_CHANGE = "address_change", _("Address change")
    PHONE_CHANGE = "phone_change", _("Phone change")
    ID_CHANGE = "id_change", _("ID details change")
    BENEFICIARY_CHANGE = "beneficiary_change", _("Beneficiary change")
    POLICYHOLDER_CHANGE = "policyholder_change", _("Policyholder change")
    RIDER = "rider", _("Add or keep a rider")
    PAYMENT_METHOD = "payment_method", _("Payment method change")
    REINSTATEMENT = "reinstatement", _("Reinstatement")
    OTHER = "other", pgettext_lazy("service request kind", "Other")


# The requests that carry new parties, and the role those parties take.
PARTY_CHANGES = {
    RequestKind.BENEFICIARY_CHANGE: PartyRole.BENEFICIARY,
    RequestKind.POLICYHOLDER_CHANGE: PartyRole.POLICYHOLDER,
}


class RequestStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    SENT = "sent", _("Sent to the insurer")
    DONE = "done", _("Done")
    REJECTED = "rejected", _("Rejected")


# Where a request may go from each status (servicing.services refuses the rest).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    RequestStatus.REQUESTED: (RequestStatus.SENT, RequestStatus.REJECTED),
    RequestStatus.SENT: (RequestStatus.DONE, RequestStatus.REJECTED),
    RequestStatus.DONE: (),
    RequestStatus.REJECTED: (),
}
OPEN_STATUSES = (RequestStatus.REQUESTED, RequestStatus.SENT)


class ServiceRequestQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Requests on the policies the user may see (Policy.objects.visible_to)."""
        if Policy.objects.sees_all(user):
            return self.all()
        return self.filter(policy__in=Policy.objects.visible_to(user).values("pk"))


class ServiceRequest(models.Model):
    policy = models.ForeignKey(
        Policy, verbose_name=_("policy"), on_delete=models.PROTECT,
        related_name="service_requests",
    )  # fmt: skip
    kind = models.CharField(_("type"), max_length=24, choices=RequestKind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=RequestStatus.choices,
        default=RequestStatus.REQUESTED,
    )  # fmt: skip
    due_on = models.DateField(_("due on"))
    notes = models.TextField(_("notes"), blank=True)
    # The new parties of a beneficiary or policyholder change: a list of {name, relation,
    # id_number, share} (the share as text), applied to the policy when the request is done.
    new_parties = models.JSONField(_("new parties"), default=list, blank=True)
    documents = models.ManyToManyField(
        ClientDocument, verbose_name=_("documents"), blank=True, related_name="service_requests"
    )
    requested_at = models.DateTimeField(_("requested at"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    sent_at = models.DateTimeField(_("sent to the insurer at"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sent by"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    closed_at = models.DateTimeField(_("done or rejected at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("done or rejected by"),
        on_delete=models.PROTECT, null=True, blank=True, related_name="+",
    )  # fmt: skip
    rejection_reason = models.CharField(_("why it was rejected"), max_length=255, blank=True)

    history = HistoricalRecords(no_db_index=["policy", "requested_by", "sent_by", "closed_by"])
    objects = ServiceRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        ordering = ["-requested_at", "-pk"]
        indexes = [
            models.Index(fields=["policy", "-requested_at"], name="servicerequest_policy"),
            models.Index(fields=["status", "due_on"], name="servicerequest_status_due"),
        ]

    def __str__(self):
        return self.reference

    @property
    def reference(self) -> str:
        return f"SR-{self.pk:06d}" if self.pk else "SR-"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def allowed_statuses(self) -> tuple[str, ...]:
        return TRANSITIONS.get(self.status, ())

    @property
    def changes_parties(self) -> bool:
        return self.kind in PARTY_CHANGES

    @property
    def new_parties_shown(self) -> list[dict]:
        """The new parties as the page shows them: each relation in the reader's language."""
        return [
            {**row, "relation": Relation(row["relation"]).label if row.get("relation") else ""}
            for row in self.new_parties
        ]


# -- life-policy service cases (seed 003) --------------------------------------------------


class CaseSource(models.TextChoices):
    DEPARTED_AGENT = "departed_agent", _("Departed agent's book")
    ORPHAN = "orphan", _("Policy with no active agent")


class CaseClass(models.TextChoices):
    NORMAL = "normal", _("Normal")
    DIFFICULT = "difficult", _("Difficult")
    # Seed 003's 失效件: a case of a client whose policy lapsed (not the policy status).
    LAPSED = "lapsed", pgettext_lazy("service case class", "Lapsed")


class CaseOutcome(models.TextChoices):
    SERVED = "served", _("Served: list signed, service items offered")
    UNREACHABLE = "unreachable", _("Unreachable after every search method")
    REINSTATEMENT = "reinstatement", _("Reinstatement requested")
    DECLINED = "declined", _("Client declined reinstatement")


class ServiceItem(models.TextChoices):
    """The basic service items a normal case offers (seed 003, 保单服务基本项目)."""

    CONTACT_DETAILS = "contact_details", _("Address and phone change")
    BENEFICIARY = "beneficiary", _("Beneficiary change")
    POLICYHOLDER = "policyholder", _("Policyholder change")
    RIDERS = "riders", _("Keep or add riders")
    SURVIVAL_BENEFIT = "survival_benefit", _("Survival-benefit notice")
    DIVIDEND = "dividend", _("Dividend notice")
    POLICY_REVIEW = "policy_review", _("Policy review")


class ItemState(models.TextChoices):
    OFFERED = "offered", _("Offered")
    DONE = "done", pgettext_lazy("service item state", "Done")


class SearchMethod(models.TextChoices):
    """How a client is looked for before a case is declared difficult (seed 003: 6+1)."""

    PHONE = "phone", _("Phoned the client directly")
    VISIT = "visit", _("Visited the client's home or workplace")
    NEIGHBOURS = "neighbours", _("Asked neighbours, the residents' committee or the police")
    PREVIOUS_AGENT = "previous_agent", _("Asked the previous agent")
    NOTICE_BOARD = "notice_board", _("Posted on the office's 'looking for clients' board")
    POLICY_DATA = "policy_data", _("Searched the policy's data (beneficiaries and others)")
    OFFICE_HELP = "office_help", _("Asked the office for help: problem policy registered")


# The six searches the agent makes; the seventh (the office's help) is declaring the case
# unreachable, which registers it with the office (the maintainers' queue).
AGENT_SEARCHES = tuple(m for m in SearchMethod if m != SearchMethod.OFFICE_HELP)


class ServiceCaseQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Cases of the clients the user may see (Client.objects.visible_to)."""
        if Policy.objects.sees_all(user):
            return self.all()
        return self.filter(client__in=Client.objects.visible_to(user).values("pk"))


class ServiceCase(models.Model):
    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.PROTECT, related_name="service_cases",
        db_index=False,  # covered by the (client, closed_at) index
    )  # fmt: skip
    source = models.CharField(_("source"), max_length=16, choices=CaseSource.choices)
    case_class = models.CharField(_("class"), max_length=16, choices=CaseClass.choices)
    previous_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("previous agent"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    opened_at = models.DateTimeField(_("opened at"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("opened by"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
        help_text=_("Empty when the daily sweep opened it."),
    )  # fmt: skip
    # Seed 003, normal case, step 1: the service list is signed for (签收服务清单).
    list_signed_at = models.DateTimeField(_("service list signed at"), null=True, blank=True)
    list_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("service list signed by"),
        on_delete=models.PROTECT, null=True, blank=True, related_name="+",
    )  # fmt: skip
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("closed by"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    outcome = models.CharField(_("outcome"), max_length=16, choices=CaseOutcome.choices, blank=True)
    note = models.TextField(_("note"), blank=True)

    history = HistoricalRecords(
        no_db_index=["client", "previous_agent", "opened_by", "list_signed_by", "closed_by"]
    )
    objects = ServiceCaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("service case")
        verbose_name_plural = _("service cases")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            # One open case per client: opening again (a reassignment run twice, the sweep
            # every day) finds it there.
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(closed_at__isnull=True),
                name="servicecase_one_open_per_client",
            ),  # fmt: skip
        ]
        indexes = [
            models.Index(fields=["client", "closed_at"], name="servicecase_client"),
            models.Index(
                fields=["case_class", "opened_at"],
                name="servicecase_open_class",
                condition=Q(closed_at__isnull=True),
            ),  # fmt: skip
        ]

    def __str__(self):
        return self.reference

    @property
    def reference(self) -> str:
        return f"SC-{self.pk:06d}" if self.pk else "SC-"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class CaseServiceItem(models.Model):
    """A service item of a normal case: offered to the client, or done."""

    case = models.ForeignKey(ServiceCase, on_delete=models.CASCADE, related_name="service_items")
    item = models.CharField(_("service item"), max_length=20, choices=ServiceItem.choices)
    state = models.CharField(_("state"), max_length=10, choices=ItemState.choices)
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    note = models.CharField(_("note"), max_length=255, blank=True)

    history = HistoricalRecords(no_db_index=["case", "by"])

    class Meta:
        verbose_name = _("service item offered")
        verbose_name_plural = _("service items offered")
        ordering = ["case", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "item"], name="caseserviceitem_once")
        ]

    def __str__(self):
        return f"{self.get_item_display()}: {self.get_state_display()}"


class CaseSearch(models.Model):
    """A search method tried on a difficult case, when and with what result."""

    case = models.ForeignKey(ServiceCase, on_delete=models.CASCADE, related_name="searches")
    method = models.CharField(_("search method"), max_length=16, choices=SearchMethod.choices)
    tried_at = models.DateTimeField(_("tried at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    note = models.CharField(_("what came of it"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("search method tried")
        verbose_name_plural = _("search methods tried")
        ordering = ["case", "tried_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["case", "method"], name="casesearch_once")]

    def __str__(self):
        return self.get_method_display()
