from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q


class CarteraModelBackend(ModelBackend):
    """Django's ModelBackend, which also notes on the request when the password was right but
    the account is deactivated, so that the sign-in page can say so. It is noted only after
    the right password, so a guesser learns nothing about which accounts exist, and it costs
    the same single password hash as a refusal."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user_model = get_user_model()
        if username is None:
            username = kwargs.get(user_model.USERNAME_FIELD)
        if username is None or password is None:
            return None
        try:
            user = user_model._default_manager.get_by_natural_key(username)
        except user_model.DoesNotExist:
            user_model().set_password(password)  # the same time as for an existing user
            return None
        if not user.check_password(password):
            return None
        if self.user_can_authenticate(user):
            return user
        if request is not None:
            request.cartera_account_deactivated = True
        return None

    def get_all_permissions(self, user_obj, obj=None):
        """Django's, in one query rather than two (the user's own permissions and their
        groups'): every signed-in page asks (issue 18). Cached on the user for the request, as
        Django's is; a change of permissions or groups counts from the next request."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                perms = Permission.objects.all()
            else:
                perms = Permission.objects.filter(Q(user=user_obj) | Q(group__user=user_obj))
            user_obj._perm_cache = {
                f"{app_label}.{codename}"
                for app_label, codename in perms.values_list(
                    "content_type__app_label", "codename"
                ).order_by()
            }
        return user_obj._perm_cache
