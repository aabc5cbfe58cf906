"""Requests the views should never see as they came, and responses they should not send as they
made them: an htmx request made after the login has gone (expired, or logged out in another
tab); an address holding a control character; what caches may keep of a response."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.utils.cache import patch_cache_control, patch_vary_headers
from django_htmx.middleware import HtmxDetails

from interview_prep.http import HtmxHttpRequest, is_own_url

SIGNED_OUT_MESSAGE = "You were signed out. Log in again; your notes are kept in this browser."


class HtmxSignedOutMiddleware:
    """Turn `login_required`'s redirect of an htmx request into a 401 naming where to log in.

    The browser would follow the redirect unseen and htmx would swap the whole login page into
    the interview, taking the notes box with it; and logging in there would lead back to the
    POST-only URL that was posted (a 405). The 401 carries, in `X-Login-URL`, a login whose next
    page is the page the candidate is on; the interview script shows it beside the kept notes.
    """

    def __init__(self, get_response: Callable[[HtmxHttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HtmxHttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # The status first: only a redirect's answer depends on htmx (CacheHeadersMiddleware).
        if response.status_code != 302 or not request.htmx:
            return response
        login_path = urlsplit(resolve_url(settings.LOGIN_URL)).path
        if urlsplit(response.get("Location", "")).path != login_path:
            return response
        signed_out = HttpResponse(SIGNED_OUT_MESSAGE, status=401, content_type="text/plain")
        signed_out["X-Login-URL"] = redirect_to_login(_page_of(request))["Location"]
        return signed_out


def _page_of(request: HtmxHttpRequest) -> str:
    """The path of the page that sent the request, when it is one of ours; else the home page."""
    current = request.htmx.current_url or ""
    if not is_own_url(request, current):
        return resolve_url(settings.LOGIN_REDIRECT_URL)
    parts = urlsplit(current)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# C0 controls and DEL; tab and line breaks are text.
_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class RefuseControlCharactersMiddleware:
    """A 400 page for an address (path or query string) holding a control character.

    Nobody types one into an address, and PostgreSQL cannot compare text holding a NUL (the
    query raises, a 500): the bank's search, the admin's autocomplete and any other view reading
    the query string are covered here at once. Form posts are the forms' to refuse: Django's
    CharField and ModelChoiceField reject a NUL with a message, the form shown again as typed.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = control_character_problem(request)
        if problem:
            return render(request, "400.html", {"problem": problem}, status=400)
        return self.get_response(request)


def control_character_problem(request: HttpRequest) -> str:
    """What is wrong with the request's address, in words; "" when nothing is."""
    if found := _CONTROL_CHARACTER.search(request.path):
        return f"The address has a control character ({_code(found[0])}) in its path."
    for name, values in request.GET.lists():
        for text in (name, *values):
            if found := _CONTROL_CHARACTER.search(text):
                return (
                    f"The address has a control character ({_code(found[0])}) in its "
                    f"parameter “{_CONTROL_CHARACTER.sub('', name)[:40]}”. "
                    "No page here accepts one: remove it and try again."
                )
    return ""


def _code(character: str) -> str:
    return f"U+{ord(character):04X}"


class CacheHeadersMiddleware:
    """What caches may keep: nothing of a signed-in user's pages, and an htmx fragment never in
    place of its page.

    A response made for a signed-in user (the request looked up who it is and found one: the
    dashboard, interviews, history, exports, settings, readiness, and every other page showing
    whose it is) gets `Cache-Control: private, no-store`, so no proxy and no browser cache keeps
    it, for the next person at a shared computer to see with Back. A response chosen by whether the
    request came from htmx (a view asked `request.htmx`) gets `Vary: HX-Request`, as Django's
    session middleware adds `Vary: Cookie` once the session is read: the browser must not answer
    a page load with the bare results fragment it fetched for a live search.
    """

    def __init__(self, get_response: Callable[[HtmxHttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HtmxHttpRequest) -> HttpResponse:
        watched = request.htmx = _WatchedHtmxDetails(request)
        response = self.get_response(request)
        if watched.consulted:
            patch_vary_headers(response, sorted(watched.consulted))
        # Only a user the request already looked up (AuthenticationMiddleware caches it there):
        # asking again here would query the database once more, and, with the database away,
        # wait out a second connect timeout before the 503 page could leave.
        user = getattr(request, "_cached_user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response


class _WatchedHtmxDetails(HtmxDetails):
    """django-htmx's `request.htmx`, noting which of the headers that choose a page or its
    fragment were read."""

    CHOOSING = frozenset({"HX-Request", "HX-Boosted"})

    def __init__(self, request: HttpRequest) -> None:
        super().__init__(request)
        self.consulted: set[str] = set()

    def _get_header_value(self, name: str) -> str | None:
        if name in self.CHOOSING:
            self.consulted.add(name)
        return super()._get_header_value(name)
