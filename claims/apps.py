from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClaimsConfig(AppConfig):
    """Claims: the claim file of a policy, the 10-minute first contact and its escalation."""

    name = "claims"
    verbose_name = _("Claims")

    def ready(self):
        from clients.services import on_clients_reassigned

        from . import kind, repair, services, timeline

        kind.register_kinds()
        timeline.register_messages()
        repair.register_messages()
        # A reassigned client's open claims go with it to the new owner.
        on_clients_reassigned(services.claims_follow_owner)
