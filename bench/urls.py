"""The benchmark's URLconf: the project's, plus the bare-view floor every figure is compared to."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from interview_prep.urls import handler500
from interview_prep.urls import urlpatterns as project_urlpatterns

__all__ = ["handler500", "urlpatterns"]


@login_required
def floor(request: HttpRequest) -> HttpResponse:
    """The least a signed-in page can cost here: every middleware, the session and the user,
    and no work of its own."""
    return HttpResponse("floor", content_type="text/plain")


urlpatterns = [path("bench/floor", floor, name="bench_floor"), *project_urlpatterns]
