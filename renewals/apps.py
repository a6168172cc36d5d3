from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RenewalsConfig(AppConfig):
    name = "renewals"
    verbose_name = _("Renewals")

    def ready(self):
        from workqueue import kinds

        from .jobs import LAPSED_KIND, RENEWAL_KIND
        from .services import renewal_handle_result

        kinds.register(
            kinds.WorkKind(
                name=RENEWAL_KIND,
                label=_("Renewals"),
                order=10,
                result_handler=renewal_handle_result,
            )
        )
        kinds.register(kinds.WorkKind(name=LAPSED_KIND, label=_("Lapsed over 48 hours"), order=15))
