from __future__ import annotations

import sys
from typing import cast

from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.views.decorators.http import require_GET, require_safe

from interview_prep.http import AuthenticatedHttpRequest
from questions.models import Question
from sessions.views import dashboard


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        # is_authenticated narrows request.user, not the request that carries it.
        return dashboard(cast(AuthenticatedHttpRequest, request))
    stats = Question.objects.active().aggregate(
        questions=Count("pk"), categories=Count("category", distinct=True)
    )
    return render(request, "home.html", {"stats": stats})


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages that name no icon (the admin, JSON responses)."""
    # Not permanent: the hashed name changes whenever the icon does.
    return redirect(static("images/favicon.svg"))


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers: 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except (DatabaseError, InterfaceError):  # InterfaceError: a connection that was dropped
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: the 403 page in the site's layout instead of Django's bare one.

    Most often a form left open until its token expired; the page says to reload and retry.
    """
    return render(request, "403.html", status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 handler; a database that cannot be reached is a 503 "try again shortly".

    Rendered without the request: the context processors (the user, messages) would query the
    database again, and this page must render whatever broke.
    """
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = "10"
        return response
    return HttpResponseServerError(render_to_string("500.html"))
