"""The interview workflow: start, show, reveal, grade, end.

Time is server-authoritative: every function takes `now` from the caller (views pass
`timezone.now()`, tests pass a fixed instant) and the browser only displays the deadline.

Every write is race-safe. Each workflow locks the session row (PostgreSQL serialises two tabs or a
double click there) and then changes state with a compare-and-set UPDATE whose WHERE clause
repeats the precondition, so even a database without row locks (SQLite) can never record two
grades or advance twice: the loser of a race updates nothing and is told the item moved on.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import zip_longest

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    TextField,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce, Greatest

from questions.keypoints import mentions
from questions.models import Category, KeyPoint, Question, Scenario
from sessions import memory, plan, scoring, tallies
from sessions.models import GradeChange, InterviewSession, Item, ItemKeyPoint, Recording
from sessions.scoring import Grade

MAX_NOTES_LENGTH = 10_000
SESSION_CLOSED_MESSAGE = "This interview has finished; it can no longer be changed."
GRADE_CHOICE_MESSAGE = "Choose one of the four grades: Missed, Partial, Solid or Excellent."
KEY_POINTS_NOT_OF_ITEM_MESSAGE = "Those key points do not belong to this question."
NOTHING_TO_DRILL_MESSAGE = "Nothing is due and no new questions are left for today."
UNDO_TOO_LATE_MESSAGE = (
    "That grade can no longer be undone: the interview has moved on. "
    "You can still change it from that question's page or the summary."
)


class InterviewError(Exception):
    """A request that cannot be carried out; the message is shown to the candidate."""


class SessionClosed(InterviewError):
    pass


class NotCurrentItem(InterviewError):
    """The posted item is not the one being asked: already graded, or not reached yet."""


def draw_questions(
    *,
    user: User,
    categories: Iterable[Category],
    count: int,
    now: datetime,
    among: Q | None = None,
) -> list[Question]:
    """`count` active questions drawn evenly across `categories`: round-robin, one from each
    category in turn, so a large category ("Advanced Topics" holds 80 of the 200) gets no more
    turns than a small one. Within a category: never seen first, then those with a card due by
    `now`, then the ones last graded lowest; random among equals. The categories take their
    turns in the order of the question each offers first (the most needed first). `among`
    narrows the candidates further."""
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
    due = memory.due_cards(user, now).filter(question=OuterRef("pk"))
    ranked = (
        Question.objects.active()
        .filter(among or Q(), category__in=categories)
        .annotate(seen=Exists(asked_before), due=Exists(due), last_grade=last_grade)
        .order_by("seen", "-due", F("last_grade").asc(nulls_first=True), "?")
    )
    by_category: dict[int, list[Question]] = {}
    for question in ranked:  # dicts keep insertion order: the category with the best head first
        by_category.setdefault(question.category_id, []).append(question)
    turns = zip_longest(*by_category.values())
    return [question for turn in turns for question in turn if question is not None][:count]


def interview_length(
    *,
    categories: Iterable[Category],
    question_count: int,
    seconds_per_item: int,
    include_scenarios: bool,
    timed: bool,
) -> str:
    """What the new-interview form promises: "5 questions + up to 3 follow-ups, at most 16 min".

    Which questions are drawn is random, so the follow-ups are an upper bound: the most any
    `question_count` active questions of these categories could bring.
    """
    followups = 0
    if include_scenarios:
        counts = (
            Question.objects.active()
            .filter(category__in=list(categories))
            .annotate(scenario_count=Count("scenarios"))
            .filter(scenario_count__gt=0)
            .order_by("-scenario_count")
            .values_list("scenario_count", flat=True)[:question_count]
        )
        followups = sum(counts)
    text = f"{question_count} question{'' if question_count == 1 else 's'}"
    if followups:
        text += f" + up to {followups} follow-up{'' if followups == 1 else 's'}"
    if not timed:
        return f"{text}, no clock"
    longest = timedelta(seconds=seconds_per_item * (question_count + followups))
    return f"{text}, at most {scoring.format_duration(longest)}"


def drill_questions(user: User, *, now: datetime, more_new: bool = False) -> list[Question]:
    """What today's drill asks, in order: the questions with a card due (the question's own or
    a follow-up's), the lowest predicted recall first, so the most overdue come first; then up to
    the new questions today's plan still holds (`plan.DailyPlan.new_left_today`, which keeps to
    the interview date and the candidate's limit), drawn evenly across the categories.

    `more_new` is the "new questions instead" of a day whose share is done: a further
    `new_per_day` (at least one) never-seen questions, whatever today's share."""
    due = list(memory.due_cards(user, now).select_related("question"))
    recall = memory.retrievabilities(due, now)
    lowest: dict[int, tuple[float, datetime]] = {}
    by_pk: dict[int, Question] = {}
    for card in due:
        key = (recall[card.pk], card.due)
        lowest[card.question_id] = min(lowest.get(card.question_id, key), key)
        by_pk[card.question_id] = card.question
    ordered = sorted(by_pk.values(), key=lambda question: (*lowest[question.pk], question.number))
    daily = plan.daily_plan(user, now)
    new_count = max(daily.new_per_day, 1) if more_new else daily.new_left_today
    if not new_count:
        return ordered
    new = draw_questions(
        user=user,
        categories=Category.objects.all(),
        count=new_count,
        now=now,
        among=memory.bank_filter(user, "unseen", now) & ~Q(pk__in=list(by_pk)),
    )
    return ordered + new


