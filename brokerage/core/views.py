from django.conf import settings
from django.contrib import messages
from django.db import DatabaseError, connection
from django.http import HttpResponseRedirect, JsonResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from brokerage.accounts.services import user_set_language
from brokerage.celery import app as celery_app


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return "error"
    return "ok"


def _broker_status() -> str:
    if celery_app.conf.task_always_eager:
        return "eager"
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception:  # noqa: BLE001 - any broker failure is reported, not raised
        return "error"
    return "ok"


@never_cache
@require_GET
def healthz(request):
    """Liveness for load balancers: 200 when the database answers, 503 when it does not."""
    status = {"database": _database_status(), "broker": _broker_status()}
    healthy = status["database"] == "ok" and status["broker"] in {"ok", "eager"}
    return JsonResponse(status, status=200 if healthy else 503)


def _safe_next(request, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return "/"


@require_POST
def language_switch(request):
    """Switch the interface language; a signed-in user keeps it in their profile."""
    code = request.POST.get("language", "")
    next_url = _safe_next(request, request.POST.get("next") or request.headers.get("referer"))
    response = HttpResponseRedirect(next_url)
    if code not in dict(settings.LANGUAGES):
        messages.error(request, _("Unknown language: %(code)s.") % {"code": code[:20]})
        return response
    if request.user.is_authenticated:
        user_set_language(user=request.user, language=code)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=False,
        samesite="Lax",
    )
    return response
