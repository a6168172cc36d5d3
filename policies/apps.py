from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoliciesConfig(AppConfig):
    name = "policies"
    verbose_name = _("Policies")

    def ready(self):
        from clients import search
        from workqueue import kinds

        from .selectors import client_ids_by_policy_or_vehicle

        search.register_matcher(client_ids_by_policy_or_vehicle)

        kinds.register(
            kinds.WorkKind(
                name="quote_follow_up",
                label=_("Quote follow-ups"),
                order=40,
            )
        )
