from django import forms
from django.utils.translation import gettext_lazy as _

from brokerage.accounts.models import User

from .models import Channel, Client, ClientKind, ContactPerson, DocumentKind, Interaction

INDIVIDUAL_FIELDS = ["first_name", "last_name", "national_id", "birthday"]
CORPORATE_FIELDS = [
    "legal_name", "legal_representative", "tax_id", "registered_capital", "business_scope",
]  # fmt: skip
COMMON_FIELDS = [
    "address", "postal_code", "phone", "phone_other", "fax", "email", "whatsapp", "language",
    "lead_source", "vip_tier", "membership_card", "is_key", "status", "contact_inaccurate",
    "notes",
]  # fmt: skip


def active_agents():
    return User.objects.active_agents().order_by("first_name", "last_name")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ClientForm(forms.ModelForm):
    co_agents = forms.ModelMultipleChoiceField(
        label=_("Co-assigned agents"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
        help_text=_("Key clients need at least two people: the owner and one more."),
    )

    class Meta:
        model = Client
        fields = INDIVIDUAL_FIELDS + CORPORATE_FIELDS + COMMON_FIELDS + ["owner"]
        widgets = {
            "birthday": DateInput(),
            "address": forms.Textarea(attrs={"rows": 2}),
            "business_scope": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, kind: str, can_assign: bool, agents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        drop = CORPORATE_FIELDS if kind == ClientKind.INDIVIDUAL else INDIVIDUAL_FIELDS
        for name in drop:
            self.fields.pop(name)
        if can_assign:
            agents = (agents if agents is not None else active_agents()).filter(is_active=True)
            self.fields["owner"].queryset = agents
            self.fields["co_agents"].queryset = agents
            if self.instance.pk:
                self.initial["co_agents"] = list(self.instance.co_agents.all())
        else:
            self.fields.pop("owner")
            self.fields.pop("co_agents")
        if kind == ClientKind.CORPORATE:
            self.fields["legal_name"].required = True
        else:
            self.fields["last_name"].required = True

    def service_data(self) -> dict:
        data = {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in ("co_agents",) and name in self.fields
        }
        data["kind"] = self.kind
        return data


class InteractionForm(forms.ModelForm):
    class Meta:
        model = Interaction
        fields = ["channel", "direction", "summary", "result"]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 2}),
            "channel": forms.Select(attrs={"class": "form-select"}),
            "direction": forms.Select(attrs={"class": "form-select"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].initial = Channel.CALL


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=DocumentKind.choices)
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, JPEG or PNG."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )
    description = forms.CharField(label=_("Description"), max_length=255, required=False)


class ContactPersonForm(forms.ModelForm):
    class Meta:
        model = ContactPerson
        fields = ["name", "position", "phone", "email"]


class ReassignOneForm(forms.Form):
    agent = forms.ModelChoiceField(label=_("New owner agent"), queryset=User.objects.none())

    def __init__(self, *args, agents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = agents.filter(is_active=True)
        self.fields["agent"].widget.attrs["class"] = "form-select form-select-sm"


class BookReassignForm(forms.Form):
    from_agent = forms.ModelChoiceField(
        label=_("Agent whose clients move"), queryset=User.objects.none()
    )
    to_agents = forms.ModelMultipleChoiceField(
        label=_("Agents who receive them"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The clients are spread equally and at random over these agents."),
    )
    notify = forms.BooleanField(
        label=_("Tell each client who their new agent is"), required=False, initial=True
    )

    def __init__(self, *args, agents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_agent"].queryset = agents
        self.fields["to_agents"].queryset = agents.filter(is_active=True)

    def clean(self):
        data = super().clean()
        source, targets = data.get("from_agent"), data.get("to_agents")
        if source and targets and source in targets:
            self.add_error("to_agents", _("The agent whose clients move cannot receive them."))
        return data
