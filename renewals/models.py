from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from brokerage.core.sql import SqlNames
from brokerage.core.triggers import InsertTrigger, ModelTrigger, copied_reference
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


# The ladders the product ships (migration 0002): preset code → (English name, label). A preset
# ladder whose name is still the English one is shown with the label in the reader's language.
LADDER_PRESETS = {
    "design-card": ("30 / 25 / 15 days", _("30 / 25 / 15 days")),
    "dealer": ("Dealer channel (60 days to expiry)", _("Dealer channel (60 days to expiry)")),
}


class Ladder(models.Model):
    name = models.CharField(_("name"), max_length=100)
    preset = models.CharField(_("preset"), max_length=30, blank=True, editable=False)
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
        return str(self.display_name)

    @property
    def display_name(self) -> str:
        """The preset's label in the reader's language while nobody renamed the ladder."""
        english, label = LADDER_PRESETS.get(self.preset, (None, None))
        return str(label) if english is not None and self.name == english else self.name

    def preset_name(self, name: str) -> str:
        """The name to store for ``name`` typed on the form: a preset ladder's label (in any
        language the form showed it) stays the preset's English name."""
        english, label = LADDER_PRESETS.get(self.preset, (None, None))
        return english if english is not None and name in (english, str(label)) else name

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
    # A renewal (es: la renovación): not a quote's or a claim's "Open", not a policy lapsed.
    OPEN = "open", pgettext_lazy("renewal case status", "Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")
    LAPSED = "lapsed", pgettext_lazy("renewal case status", "Lapsed")
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


# The report dimensions a case copies from its policy: fields of the same name on both.
DIMENSIONS = ("agent", "insurer", "line", "currency", "holder")


def _copy_from_policies(case_model) -> str:
    """The case trigger: the dimensions from the case's policy, the premium and currency from
    its renewing policy (none: NULL and '')."""
    case, policy = SqlNames(case_model), SqlNames(Policy, "p")
    return f"""
        SELECT {", ".join(getattr(policy, f) for f in DIMENSIONS)}
          INTO {", ".join(f"NEW.{getattr(case, f)}" for f in DIMENSIONS)}
          FROM {policy.from_} WHERE {policy.id} = NEW.{case.policy};
        SELECT {policy.premium}, {policy.currency}
          INTO NEW.{case.renewed_premium}, NEW.{case.renewed_currency}
          FROM {policy.from_} WHERE {policy.id} = NEW.{case.new_policy};
        NEW.{case.renewed_currency} := COALESCE(NEW.{case.renewed_currency}, '');
        RETURN NEW;"""


