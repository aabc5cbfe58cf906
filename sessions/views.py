from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from questions.models import Question
from sessions import charts, progress, services
from sessions.forms import GradeForm, HistoryFilterForm, PractiseForm, RevealForm, StartSessionForm
from sessions.models import GRADE_DESCRIPTIONS, Grade, InterviewSession, Item

DETAIL_TEMPLATE = "sessions/session_detail.html"
RECENT_SESSIONS = 6
HISTORY_PAGE_SIZE = 20


def _get_session_for_user(request: HttpRequest, session_id: int) -> InterviewSession:
    return get_object_or_404(InterviewSession, pk=session_id, user=request.user)


def _grade_choices() -> list[tuple[int, str, str]]:
    return [(grade.value, grade.label, GRADE_DESCRIPTIONS[grade]) for grade in Grade]


def _render_interview(
    request: HttpRequest,
    session: InterviewSession,
    item: Item | None,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    """The interview page, or only its interview region for an HTMX request."""
    now = timezone.now()
    remaining_ms = None
    if item is not None and item.deadline_at is not None and item.revealed_at is None:
        remaining_ms = max(0, int((item.deadline_at - now).total_seconds() * 1000))
    context = {
        "session": session,
        "item": item,
        "item_count": session.items.count(),
        "remaining_ms": remaining_ms,
        "grades": _grade_choices(),
        "error": error,
        "max_notes_length": services.MAX_NOTES_LENGTH,
    }
    template_name = DETAIL_TEMPLATE
    if request.htmx:
        template_name += "#interview"
    return render(request, template_name, context, status=status)


def _after_action(
    request: HttpRequest, session: InterviewSession, error: services.InterviewError | None = None
) -> HttpResponse:
    """Where an interview action leads: the next state, or the summary once finished."""
    if error is not None:
        # A successful service call leaves `session` current; a refused one may not have.
        session.refresh_from_db()
    if not session.is_open:
        if error is not None:
            messages.warning(request, str(error))
        url = session.get_absolute_url()
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    if request.htmx:
        item = services.current_item(session)
        status = 409 if isinstance(error, services.NotCurrentItem) else 400 if error else 200
        return _render_interview(request, session, item, error=str(error or ""), status=status)
    if error is not None:
        messages.warning(request, str(error))
    return redirect(session)


@login_required
@require_http_methods(["GET", "POST"])
def new_session(request: HttpRequest) -> HttpResponse:
    form = StartSessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        questions = services.draw_questions(
            user=request.user, categories=data["categories"], count=data["question_count"]
        )
        session = services.start_session(
            user=request.user,
            questions=questions,
            mode=data["mode"],
            seconds_per_item=data["seconds_per_item"],
            include_scenarios=data["include_scenarios"],
            now=timezone.now(),
        )
        return redirect(session)
    status = 400 if form.errors else 200
    return render(request, "sessions/session_new.html", {"form": form}, status=status)


@login_required
@require_GET
def session_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _get_session_for_user(request, session_id)
    if not session.is_open:
        return _render_summary(request, session)
    item = services.show_current_item(session=session, now=timezone.now())
    return _render_interview(request, session, item)


@login_required
@require_POST
def save_notes(request: HttpRequest, session_id: int, position: int) -> HttpResponse:
    session = _get_session_for_user(request, session_id)
    form = RevealForm(request.POST)
    if not form.is_valid():
        return HttpResponse(form.errors["notes"][0], status=400, content_type="text/plain")
    try:
        services.save_notes(session=session, position=position, notes=form.cleaned_data["notes"])
    except services.InterviewError as error:
        return HttpResponse(str(error), status=409, content_type="text/plain")
    return HttpResponse(status=204)


def _interview_action(
    request: HttpRequest,
    session_id: int,
    form: forms.Form,
    invalid_message: str,
    act: Callable[[InterviewSession, dict[str, Any]], object],
) -> HttpResponse:
    """Reveal and grade share this path: refuse a closed session or bad input, else act."""
    session = _get_session_for_user(request, session_id)
    if not session.is_open:
        closed = services.SessionClosed(services.SESSION_CLOSED_MESSAGE)
        return _after_action(request, session, closed)
    if not form.is_valid():
        item = services.current_item(session)
        return _render_interview(request, session, item, error=invalid_message, status=400)
    try:
        act(session, form.cleaned_data)
    except services.InterviewError as error:
        return _after_action(request, session, error)
    return _after_action(request, session)


@login_required
@require_POST
def reveal(request: HttpRequest, session_id: int, position: int) -> HttpResponse:
    form = RevealForm(request.POST)
    notes_error = form.errors.get("notes", ["Those notes could not be saved."])[0]
    return _interview_action(
        request,
        session_id,
        form,
        notes_error,
        lambda session, data: services.reveal_item(
            session=session,
            position=position,
            notes=data["notes"],
            browser_timed_out=data["timed_out"],
            now=timezone.now(),
        ),
    )


@login_required
@require_POST
def grade(request: HttpRequest, session_id: int, position: int) -> HttpResponse:
    return _interview_action(
        request,
        session_id,
        GradeForm(request.POST),
        "Choose one of the four grades: Missed, Partial, Solid or Excellent.",
        lambda session, data: services.grade_item(
            session=session, position=position, grade=data["grade"], now=timezone.now()
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def end(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _get_session_for_user(request, session_id)
    if not session.is_open:
        return redirect(session)
    if request.method == "POST":
        services.end_session(session=session, now=timezone.now())
        messages.info(request, "Interview ended. Unanswered questions are recorded as skipped.")
        return redirect(session)
    unanswered = session.items.filter(grade__isnull=True).count()
    return render(
        request, "sessions/session_end.html", {"session": session, "unanswered": unanswered}
    )


def _render_summary(request: HttpRequest, session: InterviewSession) -> HttpResponse:
    items = services.session_items(session)
    context = {
        "session": session,
        "items": items,
        "totals": progress.sessions_with_totals(request.user).get(pk=session.pk),
        "breakdown": session.category_breakdown(),
        "has_weak": any(item.grade is not None and item.grade <= Grade.PARTIAL for item in items),
    }
    return render(request, "sessions/session_summary.html", context)


@login_required
@require_GET
def session_summary(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _get_session_for_user(request, session_id)
    if session.is_open:
        return redirect(session)
    return _render_summary(request, session)


@login_required
@require_POST
def retry_weak(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _get_session_for_user(request, session_id)
    questions = services.weak_questions(session)
    if not questions:
        messages.info(request, "Nothing in that interview was graded Missed or Partial.")
        return redirect("interviews:summary", session.pk)
    retry = services.start_session(
        user=request.user,
        questions=questions,
        mode=session.mode,
        seconds_per_item=session.seconds_per_item,
        include_scenarios=session.include_scenarios,
        now=timezone.now(),
    )
    return redirect(retry)


@login_required
@require_POST
def practise(request: HttpRequest) -> HttpResponse:
    """Start an interview with exactly the listed questions (the dashboard's weakest)."""
    form = PractiseForm(request.POST)
    if not form.is_valid():
        messages.warning(request, "Those questions can no longer be practised; pick others.")
        return redirect("home")
    session = services.start_session(
        user=request.user,
        questions=form.cleaned_data["questions"],
        mode=InterviewSession.Mode.TIMED,
        seconds_per_item=StartSessionForm.base_fields["seconds_per_item"].initial,
        include_scenarios=True,
        now=timezone.now(),
    )
    return redirect(session)


@login_required
@require_GET
def question_attempts(request: HttpRequest, number: int) -> HttpResponse:
    """The user's own attempts at one bank question; its page loads this region by HTMX."""
    # Retired questions too: the attempts happened, and past sessions never change.
    question = get_object_or_404(Question.objects.only("pk", "number", "title"), number=number)
    context = {"question": question, "attempts": progress.question_attempts(request.user, question)}
    template_name = "sessions/question_attempts.html"
    if request.htmx:
        template_name += "#attempts"
    return render(request, template_name, context)


def dashboard(request: HttpRequest) -> HttpResponse:
    """The signed-in home page: progress at a glance and what to practise next."""
    user = request.user
    open_status = InterviewSession.Status.IN_PROGRESS
    # The open interview is offered on its own (always one query, however recent it is);
    # "recent" lists the ones that are over.
    in_progress = (
        InterviewSession.objects.filter(user=user, status=open_status)
        .order_by("-started_at")
        .first()
    )
    recent = progress.sessions_with_totals(user).exclude(status=open_status)[:RECENT_SESSIONS]
    series = progress.score_series(user)
    categories = progress.category_averages(user)
    context = {
        "in_progress": in_progress,
        "recent": list(recent),
        "chart": charts.score_chart(series),
        "series": series,
        "categories": categories,
        "weakest": progress.weakest_questions(user),
    }
    return render(request, "sessions/dashboard.html", context)


@login_required
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    form = HistoryFilterForm(request.GET)
    form.is_valid()
    # A bad value falls back to that filter's default; the valid ones still apply.
    filters = form.cleaned_data
    sessions = progress.sessions_with_totals(request.user)
    if category := filters.get("category"):
        sessions = sessions.filter(
            Exists(
                InterviewSession.categories.through.objects.filter(
                    interviewsession_id=OuterRef("pk"), category=category
                )
            )
        )
    if mode := filters.get("mode"):
        sessions = sessions.filter(mode=mode)
    page = Paginator(sessions.prefetch_related("categories"), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": HistoryFilterForm(initial=filters),
        "page": page,
        "filter_query": query.urlencode(),
        "filtered": bool(filters.get("category") or filters.get("mode")),
    }
    return render(request, "sessions/history.html", context)


@login_required
@require_GET
def history_csv(request: HttpRequest) -> StreamingHttpResponse:
    """Every item the user was ever asked, one CSV row each, streamed."""
    filename = f"interview-history-{timezone.localdate():%Y-%m-%d}.csv"
    response = StreamingHttpResponse(
        progress.history_csv_lines(request.user), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
