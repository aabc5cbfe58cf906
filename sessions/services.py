"""The interview workflow: start, show, reveal, grade, end.

Time is server-authoritative: every function takes `now` from the caller (views pass
`timezone.now()`, tests pass a fixed instant) and the browser only displays the deadline.

Every write is race-safe. Each workflow locks the session row (PostgreSQL serialises two tabs or a
double click there) and then changes state with a compare-and-set UPDATE whose WHERE clause
repeats the precondition, so even a database without row locks (SQLite) can never record two
grades or advance twice: the loser of a race updates nothing and is told the item moved on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Prefetch, Subquery

from questions.models import Category, Question, Scenario
from sessions.models import Grade, InterviewSession, Item

MAX_NOTES_LENGTH = 10_000
SESSION_CLOSED_MESSAGE = "This interview has finished; it can no longer be changed."


class InterviewError(Exception):
    """A request that cannot be carried out; the message is shown to the candidate."""


class SessionClosed(InterviewError):
    pass


class NotCurrentItem(InterviewError):
    """The posted item is not the one being asked: already graded, or not reached yet."""


def grace_period() -> timedelta:
    return timedelta(seconds=settings.INTERVIEW_GRACE_SECONDS)


def draw_questions(
    *, user: AbstractBaseUser, categories: Iterable[Category], count: int
) -> list[Question]:
    """Random active questions, those never seen first, then the ones last graded lowest."""
    # Seen means shown: questions drawn into an interview that ended before them were not.
    asked_before = Item.objects.filter(
        session__user=user,
        question=OuterRef("pk"),
        kind=Item.Kind.QUESTION,
        shown_at__isnull=False,
    )
    last_grade = Subquery(
        asked_before.filter(grade__isnull=False).order_by("-graded_at").values("grade")[:1]
    )
    candidates = (
        Question.objects.active()
        .filter(category__in=list(categories))
        .annotate(seen=Exists(asked_before), last_grade=last_grade)
        .order_by("seen", F("last_grade").asc(nulls_first=True), "?")
    )
    return list(candidates[:count])


@transaction.atomic
def start_session(
    *,
    user: AbstractBaseUser,
    questions: Sequence[Question],
    mode: str,
    seconds_per_item: int,
    include_scenarios: bool,
    now: datetime,
) -> InterviewSession:
    """Create a session asking `questions` in this order, each followed by its scenarios."""
    if not questions:
        raise InterviewError("There are no questions to ask.")
    session = InterviewSession.objects.create(
        user=user,
        mode=mode,
        seconds_per_item=seconds_per_item,
        include_scenarios=include_scenarios,
        started_at=now,
    )
    session.categories.set({question.category_id for question in questions})
    time_limit = seconds_per_item if mode == InterviewSession.Mode.TIMED else None
    scenarios_by_question: dict[int, list[Scenario]] = {}
    if include_scenarios:
        for scenario in Scenario.objects.filter(question__in=questions).order_by("position"):
            scenarios_by_question.setdefault(scenario.question_id, []).append(scenario)

    items = []
    for question in questions:
        items.append(
            Item(
                kind=Item.Kind.QUESTION,
                question=question,
                category_id=question.category_id,
                label=f"Bank question {question.number}",
                prompt=question.title,
                answer=question.answer,
            )
        )
        items.extend(
            Item(
                kind=Item.Kind.SCENARIO,
                question=question,
                scenario=scenario,
                category_id=question.category_id,
                label=f"Follow-up scenario {scenario.label}",
                prompt=scenario.prompt,
                answer=scenario.answer,
            )
            for scenario in scenarios_by_question.get(question.pk, [])
        )
    for position, item in enumerate(items):
        item.session = session
        item.position = position
        item.time_limit_seconds = time_limit
    Item.objects.bulk_create(items)
    return session


def current_item(session: InterviewSession) -> Item | None:
    return (
        session.items.select_related("category").filter(position=session.current_position).first()
    )


def show_current_item(*, session: InterviewSession, now: datetime) -> Item | None:
    """The item being asked, its clock started on first display (never restarted)."""
    item = current_item(session)
    if item is None or not session.is_open or item.shown_at is not None:
        return item
    _start_clock(item, now)
    return item


def _start_clock(item: Item, now: datetime) -> None:
    deadline = now + timedelta(seconds=item.time_limit_seconds) if item.time_limit_seconds else None
    started = Item.objects.filter(pk=item.pk, shown_at__isnull=True).update(
        shown_at=now, deadline_at=deadline
    )
    if started:
        item.shown_at, item.deadline_at = now, deadline
    else:  # another request showed it a moment ago: its clock stands
        item.refresh_from_db()


def _lock_open_session(session: InterviewSession) -> None:
    """Lock the session row and refresh the caller's object with it, so it leaves up to date."""
    session.refresh_from_db(from_queryset=InterviewSession.objects.select_for_update())
    if not session.is_open:
        raise SessionClosed(SESSION_CLOSED_MESSAGE)


