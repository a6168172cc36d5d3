from django.conf import settings

from .navigation import nav_for


def navigation(request):
    return {
        "nav_items": nav_for(request.user, request.path) if hasattr(request, "user") else [],
        "csp_nonce": getattr(request, "csp_nonce", ""),
        "available_languages": settings.LANGUAGES,
    }
