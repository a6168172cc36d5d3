from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoliciesConfig(AppConfig):
    name = "policies"
    verbose_name = _("Policies")

    def ready(self):
        from brokerage.notifications import attachments
        from clients import search
        from clients import services as client_services

        from .kind import register_kinds
        from .selectors import client_ids_by_policy_or_vehicle
        from .sending import ATTACHMENT_SOURCE, sending_attachment
        from .services import policies_follow_new_owner
        from .timeline import register_messages

        search.register_matcher(client_ids_by_policy_or_vehicle)
        client_services.on_clients_reassigned(policies_follow_new_owner)
        register_kinds()
        register_messages()
        attachments.register(ATTACHMENT_SOURCE, sending_attachment)
