from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RenewalsConfig(AppConfig):
    name = "renewals"
    verbose_name = _("Renewals")

    def ready(self):
        from workqueue import kinds

        from .jobs import LAPSED_KIND, RENEWAL_KIND
        from .kind import (
            RENEWAL_RESULTS,
            renewal_after_result,
            renewal_context,
            renewal_handed_out,
            renewal_owners,
        )
        from .services import renewal_handle_result

        kinds.register(
            kinds.WorkKind(
                name=RENEWAL_KIND,
                label=_("Renewals"),
                order=10,
                result_handler=renewal_handle_result,
                owners=renewal_owners,
                handed_out=renewal_handed_out,
                after_result=renewal_after_result,
                context=renewal_context,
                item_template="renewals/_call_item.html",
                maintainer_template="renewals/_maintainer_item.html",
                results=RENEWAL_RESULTS,
            )
        )
        kinds.register(
            kinds.WorkKind(
                name=LAPSED_KIND,
                label=_("Lapsed over 48 hours"),
                order=15,
                context=renewal_context,
                maintainer_template="renewals/_maintainer_item.html",
            )
        )
