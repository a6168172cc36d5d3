from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RenewalsConfig(AppConfig):
    name = "renewals"
    verbose_name = _("Renewals")

    def ready(self):
        from policies.hooks import on_policy_reinstated
        from policies.renewing import on_policy_renewed

        from .kind import register_kinds
        from .services import renewal_policy_reinstated, renewal_policy_renewed
        from .timeline import register_messages

        register_kinds()
        register_messages()
        # Every renewal (renew button, renewal quote bought, import) wins the case here.
        on_policy_renewed(renewal_policy_renewed)
        # A lapsed policy reinstated: the lapse's follow-up is cancelled.
        on_policy_reinstated(renewal_policy_reinstated)
