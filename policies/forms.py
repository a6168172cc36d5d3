import uuid
from datetime import timedelta

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.forms import DateInput

from .countries import country_choices, country_name
from .documents import DocumentProblem
from .models import (
    POLICY_FIRST_DAY,
    POLICY_LAST_DAY,
    Currency,
    Insurer,
    Line,
    LostReason,
    PaymentFrequency,
    Policy,
    Quote,
    SendChannel,
    Vehicle,
    policy_date_errors,
)
from .selectors import active_insurers

_DATE_BOUNDS = {"min": POLICY_FIRST_DAY.isoformat(), "max": POLICY_LAST_DAY.isoformat()}


class PolicyForm(forms.ModelForm):
    class Meta:
        model = Policy
        fields = [
            "insurer", "number", "line", "coverage", "premium", "currency",
            "payment_frequency", "start_date", "end_date", "general_conditions",
        ]  # fmt: skip
        widgets = {
            "start_date": DateInput(attrs=_DATE_BOUNDS),
            "end_date": DateInput(attrs=_DATE_BOUNDS),
            "coverage": forms.Textarea(attrs={"rows": 2}),
            "general_conditions": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["insurer"].queryset = active_insurers()
        self.fields["premium"].widget.attrs.update({"min": "0", "step": "0.01"})

    # The dates' bounds, the order and the longest term are checked by Policy.clean().

    def _get_validation_exclusions(self):
        # Leave the one-number-per-insurer rule to the database constraint: the service turns
        # a duplicate into an error on the number field (the form would report it on no field).
        exclude = super()._get_validation_exclusions()
        exclude.add("number")
        return exclude


class VehicleForm(forms.ModelForm):
    class Meta:
        model = Vehicle
        fields = [
            "make", "model", "year", "vin", "plate", "use", "inspection_due", "licence_expiry",
        ]  # fmt: skip
        widgets = {"inspection_due": DateInput(), "licence_expiry": DateInput()}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "vehicle")
        super().__init__(*args, **kwargs)
        self.fields["vin"].widget.attrs.update(
            {"maxlength": "17", "autocapitalize": "characters", "spellcheck": "false"}
        )

    def clean_vin(self):
        return "".join(self.cleaned_data["vin"].split()).upper()


class CancelForm(forms.Form):
    on = forms.DateField(label=_("Cancelled as of"), widget=DateInput())
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()


class QuotationForm(forms.Form):
    line = forms.ChoiceField(label=_("Line of business"), choices=Line.choices)
    description = forms.CharField(label=_("What the client needs"), max_length=255)


class QuoteForm(forms.ModelForm):
    class Meta:
        model = Quote
        fields = ["insurer", "premium", "currency", "coverage", "valid_until"]
        widgets = {"valid_until": DateInput(), "coverage": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["insurer"].queryset = active_insurers()
        self.fields["premium"].widget.attrs.update({"min": "0", "step": "0.01"})

    def clean_valid_until(self):
        value = self.cleaned_data["valid_until"]
        if value < timezone.localdate():
            raise forms.ValidationError(_("A quote cannot already be out of date."))
        return value


QuoteFormSet = forms.formset_factory(QuoteForm, extra=3, min_num=1, validate_min=True)


class AcceptQuoteForm(forms.Form):
    number = forms.CharField(label=_("Policy number"), max_length=40)
    payment_frequency = forms.ChoiceField(
        label=_("Payment frequency"), choices=PaymentFrequency.choices
    )
    start_date = forms.DateField(label=_("Start date"), widget=DateInput(attrs=_DATE_BOUNDS))
    end_date = forms.DateField(label=_("End date"), widget=DateInput(attrs=_DATE_BOUNDS))
    general_conditions = forms.CharField(
        label=_("General conditions"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        data = super().clean()
        errors = policy_date_errors(start=data.get("start_date"), end=data.get("end_date"))
        for name, message in errors.items():
            self.add_error(name, message)
        return data


class FollowUpForm(forms.Form):
    on = forms.DateField(label=_("Call again on"), widget=DateInput())


class InsurerForm(forms.ModelForm):
    """An insurer, and how its reports are read: each of country, currency and clients'
    language left blank is the brokerage's own (settings), named in the blank choice."""

    class Meta:
        model = Insurer
        fields = [
            "name", "code", "preferred", "active", "country", "currency", "client_language",
            "grace_days", "payment_instructions",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        region = settings.PHONENUMBER_DEFAULT_REGION.upper()
        model_field = Insurer._meta.get_field("country")
        self.fields["country"] = forms.ChoiceField(
            label=model_field.verbose_name, help_text=model_field.help_text, required=False,
            choices=[("", _default(f"{country_name(region)} ({region})")), *country_choices()],
        )  # fmt: skip
        currency = settings.DEFAULT_CURRENCY
        labels = dict(Currency.choices)
        self.fields["currency"].choices = [
            ("", _default(f"{currency} · {labels[currency]}" if currency in labels else currency)),
            *((code, f"{code} · {label}") for code, label in Currency.choices),
        ]
        languages = dict(settings.LANGUAGES)
        self.fields["client_language"].choices = [
            ("", _default(languages.get(settings.LANGUAGE_CODE, settings.LANGUAGE_CODE))),
            *settings.LANGUAGES,
        ]


def _default(name) -> str:
    return _("The brokerage's default (%(name)s)") % {"name": name}


class SendQuotationForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Send by"), choices=SendChannel.choices, widget=forms.RadioSelect
    )


class _TokenForm(forms.Form):
    # A double click or a resent form posts the same token: the result is logged once.
    token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["token"].initial = uuid.uuid4()


class FollowUpThinkingForm(_TokenForm):
    on = forms.DateField(label=_("Call again on"), widget=DateInput())
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tomorrow = timezone.localdate() + timedelta(days=1)
        self.fields["on"].widget.attrs.update({"min": tomorrow.isoformat()})
        self.fields["on"].initial = timezone.localdate() + timedelta(
            days=settings.QUOTE_SENT_FOLLOW_UP_DAYS
        )

    def clean_on(self):
        day = self.cleaned_data["on"]
        if day <= timezone.localdate():
            raise forms.ValidationError(_("Choose a day after today."))
        if day > timezone.localdate() + timedelta(days=365):
            raise forms.ValidationError(_("Choose a day within a year."))
        return day


class FollowUpDeclineForm(_TokenForm):
    reason = forms.ChoiceField(label=_("Why did the client decline?"), choices=LostReason.choices)
    note = forms.CharField(label=_("Note"), max_length=255, required=False)


class DocumentsRequestForm(forms.Form):
    problems = forms.MultipleChoiceField(
        label=_("What is missing or wrong"), choices=DocumentProblem.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    note = forms.CharField(
        label=_("Note to the client"), max_length=500, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip

    def clean(self):
        data = super().clean()
        if not data.get("problems") and not (data.get("note") or "").strip():
            raise forms.ValidationError(_("Tick what is missing or wrong, or write a note."))
        return data
