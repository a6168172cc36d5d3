"""What other apps hear of a policy's life: created, its terms changed (premium, currency,
payment frequency or dates), cancelled, reinstated. ``policies`` sits below them and never
imports them: each app registers its hooks in its AppConfig.ready (billing plans and re-plans
the policy's instalments). Hooks run inside the service's transaction, so a failing hook undoes
the write. A renewal has its own hooks (``policies.renewing.on_policy_renewed``)."""

from collections.abc import Callable

# The fields whose change re-plans what depends on the policy's terms.
TERM_FIELDS = ("premium", "currency", "payment_frequency", "start_date", "end_date")

# hook(policy=Policy, by=User | None)
_CREATED: list[Callable] = []
# hook(policy=Policy, by=User | None, changed=set of TERM_FIELDS names)
_TERMS_CHANGED: list[Callable] = []
# hook(policy=Policy, by=User | None, on=date)
_CANCELLED: list[Callable] = []
# hook(policy=Policy, by=User): a lapsed policy back in force (复效, rehabilitación)
_REINSTATED: list[Callable] = []


def _add(hooks: list, hook: Callable) -> None:
    if hook not in hooks:
        hooks.append(hook)


def on_policy_created(hook: Callable) -> None:
    _add(_CREATED, hook)


def on_policy_terms_changed(hook: Callable) -> None:
    _add(_TERMS_CHANGED, hook)


def on_policy_cancelled(hook: Callable) -> None:
    _add(_CANCELLED, hook)


def on_policy_reinstated(hook: Callable) -> None:
    _add(_REINSTATED, hook)


def run_created(*, policy, by) -> None:
    for hook in _CREATED:
        hook(policy=policy, by=by)


def run_terms_changed(*, policy, by, changed: set[str]) -> None:
    if changed:
        for hook in _TERMS_CHANGED:
            hook(policy=policy, by=by, changed=changed)


def run_cancelled(*, policy, by, on) -> None:
    for hook in _CANCELLED:
        hook(policy=policy, by=by, on=on)


def run_reinstated(*, policy, by) -> None:
    for hook in _REINSTATED:
        hook(policy=policy, by=by)
