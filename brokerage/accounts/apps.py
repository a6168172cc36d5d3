from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles(sender, **kwargs):
    from .roles import roles_sync

    roles_sync(using=kwargs.get("using", "default"))


class AccountsConfig(AppConfig):
    name = "brokerage.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        # Groups are created by the data migration; this keeps them in step as later apps add
        # permissions, and restores them after a test database is flushed.
        post_migrate.connect(_sync_roles, dispatch_uid="accounts.sync_roles")
        from django.contrib.auth.signals import user_logged_in

        from .sessions import stamp_at_sign_in

        user_logged_in.connect(stamp_at_sign_in, dispatch_uid="accounts.session_stamp")
