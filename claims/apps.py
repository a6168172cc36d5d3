from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClaimsConfig(AppConfig):
    """Claims: the claim file of a policy, the 10-minute first contact and its escalation."""

    name = "claims"
    verbose_name = _("Claims")

    def ready(self):
        from . import kind, timeline

        kind.register_kinds()
        timeline.register_messages()
