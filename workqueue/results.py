"""The words every kind of work shares. A kind (renewals, collections, claims…) declares its
own results in its app (``workqueue.kinds.Result``) and offers these generic ones beside them:
the failed attempts of seed 001 (three of them make the contact "inaccurate") and the
call-back. The maintainers' entries are not contact results: they never count as a contact."""

from django.utils.translation import gettext_lazy as _

from .kinds import Result

NO_ANSWER = Result("no_answer", _("No answer"), failed=True)
SWITCHED_OFF = Result("switched_off", _("Switched off"), failed=True)
WRONG_NUMBER = Result("wrong_number", _("Wrong number"), failed=True)
CALL_BACK = Result("call_back", _("Call back"), needs_time=True, style="outline-info")

# Attempts that did not reach the client: the kinds list them first on their cards.
FAILED_ATTEMPTS = (NO_ANSWER, SWITCHED_OFF, WRONG_NUMBER)
GENERIC = (*FAILED_ATTEMPTS, CALL_BACK)
MAX_FAILED_ATTEMPTS = 3

# Entries maintainers add to an item's log.
CONTACT_FIXED = "contact_fixed"
CLOSED = "closed"
MAINTAINER_ENTRIES = {CONTACT_FIXED: _("Contact fixed"), CLOSED: _("Closed by a maintainer")}
