"""The navbar: which pages each role reaches. Apps add their entries here as they arrive."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from brokerage.accounts.roles import Role


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    roles: frozenset[str]
    permission: str | None = None


NAV_ENTRIES = [
    NavEntry(_("My queue"), "workqueue:queue", frozenset({Role.AGENT})),
    NavEntry(_("Team"), "accounts:team", frozenset({Role.MANAGER, Role.MAINTAINER, Role.ADMIN})),
    NavEntry(
        _("Outbox"),
        "notifications:outbox",
        frozenset({Role.MAINTAINER, Role.ADMIN}),
        permission="accounts.view_outbox",
    ),
]


def nav_for(user, current_path: str = "") -> list[dict]:
    if not user.is_authenticated:
        return []
    roles = set(user.role_names)
    if user.is_superuser:
        roles.add(Role.ADMIN)
    items = []
    for entry in NAV_ENTRIES:
        if not roles & entry.roles:
            continue
        if entry.permission and not user.has_perm(entry.permission):
            continue
        url = reverse(entry.url_name)
        items.append({"label": entry.label, "url": url, "active": current_path.startswith(url)})
    return items
