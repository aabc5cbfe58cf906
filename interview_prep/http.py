"""Request types for views, so mypy knows what middleware and decorators guarantee.

`login_required` promises a real `User` (never `AnonymousUser`); django-htmx's middleware adds
`request.htmx`. Views say which of these they rely on in their signature.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


class AuthenticatedHttpRequest(HttpRequest):
    user: User


class AuthenticatedHtmxHttpRequest(AuthenticatedHttpRequest, HtmxHttpRequest):
    """A signed-in candidate's request to a view that answers htmx with a fragment."""
