from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, cast
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from interview_prep.http import AuthenticatedHtmxHttpRequest, AuthenticatedHttpRequest
from questions import flags
from questions.bank import lf_line_breaks
from questions.forms import FlagForm
from questions.models import Category, Question
from questions.views import respond_to_flag
from sessions import (
    charts,
    export,
    memory,
    plan,
    progress,
    readiness,
    recordings,
    scoring,
    services,
)
from sessions.checklist import checklist
from sessions.forms import (
    CategoryChoiceField,
    DrillForm,
    GradeForm,
    HistoryFilterForm,
    KeyPointsForm,
    NotesForm,
    PlanForm,
    PractiseCategoryForm,
    PractiseForm,
    RevealForm,
    StartSessionForm,
)
from sessions.middleware import open_interview
from sessions.models import InterviewSession, Item, Preferences, Recording
from sessions.scoring import GRADE_DESCRIPTIONS, Grade

DETAIL_TEMPLATE = "sessions/session_detail.html"
SUMMARY_TEMPLATE = "sessions/session_summary.html"
RECENT_SESSIONS = 6
HISTORY_PAGE_SIZE = 20


def _get_session_for_user(request: AuthenticatedHttpRequest, session_id: int) -> InterviewSession:
    return get_object_or_404(InterviewSession, pk=session_id, user=request.user)


def _grade_choices() -> list[tuple[int, str, str]]:
    return [(grade.value, grade.label, GRADE_DESCRIPTIONS[grade]) for grade in Grade]


def _render_interview(
    request: AuthenticatedHtmxHttpRequest,
    session: InterviewSession,
    item: Item | None,
    *,
    error: str = "",
    flag_form: FlagForm | None = None,
    status: int = 200,
    posted_notes: str | None = None,
) -> HttpResponse:
    """The interview page at `item`, or only its interview region for an HTMX request.

    The current item of an open interview is live (clock, notes, reveal, grade); any other is
    shown read-only with its grade, which can be undone (the latest, until the next reveal) or
    changed. A refused reveal shows the notes as posted (`posted_notes`), never the older draft;
    `flag_form` is a flag of its answer refused for its errors.
    """
    context: dict[str, Any] = {
        "session": session,
        "item": item,
        "grades": _grade_choices(),
        "error": error,
        "flag_form": flag_form,
        "max_notes_length": services.MAX_NOTES_LENGTH,
        "notes": posted_notes if posted_notes is not None else item.notes if item else "",
    }
    if item is not None:
        now = timezone.now()
        place = services.item_place(session, item.position)
        live = session.is_open and item.position == session.current_position
        remaining = item.remaining(now) if live and not item.is_revealed else None
        context |= {
            "place": place,
            "live": live,
            # The bar over the next item right after a grade, offering to take that grade back.
            "undo_previous": live and not item.is_revealed and place.previous_grade is not None,
            # The same offer on the page of the item just graded, reached with Back.
            "undo_this": not live and services.can_undo(session, item),
            "remaining_ms": None if remaining is None else int(remaining.total_seconds() * 1000),
            "overdue": live and item.is_overdue(now),
            "checklist": checklist(item) if item.is_revealed else None,
        }
    template_name = DETAIL_TEMPLATE
    if request.htmx:
        template_name += "#interview"
    else:
        # Read by the scripts from outside the swapped region, so only a full page asks.
        context["preferences"] = plan.preferences_for(request.user)
    response = render(request, template_name, context, status=status)
    if request.htmx and item is not None:
        # Each item has its own address, so Back and reload land on the item they showed; a new
        # history entry only when the item changed.
        url = session.item_url(item.position)
        same_item = urlsplit(request.htmx.current_url or "").path == url
        response["HX-Replace-Url" if same_item else "HX-Push-Url"] = url
    return response


