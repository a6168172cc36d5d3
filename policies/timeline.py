"""The quotation entries of the client's timeline (registered in PoliciesConfig.ready)."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clients import timeline
from workqueue import kinds

from .kind import QUOTE_FOLLOW_UP

FOLLOW_UP_RESULT = "policies.follow_up_result"


def quotation_title(*, description: str, renews: str = "") -> str:
    """A renewal quotation is titled in the reader's language; others as typed (as
    Quotation.title)."""
    if renews:
        return gettext("Renewal of %(policy)s") % {"policy": renews}
    return description


def _follow_up_values(params: dict) -> dict:
    return {
        "quotation": quotation_title(
            description=params.get("quotation", ""), renews=params.get("renews", "")
        ),
        "result": kinds.result_label(params["result"], kind=QUOTE_FOLLOW_UP),
    }


def register_messages() -> None:
    timeline.register(
        FOLLOW_UP_RESULT,
        _("Follow-up of the quotation “%(quotation)s”: %(result)s."),
        _follow_up_values,
    )
    register_sending_messages()


QUOTATION_SENT = "policies.quotation_sent"
DOCUMENTS_REQUESTED = "policies.documents_requested"


def _sent_values(params: dict) -> dict:
    return {
        "quotation": quotation_title(
            description=params.get("quotation", ""), renews=params.get("renews", "")
        ),
        "insurers": ", ".join(params.get("insurers", [])) or "—",
    }


def _requested_values(params: dict) -> dict:
    from .documents import DocumentProblem

    labels = [str(DocumentProblem(code).label) for code in params.get("items", [])]
    where = (
        gettext("for policy %(policy)s") % {"policy": params["policy"]}
        if params.get("policy")
        else gettext("for the client's file")
    )
    return {"items": "; ".join(labels) or "—", "where": where}


def register_sending_messages() -> None:
    timeline.register(
        QUOTATION_SENT,
        _("Quotation “%(quotation)s” sent to the client: %(insurers)s."),
        _sent_values,
    )
    timeline.register(
        DOCUMENTS_REQUESTED, _("Documents requested again %(where)s: %(items)s."), _requested_values
    )
