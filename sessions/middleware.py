"""Ends a candidate's forgotten interviews on their next page load (no background worker)."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils import dateformat, timezone

from sessions import services
from sessions.models import InterviewSession

# Not a candidate's page: the load balancer's probe, the browser's icon, the editors' admin.
# They must work without reading interviews (the probe even while the database is down).
EXEMPT_URL_NAMES = frozenset({"healthz", "favicon"})
EXEMPT_NAMESPACES = frozenset({"admin"})


class OpenInterviewHttpRequest(HttpRequest):
    """A request the middleware has settled: `open_interview` is the user's interview still in
    progress, or None. Read it through `open_interview(request)`, which also covers requests the
    middleware skipped."""

    open_interview: InterviewSession | None


class OpenInterviewMiddleware:
    """On every full page view of a signed-in user: abandon their stale interviews and note the
    one still in progress on the request, so pages that offer to resume it need no query of
    their own. HTMX steps inside an interview skip it: they touch the interview anyway, and the
    step stays cheap."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: OpenInterviewHttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[object, ...],
        view_kwargs: dict[str, object],
    ) -> None:
        match = request.resolver_match
        exempt = match is not None and (
            match.url_name in EXEMPT_URL_NAMES or match.namespace in EXEMPT_NAMESPACES
        )
        # The user before htmx: asking `request.htmx` marks the response as varying on it.
        if exempt or not request.user.is_authenticated or getattr(request, "htmx", False):
            return
        for session in _settle(request):
            started = dateformat.format(timezone.localtime(session.started_at), "j M, H:i")
            messages.info(
                request,
                f"Your interview started {started} was untouched for over "
                f"{services.abandon_after_text()} and has been ended as abandoned. "
                "Its graded questions still count.",
            )


def _settle(request: OpenInterviewHttpRequest) -> list[InterviewSession]:
    """Settle the user's open interviews for this request; returns the ones just abandoned."""
    assert request.user.is_authenticated
    still_open, abandoned = services.settle_open_sessions(user=request.user, now=timezone.now())
    request.open_interview = still_open
    return list(abandoned)


def open_interview(request: HttpRequest) -> InterviewSession | None:
    """The signed-in user's interview in progress, as the middleware found it for this request
    (an HTMX request, which it skips, settles it here on first use)."""
    settled = cast(OpenInterviewHttpRequest, request)
    if not hasattr(settled, "open_interview"):
        _settle(settled)
    return settled.open_interview
