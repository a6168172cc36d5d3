from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .models import Team, User
from .roles import Role
from .selectors import managers


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _(
            "That user name and password do not match. Check both and try again; "
            "after %(limit)s wrong tries in a row the account is locked for a while."
        ),
        "inactive": _("This account has been deactivated. Ask your administrator."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.error_messages = {
            **self.error_messages,
            "invalid_login": self.error_messages["invalid_login"]
            % {"limit": settings.AXES_FAILURE_LIMIT},
        }
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autofocus": True})


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "phone", "language"]


class UserForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "phone", "language", "team"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["username"].disabled = True
            self.initial["roles"] = sorted(self.instance.role_names)
        self.fields["email"].required = True
        self.fields["email"].help_text = _("A link to choose a password is sent to this address.")


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name", "manager"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = managers()

