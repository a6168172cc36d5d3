from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    name = "clients"
    verbose_name = _("Clients")

    def ready(self):
        from workqueue import to_fix
        from workqueue.services import on_contact_fixed

        from .selectors import clients_contact_to_fix
        from .services import clients_contact_fixed

        # The work queue knows no client: a fixed contact clears the client's flag, and the
        # maintainers' page counts the clients whose contact is to fix.
        on_contact_fixed(clients_contact_fixed)
        to_fix.register(clients_contact_to_fix)
