"""The address of the person at the other end, as the trusted proxy saw it.

Behind a TLS proxy (nginx, Caddy), REMOTE_ADDR is the proxy's for everyone. Each proxy appends
the address it received the request from to X-Forwarded-For, so with ``PROXY_COUNT`` trusted
proxies the client's address is that many entries from the right; whatever lies further left
was written by the client and may be forged. Without a proxy (``PROXY_COUNT`` 0) the header is
ignored. django-axes locks sign-ins on (user name, this address): AXES_CLIENT_IP_CALLABLE.
"""

import ipaddress

from django.conf import settings


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip_address(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    count = getattr(settings, "PROXY_COUNT", 0)
    if count <= 0:
        return remote
    entries = [e for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if e.strip()]
    if len(entries) < count:
        # Not through the proxies we were told of (a health check, a misconfiguration).
        return remote
    return _address(entries[-count]) or remote
