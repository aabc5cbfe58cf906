from __future__ import annotations

from django.contrib import messages
from django.db.models import Case, Count, Prefetch, Q, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from questions.models import Category, Question, Scenario

MAX_QUERY_LENGTH = 200


def search_questions(queryset: QuerySet[Question], query: str) -> QuerySet[Question]:
    """Every word must appear in the title or the answer; title matches rank first."""
    words = query.split()
    if not words:
        return queryset
    title_hits = []
    for word in words:
        queryset = queryset.filter(Q(title__icontains=word) | Q(answer__icontains=word))
        title_hits.append(Case(When(title__icontains=word, then=Value(1)), default=Value(0)))
    rank = sum(title_hits[1:], title_hits[0])
    return queryset.annotate(title_rank=rank).order_by("-title_rank", "number")


@require_GET
def question_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    categories = list(
        Category.objects.annotate(
            active_count=Count("questions", filter=Q(questions__is_active=True))
        ).filter(active_count__gt=0)
    )
    selected = None
    slug = request.GET.get("category", "")
    if slug:
        selected = next((category for category in categories if category.slug == slug), None)
        if selected is None:
            messages.warning(request, f"There is no category “{slug[:60]}”; showing all of them.")

    questions = Question.objects.active().select_related("category")
    if selected is not None:
        questions = questions.filter(category=selected)
    if query:
        questions = search_questions(questions, query)

    context = {
        "categories": categories,
        "selected": selected,
        "query": query,
        "questions": list(questions),
        "total": sum(category.active_count for category in categories),
    }
    template_name = "questions/question_list.html"
    if request.htmx and not request.htmx.boosted:
        template_name += "#results"
    return render(request, template_name, context)


@require_GET
def question_detail(request: HttpRequest, number: int) -> HttpResponse:
    question = get_object_or_404(
        Question.objects.active()
        .select_related("category")
        .prefetch_related(Prefetch("scenarios", queryset=Scenario.objects.order_by("position"))),
        number=number,
    )
    neighbours = Question.objects.active().values_list("number", flat=True)
    context = {
        "question": question,
        "previous_number": neighbours.filter(number__lt=number).order_by("-number").first(),
        "next_number": neighbours.filter(number__gt=number).order_by("number").first(),
    }
    return render(request, "questions/question_detail.html", context)
