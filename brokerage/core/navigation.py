"""The navbar: which pages each role reaches. Apps add their entries here as they arrive."""

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from brokerage.accounts.roles import Role


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    roles: frozenset[str]
    permission: str | None = None
    # The entry is the current page anywhere under this path (default: under its own URL).
    prefix: str = ""
    # The page has a search box: the navbar shows one that searches it with this parameter.
    search: str = ""
    # The roles that open the page now and then rather than work on it every day: for them it
    # goes in the navbar's "More" menu, so that every role's navbar keeps to one line at 1280 px
    # in every language. It stays in the bar for anyone who also holds another of its roles.
    more: frozenset[str] = frozenset()


EVERYONE = frozenset(Role.values)

NAV_ENTRIES = [
    NavEntry(_("My queue"), "workqueue:queue", frozenset({Role.AGENT})),
    NavEntry(_("My call-backs"), "workqueue:callbacks", frozenset({Role.AGENT})),
    NavEntry(_("My figures"), "reports:mine", frozenset({Role.AGENT})),
    NavEntry(
        _("Clients"),
        "clients:list",
        frozenset({Role.AGENT, Role.MANAGER, Role.MAINTAINER, Role.ADMIN}),
        search="q",
    ),
    NavEntry(
        _("Policies"),
        "policies:list",
        frozenset({Role.AGENT, Role.MANAGER, Role.MAINTAINER, Role.ADMIN}),
    ),
    NavEntry(
        _("Claims"),
        "claims:list",
        # Agents reach their clients' claims from the call list, the client file (which also
        # reports one) and the policy page: their bar has no room left in Spanish, and no "More".
        frozenset({Role.MANAGER, Role.MAINTAINER, Role.ADMIN}),
        more=frozenset({Role.ADMIN, Role.MAINTAINER}),
    ),
    NavEntry(
        _("Policy service"),
        "servicing:cases",
        # Service cases by class and age, and the service requests list; agents work theirs
        # from the call list, the policy page and the client file.
        frozenset({Role.MANAGER, Role.MAINTAINER, Role.ADMIN}),
        prefix="/service/",
        more=EVERYONE,
    ),
    NavEntry(
        _("Renewals"),
        "renewals:list",
        frozenset({Role.MANAGER, Role.MAINTAINER, Role.ADMIN}),
        permission="renewals.view_renewalcase",
    ),
    NavEntry(
        _("Dashboard"),
        "reports:renewal_rate",
        frozenset({Role.MANAGER, Role.ADMIN}),
        permission="accounts.view_dashboards",
        prefix="/reports/",
    ),
    NavEntry(
        _("Imports"),
        "imports:list",
        frozenset({Role.MAINTAINER, Role.ADMIN}),
        permission="accounts.import_reports",
        more=frozenset({Role.ADMIN}),
    ),
    NavEntry(
        _("Fix-contact queue"),
        "workqueue:maintainers",
        frozenset({Role.MAINTAINER, Role.ADMIN}),
        permission="accounts.distribute_work",
        more=frozenset({Role.ADMIN}),
    ),
    NavEntry(
        _("Distribution"),
        "workqueue:distribution",
        frozenset({Role.MAINTAINER, Role.ADMIN}),
        permission="accounts.distribute_work",
        more=EVERYONE,
    ),
    NavEntry(
        _("Ladders"),
        "renewals:ladders",
        frozenset({Role.MANAGER, Role.ADMIN}),
        permission="renewals.change_ladder",
        more=EVERYONE,
    ),
    NavEntry(
        _("Payment-due ladder"),
        "billing:ladder",
        frozenset({Role.MANAGER, Role.ADMIN}),
        permission="billing.change_collectionrung",
        more=EVERYONE,
    ),
    NavEntry(
        _("At risk of cancellation"),
        "billing:risks",
        frozenset({Role.MANAGER, Role.ADMIN}),
        permission="accounts.manage_team",
        more=EVERYONE,
    ),
    NavEntry(
        _("Reassign clients"),
        "clients:book_reassign",
        frozenset({Role.MANAGER, Role.ADMIN}),
        permission="accounts.manage_team",
        more=EVERYONE,
    ),
    NavEntry(
        _("Service touches"),
        "touches:settings",
        frozenset({Role.MAINTAINER, Role.ADMIN}),
        permission="accounts.distribute_work",
        more=EVERYONE,
    ),
    NavEntry(
        _("Insurers"),
        "policies:insurers",
        frozenset({Role.MAINTAINER, Role.ADMIN}),
        permission="policies.view_insurer",
        more=EVERYONE,
    ),
    NavEntry(
        _("Repair shops"),
        "claims:repair_shops",
        # Agents open the directory from the claim page (their bar has no room left).
        frozenset({Role.MANAGER, Role.MAINTAINER, Role.ADMIN}),
        more=EVERYONE,
    ),
    NavEntry(
        _("Team"),
        "accounts:team",
        frozenset({Role.MANAGER, Role.MAINTAINER, Role.ADMIN}),
        more=frozenset({Role.MAINTAINER}),
    ),
    NavEntry(
        _("Outbox"),
        "notifications:outbox",
        frozenset({Role.MAINTAINER, Role.ADMIN}),
        permission="accounts.view_outbox",
        more=EVERYONE,
    ),
]


@lru_cache(maxsize=256)
def _url(name: str, _prefix: str, _urlconf, _language) -> str:
    """``reverse(name)``, once per script prefix, URL conf and language (a reversal costs some
    25 µs; every signed-in page reverses its navbar's entries)."""
    return reverse(name)


def nav_for(user, current_path: str = "") -> list[dict]:
    if not user.is_authenticated:
        return []
    roles = set(user.role_names)
    if user.is_superuser:
        roles.add(Role.ADMIN)
    items = []
    where = (get_script_prefix(), get_urlconf(settings.ROOT_URLCONF), get_language())
    for entry in NAV_ENTRIES:
        if not roles & entry.roles:
            continue
        if entry.permission and not user.has_perm(entry.permission):
            continue
        url = _url(entry.url_name, *where)
        more = bool(entry.more) and roles & entry.roles <= entry.more
        items.append(
            {"label": entry.label, "url": url, "active": False, "prefix": entry.prefix or url,
             "search": entry.search, "more": more}
        )  # fmt: skip
    # The entry with the longest matching prefix is the current page.
    matches = [i for i in items if current_path.startswith(i["prefix"])]
    if matches:
        max(matches, key=lambda i: len(i["prefix"]))["active"] = True
    return items
