from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoliciesConfig(AppConfig):
    name = "policies"
    verbose_name = _("Policies")

    def ready(self):
        from workqueue import kinds

        kinds.register(
            kinds.WorkKind(
                name="quote_follow_up",
                label=_("Quote follow-ups"),
                order=40,
            )
        )
