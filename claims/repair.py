"""Partner repair shops and where a claim's vehicle was repaired (issue 16, seed 004):
the shops' directory, the repair place recorded on a claim (送修: referred to a partner shop;
外修: repaired elsewhere, with the reason why) and the selectors the claim page and the
referral report read.

The repair-referral report's amount of a claim is **the repair amount if given, else the
amount settled, else the amount assessed** (``report_amount``); a claim with none of them is
counted with no amount. The month a repair counts in is the month it was first recorded
(``repair_recorded_at``); corrections keep that date, and the claim's history keeps each
change."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clients import timeline as client_timeline
from clients.models import Channel
from clients.services import interaction_log

from .models import Claim, ClaimStatus, OutsideReason, RepairPlace, RepairShop

# The claims' timeline entries for a repair place recorded or changed.
REFERRED = "claims.repair_referred"
ELSEWHERE = "claims.repair_elsewhere"


def report_amount(prefix: str = ""):
    """The report's amount of a claim: the repair's, else the settled, else the assessed
    amount (``prefix``: the path to the claim, e.g. ``claim__``)."""
    return Coalesce(f"{prefix}repair_amount", f"{prefix}amount_settled", f"{prefix}amount_assessed")


AMOUNT_MAX = Decimal("9999999999.99")
SHOP_FIELDS = ("name", "address", "phone", "brands", "partner", "active", "notes")
REPAIR_FIELDS = {
    "repair_place", "repair_shop", "repair_shop_name", "outside_reason", "outside_reason_note",
    "repair_amount",
}  # fmt: skip


def _reason_label(params: dict) -> dict:
    return {"reason": OutsideReason(params["reason"]).label, "shop": params.get("shop") or "—"}


def register_messages() -> None:
    """The timeline's repair entries (called from ClaimsConfig.ready); the note of an "other"
    reason follows the entry as typed."""
    client_timeline.register(
        REFERRED, gettext_lazy("Claim %(claim)s: referred to the partner shop %(shop)s.")
    )
    client_timeline.register(
        ELSEWHERE,
        gettext_lazy("Claim %(claim)s: repaired elsewhere (%(shop)s): %(reason)s."),
        _reason_label,
    )


# --- the shops ------------------------------------------------------------------------------


def may_edit_shops(user) -> bool:
    """Maintainers, managers and administrators keep the directory; agents read it."""
    return bool(user.is_maintainer or user.is_manager or user.is_cartera_admin)


def may_read_shops(user) -> bool:
    return bool(user.is_agent or may_edit_shops(user))


@transaction.atomic
def repair_shop_save(*, shop: RepairShop | None, by, data: dict, insurers) -> RepairShop:
    """Create a shop (``shop`` None) or change one: its details, whether it is a partner and
    the insurers it works with, with history. Two shops may not share a name."""
    unknown = set(data) - set(SHOP_FIELDS)
    if unknown:
        raise ValueError(f"Not shop fields: {sorted(unknown)}")
    shop = shop if shop is not None else RepairShop()
    for name, value in data.items():
        setattr(shop, name, value.strip() if isinstance(value, str) else value)
    if not shop.name:
        raise ValidationError({"name": _("Give the shop's name.")})
    same_name = RepairShop.objects.filter(name__iexact=shop.name)
    if shop.pk:
        same_name = same_name.exclude(pk=shop.pk)
    if same_name.exists():
        raise ValidationError({"name": _("A shop with this name is already in the directory.")})
    shop._history_user = by
    try:
        with transaction.atomic():
            shop.save()
    except IntegrityError:  # the same name saved at the same moment by someone else
        raise ValidationError(
            {"name": _("A shop with this name is already in the directory.")}
        ) from None
    shop.insurers.set(list(insurers))
    return shop


def shop_list(*, values: dict) -> QuerySet[RepairShop]:
    """The directory narrowed by the list's filters (``RepairShopFilterSet``), partners first,
    with the insurers each works with read in one more query."""
    from .forms import RepairShopFilterSet

    qs = RepairShopFilterSet(queryset=RepairShop.objects.all()).narrow(values)
    return qs.prefetch_related("insurers").order_by("-active", "-partner", Lower("name"), "pk")


def shops_for_claim(claim: Claim) -> list[RepairShop]:
    """The shops the claim page offers, in one query: the active partner shops that work with
    the claim's insurer first, then the other active partner shops, then the other active
    shops (and the claim's own shop if it is no longer active). Each carries ``for_insurer``."""
    insurer_id = claim.policy.insurer_id
    works = Q(insurers=insurer_id) if insurer_id else Q(pk__in=[])
    current = Q(pk=claim.repair_shop_id) if claim.repair_shop_id else Q(pk__in=[])
    shops = (
        RepairShop.objects.filter(Q(active=True) | current)
        .annotate(
            rank=Case(
                When(Q(partner=True, pk__in=RepairShop.objects.filter(works).values("pk")),
                     then=Value(0)),
                When(partner=True, then=Value(1)),
                default=Value(2), output_field=IntegerField(),
            )
        )
        .order_by("rank", Lower("name"), "pk")
    )  # fmt: skip
    shops = list(shops)
    for shop in shops:
        shop.for_insurer = shop.rank == 0
    return shops


# --- the claim's repair ---------------------------------------------------------------------


def _check(claim: Claim, values: dict, previous_shop_id) -> None:
    errors = {}
    place, shop = values["repair_place"], values["repair_shop"]
    if place not in RepairPlace.values:
        errors["repair_place"] = _("Choose a partner shop or elsewhere.")
    elif place == RepairPlace.PARTNER:
        if shop is None:
            errors["repair_shop"] = _("Choose the partner shop the vehicle was referred to.")
        elif not shop.partner:
            errors["repair_shop"] = _(
                "%(shop)s is not a partner shop: record the repair as elsewhere."
            ) % {"shop": shop.name}
    else:
        if shop is not None and shop.partner:
            errors["repair_shop"] = _(
                "%(shop)s is a partner shop: record the repair as referred to a partner shop."
            ) % {"shop": shop.name}
        reason = values["outside_reason"]
        if reason not in OutsideReason.values:
            errors["outside_reason"] = _("Say why it was repaired elsewhere.")
        elif reason == OutsideReason.OTHER and not values["outside_reason_note"]:
            errors["outside_reason_note"] = _("Say what the other reason is.")
    if shop is not None and not shop.active and shop.pk != previous_shop_id:
        errors["repair_shop"] = _("%(shop)s is no longer active.") % {"shop": shop.name}
    amount = values["repair_amount"]
    if amount is not None and not Decimal("0") <= amount <= AMOUNT_MAX:
        errors["repair_amount"] = _("The amount must be between 0 and %(max)s.") % {
            "max": AMOUNT_MAX
        }
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def claim_repair_record(*, claim: Claim, by, data: dict, now=None) -> Claim:
    """Record where the claim's vehicle was repaired: a partner shop (送修, the shop
    required) or elsewhere (外修: the reason required, a note with "other"; a shop of the
    directory that is not a partner, or a shop's name, if known), and the repair's amount.
    The first record sets when and by whom (the report's month); a later one corrects it.
    Kept in the claim's history and on the client's timeline."""
    unknown = set(data) - REPAIR_FIELDS
    if unknown:
        raise ValueError(f"Not repair fields: {sorted(unknown)}")
    now = now or timezone.now()
    claim = (
        Claim.objects.select_for_update(of=("self",))
        .select_related("policy__holder")
        .get(pk=claim.pk)
    )
    if claim.first_contact_at is None:
        raise ValidationError(_("Record the first contact before where the vehicle is repaired."))
    if claim.status == ClaimStatus.WITHDRAWN:
        raise ValidationError(_("This claim was withdrawn."))
    values = {
        "repair_place": data.get("repair_place") or "",
        "repair_shop": data.get("repair_shop"),
        "repair_shop_name": (data.get("repair_shop_name") or "").strip()[:150],
        "outside_reason": data.get("outside_reason") or "",
        "outside_reason_note": (data.get("outside_reason_note") or "").strip()[:255],
        "repair_amount": data.get("repair_amount"),
    }
    _check(claim, values, claim.repair_shop_id)
    if values["repair_place"] == RepairPlace.PARTNER:
        values.update(repair_shop_name="", outside_reason="", outside_reason_note="")
    else:
        if values["repair_shop"] is not None:
            values["repair_shop_name"] = ""
        if values["outside_reason"] != OutsideReason.OTHER:
            values["outside_reason_note"] = ""
    fields = [name for name, value in values.items() if getattr(claim, name) != value]
    if claim.repair_recorded_at is None:
        claim.repair_recorded_at, claim.repair_recorded_by = now, by
        fields += ["repair_recorded_at", "repair_recorded_by"]
    if not fields:
        return claim
    for name, value in values.items():
        setattr(claim, name, value)
    claim._history_user = by
    claim.save(update_fields=fields)
    shop = values["repair_shop"]
    params = {
        "claim": claim.reference,
        "shop": shop.name if shop is not None else claim.repair_shop_name,
    }
    if claim.repair_place == RepairPlace.ELSEWHERE:
        params.update(reason=claim.outside_reason, note=claim.outside_reason_note)
    interaction_log(
        client=claim.policy.holder, by=by, channel=Channel.CALL,
        message=REFERRED if claim.repair_place == RepairPlace.PARTNER else ELSEWHERE,
        params=params,
    )  # fmt: skip
    return claim


def repair_context(claim: Claim, *, form=None) -> dict:
    """What the claim page shows of the repair: the form (with its errors after a failed
    post) and the shops it offers (one query), when the claim is being worked."""
    from .forms import RepairForm

    if claim.first_contact_at is None or claim.status == ClaimStatus.WITHDRAWN:
        shops = []
        if claim.repair_shop_id:
            shops = list(RepairShop.objects.filter(pk=claim.repair_shop_id))
        return {"repair_form": None, "repair_shops": shops,
                "repair_shop": shops[0] if shops else None}  # fmt: skip
    shops = shops_for_claim(claim)
    current = next((s for s in shops if s.pk == claim.repair_shop_id), None)
    return {
        "repair_form": form or RepairForm.for_claim(claim),
        "repair_shops": shops,
        "repair_shop": current,
        "partner_shops": [s for s in shops if s.partner],
    }
