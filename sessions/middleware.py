"""Ends a candidate's forgotten interviews on their next page load (no background worker)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils import dateformat, timezone

from sessions import services
from sessions.models import InterviewSession

# Not a candidate's page: the load balancer's probe, the browser's icon, the editors' admin.
# They must work without reading interviews (the probe even while the database is down).
EXEMPT_URL_NAMES = frozenset({"healthz", "favicon"})
EXEMPT_NAMESPACES = frozenset({"admin"})


class OpenInterviewMiddleware:
    """On every full page view of a signed-in user: abandon their stale interviews and set
    `request.open_interview` to the one still in progress (or None), so pages that offer to
    resume it need no query of their own. HTMX steps inside an interview skip it: they touch
    the interview anyway, and the step stays cheap."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[object, ...],
        view_kwargs: dict[str, object],
    ) -> None:
        match = request.resolver_match
        exempt = match is not None and (
            match.url_name in EXEMPT_URL_NAMES or match.namespace in EXEMPT_NAMESPACES
        )
        if exempt or getattr(request, "htmx", False) or not request.user.is_authenticated:
            return
        now = timezone.now()
        open_interview, abandoned = services.settle_open_sessions(user=request.user, now=now)
        request.open_interview = open_interview  # type: ignore[attr-defined]
        for session in abandoned:
            messages.info(
                request,
                "Your interview started "
                f"{dateformat.format(timezone.localtime(session.started_at), 'j M, H:i')}"
                f" was untouched for over {services.abandon_after_text()} and has been ended"
                " as abandoned. Its graded questions still count.",
            )


def open_interview(request: HttpRequest) -> InterviewSession | None:
    """The signed-in user's interview in progress, as the middleware found it for this request
    (HTMX requests, which it skips, settle it here on first use)."""
    if not hasattr(request, "open_interview"):
        now = timezone.now()
        request.open_interview = services.settle_open_sessions(user=request.user, now=now)[0]  # type: ignore[attr-defined]
    return request.open_interview  # type: ignore[attr-defined,no-any-return]
