"""The touches' entries on the client's timeline (registered in TouchesConfig.ready)."""

from django.utils.translation import gettext_lazy as _

from clients import timeline
from workqueue import kinds

from .models import TouchKind

RESULT = "touches.result"
CONTACT_CORRECTED = "touches.contact_corrected"
PLATE_RECORDED = "touches.plate_recorded"


def _kind_label(code: str) -> str:
    try:
        return str(TouchKind(code).label)
    except ValueError:
        return code


def _result(params: dict) -> dict:
    return {
        "touch": _kind_label(params["kind"]),
        "result": kinds.result_label(params["result"], kind=params["kind"]),
    }


def register_messages() -> None:
    timeline.register(RESULT, _("%(touch)s: %(result)s."), _result)
    timeline.register(
        CONTACT_CORRECTED,
        _("Contact details corrected on the return visit: %(fields)s."),
    )
    timeline.register(
        PLATE_RECORDED, _("Plate %(plate)s recorded on %(vehicle)s, endorsed on %(on)s.")
    )
