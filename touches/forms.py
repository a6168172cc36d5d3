"""The touches' forms: the settings rows a maintainer edits, and the results recorded on a
page of their own (the plate endorsement, the return visit)."""

import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from clients.forms import DateInput

from .models import GREETINGS, TouchKind, TouchMode
from .services import MAX_DAYS
from .work import endorsed_on_problem, plate_problem

_SMALL = "form-control form-control-sm"


class TouchSettingForm(forms.Form):
    kind = forms.ChoiceField(choices=TouchKind.choices, widget=forms.HiddenInput)
    enabled = forms.BooleanField(
        label=_("Enabled"), required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )  # fmt: skip
    days = forms.IntegerField(
        label=_("Days"), min_value=0, max_value=MAX_DAYS, required=False,
        widget=forms.NumberInput(attrs={"class": _SMALL, "style": "width: 6rem"}),
    )  # fmt: skip
    mode = forms.ChoiceField(
        label=_("How"), choices=TouchMode.choices,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )  # fmt: skip
    priority = forms.IntegerField(
        label=_("Priority"), min_value=0, max_value=100,
        widget=forms.NumberInput(attrs={"class": _SMALL, "style": "width: 6rem"}),
    )  # fmt: skip

    @property
    def is_greeting(self) -> bool:
        return self.initial.get("kind") in GREETINGS

    @property
    def kind_label(self):
        return TouchKind(self.initial["kind"]).label if self.initial.get("kind") else ""

    def clean(self):
        data = super().clean()
        greeting = self.initial.get("kind") in GREETINGS
        if not greeting and data.get("days") is None and "days" not in self.errors:
            self.add_error("days", _("Give the number of days."))
        return data


TouchSettingFormSet = forms.formset_factory(TouchSettingForm, extra=0, max_num=len(TouchKind))


class _ResultForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=255, required=False)
    token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["token"].initial = uuid.uuid4()


class PlateForm(_ResultForm):
    plate = forms.CharField(label=_("Plate"), max_length=15)
    endorsed_on = forms.DateField(
        label=_("Endorsed by the insurer on"), widget=DateInput(),
        help_text=_("The day the insurer endorsed the plate on the policy."),
    )  # fmt: skip
    field_order = ["plate", "endorsed_on", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["endorsed_on"].initial = today
        self.fields["endorsed_on"].widget.attrs.update({"max": today.isoformat()})

    def clean_plate(self):
        plate = self.cleaned_data["plate"]
        if problem := plate_problem(plate):
            raise forms.ValidationError(problem)
        return plate

    def clean_endorsed_on(self):
        day = self.cleaned_data["endorsed_on"]
        if problem := endorsed_on_problem(day, timezone.localdate()):
            raise forms.ValidationError(problem)
        return day


SATISFACTION = [
    (5, _("5 — Very satisfied")),
    (4, _("4 — Satisfied")),
    (3, _("3 — Neither satisfied nor dissatisfied")),
    (2, _("2 — Dissatisfied")),
    (1, _("1 — Very dissatisfied")),
]


class VisitForm(_ResultForm):
    """The return visit (seed 001, 八): did the client receive the policy documents, how
    satisfied are they, their suggestions (the note), and their contact details checked —
    whatever is typed here replaces what is on file, with history."""

    documents_received = forms.TypedChoiceField(
        label=_("Has the client received the policy documents?"),
        choices=[("yes", _("Yes")), ("no", _("No"))], widget=forms.RadioSelect,
        coerce=lambda v: v == "yes",
    )  # fmt: skip
    satisfaction = forms.TypedChoiceField(
        label=_("Satisfaction with our service"), choices=SATISFACTION, coerce=int,
        widget=forms.RadioSelect,
    )  # fmt: skip
    phone = PhoneNumberField(
        label=_("Phone"), required=False,
        help_text=_("Checked with the client: change it if it is wrong."),
    )  # fmt: skip
    email = forms.EmailField(label=_("E-mail"), required=False)
    address = forms.CharField(
        label=_("Address"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    field_order = ["documents_received", "satisfaction", "phone", "email", "address", "note"]

    def __init__(self, *args, client, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["note"].label = _("Suggestions and remarks")
        self.fields["phone"].initial = client.phone
        self.fields["email"].initial = client.email
        self.fields["address"].initial = client.address
