from __future__ import annotations

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from questions.models import Question


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    stats = Question.objects.active().aggregate(
        questions=Count("pk"), categories=Count("category", distinct=True)
    )
    return render(request, "home.html", {"stats": stats})