def _item_at(session: InterviewSession, position: int) -> tuple[Item, Item | None]:
    """The current item and the one after it (None after the last), in one query."""
    if position != session.current_position:
        raise NotCurrentItem(
            "That question is no longer the current one; here is where the interview stands."
        )
    item, *following = session.items.filter(position__in=[position, position + 1])
    return item, following[0] if following else None


def _check_notes(notes: str) -> None:
    if len(notes) > MAX_NOTES_LENGTH:
        raise InterviewError(
            f"Notes can be at most {MAX_NOTES_LENGTH:,} characters (these have {len(notes):,})."
        )


@transaction.atomic
def save_notes(*, session: InterviewSession, position: int, notes: str) -> None:
    """Keep a draft of the notes so a reload or a lost connection loses nothing."""
    _check_notes(notes)
    _lock_open_session(session)
    item, _ = _item_at(session, position)
    Item.objects.filter(pk=item.pk, revealed_at__isnull=True).update(notes=notes)


@transaction.atomic
def reveal_item(
    *,
    session: InterviewSession,
    position: int,
    notes: str,
    now: datetime,
    browser_timed_out: bool = False,
) -> Item:
    """Record the notes and reveal the model answer; a repeated reveal changes nothing.

    Late means after the deadline plus the grace period, whatever the browser says. The browser
    may only report a timeout it saw (its countdown reached zero), never hide one.
    """
    _check_notes(notes)
    _lock_open_session(session)
    item, _ = _item_at(session, position)
    if item.revealed_at is not None:
        return item
    shown_at = item.shown_at or now
    timed_out = False
    if item.deadline_at is not None:
        grace = grace_period()
        timed_out = now > item.deadline_at + grace or (
            browser_timed_out and now >= item.deadline_at - grace
        )
    revealed = Item.objects.filter(pk=item.pk, revealed_at__isnull=True).update(
        notes=notes, shown_at=shown_at, revealed_at=now, timed_out=timed_out
    )
    item.refresh_from_db()
    if not revealed:
        raise NotCurrentItem("That answer was already revealed.")
    return item


@transaction.atomic
def grade_item(*, session: InterviewSession, position: int, grade: int, now: datetime) -> Item:
    """Grade the current (revealed) item and move on; finishing the session after the last."""
    if grade not in Grade.values:
        raise InterviewError("Choose one of the four grades: Missed, Partial, Solid or Excellent.")
    _lock_open_session(session)
    item, following = _item_at(session, position)
    if item.revealed_at is None:
        raise InterviewError("Reveal the model answer before grading yourself.")
    is_last = following is None
    status = InterviewSession.Status.FINISHED if is_last else InterviewSession.Status.IN_PROGRESS
    finished_at = now if is_last else None
    claimed = InterviewSession.objects.filter(
        pk=session.pk, current_position=position, status=InterviewSession.Status.IN_PROGRESS
    ).update(current_position=position + 1, status=status, finished_at=finished_at)
    graded = Item.objects.filter(pk=item.pk, grade__isnull=True).update(grade=grade, graded_at=now)
    if not (claimed and graded):
        raise NotCurrentItem("That question was already graded.")
    session.current_position = position + 1
    session.status, session.finished_at = status, finished_at
    item.grade, item.graded_at = grade, now
    if following is not None:
        _start_clock(following, now)
    return item


@transaction.atomic
def end_session(*, session: InterviewSession, now: datetime) -> InterviewSession:
    """Stop early: every ungraded item is recorded as skipped. Ending twice is harmless."""
    locked = InterviewSession.objects.select_for_update().get(pk=session.pk)
    if locked.is_open:
        locked.items.filter(grade__isnull=True).update(skipped=True)
        InterviewSession.objects.filter(pk=locked.pk).update(
            status=InterviewSession.Status.ENDED_EARLY, finished_at=now
        )
    session.refresh_from_db()
    return session


def weak_questions(session: InterviewSession) -> list[Question]:
    """Questions graded Missed or Partial (or whose follow-up was), in the order asked."""
    weak_items = session.items.filter(grade__lte=Grade.PARTIAL).order_by("position")
    question_ids = list(dict.fromkeys(weak_items.values_list("question_id", flat=True)))
    by_id = Question.objects.active().in_bulk(question_ids)
    return [by_id[pk] for pk in question_ids if pk in by_id]


def session_items(session: InterviewSession) -> list[Item]:
    return list(
        session.items.select_related("category").prefetch_related(
            Prefetch("question", queryset=Question.objects.only("pk", "number"))
        )
    )
