from __future__ import annotations

from django.contrib.auth import login
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from interview_prep.forms import SignupForm
from questions.models import Question
from sessions.models import InterviewSession


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    stats = Question.objects.active().aggregate(
        questions=Count("pk"), categories=Count("category", distinct=True)
    )
    in_progress = None
    recent = []
    if request.user.is_authenticated:
        sessions = InterviewSession.objects.filter(user=request.user)
        in_progress = sessions.filter(status=InterviewSession.Status.IN_PROGRESS).first()
        recent = list(sessions.exclude(status=InterviewSession.Status.IN_PROGRESS)[:5])
    context = {"stats": stats, "in_progress": in_progress, "recent": recent}
    return render(request, "home.html", context)


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("home")
    return render(
        request, "registration/signup.html", {"form": form}, status=400 if form.errors else 200
    )
