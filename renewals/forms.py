from django import forms
from django.utils.translation import gettext_lazy as _

from policies.models import Insurer, Line

from .models import Ladder, Stage

MESSAGE_CHOICES = [
    ("", _("No message")),
    ("email", _("E-mail")),
    ("whatsapp", _("WhatsApp")),
]


class LadderForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    code = forms.SlugField(
        label=_("Code"),
        max_length=30,
        help_text=_("Letters, digits, hyphens and underscores; unique."),
    )
    is_default = forms.BooleanField(
        label=_("Default ladder"),
        required=False,
        help_text=_("Serves every policy that no rule sends elsewhere. Only one ladder is."),
    )

    @classmethod
    def initial_for(cls, ladder: Ladder | None) -> dict:
        if ladder is None:
            return {}
        return {"name": ladder.display_name, "code": ladder.code, "is_default": ladder.is_default}


class RungForm(forms.Form):
    """One row of the ladder. Days are checked by ``validate_rungs`` (in the service), so that
    its message is the one shown."""

    days = forms.IntegerField(
        label=_("Days before expiry"),
        widget=forms.NumberInput(
            attrs={
                "class": "form-control form-control-sm",
                "step": "1",
                "aria-label": _("Days before expiry"),
            }
        ),
    )
    stage = forms.ChoiceField(
        label=_("Stage"),
        choices=Stage.choices,
        initial=Stage.REMINDER,
        widget=forms.Select(
            attrs={"class": "form-select form-select-sm", "aria-label": _("Stage")}
        ),
    )
    message = forms.ChoiceField(
        label=_("Message to the client"),
        choices=MESSAGE_CHOICES,
        required=False,
        initial="",
        widget=forms.Select(
            attrs={"class": "form-select form-select-sm", "aria-label": _("Message to the client")}
        ),
    )


class BaseRungFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove")
            form.fields["DELETE"].widget.attrs.update(
                {"class": "form-check-input", "aria-label": _("Remove")}
            )


RungFormSet = forms.formset_factory(RungForm, formset=BaseRungFormSet, extra=3, can_delete=True)


def rungs_from_formset(formset) -> list[dict]:
    """The rows kept: filled in and not marked for deletion (empty extra rows are skipped)."""
    rungs = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        if not data or data.get("DELETE") or data.get("days") is None:
            continue
        rungs.append(
            {"days": data["days"], "stage": data["stage"], "message": data.get("message") or ""}
        )
    return rungs


class LadderRuleForm(forms.Form):
    line = forms.ChoiceField(
        label=_("Line of business"),
        choices=[("", _("Any line"))] + list(Line.choices),
        required=False,
    )
    insurer = forms.ModelChoiceField(
        label=_("Insurer"),
        queryset=Insurer.objects.none(),
        required=False,
        empty_label=_("Any insurer"),
    )
    ladder = forms.ModelChoiceField(label=_("Ladder"), queryset=Ladder.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["insurer"].queryset = Insurer.objects.order_by("-preferred", "name")
        self.fields["ladder"].queryset = Ladder.objects.order_by("-is_default", "name")
