"""Ends a candidate's forgotten interviews on their next page load (no background worker)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils import dateformat, timezone

from sessions import services

if TYPE_CHECKING:
    from sessions.models import InterviewSession


class OpenInterviewHttpRequest(HttpRequest):
    """A request this middleware has seen. Only a signed-in user's full page request gets
    `open_interview`; the views that offer it read it with getattr, defaulting to None."""

    open_interview: InterviewSession | None


class OpenInterviewMiddleware:
    """On every full page request of a signed-in user: abandon their stale interviews and set
    `request.open_interview` to the one still in progress (or None), so pages that offer to
    resume it need no query of their own. HTMX steps inside an interview skip it: they touch
    the interview anyway, and the step stays cheap."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: OpenInterviewHttpRequest) -> HttpResponse:
        if not getattr(request, "htmx", False) and request.user.is_authenticated:
            now = timezone.now()
            open_interview, abandoned = services.settle_open_sessions(user=request.user, now=now)
            request.open_interview = open_interview
            for session in abandoned:
                messages.info(
                    request,
                    "Your interview started "
                    f"{dateformat.format(timezone.localtime(session.started_at), 'j M, H:i')}"
                    f" was untouched for over {services.abandon_after_text()} and has been ended"
                    " as abandoned. Its graded questions still count.",
                )
        return self.get_response(request)
