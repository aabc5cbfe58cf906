"""Request types for views, so mypy knows what middleware and decorators guarantee.

`login_required` promises a real `User` (never `AnonymousUser`); django-htmx's middleware adds
`request.htmx`. Views say which of these they rely on in their signature.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


class AuthenticatedHttpRequest(HttpRequest):
    user: User


class AuthenticatedHtmxHttpRequest(AuthenticatedHttpRequest, HtmxHttpRequest):
    """A signed-in candidate's request to a view that answers htmx with a fragment."""


def is_own_url(request: HttpRequest, url: str) -> bool:
    """Whether `url` leads back to this site: a safe place to send the browser to."""
    return url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
