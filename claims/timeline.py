"""The claims entries of the client's timeline (registered in ClaimsConfig.ready)."""

from django.utils.translation import gettext_lazy as _

from clients import timeline
from workqueue import kinds

from .kind import CLAIM_KIND
from .models import ClaimKind, ClaimStatus, DocumentItem, DocumentState

REPORTED = "claims.reported"
STATUS = "claims.status"
RESULT = "claims.result"
DOCUMENT = "claims.document"
DOCUMENTS_REQUESTED = "claims.documents_requested"
REFERRED = "claims.referred"
DISPUTE = "claims.dispute"


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
