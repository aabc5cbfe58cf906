from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Max, Min, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views.decorators.http import require_GET, require_POST

from interview_prep.http import (
    AuthenticatedHtmxHttpRequest,
    AuthenticatedHttpRequest,
    HtmxHttpRequest,
    is_own_url,
)
from questions import flags, search
from questions.forms import FlagForm
from questions.models import ActiveCount, AnswerFlag, Category, Question, Scenario
from questions.templatetags.flags import flag_region_context

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

MAX_QUERY_LENGTH = 200
# The memory filters a signed-in candidate may narrow the list by (`?memory=`).
MEMORY_FILTERS = {"due": "Due for review", "unseen": "Never seen"}


def memory_filtered(
    request: HttpRequest, questions: QuerySet[Question]
) -> tuple[QuerySet[Question], str]:
    """`questions` narrowed by `?memory=` (a MEMORY_FILTERS name) for a signed-in user, and the
    name applied; "" when none is, an unknown or signed-out one being reported. The rule is the
    memory model's (settings.QUESTIONS_MEMORY_FILTER), inside the list's own query."""
    name = request.GET.get("memory", "")
    if not name:
        return questions, ""
    if name not in MEMORY_FILTERS:
        messages.warning(request, "There is no such filter; showing every question.")
        return questions, ""
    if not request.user.is_authenticated:
        messages.info(request, "Log in to see which questions are due or never seen.")
        return questions, ""
    condition = import_string(settings.QUESTIONS_MEMORY_FILTER)(request.user, name, timezone.now())
    return questions.filter(condition), name


@require_GET
def question_list(request: HtmxHttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    # A QuerySet subclass fixes its row type, so django-stubs drops the annotation.
    categories = cast(
        "list[WithAnnotations[Category, ActiveCount]]",
        list(Category.objects.with_active_questions()),
    )
    selected = None
    slug = request.GET.get("category", "")
    if slug:
        selected = next((category for category in categories if category.slug == slug), None)
        if selected is None:
            messages.warning(request, f"There is no category “{slug[:60]}”; showing all of them.")

    questions: QuerySet[Question] = Question.objects.active().select_related("category")
    if selected is not None:
        questions = questions.filter(category=selected)
    questions, memory = memory_filtered(request, questions)
    # Search or browse: the hits of the search, or every question in the selection.
    results = search.search(query, within=questions) if query else None

    context = {
        "categories": categories,
        "selected": selected,
        "query": query,
        "results": results,
        "questions": [] if results is not None else list(questions),
        "memory": memory,
        "memory_filters": MEMORY_FILTERS,
        "total": sum(category.active_count for category in categories),
    }
    template_name = "questions/question_list.html"
    if request.htmx and not request.htmx.boosted:
        template_name += "#results"
    return render(request, template_name, context)


def _get_active_question(number: int) -> Question:
    return get_object_or_404(
        Question.objects.active()
        .select_related("category")
        .prefetch_related(Prefetch("scenarios", queryset=Scenario.objects.order_by("position"))),
        number=number,
    )


def _render_detail(
    request: HttpRequest,
    question: Question,
    *,
    flag_form: FlagForm | None = None,
    status: int = 200,
) -> HttpResponse:
    # Both neighbours in one query.
    neighbours = Question.objects.active().aggregate(
        previous_number=Max("number", filter=Q(number__lt=question.number)),
        next_number=Min("number", filter=Q(number__gt=question.number)),
    )
    context = {
        "question": question,
        **neighbours,
        # Only a refused flag comes back here with its form, to show the errors.
        "flag_form": flag_form,
        # One query for the flag regions of the answer and of every scenario's answer.
        "open_flags": flags.open_flags_on(request.user, question),
    }
    return render(request, "questions/question_detail.html", context, status=status)


@require_GET
def question_detail(request: HttpRequest, number: int) -> HttpResponse:
    return _render_detail(request, _get_active_question(number))


def respond_to_flag(
    request: AuthenticatedHtmxHttpRequest,
    *,
    question: Question,
    scenario: Scenario | None,
    done_url: str,
    render_refused: Callable[[FlagForm], HttpResponse],
    action: str = "",
    item_id: int | None = None,
    text_shown: str | None = None,
) -> HttpResponse:
    """A flag POST, from the bank or from an interview: record it, then answer.

    HTMX gets the flag region back (thanks, the refusal or the errors); a plain POST is sent to
    `done_url` with a message, or shown `render_refused(form)` when the form has errors.
    `action` is where the region's form posts (see flag_region_context).
    """
    form = FlagForm(request.POST, scenario=scenario)
    error = ""
    if form.is_valid():
        try:
            flags.flag_answer(
                user=request.user,
                question=question,
                scenario=scenario,
                reason=form.cleaned_data["reason"],
                comment=form.cleaned_data["comment"],
                item_id=item_id,
                text_shown=text_shown,
            )
        except flags.AlreadyFlagged as already:
            error = str(already)
    if request.htmx:
        context = flag_region_context(
            request,
            question,
            scenario,
            action=action,
            next_url=done_url,
            form=form,
            error=error,
            thanks=form.is_valid() and not error,
        )
        status = 400 if form.errors else 200
        return render(request, "questions/_flag.html", context, status=status)
    if form.errors:
        return render_refused(form)
    if error:
        messages.info(request, error)
    else:
        messages.success(request, "Thank you: the answer is flagged for the editors.")
    return redirect(done_url)


@login_required
@require_POST
def flag_answer(
    request: AuthenticatedHtmxHttpRequest, number: int, scenario_id: int | None = None
) -> HttpResponse:
    """A candidate flags a model answer in the bank as wrong or unclear: the question's own, or
    a scenario's (`scenario_id`)."""
    question = _get_active_question(number)
    scenario = None
    if scenario_id is not None:
        # Prefetched with the question: no query.
        scenario = next((s for s in question.scenarios.all() if s.pk == scenario_id), None)
        if scenario is None:
            raise Http404(f"Question {number} has no such scenario.")
    next_url = request.POST.get("next", "")
    if not is_own_url(request, next_url):
        next_url = question.get_absolute_url()
    return respond_to_flag(
        request,
        question=question,
        scenario=scenario,
        done_url=next_url,
        render_refused=lambda form: _render_detail(request, question, flag_form=form, status=400),
    )


def _get_resolved_flag_for_user(request: AuthenticatedHttpRequest, flag_id: int) -> AnswerFlag:
    return get_object_or_404(
        AnswerFlag, pk=flag_id, user=request.user, status=AnswerFlag.Status.RESOLVED
    )


@login_required
@require_POST
def dismiss_flag_notice(request: AuthenticatedHtmxHttpRequest, flag_id: int) -> HttpResponse:
    """The candidate puts away the dashboard's notice that an editor resolved their flag."""
    _get_resolved_flag_for_user(request, flag_id).dismiss_notice(now=timezone.now())
    if request.htmx:
        context = {"flag_notices": flags.resolved_notices(request.user)}
        return render(request, "questions/_flag_notices.html", context)
    return redirect("home")
