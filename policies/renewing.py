"""A policy continued by a new one: the new term's defaults, and the hooks that other apps
register to hear of it.

Every way a policy is renewed (the renew button, a renewal quote bought, an import showing the
new term) ends in ``policies.services.policy_renewed``, which marks the old policy renewed and
calls these hooks inside the transaction. ``policies`` sits below ``renewals``: renewals
registers its hook here (RenewalsConfig.ready) to win the case, close its work and award the
points, so that policies never imports it."""

from dateutil.relativedelta import relativedelta

from .models import Policy

VEHICLE_COPIED = ("make", "model", "year", "vin", "plate", "use", "inspection_due",
                  "licence_expiry")  # fmt: skip

# Called as hook(old=Policy, new=Policy, by=User) inside the renewal's transaction.
_RENEWED_HOOKS: list = []


def on_policy_renewed(hook) -> None:
    if hook not in _RENEWED_HOOKS:
        _RENEWED_HOOKS.append(hook)


def run_renewed_hooks(*, old: Policy, new: Policy, by) -> None:
    for hook in _RENEWED_HOOKS:
        hook(old=old, new=new, by=by)


def renewal_terms(*, old: Policy) -> dict:
    """The new term as the agent would write it: same insurer, line, cover, premium, payment
    frequency and conditions, starting when the old term ends, for a year, with the old
    policy's vehicles."""
    start = old.end_date
    return {
        "insurer": old.insurer,
        "line": old.line,
        "coverage": old.coverage,
        "premium": old.premium,
        "currency": old.currency,
        "payment_frequency": old.payment_frequency,
        "start_date": start,
        "end_date": start + relativedelta(years=1),
        "general_conditions": old.general_conditions,
        "vehicles": [{f: getattr(v, f) for f in VEHICLE_COPIED} for v in old.vehicles.all()],
    }
