"""The client's address, as the one rule for everything keyed on it (login lockouts, throttles).

Behind a reverse proxy every request's REMOTE_ADDR is the proxy's. The proxy appends the address
it saw to X-Forwarded-For, so with N trusted proxies in front of gunicorn the client is the N-th
entry from the right: whatever a client writes into the header itself stays further left, where
it is never read. With no trusted proxy (the default) the header is ignored altogether.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip

FORWARDED_HEADER = "HTTP_X_FORWARDED_FOR"


def client_ip(request: HttpRequest) -> str | None:
    """The address of the client that sent `request` (None only if the server gave none)."""
    remote_addr: str | None = request.META.get("REMOTE_ADDR") or None
    proxies: int = settings.TRUSTED_PROXY_COUNT
    if proxies == 0:
        return remote_addr
    # django-ipware counts the proxies listed in the header: the nearest one is REMOTE_ADDR, so
    # N proxies put N - 1 in the chain after the client. Only this header is read: ipware's
    # default list includes headers (X-Real-IP, CF-Connecting-IP…) any client can set.
    address, _routable = get_client_ip(
        request,
        proxy_count=proxies - 1,
        request_header_order=[FORWARDED_HEADER],
        # Not strict: a client may prepend entries of its own; they are simply not read.
        strict=False,
    )
    # A header shorter than the proxy chain: the request did not come through the proxies.
    return address or remote_addr


def client_ip_key(group: str, request: HttpRequest) -> str:
    """django-ratelimit's key function: throttles count per client address."""
    return client_ip(request) or "unknown"
