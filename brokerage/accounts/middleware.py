from django.conf import settings
from django.utils import translation


class UserLanguageMiddleware:
    """A signed-in user's own language wins over the browser's and the cookie's."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.known = dict(settings.LANGUAGES)

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language in self.known:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)
