"""Roles are Django groups with permissions. This module is the one list of who may do what."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    # Order matters: from the narrowest role to the widest (see User.primary_role).
    AGENT = "agent", _("Agent")
    MAINTAINER = "maintainer", _("CRM maintainer")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Administrator")


# "app_label.codename" of each permission a role holds. Later apps add theirs here; the
# post_migrate hook (AccountsConfig.ready) keeps the groups in step.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    # Agents view and print their work; they do not export it (seed 002: departing staff leave
    # with no client data) unless the manager of their team grants them ``accounts.export_data``
    # by name on the Team page (accounts.services.user_set_export_grant, audited).
    Role.AGENT: [
        "accounts.work_queue",
    ],
    Role.MAINTAINER: [
        "accounts.import_reports",
        "accounts.distribute_work",
        "accounts.export_data",
        "accounts.view_outbox",
        "policies.view_insurer",
        "policies.add_insurer",
        "policies.change_insurer",
        "renewals.view_renewalcase",
    ],
    Role.MANAGER: [
        "accounts.view_dashboards",
        "accounts.manage_team",
        "accounts.export_data",
        "renewals.view_renewalcase",
        "renewals.change_ladder",
        "billing.change_collectionrung",
    ],
    Role.ADMIN: [
        "accounts.manage_users",
        "accounts.view_dashboards",
        "accounts.manage_team",
        "accounts.export_data",
        "accounts.view_outbox",
        "accounts.view_user",
        "accounts.change_user",
        "accounts.add_team",
        "accounts.change_team",
        "accounts.view_team",
        "policies.view_insurer",
        "policies.add_insurer",
        "policies.change_insurer",
        "renewals.view_renewalcase",
        "renewals.change_ladder",
        "billing.change_collectionrung",
        "accounts.distribute_work",
        "accounts.import_reports",
    ],
}


def roles_sync(*, using: str = "default", group_model=None, permission_model=None) -> None:
    """Create the role groups and give each exactly the permissions listed above.

    Permissions that do not exist yet (an app not migrated) are skipped; the next migrate
    adds them.
    """
    if group_model is None or permission_model is None:
        from django.contrib.auth.models import Group, Permission

        group_model, permission_model = Group, Permission

    wanted = {p for perms in ROLE_PERMISSIONS.values() for p in perms}
    by_key = {}
    for perm in (
        permission_model.objects.using(using)
        .filter(codename__in={p.split(".", 1)[1] for p in wanted})
        .select_related("content_type")
    ):
        by_key[f"{perm.content_type.app_label}.{perm.codename}"] = perm
    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = group_model.objects.using(using).get_or_create(name=str(role))
        group.permissions.set([by_key[p] for p in perms if p in by_key])
