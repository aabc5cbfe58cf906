"""Read-only views of a candidate's progress: every figure is aggregated in the database.

Each function runs a fixed number of queries however many sessions the user has (the score
trend one, or two when its latest sessions hold too few scores), and none evaluates a subquery
per row (tests/test_scale_plans.py). The dashboard's all-time figures (questions to practise,
category averages) are read off the tallies `sessions.tallies` keeps, so they cost the same
however long the history; the others read a bounded number of the latest sessions
(docs/performance.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.contrib.auth.models import User
from django.db.models import Count, F, Q, QuerySet, Sum

from questions.models import Question
from sessions import scoring
from sessions.models import (
    CategoryProgress,
    InterviewSession,
    Item,
    QuestionProgress,
    SessionTotals,
)
from sessions.scoring import CategoryScore, grade_label, score_percent

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

PRACTISE_LIMIT = 6
CHART_SESSIONS = 30


def sessions_with_totals(
    user: User,
) -> QuerySet[WithAnnotations[InterviewSession, SessionTotals]]:
    """The user's sessions, newest first, each annotated with the totals its score reads.

    `InterviewSession.score_percent` turns them into the score (see sessions.scoring).
    """
    return (
        InterviewSession.objects.filter(user=user)
        .annotate(
            points=Sum("items__grade", default=0),
            graded=Count("items", filter=scoring.graded("items__")),
            unanswered=Count("items", filter=scoring.unanswered("items__")),
            asked=Count("items", filter=Q(items__shown_at__isnull=False)),
            item_total=Count("items"),
            timed_out=Count("items", filter=Q(items__timed_out=True)),
            time_taken=scoring.time_taken_sum("items__"),
        )
        .order_by("-started_at", "-pk")
    )


@dataclass(frozen=True)
class ScorePoint:
    session_id: int
    started_at: datetime
    percent: int


def _closed_sessions(user: User) -> QuerySet[InterviewSession]:
    """The user's sessions that are over, newest first (index `session_user_started_id`)."""
    return (
        InterviewSession.objects.filter(user=user)
        .exclude(status=InterviewSession.Status.IN_PROGRESS)
        .order_by("-started_at", "-pk")
    )


def recent_sessions(
    user: User, limit: int
) -> list[WithAnnotations[InterviewSession, SessionTotals]]:
    """The latest `limit` sessions that are over, newest first, with their totals: only those
    sessions' items are added up, so it costs the same however long the history."""
    latest = _closed_sessions(user).values("pk")[:limit]
    return list(sessions_with_totals(user).filter(pk__in=latest))


def score_series(user: User, limit: int = CHART_SESSIONS) -> list[ScorePoint]:
    """Scores of the latest closed sessions with at least one graded item, oldest first.

    An open interview has no final score yet and one with nothing graded has none at all, so
    neither is plotted (an interview ended at once would otherwise drag the trend to 0 %).
    """
    fields = ("pk", "started_at", "points", "graded")
    closed = _closed_sessions(user).values("pk")
    # Nearly every closed session has a grade, so the latest 2 × limit nearly always hold
    # `limit` scored ones and only their items are added up; the whole history is read only
    # when that window is full and still short of scores.
    window = 2 * limit
    latest = list(sessions_with_totals(user).filter(pk__in=closed[:window]).values(*fields))
    rows = [row for row in latest if row["graded"] > 0][:limit]
    if len(rows) < limit and len(latest) == window:
        everything = sessions_with_totals(user).filter(pk__in=closed, graded__gt=0)
        rows = list(everything.values(*fields)[:limit])
    return [
        ScorePoint(row["pk"], row["started_at"], score_percent(row["points"], row["graded"]) or 0)
        for row in reversed(rows)
    ]


def category_averages(user: User) -> list[CategoryScore]:
    """Each category the user has graded items in, weakest first (read off their tallies)."""
    rows = CategoryProgress.objects.filter(user=user, graded__gt=0).values(
        "category__name", "graded", "points", "unanswered"
    )
    scores = [scoring.category_score(row) for row in rows]
    return sorted(scores, key=lambda score: (score.points / score.graded, score.name))


@dataclass(frozen=True)
class QuestionToPractise:
    number: int
    title: str
    last_grade: int | None
    timed_out: int
    attempts: int

    @property
    def last_grade_label(self) -> str:
        # Only graded or skipped attempts count, so no grade means shown and left unanswered.
        return grade_label(self.last_grade, skipped=True)


def questions_to_practise(user: User, limit: int = PRACTISE_LIMIT) -> list[QuestionToPractise]:
    """Active questions whose last attempt (`sessions.tallies.attempts`) was weak
    (`scoring.is_weak`), unanswered or late.

    Worst first: by that last grade (skipped lowest), then by how often the question timed out.
    Read off the user's tallies: one row per question asked, however many attempts.
    """
    rows = (
        QuestionProgress.objects.filter(user=user, attempts__gt=0, question__is_active=True)
        .annotate(last_grade=F("last_item__grade"), last_timed_out=F("last_item__timed_out"))
        # A question answered well and in time since its bad attempts drops out.
        .filter(scoring.is_weak("last_grade") | Q(last_grade__isnull=True) | Q(last_timed_out=True))
        .order_by(F("last_grade").asc(nulls_first=True), "-timed_out", "question__number")
        .values("question__number", "question__title", "last_grade", "timed_out", "attempts")
    )[:limit]
    return [
        QuestionToPractise(
            number=row["question__number"],
            title=row["question__title"],
            last_grade=row["last_grade"],
            timed_out=row["timed_out"],
            attempts=row["attempts"],
        )
        for row in rows
    ]


@dataclass(frozen=True)
class Attempt:
    session_id: int
    started_at: datetime
    grade: int | None
    time_taken: timedelta | None
    timed_out: bool
    skipped: bool

    @property
    def grade_label(self) -> str:
        return grade_label(self.grade, skipped=self.skipped)


def question_attempts(user: User, question: Question) -> list[Attempt]:
    """The user's own attempts at one question (not its follow-ups), newest first."""
    rows = (
        Item.objects.filter(
            session__user=user,
            question=question,
            kind=Item.Kind.QUESTION,
            shown_at__isnull=False,
        )
        .order_by("-shown_at", "-pk")
        .values(
            "session_id",
            "session__started_at",
            "grade",
            "shown_at",
            "revealed_at",
            "timed_out",
            "skipped",
        )
    )
    return [
        Attempt(
            session_id=row["session_id"],
            started_at=row["session__started_at"],
            grade=row["grade"],
            time_taken=scoring.time_taken(row["shown_at"], row["revealed_at"]),
            timed_out=row["timed_out"],
            skipped=row["skipped"],
        )
        for row in rows
    ]
