from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


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
