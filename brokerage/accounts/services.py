"""Writes to users and teams. Views call these; they never save users directly."""

import secrets

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Team, User
from .roles import Role


def _validate_language(language: str) -> None:
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Unknown language: %(code)s.") % {"code": language}})


@transaction.atomic
def user_create(
    *,
    username: str,
    roles: list[Role | str],
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    language: str | None = None,
    team: Team | None = None,
    phone: str = "",
) -> User:
    language = language or settings.LANGUAGE_CODE
    _validate_language(language)
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        language=language,
        team=team,
        phone=phone,
    )
    # Without a password, a random one nobody knows: the person chooses their own through
    # the e-mailed link (Django only sends reset links to accounts with a usable password).
    user.set_password(password or secrets.token_urlsafe(32))
    user.full_clean(exclude=["password"])
    user.save()
    user_set_roles(user=user, roles=roles)
    return user


@transaction.atomic
def user_set_roles(*, user: User, roles: list[Role | str]) -> User:
    names = [str(r) for r in roles]
    unknown = set(names) - set(Role.values)
    if unknown:
        raise ValidationError(_("Unknown role: %(role)s.") % {"role": ", ".join(sorted(unknown))})
    groups = list(Group.objects.filter(name__in=names))
    if len(groups) != len(set(names)):
        from .roles import roles_sync

        roles_sync()
        groups = list(Group.objects.filter(name__in=names))
    user.groups.set(groups)
    user.__dict__.pop("role_names", None)
    return user


@transaction.atomic
def user_update(*, user: User, data: dict, roles: list[Role | str] | None = None) -> User:
    allowed = {"first_name", "last_name", "email", "language", "team", "phone"}
    for field, value in data.items():
        if field not in allowed:
            raise ValueError(f"user_update cannot change {field!r}")
        setattr(user, field, value)
    if "language" in data:
        _validate_language(user.language)
    user.full_clean(exclude=["password"])
    user.save()
    if roles is not None:
        user_set_roles(user=user, roles=roles)
    return user


def user_set_language(*, user: User, language: str) -> User:
    _validate_language(language)
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user


@transaction.atomic
def user_deactivate(*, user: User, by: User) -> User:
    """A person leaves: they can no longer sign in, but every record they made or own stays
    (clients are then reassigned by a manager). Their open sessions end at once."""
    if user.pk == by.pk:
        raise ValidationError(_("You cannot deactivate yourself."))
    if not user.is_active:
        return user
    user.is_active = False
    user.deactivated_at = timezone.now()
    user.save(update_fields=["is_active", "deactivated_at"])
    _end_sessions(user)
    return user


@transaction.atomic
def user_reactivate(*, user: User) -> User:
    if user.is_active:
        return user
    user.is_active = True
    user.deactivated_at = None
    user.save(update_fields=["is_active", "deactivated_at"])
    return user


def _end_sessions(user: User) -> None:
    from django.contrib.sessions.models import Session

    # Sessions are signed blobs; decode each live one to find the user's. Run on a rare event
    # (a departure), so a scan of live sessions is acceptable.
    stale = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            stale.append(session.pk)
    Session.objects.filter(pk__in=stale).delete()


@transaction.atomic
def team_create(*, name: str, manager: User | None = None) -> Team:
    team = Team(name=name, manager=manager)
    team.full_clean()
    team.save()
    return team


@transaction.atomic
def team_update(*, team: Team, name: str, manager: User | None) -> Team:
    team.name = name
    team.manager = manager
    team.full_clean()
    team.save()
    return team


# -- the export grant ------------------------------------------------------------------------

EXPORT_PERMISSION = ("accounts", "export_data")


def export_grant_allowed(*, by: User, team: Team | None) -> bool:
    """Who may let an agent export: the manager who leads the agent's team, or an
    administrator."""
    if by.is_cartera_admin:
        return True
    return team is not None and by.has_perm("accounts.manage_team") and team.manager_id == by.pk


@transaction.atomic
def user_set_export_grant(*, user: User, by: User, granted: bool) -> User:
    """Agents view and print their work but do not export it, unless their manager grants it
    to them by name (``accounts.export_data`` on the user, not on the role). Every grant and
    withdrawal is written to the audit log (the user's history in the admin), with who and
    when."""
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.auth.models import Permission

    if not export_grant_allowed(by=by, team=user.team):
        raise ValidationError(
            _("Only the manager of this person's team can change what they export.")
        )
    if not user.is_agent or not user.is_active:
        raise ValidationError(_("Only an active agent can be allowed to export."))
    permission = Permission.objects.get(
        content_type__app_label=EXPORT_PERMISSION[0], codename=EXPORT_PERMISSION[1]
    )
    has = user.user_permissions.filter(pk=permission.pk).exists()
    if has == granted:
        return user
    if granted:
        user.user_permissions.add(permission)
        message = "Export granted"
    else:
        user.user_permissions.remove(permission)
        message = "Export withdrawn"
    LogEntry.objects.log_actions(
        user_id=by.pk, queryset=[user], action_flag=CHANGE, change_message=message,
        single_object=True,
    )  # fmt: skip
    for cache in ("_perm_cache", "_user_perm_cache"):
        user.__dict__.pop(cache, None)
    return user
