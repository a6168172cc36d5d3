"""Forms the agent fills from the call list: renewed elsewhere (which insurer and why)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from policies.models import Insurer

from .models import CompetitorWhy


class ElsewhereForm(forms.Form):
    lost_to = forms.ModelChoiceField(
        label=_("Renewed with"), queryset=Insurer.objects.none(), empty_label=_("Choose…")
    )
    lost_why = forms.ChoiceField(
        label=_("Why"), choices=[("", _("Choose…")), *CompetitorWhy.choices]
    )
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def __init__(self, *args, insurers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lost_to"].queryset = insurers