def start_drill(
    user: User,
    *,
    now: datetime,
    seconds_per_item: int,
    timed: bool = False,
    more_new: bool = False,
) -> InterviewSession:
    """Start today's drill (`drill_questions`), untimed unless `timed` asks for a clock of
    `seconds_per_item` on each item. Every graded item counts toward the schedule, as a timed
    interview's do. InterviewError when there is nothing to ask."""
    questions = drill_questions(user, now=now, more_new=more_new)
    if not questions:
        raise InterviewError(NOTHING_TO_DRILL_MESSAGE)
    return start_session(
        user=user,
        questions=questions,
        mode=InterviewSession.Mode.DRILL,
        seconds_per_item=seconds_per_item,
        include_scenarios=True,
        now=now,
        timed=timed,
    )


def start_diagnostic(user: User, *, now: datetime, seconds_per_item: int) -> InterviewSession:
    """A new candidate's first interview: one question from each category, so readiness has a
    figure for every one of them. Timed, without follow-ups, to stay short."""
    categories = list(Category.objects.with_active_questions())
    questions = draw_questions(user=user, categories=categories, count=len(categories), now=now)
    return start_session(
        user=user,
        questions=questions,
        mode=InterviewSession.Mode.TIMED,
        seconds_per_item=seconds_per_item,
        include_scenarios=False,
        now=now,
    )


@transaction.atomic
def start_session(
    *,
    user: User,
    questions: Sequence[Question],
    mode: str,
    seconds_per_item: int,
    include_scenarios: bool,
    now: datetime,
    counts_toward_schedule: bool = True,
    timed: bool | None = None,
) -> InterviewSession:
    """Create a session asking `questions` in this order, each followed by its scenarios.

    `timed` says whether each item has a clock of `seconds_per_item`; by default a timed
    interview's items do and the others' do not (a drill chooses)."""
    if not questions:
        raise InterviewError("There are no questions to ask.")
    session = InterviewSession.objects.create(
        user=user,
        mode=mode,
        seconds_per_item=seconds_per_item,
        include_scenarios=include_scenarios,
        counts_toward_schedule=counts_toward_schedule,
        started_at=now,
    )
    session.categories.set({question.category_id for question in questions})
    if timed is None:
        timed = mode == InterviewSession.Mode.TIMED
    time_limit = seconds_per_item if timed else None
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
    # The first question's clock starts with the interview, whether or not its page is ever
    # loaded: a reveal posted straight away still has a deadline to keep.
    first = items[0]
    first.shown_at = now
    first.deadline_at = now + timedelta(seconds=time_limit) if time_limit else None
    Item.objects.bulk_create(items)
    _snapshot_key_points(items)
    tallies.open_rows(session, items)
    return session


def _snapshot_key_points(items: Sequence[Item]) -> None:
    """Copy each item's key points as they stand, as the item copies its answer."""
    question_items = {item.question_id: item for item in items if not item.is_scenario}
    scenario_items = {item.scenario_id: item for item in items if item.is_scenario}
    points = KeyPoint.objects.filter(
        Q(question__in=list(question_items)) | Q(scenario__in=list(scenario_items))
    ).values_list("question_id", "scenario_id", "text")
    snapshots: list[ItemKeyPoint] = []
    count: dict[int, int] = {}
    for question_id, scenario_id, text in points:  # in KeyPoint order: position, then pk
        item = scenario_items[scenario_id] if scenario_id else question_items[question_id]
        position = count[item.pk] = count.get(item.pk, -1) + 1
        snapshots.append(ItemKeyPoint(item=item, position=position, text=text))
    ItemKeyPoint.objects.bulk_create(snapshots)


