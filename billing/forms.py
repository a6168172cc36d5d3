"""The "Record a payment" form: what the clerk types, checked field by field before
billing.payments.payment_record allocates it (which checks again, under lock)."""

import uuid

from django import forms
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext_lazy as _

from clients.forms import DateInput
from policies.models import Currency

from .models import CENT, PaymentMethod, RungAction
from .payments import EARLIEST_PAYMENT


class InstalmentChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return _("%(policy)s · %(number)d/%(count)d · due %(due)s · owes %(owed)s %(currency)s") % {
            "policy": f"{obj.policy.insurer} {obj.policy.number}",
            "number": obj.number,
            "count": obj.count,
            "due": date_format(obj.due_on, "SHORT_DATE_FORMAT"),
            "owed": number_format(obj.outstanding, 2, force_grouping=True),
            "currency": obj.currency,
        }


class PaymentForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount"), min_value=CENT, max_digits=12, decimal_places=2,
        widget=forms.NumberInput(attrs={"min": "0.01", "step": "0.01"}),
    )  # fmt: skip
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices)
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices)
    paid_on = forms.DateField(label=_("Paid on"), widget=DateInput())
    reference = forms.CharField(
        label=_("Reference"), max_length=100, required=False,
        help_text=_("The bank's or the insurer's reference, a receipt number…"),
    )  # fmt: skip
    instalments = InstalmentChoiceField(
        label=_("Instalments"), queryset=None, required=False,
        help_text=_("None chosen: the oldest due instalments in the payment's currency first."),
    )  # fmt: skip
    # A double click or a resent form posts the same token: the payment is recorded once.
    token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, open_instalments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instalments"].queryset = open_instalments
        today = timezone.localdate()
        self.fields["paid_on"].initial = today
        self.fields["paid_on"].widget.attrs.update(
            {"min": EARLIEST_PAYMENT.isoformat(), "max": today.isoformat()}
        )
        self.fields["token"].initial = uuid.uuid4()

    def clean_paid_on(self):
        day = self.cleaned_data["paid_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The payment date cannot be in the future."))
        if day < EARLIEST_PAYMENT:
            raise forms.ValidationError(
                _("The payment date cannot be before %(date)s.")
                % {"date": date_format(EARLIEST_PAYMENT, "DATE_FORMAT")}
            )
        return day


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Why is it voided?"), max_length=100)


class PromiseForm(forms.Form):
    promised_on = forms.DateField(label=_("Promised to pay by"), widget=DateInput())
    note = forms.CharField(label=_("Note"), max_length=255, required=False)
    token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["token"].initial = uuid.uuid4()
        today = timezone.localdate()
        self.fields["promised_on"].widget.attrs.update({"min": today.isoformat()})


class RefuseForm(forms.Form):
    note = forms.CharField(label=_("Why does the client refuse to pay?"), max_length=255)
    token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["token"].initial = uuid.uuid4()


class RiskDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("cancel", _("Cancel the policy")), ("keep", _("Keep it in force"))],
        widget=forms.RadioSelect,
    )
    on = forms.DateField(
        label=_("Cancelled from"), required=False, widget=DateInput(),
        help_text=_("When cancelling: the day the cancellation takes effect (default today)."),
    )  # fmt: skip
    note = forms.CharField(
        label=_("Why"), max_length=255, required=False,
        help_text=_("Required to keep the policy in force."),
    )  # fmt: skip


_SMALL = "form-control form-control-sm"


class RungForm(forms.Form):
    days = forms.IntegerField(
        label=_("Days from the due date"), min_value=-90, max_value=365,
        widget=forms.NumberInput(attrs={"class": _SMALL, "style": "width: 7rem"}),
    )  # fmt: skip
    # An initial, so that the blank row for a new rung, posted as the browser fills it, is
    # unchanged and ignored.
    action = forms.ChoiceField(
        label=_("Action"), choices=RungAction.choices, initial=RungAction.CALL,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )  # fmt: skip
    priority = forms.IntegerField(
        label=_("Priority"), min_value=0, max_value=100, initial=50,
        widget=forms.NumberInput(attrs={"class": _SMALL, "style": "width: 6rem"}),
    )  # fmt: skip
    active = forms.BooleanField(
        label=_("Active"), required=False, initial=True,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )  # fmt: skip


RungFormSet = forms.formset_factory(RungForm, extra=1, can_delete=True, max_num=20)
