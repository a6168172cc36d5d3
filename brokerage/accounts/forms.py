from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
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

    def get_invalid_login_error(self):
        # Set by CarteraModelBackend only when the password was right.
        if getattr(self.request, "cartera_account_deactivated", False):
            return forms.ValidationError(self.error_messages["inactive"], code="inactive")
        return super().get_invalid_login_error()


class UniqueEmailMixin:
    """An e-mail address belongs to one user, whatever its case (password resets go to it)."""

    def clean_email(self):
        email = self.cleaned_data.get("email", "")
        if email and (
            User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists()
        ):
            raise forms.ValidationError(
                _("Another user already has this e-mail address."), code="unique"
            )
        return email


class ProfileForm(UniqueEmailMixin, forms.ModelForm):
    current_password = forms.CharField(
        label=_("Current password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Needed only to change your e-mail address."),
    )

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "phone", "language"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self._email_before = self.instance.email

    def clean(self):
        cleaned = super().clean()
        email = cleaned.get("email")
        if email is not None and email.lower() != (self._email_before or "").lower():
            # Whoever holds a signed-in session must not be able to move the account's
            # password resets to another mailbox.
            # Checked through authenticate(), so that django-axes throttles guesses here too.
            password = cleaned.get("current_password") or ""
            if not password or authenticate(
                self.request, username=self.instance.get_username(), password=password
            ) != self.instance:
                self.add_error(
                    "current_password",
                    _("Type your current password to change your e-mail address."),
                )
        return cleaned


class UserForm(UniqueEmailMixin, forms.ModelForm):
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

