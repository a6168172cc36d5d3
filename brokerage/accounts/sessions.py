"""The session's idle timeout, written at most once a minute (issue 18: a call-list page
rewrote its session row on every request, about 1 ms of the server's CPU and one UPDATE)."""

import time

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.utils.cache import patch_vary_headers

# When the session's expiry was last pushed forward (seconds since the epoch).
REFRESHED = "_cartera_refreshed"
REFRESH_EVERY = 60


class IdleSessionMiddleware(SessionMiddleware):
    """Django's SessionMiddleware, with ``SESSION_SAVE_EVERY_REQUEST`` (the idle timeout:
    ``SESSION_COOKIE_AGE`` after the last request) saving an unchanged session only when its
    expiry was last pushed forward a minute ago or more. A session thus ends between
    ``SESSION_COOKIE_AGE`` minus a minute and ``SESSION_COOKIE_AGE`` after the last request;
    a changed session (sign-in, sign-out, messages, anything written) is saved as before."""

    def process_response(self, request, response):
        session = getattr(request, "session", None)
        if (
            session is None
            or not settings.SESSION_SAVE_EVERY_REQUEST
            or session.modified
            or session.is_empty()
            or response.status_code >= 500
        ):
            return super().process_response(request, response)
        accessed = session.accessed
        refreshed = session.get(REFRESHED)
        session.accessed = accessed  # reading the stamp is not the page's use of the session
        now = int(time.time())
        if isinstance(refreshed, int) and 0 <= now - refreshed < REFRESH_EVERY:
            if accessed:
                patch_vary_headers(response, ("Cookie",))
            return response
        session[REFRESHED] = now
        return super().process_response(request, response)


def stamp_at_sign_in(sender, request, user, **kwargs):
    """Signing in saves the session with a fresh expiry: the next minute's requests need not
    write it again."""
    session = getattr(request, "session", None)
    if session is not None:
        session[REFRESHED] = int(time.time())
