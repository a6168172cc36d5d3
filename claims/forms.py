from datetime import datetime

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from brokerage.core.filters import DayFilter, FlagFilter, ListFilterSet, PkFilter, TextFilter
from brokerage.core.filters import TextField as SearchField
from clients.models import Client
from clients.search import compact, search_q
from policies.models import Insurer

from .models import (
    Claim,
    ClaimKind,
    ClaimStatus,
    DocumentItem,
    DocumentState,
    OutsideReason,
    RepairPlace,
    RepairShop,
)

LOCAL_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
FIRST_YEAR, LAST_YEAR = 1900, 2200
AMOUNT = {"max_digits": 12, "decimal_places": 2, "min_value": 0, "required": False}
YES, NO = "yes", "no"


class MomentField(forms.DateTimeField):
    """A date and time as the browser's datetime-local input sends it, in a sane range."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, **kwargs):
        super().__init__(input_formats=LOCAL_INPUT_FORMATS, **kwargs)

    def validate(self, value):
        super().validate(value)
        if value is not None and not FIRST_YEAR <= timezone.localtime(value).year <= LAST_YEAR:
            raise forms.ValidationError(_("Give a real date and time."), code="out_of_range")


class PolicySearchForm(forms.Form):
    q = SearchField(
        length=60, collapse=True, label=_("Client name, plate, VIN or policy number"),
        required=False,
    )  # fmt: skip


class ClaimFieldsForm(forms.Form):
    occurred_at = MomentField(label=_("When it happened"))
    place = forms.CharField(label=_("Where"), max_length=255)
    kind = forms.ChoiceField(label=_("What happened"), choices=ClaimKind.choices)
    injured = forms.TypedChoiceField(
        label=_("Anyone injured?"), choices=[(NO, _("No")), (YES, _("Yes"))],
        coerce=lambda value: value == YES, widget=forms.RadioSelect, initial=NO,
    )  # fmt: skip
    description = forms.CharField(
        label=_("What happened, in a few words"), max_length=4000, required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip
    reporter_name = forms.CharField(label=_("Reported by"), max_length=150)
    reporter_phone = PhoneNumberField(label=_("Their phone"), required=False)
    reporter_email = forms.EmailField(label=_("Their e-mail"), required=False)
    insurer_claim_number = forms.CharField(
        label=_("Insurer's claim number"), max_length=60, required=False,
        help_text=_("Often known later: it can be added on the claim's page."),
    )  # fmt: skip
    adjuster = forms.CharField(label=_("Adjuster"), max_length=150, required=False)
    amount_claimed = forms.DecimalField(label=_("Amount claimed"), **AMOUNT)

    def clean(self):
        data = super().clean()
        if not data.get("reporter_phone") and not data.get("reporter_email"):
            if "reporter_phone" not in self.errors and "reporter_email" not in self.errors:
                self.add_error(
                    "reporter_phone", _("Give a phone number or an e-mail address to reach them.")
                )
        return data


class ClaimReportForm(ClaimFieldsForm):
    pass


class ClaimUpdateForm(ClaimFieldsForm):
    amount_assessed = forms.DecimalField(label=_("Amount assessed"), **AMOUNT)
    amount_settled = forms.DecimalField(label=_("Amount settled"), **AMOUNT)

    @classmethod
    def for_claim(cls, claim: Claim, data=None) -> "ClaimUpdateForm":
        initial = {name: getattr(claim, name) for name in cls.base_fields}
        initial["injured"] = YES if claim.injured else NO
        initial["occurred_at"] = timezone.localtime(claim.occurred_at).replace(tzinfo=None)
        return cls(data, initial=initial)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=())
    note = forms.CharField(label=_("Note"), max_length=255, required=False)
    amount_settled = forms.DecimalField(label=_("Amount settled"), **AMOUNT)

    def __init__(self, *args, claim: Claim, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            (status, ClaimStatus(status).label) for status in claim.allowed_statuses
        ]


class ClaimFilterSet(ListFilterSet):
    """The claims list's URL parameters."""

    q = TextFilter(
        length=60, label=_("client, policy, plate, VIN or claim number"), method="by_text"
    )
    status = django_filters.ChoiceFilter(
        choices=ClaimStatus.choices, label=_("status"), method="by_field"
    )
    kind = django_filters.ChoiceFilter(
        choices=ClaimKind.choices, label=_("what happened"), method="by_field"
    )
    agent = PkFilter(field_name="agent_id", label=_("agent"), method="by_field")
    reported_from = DayFilter(label=_("reported from"), method="reported_from_day")
    reported_to = DayFilter(label=_("reported to"), method="reported_to_day")
    escalated = FlagFilter(label=_("escalated"), method="by_escalated")
    open = FlagFilter(label=_("open claims only"), method="by_open")

    class Meta:
        model = Claim
        fields = []

    def by_text(self, qs, name, value):
        from django.db.models import Q

        from policies.models import Vehicle

        code = compact(value)
        holders = Client.objects.filter(search_q(value, matchers=False)).values("pk")
        condition = Q(policy__holder__in=holders)
        if code:
            vehicles = Vehicle.objects.filter(Q(vin=code) | Q(plate=code)).values("policy_id")
            condition |= (
                Q(policy__number_key=code) | Q(policy_id__in=vehicles)
                | Q(insurer_claim_number__iexact=value.strip())
            )  # fmt: skip
        digits = value.strip().lstrip("#")
        if digits.isascii() and digits.isdigit() and len(digits) < 18:
            condition |= Q(pk=int(digits))
        return qs.filter(condition)

    def by_field(self, qs, name, value):
        return qs.filter(**{name: value})

    def reported_from_day(self, qs, name, value):
        start = timezone.make_aware(datetime.combine(value, datetime.min.time()))
        return qs.filter(reported_at__gte=start)

    def reported_to_day(self, qs, name, value):
        end = timezone.make_aware(datetime.combine(value, datetime.max.time()))
        return qs.filter(reported_at__lte=end)

    def by_escalated(self, qs, name, value):
        return qs.filter(escalated_at__isnull=False) if value else qs

    def by_open(self, qs, name, value):
        from .models import FINISHED

        return qs.exclude(status__in=FINISHED) if value else qs


