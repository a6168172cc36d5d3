"""Reads of users and teams."""

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from .models import Team, User
from .roles import Role


def teams_visible_to(*, user: User) -> QuerySet[Team]:
    """Managers see the teams they lead; maintainers and admins see every team."""
    qs = Team.objects.select_related("manager")
    if user.is_cartera_admin or user.is_maintainer:
        return qs
    if user.is_manager:
        return qs.filter(manager=user)
    return qs.none()


def _granted_export() -> Exists:
    """Whether the user was granted ``accounts.export_data`` by name (an agent whose manager
    lets them export; roles hold theirs through their group)."""
    return Exists(
        User.user_permissions.through.objects.filter(
            user_id=OuterRef("pk"),
            permission__content_type__app_label="accounts",
            permission__codename="export_data",
        )
    )


def team_directory(*, user: User) -> QuerySet[Team]:
    """Teams with their members (active first) and their roles, in a fixed number of queries."""
    members = (
        User.objects.prefetch_related("groups")
        .annotate(may_export=_granted_export())
        .order_by("-is_active", "first_name", "last_name")
    )
    return (
        teams_visible_to(user=user)
        .annotate(active_count=Count("members", filter=Q(members__is_active=True)))
        .prefetch_related(Prefetch("members", queryset=members))
    )


def teams_led_by(*, user: User) -> QuerySet[Team]:
    """The teams a manager leads (his own ``team`` is the one he belongs to, if any)."""
    return Team.objects.filter(manager=user).order_by("name")


def users_without_team() -> QuerySet[User]:
    return (
        User.objects.filter(team__isnull=True)
        .prefetch_related("groups")
        .annotate(may_export=_granted_export())
        .order_by("-is_active", "first_name", "last_name")
    )



def managers() -> QuerySet[User]:
    return User.objects.filter(is_active=True, groups__name=Role.MANAGER).distinct()


def departure_summary(*, user: User) -> dict:
    """What a departure leaves behind, for the deactivation page: the clients the person owns
    and the open items of their call list (through the reverse relations: the work queue's
    app sits above this one; "open" and "agent" are its status and queue values)."""
    return {
        "clients": user.owned_clients.count(),
        "open_items": user.work_items.filter(status="open", queue="agent").count(),
    }
