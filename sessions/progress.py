"""Read-only views of a candidate's progress: every figure is aggregated in the database.

Each function runs a fixed number of queries however many sessions the user has.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    Avg,
    BooleanField,
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Coalesce, Round

from questions.models import Question, short_category_name
from sessions.models import (
    MAX_POINTS_PER_ITEM,
    Grade,
    InterviewSession,
    Item,
    grade_label,
    score_percent,
)

WEAK_QUESTION_LIMIT = 6
CHART_SESSIONS = 30


def sessions_with_totals(user: AbstractBaseUser) -> QuerySet[InterviewSession]:
    """The user's sessions, newest first, each annotated with its totals.

    The one definition of a session's score, for the summary, the dashboard and the history:
    points ÷ (3 × items asked), where asked means shown to the candidate.
    """
    shown = Q(items__shown_at__isnull=False)
    time_taken = ExpressionWrapper(
        F("items__revealed_at") - F("items__shown_at"), output_field=DurationField()
    )
    return (
        InterviewSession.objects.filter(user=user)
        .annotate(
            points=Coalesce(Sum("items__grade"), 0),
            asked=Count("items", filter=shown),
            item_total=Count("items"),
            timed_out=Count("items", filter=Q(items__timed_out=True)),
            time_taken=Sum(time_taken, filter=Q(items__revealed_at__isnull=False)),
        )
        .annotate(max_points=F("asked") * MAX_POINTS_PER_ITEM)
        .annotate(
            score_percent=Case(
                When(asked=0, then=None),
                default=Round(100.0 * F("points") / F("max_points")),
                output_field=IntegerField(),
            )
        )
        .order_by("-started_at", "-pk")
    )


@dataclass(frozen=True)
class ScorePoint:
    session_id: int
    started_at: datetime
    percent: int


def score_series(user: AbstractBaseUser, limit: int = CHART_SESSIONS) -> list[ScorePoint]:
    """Scores of the latest finished sessions, oldest first, for the progress chart."""
    rows = (
        sessions_with_totals(user)
        .exclude(status=InterviewSession.Status.IN_PROGRESS)
        .filter(asked__gt=0)
        .values("pk", "started_at", "score_percent")[:limit]
    )
    return [
        ScorePoint(row["pk"], row["started_at"], row["score_percent"]) for row in reversed(rows)
    ]


@dataclass(frozen=True)
class CategoryAverage:
    name: str
    graded: int
    points: int

    @property
    def average_points(self) -> float:
        return self.points / self.graded

    @property
    def percent(self) -> int:
        return score_percent(self.points, self.graded)

    @property
    def bar_width(self) -> int:
        """The bar's length out of 100; a sliver even at 0 % so the row still shows a bar."""
        return max(self.percent, 1)

    @property
    def band(self) -> str:
        """For the bar colour: below half is weak, from 75 % strong."""
        return "weak" if self.percent < 50 else "strong" if self.percent >= 75 else "fair"


def category_averages(user: AbstractBaseUser) -> list[CategoryAverage]:
    """Average grade per category over all graded items, weakest first."""
    rows = (
        Item.objects.filter(session__user=user, grade__isnull=False)
        .values("category__name")
        .annotate(graded=Count("pk"), points=Sum("grade"), average=Avg("grade"))
        .order_by("average", "category__name")
    )
    return [
        CategoryAverage(short_category_name(row["category__name"]), row["graded"], row["points"])
        for row in rows
    ]


@dataclass(frozen=True)
class WeakQuestion:
    number: int
    title: str
    last_grade: int | None
    timed_out: int
    attempts: int

    @property
    def last_grade_label(self) -> str:
        # Only graded or skipped attempts count, so no grade means skipped.
        return grade_label(self.last_grade, skipped=True)


def weakest_questions(
    user: AbstractBaseUser, limit: int = WEAK_QUESTION_LIMIT
) -> list[WeakQuestion]:
    """Active questions whose last attempt was Missed, Partial, skipped or out of time.

    Worst first: by that last grade (skipped lowest), then by how often the question timed out.
    """
    # An attempt is over once graded or skipped; the question on screen right now is not one.
    attempts = Item.objects.filter(
        Q(grade__isnull=False) | Q(skipped=True),
        session__user=user,
        kind=Item.Kind.QUESTION,
        shown_at__isnull=False,
    )
    last_attempt = attempts.filter(question=OuterRef("question")).order_by("-shown_at", "-pk")
    rows = (
        attempts.filter(question__is_active=True)
        .values("question__number", "question__title")
        .annotate(
            attempt_count=Count("pk"),
            timed_out_count=Count("pk", filter=Q(timed_out=True)),
            last_grade=Subquery(last_attempt.values("grade")[:1], output_field=IntegerField()),
            last_timed_out=Subquery(
                last_attempt.values("timed_out")[:1], output_field=BooleanField()
            ),
        )
        # A question answered well and in time since its bad attempts drops out.
        .filter(
            Q(last_grade__lte=Grade.PARTIAL) | Q(last_grade__isnull=True) | Q(last_timed_out=True)
        )
        .order_by(F("last_grade").asc(nulls_first=True), "-timed_out_count", "question__number")
    )[:limit]
    return [
        WeakQuestion(
            number=row["question__number"],
            title=row["question__title"],
            last_grade=row["last_grade"],
            timed_out=row["timed_out_count"],
            attempts=row["attempt_count"],
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


def question_attempts(user: AbstractBaseUser, question: Question) -> list[Attempt]:
    """The user's own attempts at one question (not its follow-ups), newest first."""
    rows = (
        Item.objects.filter(
            session__user=user,
            question=question,
            kind=Item.Kind.QUESTION,
            shown_at__isnull=False,
        )
        .annotate(
            taken=ExpressionWrapper(F("revealed_at") - F("shown_at"), output_field=DurationField())
        )
        .order_by("-shown_at", "-pk")
        .values("session_id", "session__started_at", "grade", "taken", "timed_out", "skipped")
    )
    return [
        Attempt(
            session_id=row["session_id"],
            started_at=row["session__started_at"],
            grade=row["grade"],
            time_taken=row["taken"],
            timed_out=row["timed_out"],
            skipped=row["skipped"],
        )
        for row in rows
    ]


CSV_HEADER = [
    "session", "session_started_at", "mode", "session_status", "position", "kind", "label",
    "category", "question_number", "grade", "points", "timed_out", "skipped",
    "shown_at", "revealed_at", "graded_at", "seconds_taken", "notes",
]  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write() returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def _cell(value: str) -> str:
    # A spreadsheet would run "=HYPERLINK(…)" typed into the notes as a formula.
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def history_csv_lines(user: AbstractBaseUser) -> Iterator[str]:
    """The CSV export, one line at a time: every item of every session of the user."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    items = (
        Item.objects.filter(session__user=user)
        .select_related("session", "category")
        .annotate(question_number=F("question__number"))
        .order_by("session__started_at", "session_id", "position")
    )
    for item in items.iterator(chunk_size=500):
        taken = item.time_taken
        yield writer.writerow(
            [
                item.session_id,
                _iso(item.session.started_at),
                item.session.mode,
                item.session.status,
                item.position + 1,
                item.kind,
                item.label,
                short_category_name(item.category.name),
                item.question_number,
                item.grade_label,
                "" if item.grade is None else item.grade,
                "yes" if item.timed_out else "no",
                "yes" if item.skipped else "no",
                _iso(item.shown_at),
                _iso(item.revealed_at),
                _iso(item.graded_at),
                "" if taken is None else round(taken.total_seconds()),
                _cell(item.notes),
            ]
        )