@dataclass(frozen=True)
class ItemPlace:
    """Where an item stands in its interview: follow-ups are counted apart from questions."""

    question_number: int
    question_total: int
    followup_number: int | None
    followup_total: int
    item_total: int
    # The title of the question a follow-up belongs to, as it was asked.
    parent_title: str
    # The item just before, when it holds a grade that could still be undone.
    previous_label: str
    previous_grade: int | None

    @property
    def previous_grade_label(self) -> str:
        return "" if self.previous_grade is None else Grade(self.previous_grade).label

    @property
    def text(self) -> str:
        text = f"Question {self.question_number} of {self.question_total}"
        if self.followup_number is not None:
            text += f" · follow-up {self.followup_number} of {self.followup_total}"
        return text


def item_place(session: InterviewSession, position: int) -> ItemPlace:
    """The place of the item at `position`, from one small query over the session's items."""
    rows = list(
        session.items.order_by("position").values_list(
            "kind",
            "label",
            "grade",
            Case(
                When(kind=Item.Kind.QUESTION, then=F("prompt")),
                default=Value(""),
                output_field=TextField(),
            ),
        )
    )
    question_total = sum(kind == Item.Kind.QUESTION for kind, *_ in rows)
    question_number = followup_number = followup_total = 0
    parent_title = ""
    for index, (kind, _label, _grade, title) in enumerate(rows):
        if kind == Item.Kind.QUESTION:
            if index > position:
                break
            question_number, parent_title = question_number + 1, title
            followup_number = followup_total = 0
        else:
            followup_total += 1
            if index <= position:
                followup_number += 1
    is_followup = rows[position][0] == Item.Kind.SCENARIO
    previous_label, previous_grade = rows[position - 1][1:3] if position > 0 else ("", None)
    return ItemPlace(
        question_number=question_number,
        question_total=question_total,
        followup_number=followup_number if is_followup else None,
        followup_total=followup_total,
        item_total=len(rows),
        parent_title=parent_title,
        previous_label=previous_label,
        previous_grade=previous_grade,
    )


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


def _lock_session(session: InterviewSession) -> None:
    """Lock the session row and refresh the caller's object with it, so it leaves up to date."""
    session.refresh_from_db(from_queryset=InterviewSession.objects.select_for_update())


def _lock_open_session(session: InterviewSession) -> None:
    _lock_session(session)
    _check_open(session)


def _check_open(session: InterviewSession) -> None:
    if not session.is_open:
        raise SessionClosed(SESSION_CLOSED_MESSAGE)


def _lock_users_open_session(user: User, session_id: int) -> InterviewSession:
    """The open session `session_id` of `user`, read with its lock: for a request that holds only
    the id, one query where reading the session and then locking it took two, and the ownership
    check too (InterviewSession.DoesNotExist when it is not `user`'s). Call it in a transaction."""
    session = InterviewSession.objects.select_for_update().get(pk=session_id, user=user)
    _check_open(session)
    return session


def _check_current(session: InterviewSession, position: int) -> None:
    if position != session.current_position:
        raise NotCurrentItem(
            "That question is no longer the current one; here is where the interview stands."
        )


def _item_at(session: InterviewSession, position: int) -> tuple[Item, Item | None]:
    """The current item and the one after it (None after the last), in one query."""
    _check_current(session, position)
    return _pair_at(session, position)


def _current_item_at(session: InterviewSession, position: int) -> Item:
    """The current item alone, with what the interview screen shows of it: its category, and
    the question and follow-up its answer is flagged on. One row and three joins, against the
    pair's two rows and seven: neither the next item nor the cards are needed before a grade."""
    _check_current(session, position)
    # `get` drops Item's ordering, which would join the session only to sort one row.
    return (
        session.items.select_related("category", "question", "scenario")
        .defer("question__answer", "scenario__answer")
        .get(position=position)
    )


