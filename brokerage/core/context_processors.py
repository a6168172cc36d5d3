from django.conf import settings

from .navigation import nav_for


def navigation(request):
    items = nav_for(request.user, request.path) if hasattr(request, "user") else []
    more = [item for item in items if item["more"]]
    return {
        "nav_items": items,
        # The pages of the navbar's "More" menu, and whether the current page is one of them.
        "nav_more": more,
        "nav_more_active": any(item["active"] for item in more),
        "csp_nonce": getattr(request, "csp_nonce", ""),
        "available_languages": settings.LANGUAGES,
    }
