"""The project's URLs plus the bare view the scale benchmark compares every page with."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from bench.scale import BARE_PATH
from interview_prep import urls


@login_required
def bare(request: HttpRequest) -> HttpResponse:
    """A signed-in page that does nothing: the session, the user and the open-interview check
    that every page pays (the same middleware), and no work of its own."""
    return HttpResponse("ok", content_type="text/plain")


handler500 = urls.handler500
urlpatterns = [path(BARE_PATH.strip("/") + "/", bare, name="bench_bare"), *urls.urlpatterns]
