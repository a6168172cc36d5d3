from django.utils.cache import add_never_cache_headers


class PrivateResponseMiddleware:
    """What a signed-in person sees (pages, PDFs, documents, exports) holds client data: no
    browser, proxy or shared cache may keep it (``Cache-Control: no-store, private``), so that
    the back button after signing out, or the next user of a shared computer, shows nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        signed_in = _signed_in(request)  # before: a sign-out's page is still private
        response = self.get_response(request)
        if signed_in or _signed_in(request):
            add_never_cache_headers(response)
        return response


def _signed_in(request) -> bool:
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated
