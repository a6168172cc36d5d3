"""Forms the agent fills from the call list: renewed elsewhere (which insurer and why)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from policies.models import Insurer

from .models import CompetitorWhy


class InsurerChoiceField(forms.ModelChoiceField):
    """Insurers in two groups: the brokerage's own (contracted) and the rest of the market."""

    def _get_choices(self):
        iterator = self.iterator(self)
        ours, market = [], []
        for insurer in self.queryset:
            (ours if insurer.contracted else market).append(iterator.choice(insurer))
        empty = [("", self.empty_label)] if self.empty_label is not None else []
        groups = [(_("Our insurers"), ours), (_("Other insurers in the market"), market)]
        return empty + [(name, group) for name, group in groups if group]

    choices = property(_get_choices, forms.ModelChoiceField.choices.fset)


class ElsewhereForm(forms.Form):
    """Which insurer the client renewed with: one from the list, or one typed by name
    (exactly one of the two; the service turns a typed name into a market-only insurer)."""

    lost_to = InsurerChoiceField(
        label=_("Renewed with"),
        queryset=Insurer.objects.none(),
        empty_label=_("Choose…"),
        required=False,
    )
    other_insurer = forms.CharField(
        label=_("Other: name"),
        max_length=100,
        required=False,
        help_text=_("When the insurer is not in the list, type its name."),
    )
    lost_why = forms.ChoiceField(
        label=_("Why"), choices=[("", _("Choose…")), *CompetitorWhy.choices]
    )
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def __init__(self, *args, insurers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lost_to"].queryset = insurers
