"""The rules of a policy's set of parties, shared by the parties page, a beneficiary or
policyholder change request and the services that write them: one place says what a valid
set is, and each error names the row and the field it belongs to."""

import re
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from stdnum.cn import ric
from stdnum.mx import curp

from clients.models import id_key

from .models import FULL_SHARE, PartyRole, Relation

# A Mexican CURP (4 letters, birth date, sex, state, 3 consonants, 2 check characters) and a
# Chinese resident ID (17 digits and a check digit or X): IDs that look like one must be one
# (python-stdnum checks the dates and check digits); any other ID (a passport, an INE
# number) is kept as typed, in its normal form.
CURP_SHAPE = re.compile(r"^[A-Z]{4}\d{6}[HMX][A-Z]{5}[A-Z0-9]\d$")
RIC_SHAPE = re.compile(r"^\d{17}[\dX]$")


def id_number_error(value: str) -> str | None:
    """What is wrong with an ID number (None when nothing: empty, or not a CURP or resident
    ID, or a valid one)."""
    key = id_key(value)
    if CURP_SHAPE.match(key) and not curp.is_valid(key):
        return _("This CURP is not valid: check its date and its last two characters.")
    if RIC_SHAPE.match(key) and not ric.is_valid(key):
        return _("This resident ID number is not valid: check its date and its last digit.")
    return None


@dataclass
class SetErrors:
    """Errors of a set of parties: by row (index → {field: message}) and for the whole set."""

    rows: dict[int, dict[str, str]]
    whole: list[str]

    def __bool__(self):
        return bool(self.rows or self.whole)

    def messages(self) -> list[str]:
        return [*self.whole, *(m for row in self.rows.values() for m in row.values())]


def parties_errors(rows: list[dict], *, only: str | None = None) -> SetErrors:
    """Check a set of parties, each a dict with ``role``, ``name``, ``relation``,
    ``id_number`` and ``share`` (a Decimal or None). ``only``: every row must have this role
    (a beneficiary or policyholder change) and there must be at least one.

    Rules: a name for everyone; a share for every beneficiary (above 0, at most 100) and none
    for the others; the beneficiaries' shares add up to exactly 100; one policyholder at most;
    CURPs and resident IDs valid."""
    errors: dict[int, dict[str, str]] = {}
    whole: list[str] = []

    def add(index, field, message):
        errors.setdefault(index, {}).setdefault(field, message)

    total, beneficiaries, holders = Decimal("0"), 0, 0
    for index, row in enumerate(rows):
        role, share = row.get("role"), row.get("share")
        if only is not None and role != only:
            add(index, "role", _("Only %(role)s can be named here.") % {
                "role": PartyRole(only).label.lower()})  # fmt: skip
        if not (row.get("name") or "").strip():
            add(index, "name", _("Give the name."))
        if (row.get("relation") or "") not in ("", *Relation.values):
            add(index, "relation", _("Choose the relation from the list."))
        if (message := id_number_error(row.get("id_number") or "")) is not None:
            add(index, "id_number", message)
        if role == PartyRole.BENEFICIARY:
            beneficiaries += 1
            if share is None:
                add(index, "share", _("Give the beneficiary's share."))
            elif not Decimal("0") < share <= FULL_SHARE:
                add(index, "share", _("A share is more than 0 and at most 100."))
            else:
                total += share
        elif share is not None:
            add(index, "share", _("Only beneficiaries have a share."))
        if role == PartyRole.POLICYHOLDER:
            holders += 1
    if holders > 1:
        whole.append(_("A policy has one policyholder."))
    if beneficiaries and total != FULL_SHARE and not any("share" in e for e in errors.values()):
        whole.append(
            _("The beneficiaries' shares add up to %(total)s %%; they must add up to exactly "
              "100 %%.") % {"total": total}
        )  # fmt: skip
    if only is not None and not rows:
        whole.append(_("Name the new %(role)s.") % {"role": PartyRole(only).label.lower()})
    return SetErrors(rows=errors, whole=whole)
