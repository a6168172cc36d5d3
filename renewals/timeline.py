"""The renewal entries of the client's timeline (registered in RenewalsConfig.ready)."""

from django.utils.translation import gettext_lazy as _

from clients import timeline
from workqueue import kinds

from .kind import RENEWAL_KIND

RESULT = "renewals.result"
RENEWED = "renewals.renewed"


def _result_label(params: dict) -> dict:
    return {"result": kinds.result_label(params["result"], kind=RENEWAL_KIND)}


def register_messages() -> None:
    timeline.register(RESULT, _("Renewal of %(policy)s: %(result)s."), _result_label)
    timeline.register(RENEWED, _("Renewed %(old)s as %(new)s."), _result_label)