class DocumentUploadForm(forms.Form):
    item = forms.ChoiceField(label=_("Document"), choices=DocumentItem.choices)
    file = forms.FileField(label=_("File (PDF, JPEG or PNG)"))


class DocumentMarkForm(forms.Form):
    item = forms.ChoiceField(label=_("Document"), choices=DocumentItem.choices)
    state = forms.ChoiceField(label=_("State"), choices=DocumentState.choices)


class ReferralForm(forms.Form):
    to = forms.ModelChoiceField(label=_("Refer to (legal/medical)"), queryset=None)
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def __init__(self, *args, **kwargs):
        from .services import referral_candidates

        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = referral_candidates()


class DisputeForm(forms.Form):
    note = forms.CharField(
        label=_("What the dispute is about"), max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip


class FollowUpForm(forms.Form):
    cause_and_liability = forms.CharField(
        label=_("Cause and liability"), max_length=4000, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip
    damage = forms.CharField(
        label=_("Damage"), max_length=4000, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip
    # The agent steers the repair: the claim page offers the partner shops (those working
    # with the claim's insurer first); the shop chosen is written into ``repair_wish``.
    repair_shop = forms.ModelChoiceField(
        label=_("Partner shop suggested"), queryset=RepairShop.objects.filter(active=True),
        required=False,
    )  # fmt: skip
    repair_wish = forms.CharField(
        label=_("Where the client wants it repaired"), max_length=255, required=False
    )
    note = forms.CharField(
        label=_("Note"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    next_at = MomentField(
        label=_("Next follow-up, at the time agreed with the client"), required=False
    )

    def clean(self):
        data = super().clean()
        shop = data.pop("repair_shop", None)
        if shop is not None:
            wish = (data.get("repair_wish") or "").strip()
            named = (
                _("%(shop)s (partner shop)") % {"shop": shop.name} if shop.partner else shop.name
            )
            data["repair_wish"] = (f"{named}: {wish}" if wish else str(named))[:255]
        return data


class CallbackForm(forms.Form):
    satisfaction = forms.TypedChoiceField(
        label=_("Satisfaction (1 to 5)"), choices=[(n, str(n)) for n in range(1, 6)], coerce=int
    )
    comments = forms.CharField(
        label=_("Comments"), max_length=4000, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip


class RepairShopForm(forms.ModelForm):
    """A shop of the directory (``claims.repair.repair_shop_save`` saves it)."""

    insurers = forms.ModelMultipleChoiceField(
        label=_("Insurers it works with"), queryset=Insurer.objects.order_by("name"),
        required=False, widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip

    class Meta:
        model = RepairShop
        fields = ["name", "address", "phone", "brands", "partner", "insurers", "active", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def validate_unique(self):
        """The service says whether the name is taken (as a field error)."""

    def _post_clean(self):
        """The service saves: no model validation of a half-built instance here."""


class RepairShopFilterSet(ListFilterSet):
    """The directory's URL parameters: a text, partners only or not, a brand, an insurer."""

    q = TextFilter(length=60, label=_("name, address or phone"), method="by_text")
    partner = django_filters.ChoiceFilter(
        choices=[(YES, _("Partner shops")), (NO, _("Other shops"))], label=_("partner"),
        method="by_partner",
    )  # fmt: skip
    brand = TextFilter(length=40, label=_("brand"), method="by_brand")
    insurer = django_filters.ModelChoiceFilter(
        queryset=Insurer.objects.all(), label=_("insurer"), method="by_insurer"
    )
    inactive = FlagFilter(label=_("inactive shops too"), method="by_inactive")

    class Meta:
        model = RepairShop
        fields = []

    def by_text(self, qs, name, value):
        from django.db.models import Q

        digits = "".join(ch for ch in value if ch.isdigit())
        condition = Q(name__icontains=value) | Q(address__icontains=value)
        if len(digits) >= 4:
            condition |= Q(phone__contains=digits)
        return qs.filter(condition)

    def by_partner(self, qs, name, value):
        return qs.filter(partner=value == YES)

    def by_brand(self, qs, name, value):
        return qs.filter(brands__icontains=value)

    def by_insurer(self, qs, name, value):
        return qs.filter(insurers=value)

    def by_inactive(self, qs, name, value):
        return qs if value else qs.filter(active=True)


class RepairForm(forms.Form):
    """Where the claim's vehicle was repaired (``claims.repair.claim_repair_record``)."""

    repair_place = forms.ChoiceField(
        label=_("Where it was repaired"), choices=RepairPlace.choices, widget=forms.RadioSelect
    )
    repair_shop = forms.ModelChoiceField(
        label=_("Repair shop"), queryset=RepairShop.objects.all(), required=False
    )
    repair_shop_name = forms.CharField(
        label=_("Shop's name, if not in the directory"), max_length=150, required=False
    )
    outside_reason = forms.ChoiceField(
        label=_("Why elsewhere"), choices=[("", "—"), *OutsideReason.choices], required=False
    )
    outside_reason_note = forms.CharField(
        label=_("The other reason"), max_length=255, required=False
    )
    repair_amount = forms.DecimalField(
        label=_("Repair amount"), max_digits=12, decimal_places=2, required=False
    )

    @classmethod
    def for_claim(cls, claim: Claim) -> "RepairForm":
        initial = {name: getattr(claim, name) for name in cls.base_fields if name != "repair_shop"}
        initial["repair_shop"] = claim.repair_shop_id
        return cls(initial=initial)
