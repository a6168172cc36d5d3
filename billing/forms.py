"""The "Record a payment" form: what the clerk types, checked field by field before
billing.payments.payment_record allocates it (which checks again, under lock)."""

import uuid

from django import forms
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext_lazy as _

from clients.forms import DateInput
from policies.models import Currency

from .models import CENT, PaymentMethod
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
