from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from brokerage.core.names import person_name

from .roles import Role


def default_language() -> str:
    return settings.LANGUAGE_CODE


class Team(models.Model):
    """A team of agents led by a manager. A manager may lead several teams."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="managed_teams",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self):
        return self.name


class UserQuerySet(models.QuerySet):
    def active_agents(self):
        """The one rule for who can be given work: an agent who can sign in and has not been
        deactivated. Distribution, leaderboards, forms and reports all read it."""
        return self.filter(
            groups__name=Role.AGENT, is_active=True, deactivated_at__isnull=True
        )


class CarteraUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A person who works in Cartera. Users are deactivated, never deleted, so that their
    records (clients, calls, history) keep their author."""

    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=default_language,
        help_text=_("The language Cartera speaks to you in."),
    )
    phone = PhoneNumberField(_("phone"), blank=True)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
    )
    deactivated_at = models.DateTimeField(_("deactivated at"), null=True, blank=True)

    objects = CarteraUserManager()

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["first_name", "last_name", "username"]
        constraints = [
            # One person, one address: password reset links go to it.
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="accounts_user_email_ci_unique",
                violation_error_message=_("Another user already has this e-mail address."),
            ),
        ]
        permissions = [
            ("work_queue", _("Can work a call list")),
            ("import_reports", _("Can import insurer reports")),
            ("distribute_work", _("Can distribute work to agents")),
            ("view_dashboards", _("Can view manager dashboards")),
            ("manage_team", _("Can manage a team and reassign its clients")),
            ("export_data", _("Can export data")),
            ("manage_users", _("Can create, change and deactivate users")),
            ("view_outbox", _("Can view the notification outbox")),
        ]

    def __str__(self):
        return self.get_full_name() or self.username

    def get_full_name(self) -> str:
        """Chinese names are written family name first with no space (李华); others as
        first name then last name."""
        return person_name(self.first_name, self.last_name)

    @cached_property
    def role_names(self) -> frozenset[str]:
        """The user's role names (group names), loaded once (or from a prefetch)."""
        return frozenset(group.name for group in self.groups.all())

    @property
    def role_labels(self) -> list[str]:
        """The user's roles in the reader's language, narrowest first."""
        return [role.label for role in Role if role in self.role_names]

    def has_role(self, role: Role | str) -> bool:
        return str(role) in self.role_names

    @property
    def primary_role(self) -> Role | None:
        """The most senior of the user's roles, used to pick a home page and a navbar."""
        for role in reversed(Role):
            if role in self.role_names:
                return role
        return None

    @property
    def is_agent(self) -> bool:
        return self.has_role(Role.AGENT)

    @property
    def is_maintainer(self) -> bool:
        return self.has_role(Role.MAINTAINER)

    @property
    def is_manager(self) -> bool:
        return self.has_role(Role.MANAGER)

    @property
    def is_cartera_admin(self) -> bool:
        return self.is_superuser or self.has_role(Role.ADMIN)
