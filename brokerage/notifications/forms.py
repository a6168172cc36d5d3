from django import forms
from django.utils.translation import gettext_lazy

from brokerage.core.filters import TextField

from .models import Channel, Status


class OutboxFilterForm(forms.Form):
    """The outbox's URL parameters: a status, a channel and a recipient to look for."""

    status = forms.ChoiceField(choices=Status.choices, required=False, label=gettext_lazy("status"))
    channel = forms.ChoiceField(
        choices=Channel.choices, required=False, label=gettext_lazy("channel")
    )
    q = TextField(length=100, label=gettext_lazy("search"))
