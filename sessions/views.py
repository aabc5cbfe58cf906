from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from sessions import services
from sessions.forms import GradeForm, RevealForm, StartSessionForm
from sessions.models import GRADE_DESCRIPTIONS, Grade, InterviewSession, Item

DETAIL_TEMPLATE = "sessions/session_detail.html"


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


@login_required
@require_POST
def reveal(request: HttpRequest, session_id: int, position: int) -> HttpResponse:
    session = _get_session_for_user(request, session_id)
    form = RevealForm(request.POST)
    if not form.is_valid():
        item = services.current_item(session)
        message = form.errors.get("notes", ["Those notes could not be saved."])[0]
        return _render_interview(request, session, item, error=message, status=400)
    try:
        services.reveal_item(
            session=session,
            position=position,
            notes=form.cleaned_data["notes"],
            browser_timed_out=form.cleaned_data["timed_out"],
            now=timezone.now(),
        )
    except services.InterviewError as error:
        return _after_action(request, session, error)
    return _after_action(request, session)


@login_required
@require_POST
def grade(request: HttpRequest, session_id: int, position: int) -> HttpResponse:
    session = _get_session_for_user(request, session_id)
    form = GradeForm(request.POST)
    if not form.is_valid():
        item = services.current_item(session)
        return _render_interview(
            request,
            session,
            item,
            error="Choose one of the four grades: Missed, Partial, Solid or Excellent.",
            status=400,
        )
    try:
        services.grade_item(
            session=session,
            position=position,
            grade=form.cleaned_data["grade"],
            now=timezone.now(),
        )
    except services.InterviewError as error:
        return _after_action(request, session, error)
    return _after_action(request, session)


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
        "totals": session.score_summary(),
        "breakdown": session.category_breakdown(),
        "total_time": sum((item.time_taken for item in items if item.time_taken), timedelta()),
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
