from django import forms
from django.utils.translation import gettext_lazy as _

from brokerage.accounts.models import Team

LOCAL_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class ResultForm(forms.Form):
    # Which results an item takes is its kind's to say: the service refuses the others.
    result = forms.SlugField(label=_("Result"), max_length=32)
    callback_at = forms.DateTimeField(
        label=_("Call back at"),
        required=False,
        input_formats=LOCAL_INPUT_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    note = forms.CharField(label=_("Note"), max_length=255, required=False)
    # One per rendering of the card's form ({% submission_token %}): the same submission
    # posted twice logs one result.
    token = forms.UUIDField(required=False, widget=forms.HiddenInput)


class CloseForm(forms.Form):
    note = forms.CharField(label=_("What was done"), max_length=255)


class DistributionForm(forms.Form):
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.order_by("name"),
        required=False,
        empty_label=_("Whole brokerage"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    seed = forms.IntegerField(
        required=False, min_value=0, max_value=2**63 - 1, widget=forms.HiddenInput
    )