def _pair_at(session: InterviewSession, position: int) -> tuple[Item, Item | None]:
    # With what the interview screen shows of them, so the view can render without asking again.
    pair = session.items.select_related("category", "question").defer("question__answer")
    pair = memory.with_cards(pair, user_id=session.user_id)  # for grading: no query of its own
    item, *following = pair.filter(position__in=[position, position + 1])
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

    Whether it is late is `Item.times_out`: the server's clock decides, whatever the browser says.
    """
    _check_notes(notes)
    _lock_open_session(session)
    return _reveal(session, position, notes, now=now, browser_timed_out=browser_timed_out)


@transaction.atomic
def reveal_users_item(
    *,
    user: User,
    session_id: int,
    position: int,
    notes: str,
    now: datetime,
    browser_timed_out: bool = False,
) -> tuple[InterviewSession, Item]:
    """`reveal_item` for a request that holds only the session's id (`_lock_users_open_session`);
    returns the session too, as the lock read it."""
    _check_notes(notes)
    session = _lock_users_open_session(user, session_id)
    item = _reveal(session, position, notes, now=now, browser_timed_out=browser_timed_out)
    return session, item


def _reveal(
    session: InterviewSession, position: int, notes: str, *, now: datetime, browser_timed_out: bool
) -> Item:
    """The reveal itself, in the transaction that holds the open session's lock."""
    item = _current_item_at(session, position)
    if item.revealed_at is not None:
        return item
    shown_at = item.shown_at or now
    timed_out = item.times_out(now, browser_saw_zero=browser_timed_out)
    revealed = Item.objects.filter(pk=item.pk, revealed_at__isnull=True).update(
        notes=notes, shown_at=shown_at, revealed_at=now, timed_out=timed_out
    )
    if not revealed:
        raise NotCurrentItem("That answer was already revealed.")
    item.notes, item.shown_at, item.revealed_at, item.timed_out = notes, shown_at, now, timed_out
    _tick_what_the_notes_mention(item)
    return item


def _tick_what_the_notes_mention(item: Item) -> None:
    """Mark (and pre-tick, as a suggestion) the key points the notes mention; the item leaves
    with its key points loaded, for the checklist."""
    # Ordered by position alone: ItemKeyPoint's ordering ("item", then Item's and the session's)
    # would join the item and the session to sort the points of one item.
    prefetch_related_objects(
        [item], Prefetch("key_points", queryset=ItemKeyPoint.objects.order_by("position"))
    )
    points = list(item.key_points.all())
    found = mentions([point.text for point in points], item.notes, topic=item.prompt)
    mentioned = [point for point, mention in zip(points, found, strict=True) if mention.mentioned]
    if not mentioned:
        return
    ItemKeyPoint.objects.filter(
        item=item, position__in=[point.position for point in mentioned]
    ).update(mentioned=True, covered=True)
    for point in mentioned:
        point.mentioned = point.covered = True


def _record_coverage(item: Item, covered: Collection[int]) -> None:
    """Tick exactly the key points at `covered` (positions); refuse a point the item lacks.

    One UPDATE whatever the number of points: positions run 0..n-1, so the row count it
    returns says whether each ticked position exists (a refusal rolls the update back).
    """
    total = ItemKeyPoint.objects.filter(item=item).update(
        covered=Case(When(position__in=list(covered), then=True), default=False)
    )
    if any(not 0 <= position < total for position in covered):
        raise InterviewError(KEY_POINTS_NOT_OF_ITEM_MESSAGE)


@transaction.atomic
def tick_key_points(*, session: InterviewSession, position: int, covered: Collection[int]) -> Item:
    """Record which key points of the revealed, ungraded current item the candidate covered."""
    _lock_open_session(session)
    item, _ = _item_at(session, position)
    if item.revealed_at is None:
        raise NotCurrentItem("Reveal the model answer before ticking its key points.")
    if item.grade is not None:
        raise NotCurrentItem("That question was already graded.")
    _record_coverage(item, covered)
    return item


def grade_item(
    *,
    session: InterviewSession,
    position: int,
    grade: int,
    now: datetime,
    covered: Collection[int] | None = None,
) -> Item:
    """Grade the current (revealed) item and move on; finishing the session after the last.

    `covered`, when given, is the key points ticked with the grade (a form without JavaScript
    sends them here); None leaves the ticks as they are.
    """
    graded, _ = grade_and_advance(
        session=session, position=position, grade=grade, now=now, covered=covered
    )
    return graded