class RenewalCase(models.Model):
    """One policy approaching its end date, worked along its ladder until won or lost.

    A case carries copies of its policy's report dimensions (agent, insurer, line, currency,
    client: ``agent``, ``insurer``, ``line``, ``currency``, ``holder``) and of its renewing
    policy's premium (``renewed_premium``, ``renewed_currency``), so that a dashboard over a
    year of a million-policy book aggregates this one table instead of joining the policies
    twice. The database keeps them, with triggers declared here (django-pgtrigger): two on
    this table (on every insert that does not bring the copies, and on every update that names
    the policy, the renewing policy or a copy, so that a stale copy in memory is never written
    back) and one on the policies' table, declared on the proxy ``PolicyFollowedByCases`` (on a
    change of a dimension or a premium). A trigger rather than a service because rows are
    written outside the ORM: policies COPYed and updated in bulk by imports, a departing
    agent's book moved with one UPDATE. The application never writes the copies; the one
    writer that brings them is the morning job's set-based insert (``renewals.jobs``), which
    selects them from the policies it opens cases for, in the same statement, instead of
    calling the trigger's function once per row.
    """

    policy = models.OneToOneField(Policy, on_delete=models.PROTECT, related_name="renewal_case")
    ladder = models.ForeignKey(
        Ladder, on_delete=models.PROTECT, related_name="cases",
        db_index=False,  # the (ladder, status) index (Meta) leads with it
    )  # fmt: skip
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
        db_index=False,  # a partial index (Meta)
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
        db_index=False,  # a partial index (Meta)
    )
    # The policy's end date, copied so that lists sort and filter by it on one table (the morning
    # job keeps open cases in step if a policy's end date is edited).
    end_date = models.DateField(_("policy ends"))
    last_premium = models.DecimalField(_("last year's premium"), max_digits=12, decimal_places=2)
    # The renewal quotation opened from the call list ("interested"): the same insurer at last
    # year's premium first, then the alternatives.
    quotation = models.ForeignKey(
        "policies.Quotation", verbose_name=_("renewal quotation"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+", db_index=False,  # a partial index (Meta)
    )  # fmt: skip
    quoted_premium = models.DecimalField(
        _("quoted premium"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    opened_on = models.DateField(_("opened on"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    lapsed_at = models.DateTimeField(_("lapsed at"), null=True, blank=True)
    handed_over_at = models.DateTimeField(_("sent to the maintainers at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        db_index=False,  # a partial index (Meta)
    )  # fmt: skip
    # The dashboards' dimensions, kept by the triggers (see the docstring).
    agent = copied_reference(settings.AUTH_USER_MODEL, _("agent"))
    insurer = copied_reference(Insurer, _("insurer"))
    # Database defaults too: the morning job inserts cases in SQL without naming them.
    line = models.CharField(
        _("line of business"), max_length=16, default="", db_default="", editable=False
    )
    currency = models.CharField(
        _("currency"), max_length=3, default="", db_default="", editable=False
    )
    holder = copied_reference("clients.Client", _("client"))
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
            # Every new case is written into each index of this table (a first morning opens
            # some 200,000 at a million policies, an import 100,000): one index per need, and
            # the times an open case does not have yet indexed only where set (lookups by a
            # range of them, ``<=``/``>=``, read the partial index all the same).
            models.Index(fields=["ladder", "status"], name="renewal_ladder_status"),
            models.Index(
                fields=["status", "lapsed_at"], name="renewal_status_lapsed",
                condition=models.Q(lapsed_at__isnull=False),
            ),
            models.Index(fields=["status", "end_date", "id"], name="renewal_status_end"),
            # The dashboards: a year of cases in one currency read from the index alone.
            models.Index(
                fields=["currency", "end_date"], name="renewal_report",
                include=["status", "holder", "agent", "insurer", "line", "last_premium",
                         "renewed_premium", "renewed_currency"],
            ),
            models.Index(
                fields=["status", "closed_at"], name="renewal_status_closed",
                condition=models.Q(closed_at__isnull=False),
            ),
            # The references an open case does not have yet, indexed only where set: a first
            # morning opens some 200,000 cases at a million policies, each written into every
            # index of this table (a reference's lookup, ``= id``, reads them all the same).
            *(
                models.Index(
                    fields=[name], condition=models.Q(**{f"{name}__isnull": False}),
                    name=f"renewal_{name}_set",
                )
                for name in ("lost_to", "new_policy", "quotation", "closed_by")
            ),
        ]  # fmt: skip
        triggers = [
            ModelTrigger(
                name="case_dimensions", when=pgtrigger.Before,
                update_of=("policy", "new_policy", *DIMENSIONS, "renewed_premium",
                           "renewed_currency"),
                func=_copy_from_policies,
            ),
            # On insert, only for rows that do not bring their copies: a case always has a
            # holder once copied (a policy has one), so a row with none was written by the
            # application (one case, by the ORM); the job's set-based insert copies the
            # dimensions from the policies it selects and skips the per-row function.
            InsertTrigger(
                name="case_dimensions_insert", when=pgtrigger.Before,
                operation=pgtrigger.Insert,
                condition=pgtrigger.Q(new__holder__isnull=True)
                | pgtrigger.Q(new__new_policy__isnull=False),
                func=_copy_from_policies,
            ),
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


def _follow_into_cases(policy_model) -> str:
    """The policy trigger: a changed dimension into the policy's case, a changed premium or
    currency into the case it renews (the case trigger then reads them again)."""
    policy, case = SqlNames(policy_model), SqlNames(RenewalCase)
    changed = " OR ".join(
        f"OLD.{column} IS DISTINCT FROM NEW.{column}"
        for column in (getattr(policy, f) for f in DIMENSIONS)
    )
    copies = ", ".join(f"{getattr(case, f)} = NEW.{getattr(policy, f)}" for f in DIMENSIONS)
    return f"""
        IF {changed} THEN
            UPDATE {case.table} SET {copies} WHERE {case.policy} = NEW.{policy.id};
        END IF;
        IF OLD.{policy.premium} IS DISTINCT FROM NEW.{policy.premium}
           OR OLD.{policy.currency} IS DISTINCT FROM NEW.{policy.currency} THEN
            UPDATE {case.table} SET {case.renewed_premium} = NEW.{policy.premium},
                   {case.renewed_currency} = NEW.{policy.currency}
             WHERE {case.new_policy} = NEW.{policy.id};
        END IF;
        RETURN NULL;"""


class PolicyFollowedByCases(Policy):
    """Policies as renewals sees them: the trigger that carries a policy's changes into its
    renewal cases (RenewalCase's docstring) fires on the policies' table but belongs to
    renewals, which sits above policies, so it is declared on this proxy (its migration is
    renewals')."""

    class Meta:
        proxy = True
        default_permissions = ()
        triggers = [
            ModelTrigger(
                name="policy_into_cases", when=pgtrigger.After,
                update_of=(*DIMENSIONS, "premium"),
                condition=pgtrigger.AnyChange(*DIMENSIONS, "premium"),
                func=_follow_into_cases,
            ),
        ]  # fmt: skip
