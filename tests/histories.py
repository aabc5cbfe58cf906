"""Interview histories for the progress tests: played through the services, or bulk-made.

`play` drives the real workflow (start, show, reveal, grade, end) with a fixed clock, so every
timestamp, time taken and timeout is known to the second. `bulk_history` writes hundreds of
finished sessions directly, for the query budgets, where the services would be far too slow, and
`bulk_reviews` the FSRS cards and review log those sessions' grades would have made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import fsrs
from django.contrib.auth.models import User

from questions.models import Question, Scenario
from sessions import memory, services, tallies
from sessions.models import Card, Grade, InterviewSession, Item, ReviewLog
from tests.cast import LIMIT, T0, start_interview

LATE = LIMIT + 30  # revealed this long after being shown: timed out, whatever the grace
GRADING_SECONDS = 5  # between revealing and grading


@dataclass(frozen=True)
class Answer:
    grade: int
    seconds: int = 30  # from shown to revealed
    notes: str = ""


def play(
    user: User,
    questions: Sequence[Question],
    answers: Sequence[Answer],
    *,
    at: datetime = T0,
    mode: str = InterviewSession.Mode.TIMED,
    include_scenarios: bool = False,
    end_early: bool = False,
) -> InterviewSession:
    """Start an interview at `at` and answer its first items; end it early when asked to.

    Ending early shows the next item first (as grading the previous one would have), so an
    interview ended after k answers has asked k + 1 items.
    """
    session = start_interview(
        user, questions, mode=mode, include_scenarios=include_scenarios, now=at
    )
    now = at
    for answer in answers:
        item = services.show_current_item(session=session, now=now)
        assert item is not None, "more answers than items"
        now += timedelta(seconds=answer.seconds)
        services.reveal_item(session=session, position=item.position, notes=answer.notes, now=now)
        now += timedelta(seconds=GRADING_SECONDS)
        services.grade_item(session=session, position=item.position, grade=answer.grade, now=now)
    if end_early:
        services.show_current_item(session=session, now=now)
        services.end_session(session=session, now=now)
    session.refresh_from_db()
    return session


# Bulk histories ----------------------------------------------------------------------------

GRADE_CYCLE = [Grade.SOLID, Grade.PARTIAL, Grade.EXCELLENT, Grade.MISSED, Grade.SOLID]


def bulk_history(
    user: User,
    questions: Sequence[Question],
    *,
    sessions: int,
    items_per_session: int = 10,
    start: datetime = T0,
) -> list[InterviewSession]:
    """`sessions` past interviews, one a day from `start`, written with two bulk inserts.

    They look like real ones: timed and practice, finished and ended early (the unasked items
    skipped), realistic shown/revealed/graded timestamps, some answers timed out.
    """
    rows = []
    for index in range(sessions):
        started = start + timedelta(days=index)
        ended_early = index % 4 == 3
        rows.append(
            InterviewSession(
                user=user,
                mode=InterviewSession.Mode.PRACTICE if index % 5 == 4 else "timed",
                status=(
                    InterviewSession.Status.ENDED_EARLY
                    if ended_early
                    else InterviewSession.Status.FINISHED
                ),
                seconds_per_item=LIMIT,
                current_position=items_per_session - 2 if ended_early else items_per_session,
                started_at=started,
                finished_at=started + timedelta(minutes=30),
            )
        )
    created = InterviewSession.objects.bulk_create(rows)

    items = []
    links = []
    through = InterviewSession.categories.through
    for index, session in enumerate(created):
        now = session.started_at
        categories = set()
        for position in range(items_per_session):
            question = questions[(index * items_per_session + position) % len(questions)]
            categories.add(question.category_id)
            timed = session.mode == InterviewSession.Mode.TIMED
            item = Item(
                session=session,
                position=position,
                question=question,
                category_id=question.category_id,
                label=f"Bank question {question.number}",
                prompt=question.title,
                answer="The model answer.",
                time_limit_seconds=LIMIT if timed else None,
            )
            unasked = session.status == InterviewSession.Status.ENDED_EARLY and (
                position >= session.current_position
            )
            if unasked:
                item.skipped = True
            else:
                taken = LATE if (index + position) % 7 == 0 else 20 + (index + position) % 35
                item.shown_at = now
                item.deadline_at = now + timedelta(seconds=LIMIT) if timed else None
                item.revealed_at = now + timedelta(seconds=taken)
                item.graded_at = item.revealed_at + timedelta(seconds=GRADING_SECONDS)
                item.timed_out = timed and taken > LIMIT
                item.grade = GRADE_CYCLE[(index + position) % len(GRADE_CYCLE)]
                item.notes = f"Notes for item {position}"
                now = item.graded_at
            items.append(item)
        links.extend(
            through(interviewsession_id=session.pk, category_id=category)
            for category in sorted(categories)
        )
    Item.objects.bulk_create(items, batch_size=1000)
    through.objects.bulk_create(links, batch_size=1000)
    tallies.rebuild([user.pk])  # what the services would have kept while playing them
    return created


def bulk_reviews(user: User) -> None:
    """A card for each question the user graded and a review for each graded item not logged yet
    (as if every session counted), written in bulk; the cards' state then replayed from the log."""
    graded = list(
        Item.objects.filter(
            session__user=user,
            grade__isnull=False,
            kind=Item.Kind.QUESTION,
            review__isnull=True,  # the services logged the others already
        )
    )
    card_of = {card.question_id: card for card in Card.objects.filter(user=user, scenario=None)}
    placeholder = {"state": 1, "due": T0}  # what the replay below overwrites
    new_cards = Card.objects.bulk_create(
        Card(user=user, question_id=question_id, **placeholder)
        for question_id in sorted({item.question_id for item in graded} - card_of.keys())
    )
    card_of |= {card.question_id: card for card in new_cards}
    ReviewLog.objects.bulk_create(
        (
            ReviewLog(
                card=card_of[item.question_id],
                item=item,
                rating=memory.rating_for(item.grade),
                reviewed_at=item.graded_at,
                duration=item.time_taken,
            )
            for item in graded
            if item.grade is not None and item.graded_at and item.time_taken
        ),
        batch_size=1000,
    )
    memory.rebuild(Card.objects.filter(user=user))


def bulk_full_memory(owner: User, other_user: User, pool: Sequence[Question]) -> None:
    """The query budgets' large case: 225 sessions of 10 items and their reviews (2,000 and more)
    for the owner, with a card for every question the history missed and for each follow-up
    (every card the bank allows, 224), plus another user's 50 sessions and reviews."""
    day = timedelta(days=1)
    bulk_history(owner, pool, sessions=225, items_per_session=10)
    bulk_history(other_user, pool, sessions=50, items_per_session=10)
    bulk_reviews(owner)
    bulk_reviews(other_user)
    have = set(Card.objects.filter(user=owner).values_list("question_id", flat=True))
    Card.objects.bulk_create(
        Card(
            user=owner,
            question_id=question_id,
            scenario_id=scenario_id,
            state=fsrs.State.Review,
            stability=4.0,
            difficulty=5.0,
            due=T0 + 200 * day,
            last_review=T0 + 190 * day,
            reviews=1,
        )
        for question_id, scenario_id in [
            *((q.pk, None) for q in pool if q.pk not in have),
            *Scenario.objects.values_list("question_id", "pk"),
        ]
    )
    assert Card.objects.filter(user=owner).count() == 224
    assert ReviewLog.objects.filter(card__user=owner).count() >= 2000