@transaction.atomic
def grade_and_advance(
    *,
    session: InterviewSession,
    position: int,
    grade: int,
    now: datetime,
    covered: Collection[int] | None = None,
) -> tuple[Item, Item | None]:
    """`grade_item`, returning the next item too (None after the last), its clock started and
    loaded as the interview screen shows it: the grade step renders it without asking again."""
    _check_grade(grade)
    _lock_open_session(session)
    return _grade_and_advance(session, position, grade, now=now, covered=covered)


@transaction.atomic
def grade_users_item(
    *,
    user: User,
    session_id: int,
    position: int,
    grade: int,
    now: datetime,
    covered: Collection[int] | None = None,
) -> tuple[InterviewSession, Item, Item | None]:
    """`grade_and_advance` for a request that holds only the session's id
    (`_lock_users_open_session`); returns the session too, as the grade left it."""
    _check_grade(grade)
    session = _lock_users_open_session(user, session_id)
    graded, following = _grade_and_advance(session, position, grade, now=now, covered=covered)
    return session, graded, following


def _check_grade(grade: int) -> None:
    if grade not in Grade.values:
        raise InterviewError(GRADE_CHOICE_MESSAGE)


def _grade_and_advance(
    session: InterviewSession,
    position: int,
    grade: int,
    *,
    now: datetime,
    covered: Collection[int] | None,
) -> tuple[Item, Item | None]:
    """The grade itself, in the transaction that holds the open session's lock."""
    item, following = _item_at(session, position)
    if item.revealed_at is None:
        raise InterviewError("Reveal the model answer before grading yourself.")
    if covered is not None:
        _record_coverage(item, covered)
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
    memory.record_review(session=session, item=item)
    tallies.grade_moved(item, user_id=session.user_id, old=None, new=grade)
    if following is not None:
        _start_clock(following, now)
    return item, following


def _undoable(session: InterviewSession, item: Item, following: Item | None) -> bool:
    """The undo rule: the latest grade of an open interview, until the next item is revealed."""
    return (
        session.is_open
        and item.grade is not None
        and item.position == session.current_position - 1
        and (following is None or following.revealed_at is None)
    )


def can_undo(session: InterviewSession, item: Item) -> bool:
    """Whether `undo_grade` would take back this item's grade."""
    if item.position != session.current_position - 1:
        return False  # no need to look at the next item
    following = session.items.filter(position=item.position + 1).first()
    return _undoable(session, item, following)


@transaction.atomic
def undo_grade(*, session: InterviewSession, position: int, user: User, now: datetime) -> Item:
    """Take back the grade just given: the item is revealed again with its notes, ungraded, and
    the next item's clock goes back to not started (it restarts when shown again).

    Only the latest grade can be undone, and only until the next item is revealed; a finished
    interview is corrected with `change_grade` instead.
    """
    _lock_open_session(session)
    return _undo_grade(session, position, user=user, now=now)


@transaction.atomic
def undo_users_grade(
    *, user: User, session_id: int, position: int, now: datetime
) -> tuple[InterviewSession, Item]:
    """`undo_grade` by `user` for a request that holds only the session's id
    (`_lock_users_open_session`); returns the session too, as the undo left it."""
    session = _lock_users_open_session(user, session_id)
    return session, _undo_grade(session, position, user=user, now=now)


def _undo_grade(session: InterviewSession, position: int, *, user: User, now: datetime) -> Item:
    """The undo itself, in the transaction that holds the open session's lock."""
    if position != session.current_position - 1:
        raise NotCurrentItem(UNDO_TOO_LATE_MESSAGE)
    item, following = _pair_at(session, position)
    old_grade = item.grade
    if old_grade is None or not _undoable(session, item, following):
        raise NotCurrentItem(UNDO_TOO_LATE_MESSAGE)
    moved_back = InterviewSession.objects.filter(
        pk=session.pk, current_position=position + 1, status=InterviewSession.Status.IN_PROGRESS
    ).update(current_position=position)
    ungraded = Item.objects.filter(pk=item.pk, grade=old_grade).update(grade=None, graded_at=None)
    if not (moved_back and ungraded):
        raise NotCurrentItem(UNDO_TOO_LATE_MESSAGE)
    if following is not None:
        Item.objects.filter(pk=following.pk, revealed_at__isnull=True).update(
            shown_at=None, deadline_at=None
        )
    GradeChange.objects.create(
        item=item, changed_by=user, changed_at=now, old_grade=old_grade, new_grade=None
    )
    session.current_position = position
    item.grade = item.graded_at = None
    memory.rewrite_review(item=item)
    tallies.grade_moved(item, user_id=session.user_id, old=old_grade, new=None)
    return item


