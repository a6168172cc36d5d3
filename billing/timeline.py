"""The collections entries of the client's timeline (registered in BillingConfig.ready)."""

from django.utils.translation import gettext_lazy as _

from clients import timeline
from workqueue import kinds

from .kind import PAYMENT_KIND

RESULT = "billing.result"


def _result_label(params: dict) -> dict:
    return {"result": kinds.result_label(params["result"], kind=PAYMENT_KIND)}


def register_messages() -> None:
    timeline.register(
        RESULT, _("Payment call on %(policy)s, instalment %(instalment)s: %(result)s."),
        _result_label,
    )  # fmt: skip
