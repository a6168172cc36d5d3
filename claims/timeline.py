"""The claims entries of the client's timeline (registered in ClaimsConfig.ready)."""

from django.utils.translation import gettext_lazy as _

from clients import timeline
from workqueue import kinds

from .kind import CLAIM_KIND, FOLLOW_UP_KIND
from .models import ClaimKind, ClaimStatus, DocumentItem, DocumentState

REPORTED = "claims.reported"
STATUS = "claims.status"
RESULT = "claims.result"
DOCUMENT = "claims.document"
DOCUMENTS_REQUESTED = "claims.documents_requested"
REFERRED = "claims.referred"
DISPUTE = "claims.dispute"
FOLLOW_UP = "claims.follow_up"
CALLBACK = "claims.callback"
FOLLOW_UP_BOOKED = "claims.follow_up_booked"
FOLLOW_UP_RESULT = "claims.follow_up_result"


def _kind_label(params: dict) -> dict:
    return {"kind": ClaimKind(params["kind"]).label}


def _status_label(params: dict) -> dict:
    return {"status": ClaimStatus(params["status"]).label}


def _result_label(params: dict) -> dict:
    return {"result": kinds.result_label(params["result"], kind=CLAIM_KIND)}


def _document_labels(params: dict) -> dict:
    return {
        "item": DocumentItem(params["item"]).label,
        "state": DocumentState(params["state"]).label.lower(),
    }


def _requested_labels(params: dict) -> dict:
    return {"items": ", ".join(str(DocumentItem(item).label) for item in params["items"])}


def _follow_up_result_label(params: dict) -> dict:
    return {"result": kinds.result_label(params["result"], kind=FOLLOW_UP_KIND)}


def register_messages() -> None:
    timeline.register(REPORTED, _("Claim %(claim)s reported on %(policy)s: %(kind)s."), _kind_label)
    timeline.register(STATUS, _("Claim %(claim)s: %(status)s."), _status_label)
    timeline.register(
        RESULT, _("First-contact call on claim %(claim)s: %(result)s."), _result_label
    )
    timeline.register(DOCUMENT, _("Claim %(claim)s: %(item)s %(state)s."), _document_labels)
    timeline.register(
        DOCUMENTS_REQUESTED,
        _("Claim %(claim)s: missing documents asked of the client: %(items)s."),
        _requested_labels,
    )
    timeline.register(REFERRED, _("Claim %(claim)s: injury referred to %(to)s (legal/medical)."))
    timeline.register(DISPUTE, _("Claim %(claim)s: dispute escalated to the manager: %(note)s"))
    timeline.register(FOLLOW_UP, _("Claim %(claim)s: follow-up %(number)s recorded."))
    timeline.register(
        FOLLOW_UP_BOOKED, _("Claim %(claim)s: follow-up %(number)s booked for %(at)s.")
    )
    timeline.register(
        FOLLOW_UP_RESULT,
        _("Follow-up call on claim %(claim)s: %(result)s."),
        _follow_up_result_label,
    )
    timeline.register(
        CALLBACK, _("Claim %(claim)s: call-back after settlement, satisfaction %(score)s/5.")
    )
