"""Writes to the renewal ladders and the rules that choose them. A change only affects the
touches created from then on: the morning job reads the ladders each run, and the work items
already queued keep their rung."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from brokerage.accounts.models import User
from policies.models import Insurer

from .ladders import validate_rungs
from .models import Ladder, LadderRule


def _lock_ladders() -> None:
    """Ladders are few: locking them all serialises the writes that must see each other (the
    one default ladder, one rule per insurer and line) on every web node."""
    list(Ladder.objects.select_for_update().order_by("pk").values_list("pk", flat=True))


@transaction.atomic
def ladder_save(
    *,
    ladder: Ladder | None = None,
    by: User,
    name: str,
    code: str,
    is_default: bool,
    rungs: list[dict],
) -> Ladder:
    """Create or change a ladder. Making it the default un-defaults the others; the default
    ladder cannot stop being the default by itself (another ladder is made the default)."""
    _lock_ladders()
    errors: dict[str, list] = {}
    try:
        clean_rungs = validate_rungs(list(rungs))
    except ValidationError as exc:
        errors["rungs"] = exc.messages
        clean_rungs = []
    if ladder is not None:
        ladder = Ladder.objects.get(pk=ladder.pk)  # the locked, current row
        if ladder.is_default and not is_default:
            errors["is_default"] = [
                _("There must be a default ladder: make another ladder the default instead.")
            ]
    else:
        ladder = Ladder()
    ladder.name = ladder.preset_name(" ".join((name or "").split()))
    ladder.code = (code or "").strip().lower()
    ladder.is_default = bool(is_default)
    ladder.rungs = clean_rungs
    try:
        ladder.clean_fields(exclude=["rungs"])
        ladder.validate_unique()
    except ValidationError as exc:
        exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
    if ladder.is_default:
        # First: one default at a time is a database constraint (ladder_one_default).
        others = Ladder.objects.filter(is_default=True)
        if ladder.pk:
            others = others.exclude(pk=ladder.pk)
        others.update(is_default=False)
    ladder.save()
    return ladder


@transaction.atomic
def ladder_rule_add(*, by: User, ladder: Ladder, line: str, insurer: Insurer | None) -> LadderRule:
    """Send an insurer's policies, a line's, or an insurer's line to a ladder. One rule per
    insurer and line."""
    line = line or ""
    if not line and insurer is None:
        raise ValidationError({"line": _("Choose a line of business, an insurer, or both.")})
    _lock_ladders()
    duplicate = _("There is already a rule for this insurer and line; delete it first.")
    # The unique constraint does not stop two rules with no insurer (NULLs differ in SQL):
    # the check under the lock does.
    if LadderRule.objects.filter(line=line, insurer=insurer).exists():
        raise ValidationError({NON_FIELD_ERRORS: [duplicate]})
    try:
        with transaction.atomic():
            return LadderRule.objects.create(ladder=ladder, line=line, insurer=insurer)
    except IntegrityError as exc:
        raise ValidationError({NON_FIELD_ERRORS: [duplicate]}) from exc


@transaction.atomic
def ladder_rule_delete(*, rule: LadderRule, by: User) -> None:
    """Remove a rule: its policies go back to the next rule down, or the default ladder."""
    LadderRule.objects.filter(pk=rule.pk).delete()
