from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from brokerage.accounts.models import User

from .duplicates import client_duplicates, people_to_ask
from .models import (
    Channel,
    Client,
    ClientKind,
    ContactPerson,
    DocumentKind,
    Interaction,
    display_name_of,
)

INDIVIDUAL_FIELDS = ["first_name", "last_name", "national_id", "birthday"]
CORPORATE_FIELDS = [
    "legal_name", "legal_representative", "tax_id", "registered_capital", "business_scope",
]  # fmt: skip
# A change to one of these on the edit form checks for duplicates again.
IDENTIFYING_FIELDS = [
    "first_name", "last_name", "legal_name", "national_id", "tax_id", "phone", "phone_other",
    "whatsapp",
]  # fmt: skip
COMMON_FIELDS = [
    "address", "postal_code", "phone", "phone_other", "fax", "email", "whatsapp", "language",
    "preferred_channel", "lead_source", "vip_tier", "membership_card", "is_key", "status",
    "contact_inaccurate",
    "notes",
]  # fmt: skip
# The client's profile for service (issue 17): who they are, when they can be called (their own
# window; empty, the brokerage's call-back windows) and whether they want greetings.
PROFILE_FIELDS = ["occupation", "hobbies", "contact_from", "contact_to", "greetings_opt_out"]


def active_agents():
    return User.objects.active_agents().order_by("first_name", "last_name")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class ClientForm(forms.ModelForm):
    co_agents = forms.ModelMultipleChoiceField(
        label=_("Co-assigned agents"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
        help_text=_("Key clients need at least two people: the owner and one more."),
    )
    # Shown (as a checkbox) only once the form has warned of a possible duplicate.
    duplicate_ok = forms.BooleanField(
        label=_("It is a different client: save it anyway"),
        required=False,
        widget=forms.HiddenInput,
    )

    class Meta:
        model = Client
        fields = INDIVIDUAL_FIELDS + CORPORATE_FIELDS + COMMON_FIELDS + PROFILE_FIELDS + ["owner"]
        widgets = {
            "birthday": DateInput(),
            "contact_from": TimeInput(),
            "contact_to": TimeInput(),
            "address": forms.Textarea(attrs={"rows": 2}),
            "business_scope": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, kind: str, can_assign: bool, agents=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        # With the user, the form warns of files that may be the same client (what it shows
        # of them depends on what the user may open).
        self.user = user
        self.duplicates = []
        self.people_to_ask = []
        drop = CORPORATE_FIELDS if kind == ClientKind.INDIVIDUAL else INDIVIDUAL_FIELDS
        for name in drop:
            self.fields.pop(name)
        if can_assign:
            agents = (agents if agents is not None else active_agents()).filter(is_active=True)
            self.fields["owner"].queryset = agents
            self.fields["co_agents"].queryset = agents
            if self.instance.pk:
                # Whoever holds the file now stays choosable in their place (a departed owner,
                # another team's co-agent), so that saving other details never drops them.
                owner = [self.instance.owner_id] if self.instance.owner_id else []
                co_agents = list(self.instance.co_agents.values_list("pk", flat=True))
                for name, holders in (("owner", owner), ("co_agents", co_agents)):
                    self.fields[name].queryset = User.objects.filter(
                        Q(pk__in=agents.values("pk")) | Q(pk__in=holders)
                    ).order_by("-is_active", "first_name", "last_name")
            if self.instance.pk:
                self.initial["co_agents"] = list(self.instance.co_agents.all())
        else:
            self.fields.pop("owner")
            self.fields.pop("co_agents")
        if kind == ClientKind.CORPORATE:
            self.fields["legal_name"].required = True
        else:
            self.fields["last_name"].required = True

    def clean(self):
        data = super().clean()
        if self.user is None or self.errors or data.get("duplicate_ok"):
            return data
        if self.instance.pk and not set(self.changed_data) & set(IDENTIFYING_FIELDS):
            return data
        duplicates = client_duplicates(
            user=self.user,
            national_id=data.get("national_id") or "",
            tax_id=data.get("tax_id") or "",
            display_name=display_name_of(
                self.kind,
                data.get("first_name") or "",
                data.get("last_name") or "",
                data.get("legal_name") or "",
            ),
            phones=[data.get(name) for name in ("phone", "phone_other", "whatsapp")],
            exclude_pk=self.instance.pk,
        )
        if duplicates:
            self.duplicates = duplicates
            if any(d.client is None for d in duplicates):
                self.people_to_ask = people_to_ask()
            self.fields["duplicate_ok"].widget = forms.CheckboxInput()
            raise forms.ValidationError(
                _(
                    "This may be a client who is already on file (see above). If it is a "
                    "different client, tick the box at the end of the form and save again."
                ),
                code="possible_duplicate",
            )
        return data

    def service_data(self) -> dict:
        data = {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in ("co_agents", "duplicate_ok") and name in self.fields
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


class MergeChooseForm(forms.Form):
    """The other file to compare with, by its number (the one in its address)."""

    other = forms.IntegerField(
        label=_("Number of the other file"),
        min_value=1,
        max_value=2**63 - 1,
        help_text=_("The number at the end of the file's address, e.g. 123 in /clients/123/."),
    )


class ClientMergeForm(forms.Form):
    survivor = forms.IntegerField(min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)
    merged = forms.IntegerField(min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("survivor") and data.get("survivor") == data.get("merged"):
            raise forms.ValidationError(_("Choose two different client files."))
        return data
