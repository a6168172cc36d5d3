"""The policy-service entries of the client's timeline (registered in ServicingConfig.ready)."""

from django.utils.translation import gettext_lazy as _

from clients import timeline
from workqueue import kinds

from .kind import CASE_KIND, REQUEST_KIND
from .models import CaseClass, CaseOutcome, RequestKind, RequestStatus, SearchMethod, ServiceItem

PARTIES = "servicing.parties"
REQUESTED = "servicing.requested"
STATUS = "servicing.status"
REQUEST_RESULT = "servicing.request_result"
CASE_OPENED = "servicing.case_opened"
CASE_CLASS = "servicing.case_class"
LIST_SIGNED = "servicing.list_signed"
CASE_ITEM = "servicing.case_item"
SEARCH = "servicing.search"
CASE_CLOSED = "servicing.case_closed"
CASE_RESULT = "servicing.case_result"
REINSTATED = "servicing.reinstated"


def _kind(params: dict) -> dict:
    return {"kind": RequestKind(params["kind"]).label}


def _status(params: dict) -> dict:
    return {**_kind(params), "status": RequestStatus(params["status"]).label.lower()}


def _class(params: dict) -> dict:
    return {"class": CaseClass(params["class"]).label.lower()}


def _item(params: dict) -> dict:
    from .models import ItemState

    return {
        "item": ServiceItem(params["item"]).label,
        "state": ItemState(params["state"]).label.lower(),
    }


def _method(params: dict) -> dict:
    return {"method": SearchMethod(params["method"]).label}


def _outcome(params: dict) -> dict:
    return {"outcome": CaseOutcome(params["outcome"]).label}


def _request_result(params: dict) -> dict:
    return {"result": kinds.result_label(params["result"], kind=REQUEST_KIND)}


def _case_result(params: dict) -> dict:
    return {"result": kinds.result_label(params["result"], kind=CASE_KIND)}


def register_messages() -> None:
    timeline.register(PARTIES, _("Policy %(policy)s: parties recorded."))
    timeline.register(REQUESTED, _("Service request %(request)s on %(policy)s: %(kind)s."), _kind)
    timeline.register(STATUS, _("Service request %(request)s (%(kind)s): %(status)s."), _status)
    timeline.register(
        REINSTATED, _("Policy %(policy)s reinstated (service request %(request)s): in force again.")
    )
    timeline.register(
        REQUEST_RESULT, _("Call on service request %(request)s: %(result)s."), _request_result
    )
    timeline.register(CASE_OPENED, _("Service case %(case)s opened: %(class)s."), _class)
    timeline.register(CASE_CLASS, _("Service case %(case)s is now %(class)s."), _class)
    timeline.register(LIST_SIGNED, _("Service case %(case)s: service list signed."))
    timeline.register(CASE_ITEM, _("Service case %(case)s: %(item)s %(state)s."), _item)
    timeline.register(SEARCH, _("Service case %(case)s: searched: %(method)s."), _method)
    timeline.register(CASE_CLOSED, _("Service case %(case)s closed: %(outcome)s."), _outcome)
    timeline.register(CASE_RESULT, _("Call on service case %(case)s: %(result)s."), _case_result)
