from django.db import models
from django.utils.translation import gettext_lazy as _


class ContactResult(models.TextChoices):
    """The standard contact results of seed 001, logged in one click. The triggers that keep
    a work item's first contact result (migration 0005) list these values: a new one needs a
    migration that writes the triggers again (a test compares the two)."""

    NO_ANSWER = "no_answer", _("No answer")
    SWITCHED_OFF = "switched_off", _("Switched off")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    CALL_BACK = "call_back", _("Call back")
    INTERESTED = "interested", _("Interested")
    RENEWED = "renewed", _("Renewed")
    RENEWED_ELSEWHERE = "renewed_elsewhere", _("Renewed elsewhere")
    DECLINED = "declined", _("Declined")
    VEHICLE_SOLD = "vehicle_sold", _("Vehicle sold")


# Attempts that did not reach the client: three of them make the contact "inaccurate".
FAILED = {ContactResult.NO_ANSWER, ContactResult.SWITCHED_OFF, ContactResult.WRONG_NUMBER}
# Results that end the item.
FINAL = {
    ContactResult.RENEWED,
    ContactResult.RENEWED_ELSEWHERE,
    ContactResult.DECLINED,
    ContactResult.VEHICLE_SOLD,
}
MAX_FAILED_ATTEMPTS = 3

# Entries maintainers add to an item's log.
CONTACT_FIXED = "contact_fixed"
CLOSED = "closed"
_OTHER_LABELS = {CONTACT_FIXED: _("Contact fixed"), CLOSED: _("Closed by a maintainer")}


def result_label(code: str):
    if code in ContactResult.values:
        return ContactResult(code).label
    return _OTHER_LABELS.get(code, code)
