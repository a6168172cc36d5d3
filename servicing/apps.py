from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicingConfig(AppConfig):
    """Policy service (issue 17): a policy's parties, service requests (保全) and the
    life-policy service cases of seed 003."""

    name = "servicing"
    verbose_name = _("Policy service")

    def ready(self):
        from clients.services import on_book_reassigned

        from . import kind, services, timeline

        kind.register_kinds()
        timeline.register_messages()
        # A departing agent's clients with life or health policies get a service case each.
        on_book_reassigned(services.service_cases_open_for_book)