@transaction.atomic
def change_grade(
    *, session: InterviewSession, position: int, grade: int, user: User, now: datetime
) -> Item:
    """Correct the grade of an item already graded, in an open or a finished interview."""
    if grade not in Grade.values:
        raise InterviewError(GRADE_CHOICE_MESSAGE)
    _lock_session(session)
    item = session.items.filter(position=position).first()
    if item is None or item.grade is None:
        raise NotCurrentItem("Only a graded question can have its grade changed.")
    if item.grade == grade:
        return item
    changed = Item.objects.filter(pk=item.pk, grade=item.grade).update(grade=grade)
    if not changed:
        raise NotCurrentItem("That grade was changed a moment ago; here is how it stands.")
    GradeChange.objects.create(
        item=item, changed_by=user, changed_at=now, old_grade=item.grade, new_grade=grade
    )
    tallies.grade_moved(item, user_id=session.user_id, old=item.grade, new=grade)
    item.grade = grade
    memory.rewrite_review(item=item)
    return item


@transaction.atomic
def end_session(
    *,
    session: InterviewSession,
    now: datetime,
    status: str = InterviewSession.Status.ENDED_EARLY,
) -> InterviewSession:
    """Stop early: every ungraded item is recorded as skipped. Ending twice is harmless."""
    locked = InterviewSession.objects.select_for_update().get(pk=session.pk)
    if locked.is_open:
        locked.items.filter(grade__isnull=True).update(skipped=True)
        tallies.ended(locked)
        InterviewSession.objects.filter(pk=locked.pk).update(status=status, finished_at=now)
    session.refresh_from_db()
    return session


def abandon_after() -> timedelta:
    return timedelta(hours=settings.INTERVIEW_ABANDON_AFTER_HOURS)


def abandon_after_text() -> str:
    hours = settings.INTERVIEW_ABANDON_AFTER_HOURS
    return f"{hours} hour{'' if hours == 1 else 's'}"


def settle_open_sessions(
    *, user: User, now: datetime
) -> tuple[InterviewSession | None, Sequence[InterviewSession]]:
    """End the user's open interviews untouched for longer than `abandon_after()`, as
    abandoned; return the newest one still open and the ones just abandoned.

    Touched means started, or an item shown, revealed, graded or its grade changed (an undo
    clears the times it takes back, so its GradeChange is what remembers the touch). One query
    when nothing is stale (the partial index on open sessions keeps it cheap).
    """
    last_touched = Greatest(
        "started_at",
        Coalesce(Max("items__shown_at"), "started_at"),
        Coalesce(Max("items__revealed_at"), "started_at"),
        Coalesce(Max("items__graded_at"), "started_at"),
        Coalesce(Max("items__grade_changes__changed_at"), "started_at"),
    )
    sessions = list(
        InterviewSession.objects.filter(user=user, status=InterviewSession.Status.IN_PROGRESS)
        .annotate(last_touched=last_touched)
        .order_by("-started_at", "-pk")
    )
    cutoff = now - abandon_after()
    abandoned = [session for session in sessions if session.last_touched < cutoff]
    for session in abandoned:
        end_session(session=session, now=now, status=InterviewSession.Status.ABANDONED)
    still_open = [session for session in sessions if session.last_touched >= cutoff]
    return (still_open[0] if still_open else None), abandoned


def weak_questions(session: InterviewSession) -> list[Question]:
    """The session's weak questions (graded Missed or Partial, or whose follow-up was), still
    active, in the order asked. "Retry weak questions" is offered exactly when this has some."""
    first_weak = (
        session.items.filter(scoring.is_weak(), question=OuterRef("pk"))
        .order_by("position")
        .values("position")[:1]
    )
    return list(
        Question.objects.active()
        .filter(pk__in=session.items.filter(scoring.is_weak()).values("question_id"))
        .annotate(first_weak=Subquery(first_weak))
        .order_by("first_weak")
    )


def session_items(session: InterviewSession) -> list[Item]:
    """Every item of the session with its grade changes, key points and whether a recording is
    kept, for the summary."""
    return list(
        session.items.select_related("category")
        .annotate(
            question_number=F("question__number"),
            has_recording=Exists(Recording.objects.filter(item=OuterRef("pk"))),
        )
        .prefetch_related("grade_changes", "key_points")
    )