def _after_action(
    request: AuthenticatedHtmxHttpRequest,
    session: InterviewSession,
    error: services.InterviewError | None = None,
    acted_on: Item | None = None,
    posted_notes: str | None = None,
) -> HttpResponse:
    """Where an interview action leads: the next state, or the summary once finished.

    `acted_on` is the item the action returned; when it is still the current one (a reveal,
    an undo) it is shown as it is, without loading it again.
    """
    if error is not None:
        # A successful service call leaves `session` current; a refused one may not have.
        session.refresh_from_db()
    if not session.is_open:
        if error is not None:
            messages.warning(request, str(error))
        url = session.get_absolute_url()
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    if request.htmx:
        if acted_on is not None and acted_on.position == session.current_position:
            item: Item | None = acted_on
        else:
            item = services.current_item(session)
        status = 409 if isinstance(error, services.NotCurrentItem) else 400 if error else 200
        return _render_interview(
            request,
            session,
            item,
            error=str(error or ""),
            status=status,
            posted_notes=posted_notes if error else None,
        )
    if error is not None:
        messages.warning(request, str(error))
    return redirect(session.item_url(session.current_position))


def _replacing_open_interview(request: AuthenticatedHttpRequest) -> HttpResponse | None:
    """Before starting an interview: with another one open, ask whether to resume it or end it.

    The answer comes back as the same POST plus `end_open=<id>`; only that interview is ended,
    so a confirmation from a stale page cannot end one opened since.
    """
    open_session = open_interview(request)
    if open_session is None:
        return None
    if request.POST.get("end_open") == str(open_session.pk):
        services.end_session(session=open_session, now=timezone.now())
        return None
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in {"csrfmiddlewaretoken", "end_open"}
        for value in values
    ]
    context = {
        "open_session": open_session,
        "place": services.item_place(open_session, open_session.current_position),
        "action": request.path,
        "fields": fields,
    }
    return render(request, "sessions/open_interview.html", context, status=409)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def new_session(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = StartSessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if prompt := _replacing_open_interview(request):
            return prompt
        data = form.cleaned_data
        questions = services.draw_questions(
            user=request.user,
            categories=data["categories"],
            count=data["question_count"],
            now=timezone.now(),
        )
        session = services.start_session(
            user=request.user,
            questions=questions,
            mode=data["mode"],
            seconds_per_item=data["seconds_per_item"],
            include_scenarios=data["include_scenarios"],
            now=timezone.now(),
            counts_toward_schedule=data["counts_toward_schedule"],
        )
        return redirect(session)
    status = 400 if form.errors else 200
    context = {
        "form": form,
        "open_session": open_interview(request),
        "length": _interview_length(form),
    }
    return render(request, "sessions/session_new.html", context, status=status)


def _interview_length(form: StartSessionForm) -> str:
    if not form.is_bound:  # the defaults, as the page first shows them
        form = StartSessionForm(
            {
                "categories": [
                    c.pk for c in cast(CategoryChoiceField, form.fields["categories"]).queryset
                ],
                "question_count": form.fields["question_count"].initial,
                "seconds_per_item": form.fields["seconds_per_item"].initial,
                "include_scenarios": form.fields["include_scenarios"].initial,
                "mode": form.fields["mode"].initial,
            }
        )
    if not form.is_valid():
        first_error = next(iter(form.errors.values()))[0]
        return f"{first_error} Then this line says how long the interview can be."
    data = form.cleaned_data
    return services.interview_length(
        categories=data["categories"],
        question_count=data["question_count"],
        seconds_per_item=data["seconds_per_item"],
        include_scenarios=data["include_scenarios"],
        timed=data["mode"] == InterviewSession.Mode.TIMED,
    )


@login_required
@require_GET
def interview_length(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The length line of the new-interview form, recomputed as its settings change (HTMX)."""
    form = StartSessionForm(request.GET)
    return HttpResponse(_interview_length(form), content_type="text/plain; charset=utf-8")


@never_cache
@login_required
@require_GET
def session_detail(request: AuthenticatedHtmxHttpRequest, session_id: int) -> HttpResponse:
    """An open interview's address leads to its current item; a closed one's is its summary."""
    session = _get_session_for_user(request, session_id)
    if not session.is_open:
        return _render_summary(request, session)
    return redirect(session.item_url(session.current_position))


@never_cache
@login_required
@require_GET
def item_detail(
    request: AuthenticatedHtmxHttpRequest, session_id: int, position: int
) -> HttpResponse:
    session = _get_session_for_user(request, session_id)
    if session.is_open and position > session.current_position:
        # A later item leads to the current one; a position past the end is no item at all.
        if not session.items.filter(position=position).exists():
            raise Http404("No such question in this interview.")
        return redirect(session.item_url(session.current_position))
    if session.is_open and position == session.current_position:
        item = services.show_current_item(session=session, now=timezone.now())
    else:
        item = _recorded_item(session, position)
    return _render_interview(request, session, item)


def _recorded_item(session: InterviewSession, position: int) -> Item:
    """An item shown read-only, with the history of its grade and whether a recording is kept."""
    item = (
        session.items.select_related("category")
        .annotate(has_recording=Exists(Recording.objects.filter(item=OuterRef("pk"))))
        .prefetch_related("grade_changes")
        .filter(position=position)
        .first()
    )
    if item is None:
        raise Http404("No such question in this interview.")
    return item


@login_required
@require_POST
def save_notes(request: AuthenticatedHttpRequest, session_id: int, position: int) -> HttpResponse:
    session = _get_session_for_user(request, session_id)
    form = NotesForm(request.POST)
    if not form.is_valid():
        problem = (form.errors.get("notes") or form.non_field_errors())[0]
        return HttpResponse(problem, status=400, content_type="text/plain")
    try:
        services.save_notes(session=session, position=position, notes=form.cleaned_data["notes"])
    except services.InterviewError as error:
        return HttpResponse(str(error), status=409, content_type="text/plain")
    return HttpResponse(status=204)


def _interview_action(
    request: AuthenticatedHtmxHttpRequest,
    session_id: int,
    form: forms.Form,
    invalid_message: str,
    act: Callable[[dict[str, Any]], tuple[InterviewSession, Item]],
) -> HttpResponse:
    """Reveal, grade and undo share this path: refuse bad input, else `act` on the cleaned data.

    `act` is a service that reads the session with its lock by id and user (it returns the
    session with the item acted on): that one query is the ownership check too, where a read
    here and then the service's lock took two. Refusals answer as they did after that read.
    """
    posted_notes = _posted_notes(request)
    if not form.is_valid():
        return _refuse(
            request, _get_session_for_user(request, session_id), invalid_message, posted_notes
        )
    try:
        session, acted_on = act(form.cleaned_data)
    except InterviewSession.DoesNotExist:
        raise Http404("No such interview.") from None
    except services.InterviewError as error:
        # A refusal does not return the service's session: read it to answer.
        return _after_action(
            request, _get_session_for_user(request, session_id), error, posted_notes=posted_notes
        )
    return _after_action(request, session, acted_on=acted_on)


def _posted_notes(request: AuthenticatedHtmxHttpRequest) -> str | None:
    """What a refusal must give back: the notes as typed, line breaks counted once."""
    posted_notes = request.POST.get("notes")
    return None if posted_notes is None else lf_line_breaks(posted_notes)


def _refuse(
    request: AuthenticatedHtmxHttpRequest,
    session: InterviewSession,
    invalid_message: str,
    posted_notes: str | None,
) -> HttpResponse:
    """Refuse an action on a closed session, or else its bad input (`invalid_message`)."""
    if not session.is_open:
        closed = services.SessionClosed(services.SESSION_CLOSED_MESSAGE)
        return _after_action(request, session, closed)
    item = services.current_item(session)
    return _render_interview(
        request, session, item, error=invalid_message, status=400, posted_notes=posted_notes
    )


@login_required
@require_POST
def reveal(request: AuthenticatedHtmxHttpRequest, session_id: int, position: int) -> HttpResponse:
    form = RevealForm(request.POST)
    notes_error = str(form.errors.get("notes", ["Those notes could not be saved."])[0])
    return _interview_action(
        request,
        session_id,
        form,
        notes_error,
        lambda data: services.reveal_users_item(
            user=request.user,
            session_id=session_id,
            position=position,
            notes=data["notes"],
            browser_timed_out=data["timed_out"],
            now=timezone.now(),
        ),
    )


@login_required
@require_POST
def grade(request: AuthenticatedHtmxHttpRequest, session_id: int, position: int) -> HttpResponse:
    def act(data: dict[str, Any]) -> tuple[InterviewSession, Item]:
        session, graded, following = services.grade_users_item(
            user=request.user,
            session_id=session_id,
            position=position,
            grade=data["grade"],
            covered=data["covered"],
            now=timezone.now(),
        )
        # The next item is the one to show, as loaded already; after the last, the summary.
        return session, following or graded

    return _interview_action(
        request, session_id, GradeForm(request.POST), services.GRADE_CHOICE_MESSAGE, act
    )


@login_required
@require_POST
def tick_key_points(
    request: AuthenticatedHtmxHttpRequest, session_id: int, position: int
) -> HttpResponse:
    """Save the ticks as they change and answer with the grade they suggest (the rule is the
    server's, sessions.scoring.suggested_grade); refusals change nothing."""
    session = _get_session_for_user(request, session_id)
    form = KeyPointsForm(request.POST)
    if not form.is_valid():
        return HttpResponse(form.non_field_errors()[0], status=400, content_type="text/plain")
    try:
        item = services.tick_key_points(
            session=session, position=position, covered=form.cleaned_data["covered"]
        )
    except (services.NotCurrentItem, services.SessionClosed) as error:
        return HttpResponse(str(error), status=409, content_type="text/plain")
    except services.InterviewError as error:
        return HttpResponse(str(error), status=400, content_type="text/plain")
    return render(request, "sessions/_key_point_suggestion.html", {"checklist": checklist(item)})


@login_required
@require_POST
def undo(request: AuthenticatedHtmxHttpRequest, session_id: int, position: int) -> HttpResponse:
    return _interview_action(
        request,
        session_id,
        forms.Form(request.POST),  # an undo posts nothing to check: always valid
        "",
        lambda data: services.undo_users_grade(
            user=request.user, session_id=session_id, position=position, now=timezone.now()
        ),
    )


@login_required
@require_POST
def flag_answer(
    request: AuthenticatedHtmxHttpRequest, session_id: int, position: int
) -> HttpResponse:
    """The candidate flags the model answer this item showed: the question's or the follow-up's,
    as the item showed it (its snapshot), whatever an editor changed since."""
    session = _get_session_for_user(request, session_id)
    item = (
        session.items.select_related("category", "question", "scenario")
        .filter(position=position, revealed_at__isnull=False)
        .first()
    )
    if item is None:
        raise Http404("No answer was shown at this place in the interview.")
    if item.is_scenario and item.scenario is None:
        raise Http404("This follow-up is no longer in the bank.")
    return respond_to_flag(
        request,
        question=item.question,
        scenario=item.scenario,
        done_url=session.item_url(item.position),
        render_refused=lambda form: _render_interview(
            request, session, item, flag_form=form, status=400
        ),
        action=reverse("interviews:flag", args=[session.pk, item.position]),
        item_id=item.pk,
        text_shown=item.answer,
    )


@login_required
@require_POST
def change_grade(
    request: AuthenticatedHtmxHttpRequest, session_id: int, position: int
) -> HttpResponse:
    """Correct an earlier grade, from the summary or from that item's read-only page."""
    session = _get_session_for_user(request, session_id)
    form = GradeForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            services.change_grade(
                session=session,
                position=position,
                grade=form.cleaned_data["grade"],
                user=request.user,
                now=timezone.now(),
            )
        except services.InterviewError as refused:
            error = str(refused)
    else:
        error = services.GRADE_CHOICE_MESSAGE
    from_summary = request.POST.get("return_to") == "summary"
    if request.htmx:
        status = 400 if error else 200
        if from_summary:
            return _render_summary(request, session, error=error, status=status)
        return _render_interview(
            request, session, _recorded_item(session, position), error=error, status=status
        )
    if error:
        messages.warning(request, error)
    else:
        messages.success(request, "Grade changed; the scores follow it.")
    if from_summary:
        return redirect(f"{reverse('interviews:summary', args=[session.pk])}#item-{position}")
    return redirect(session.item_url(position))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def end(request: AuthenticatedHttpRequest, session_id: int) -> HttpResponse:
    session = _get_session_for_user(request, session_id)
    if not session.is_open:
        return redirect(session)
    if request.method == "POST":
        services.end_session(session=session, now=timezone.now())
        messages.info(
            request, "Interview ended. What you had not graded is left unanswered and not scored."
        )
        return redirect(session)
    unanswered = session.items.filter(grade__isnull=True).count()
    return render(
        request, "sessions/session_end.html", {"session": session, "unanswered": unanswered}
    )


def _render_summary(
    request: AuthenticatedHtmxHttpRequest,
    session: InterviewSession,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    items = services.session_items(session)
    context = {
        "session": session,
        "items": items,
        # session_items annotates it (an annotation mypy cannot see).
        "has_recordings": any(getattr(item, "has_recording", False) for item in items),
        "totals": progress.sessions_with_totals(request.user).get(pk=session.pk),
        "breakdown": scoring.category_scores(session.items.all()),
        "weak": services.weak_questions(session),
        "grades": _grade_choices(),
        "error": error,
    }
    template_name = SUMMARY_TEMPLATE
    if request.htmx:
        template_name += "#summary"
    return render(request, template_name, context, status=status)


@never_cache
@login_required
@require_GET
def session_summary(request: AuthenticatedHtmxHttpRequest, session_id: int) -> HttpResponse:
    session = _get_session_for_user(request, session_id)
    if session.is_open:
        return redirect(session)
    return _render_summary(request, session)


# Room for the multipart envelope around the audio, over the recording's own limit.
UPLOAD_OVERHEAD_BYTES = 64 * 1024


def _refusal(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


# The CSRF check reads the whole body (a posted token may be in it), so it comes after the size:
# a body far over the limit is refused before anything reads it.
@csrf_exempt
@login_required
@require_POST
def upload_recording(
    request: AuthenticatedHttpRequest, session_id: int, position: int
) -> HttpResponse:
    """Keep the spoken answer to an item (multipart field `audio`), for a candidate who chose
    to keep recordings; refusals are plain text the page shows."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > recordings.max_bytes() + UPLOAD_OVERHEAD_BYTES:
        return _refusal(recordings.too_big_message(), 413)
    return _keep_uploaded_recording(request, session_id, position)


@csrf_protect
def _keep_uploaded_recording(
    request: AuthenticatedHttpRequest, session_id: int, position: int
) -> HttpResponse:
    session = _get_session_for_user(request, session_id)
    item = get_object_or_404(session.items, position=position)
    if not plan.preferences_for(request.user).keep_recordings:
        return _refusal(
            "Keeping recordings is off in your settings, so this one stays in your browser.", 403
        )
    upload = request.FILES.get("audio")
    if upload is None:
        return _refusal("No recording was sent (the form field is `audio`).", 400)
    try:
        recordings.keep_recording(item=item, upload=upload, now=timezone.now())
    except recordings.RecordingRefused as refused:
        return _refusal(str(refused), refused.status)
    return HttpResponse(status=204)


@never_cache
@login_required
@require_GET
def recording(request: AuthenticatedHttpRequest, session_id: int, position: int) -> HttpResponse:
    """The kept recording of an item, for its owner only (anyone else: 404)."""
    session = _get_session_for_user(request, session_id)
    kept = get_object_or_404(Recording, item__session=session, item__position=position)
    response = HttpResponse(bytes(kept.audio), content_type=kept.content_type)
    response["Content-Disposition"] = f'inline; filename="interview-{session.pk}-{position}"'
    return response


@login_required
@require_POST
def delete_recordings(request: AuthenticatedHttpRequest, session_id: int) -> HttpResponse:
    """Delete the interview's kept recordings (the page's script also forgets the browser's)."""
    session = _get_session_for_user(request, session_id)
    Recording.objects.filter(item__session=session).delete()
    messages.success(request, "The recordings of this interview were deleted.")
    return redirect(session)


@login_required
@require_POST
def retry_weak(request: AuthenticatedHttpRequest, session_id: int) -> HttpResponse:
    session = _get_session_for_user(request, session_id)
    questions = services.weak_questions(session)
    if not questions:
        messages.info(
            request,
            "Nothing in that interview is left to retry: no active question "
            "was graded Missed or Partial.",
        )
        return redirect("interviews:summary", session.pk)
    if prompt := _replacing_open_interview(request):
        return prompt
    retry = services.start_session(
        user=request.user,
        questions=questions,
        mode=session.mode,
        seconds_per_item=session.seconds_per_item,
        include_scenarios=session.include_scenarios,
        now=timezone.now(),
        counts_toward_schedule=session.counts_toward_schedule,
    )
    return redirect(retry)


@login_required
@require_POST
def practise(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Start an interview with exactly the listed questions (the dashboard's to-practise list)."""
    form = PractiseForm(request.POST)
    if not form.is_valid():
        messages.warning(request, "Those questions can no longer be practised; pick others.")
        return redirect("home")
    if prompt := _replacing_open_interview(request):
        return prompt
    session = services.start_session(
        user=request.user,
        questions=form.cleaned_data["questions"],
        mode=InterviewSession.Mode.TIMED,
        seconds_per_item=StartSessionForm.base_fields["seconds_per_item"].initial,
        include_scenarios=True,
        now=timezone.now(),
    )
    return redirect(session)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def drill(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Today's drill: what it holds and its clock choice; a POST starts it. With nothing due and
    today's new questions done, the page says when the next review is and offers new ones."""
    now = timezone.now()
    form = DrillForm(request.POST if request.method == "POST" else None)
    error = ""
    if request.method == "POST" and form.is_valid():
        if prompt := _replacing_open_interview(request):
            return prompt
        data = form.cleaned_data
        try:
            session = services.start_drill(
                request.user,
                now=now,
                timed=data["timed"],
                seconds_per_item=data["seconds_per_item"],
                more_new=data["more_new"],
            )
        except services.InterviewError as refused:
            error = str(refused)
        else:
            return redirect(session)
    daily = plan.daily_plan(request.user, now)
    context = {"form": form, "plan": daily, "error": error}
    status = 400 if form.errors or error else 200
    return render(request, "sessions/drill.html", context, status=status)


@login_required
@require_POST
def diagnostic(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A new candidate's first interview, one question per category (the dashboard offers it)."""
    if prompt := _replacing_open_interview(request):
        return prompt
    try:
        session = services.start_diagnostic(
            request.user,
            now=timezone.now(),
            seconds_per_item=StartSessionForm.base_fields["seconds_per_item"].initial,
        )
    except services.InterviewError as refused:
        messages.warning(request, str(refused))
        return redirect("home")
    return redirect(session)


@login_required
@require_GET
def question_attempts(request: AuthenticatedHtmxHttpRequest, number: int) -> HttpResponse:
    """The user's memory of one bank question and their own attempts at it; its page loads this
    region by HTMX."""
    # Retired questions too: the attempts happened, and past sessions never change.
    question = get_object_or_404(
        Question.objects.only("pk", "number", "title", "is_active"), number=number
    )
    context = {
        "question": question,
        "memory": memory.question_memory(request.user, question, timezone.now()),
        "attempts": progress.question_attempts(request.user, question),
    }
    template_name = "sessions/question_attempts.html"
    if request.htmx:
        template_name += "#attempts"
    return render(request, template_name, context)


def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The signed-in home page: progress at a glance and what to practise next."""
    user = request.user
    # The open interview is offered on its own (OpenInterviewMiddleware found it); "recent" lists
    # the ones that are over.
    in_progress = open_interview(request)
    series = progress.score_series(user)
    categories = progress.category_averages(user)
    context = {
        "plan": plan.daily_plan(user, timezone.now()),
        "in_progress": in_progress,
        "recent": progress.recent_sessions(user, RECENT_SESSIONS),
        "chart": charts.score_chart(series),
        "series": series,
        "categories": categories,
        "to_practise": progress.questions_to_practise(user),
        "flag_notices": flags.resolved_notices(user),
    }
    return render(request, "sessions/dashboard.html", context)


def _render_readiness(
    request: AuthenticatedHttpRequest, *, error: str = "", status: int = 200
) -> HttpResponse:
    now = timezone.now()
    days = plan.forecast(request.user, now)
    context = {
        "readiness": readiness.readiness(request.user, now),
        "plan": plan.daily_plan(request.user, now),
        "forecast": days,
        "forecast_due": sum(day.due for day in days),
        "chart": charts.forecast_chart(days),
        "error": error,
    }
    return render(request, "sessions/readiness.html", context, status=status)


@never_cache
@login_required
@require_GET
def readiness_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Seen, predicted recall and what is due, per category and overall; the 14-day forecast
    and today's plan."""
    return _render_readiness(request)


@login_required
@require_POST
def practise_category(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Start a timed interview of one category (the readiness page's "Practise this category"),
    drawn and started as the new-interview form does with its defaults."""
    # A form, not a bare lookup: it refuses a NUL, which PostgreSQL cannot compare (a 500).
    form = PractiseCategoryForm(request.POST)
    if not form.is_valid():
        return _render_readiness(
            request, error="That category is not in the bank; choose one below.", status=400
        )
    category: Category = form.cleaned_data["category"]
    if prompt := _replacing_open_interview(request):
        return prompt
    defaults = StartSessionForm.base_fields
    questions = services.draw_questions(
        user=request.user,
        categories=[category],
        count=defaults["question_count"].initial,
        now=timezone.now(),
    )
    try:
        session = services.start_session(
            user=request.user,
            questions=questions,
            mode=InterviewSession.Mode.TIMED,
            seconds_per_item=defaults["seconds_per_item"].initial,
            include_scenarios=defaults["include_scenarios"].initial,
            now=timezone.now(),
        )
    except services.InterviewError:
        error = f"{category.display_name} has no questions to ask at the moment."
        return _render_readiness(request, error=error, status=400)
    return redirect(session)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def plan_form(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Set, change or clear the interview date; new questions a day; the time zone."""
    preferences = plan.preferences_for(request.user)
    # Read before validating: the form writes what was typed onto the instance.
    saved_date = preferences.interview_date
    data, clearing = None, False
    if request.method == "POST":
        data = request.POST.copy()
        clearing = "clear_date" in data
        if clearing:
            data["interview_date"] = ""
    form = PlanForm(data, instance=preferences, now=timezone.now())
    if data is not None and form.is_valid():
        Preferences.objects.update_or_create(
            user=request.user,
            defaults={name: form.cleaned_data[name] for name in PlanForm.Meta.fields},
        )
        messages.success(
            request, "Interview date cleared; plan saved." if clearing else "Plan saved."
        )
        return redirect("readiness")
    status = 400 if form.errors else 200
    context = {"form": form, "saved_date": saved_date}
    return render(request, "sessions/plan_form.html", context, status=status)


@login_required
@require_GET
def history(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = HistoryFilterForm(request.GET)
    form.is_valid()
    # A bad value falls back to that filter's default; the valid ones still apply.
    filters = form.cleaned_data
    sessions = InterviewSession.objects.filter(user=request.user)
    if category := filters.get("category"):
        # A join, not a subquery per session: a session lists a category once at most.
        sessions = sessions.filter(categories=category)
    if mode := filters.get("mode"):
        sessions = sessions.filter(mode=mode)
    # The count and the page's offset run on the bare sessions (index `session_user_started_id`);
    # only the page's own sessions are then added up, so a late page costs what the first does.
    paginator = Paginator(sessions.order_by("-started_at", "-pk").values("pk"), HISTORY_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = (
        progress.sessions_with_totals(request.user)
        .filter(pk__in=page.object_list)
        .prefetch_related("categories")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": HistoryFilterForm(initial=filters),
        "page": page,
        "sessions": list(rows),
        "filter_query": query.urlencode(),
        "filtered": bool(filters.get("category") or filters.get("mode")),
    }
    return render(request, "sessions/history.html", context)


@login_required
@require_GET
def history_csv(request: AuthenticatedHttpRequest) -> StreamingHttpResponse:
    """Every item the user was ever asked, one CSV row each, streamed."""
    return _csv_download(export.history_csv_lines(request.user), "interview-history")


@login_required
@require_GET
def cards_csv(request: AuthenticatedHttpRequest) -> StreamingHttpResponse:
    """The user's FSRS cards, one CSV row each, with their predicted recall now."""
    return _csv_download(export.cards_csv_lines(request.user, timezone.now()), "interview-cards")


CSV_LINES_PER_CHUNK = 200


def _chunks(lines: Iterator[str]) -> Iterator[str]:
    """The lines in chunks of CSV_LINES_PER_CHUNK: still streamed, but the server writes to the
    socket once per chunk instead of once per row (10,000 writes for 10,000 rows)."""
    chunk: list[str] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) == CSV_LINES_PER_CHUNK:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


def _csv_download(lines: Iterator[str], name: str) -> StreamingHttpResponse:
    filename = f"{name}-{timezone.localdate():%Y-%m-%d}.csv"
    response = StreamingHttpResponse(_chunks(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
