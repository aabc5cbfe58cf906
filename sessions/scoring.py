"""Every score, percentage, time taken and "weak" judgement, defined once.

A session's score is points ÷ (3 × graded items), as a whole percentage with halves rounded up.
Items shown but never graded are "unanswered": reported on their own, never counted as zeros.
With nothing graded there is no score at all (None, shown as "—"), and such a session stays off
the trend chart. Category figures follow the same rule over that category's items.

The summary, the dashboard, the history, the CSV export and the per-question record all read
these functions; the README's "How scores are computed" describes them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
)

from questions.models import short_category_name

if TYPE_CHECKING:
    from sessions.models import Item


class Grade(models.IntegerChoices):
    """Self-assessment levels; the value is the points scored (keys 1–4 pick them)."""

    MISSED = 0, "Missed"
    PARTIAL = 1, "Partial"
    SOLID = 2, "Solid"
    EXCELLENT = 3, "Excellent"


GRADE_DESCRIPTIONS = {
    Grade.MISSED: "Could not answer, or the answer was wrong.",
    Grade.PARTIAL: "Right direction, but key points missing or shaky.",
    Grade.SOLID: "Covered the key points correctly.",
    Grade.EXCELLENT: "Complete and precise, with depth or examples beyond the model answer.",
}
MAX_POINTS_PER_ITEM = max(Grade.values)


def suggested_grade(covered: int, total: int) -> Grade | None:
    """The grade the ticked key points suggest; the candidate still chooses.

    None ticked → Missed, under half → Partial, half or more → Solid. Excellent is never
    suggested: going beyond the model answer is the candidate's call. No key points, no
    suggestion.
    """
    if total == 0:
        return None
    if covered == 0:
        return Grade.MISSED
    if 2 * covered < total:
        return Grade.PARTIAL
    return Grade.SOLID


def grade_label(grade: int | None, *, skipped: bool, shown: bool = True) -> str:
    """How an item's outcome reads: its grade, or why it has none."""
    if grade is not None:
        return Grade(grade).label
    if not skipped:
        return "In progress"
    return "Unanswered" if shown else "Not asked"


def score_percent(points: int, graded: int) -> int | None:
    """points ÷ (3 × graded) as a whole percentage, halves rounded up; None with nothing graded.

    Integer arithmetic keeps it exact (Python's round() would take 12.5 to 12).
    """
    if graded == 0:
        return None
    max_points = MAX_POINTS_PER_ITEM * graded
    return (200 * points + max_points) // (2 * max_points)


def recall_percent(retrievability: float) -> int:
    """A predicted recall (FSRS retrievability, 0 to 1) as a whole percentage, halves rounded up
    as in a score."""
    return math.floor(100 * retrievability + 0.5)


def time_taken(shown_at: datetime | None, revealed_at: datetime | None) -> timedelta | None:
    """From first shown to the reveal, uncapped; None for an item never revealed."""
    if shown_at is None or revealed_at is None:
        return None
    return revealed_at - shown_at


def format_duration(value: timedelta | None) -> str:
    """A time as "42 s", "3 min 05 s" or "1 h 02 min"; rounded to the second, "—" for none."""
    if value is None:
        return "—"
    seconds = max(0, round(value.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {seconds:02d} s" if seconds else f"{minutes} min"
    return f"{seconds} s"


def time_taken_sum(prefix: str = "") -> Sum:
    """The database's sum of `time_taken` over revealed items (prefix: the path to the items)."""
    taken = ExpressionWrapper(
        F(f"{prefix}revealed_at") - F(f"{prefix}shown_at"), output_field=DurationField()
    )
    return Sum(taken, filter=Q(**{f"{prefix}revealed_at__isnull": False}))


def is_weak(field: str = "grade") -> Q:
    """A weak grade: Missed or Partial. `field` names the grade column (or an annotation)."""
    return Q(**{f"{field}__lte": Grade.PARTIAL})


def graded(prefix: str = "") -> Q:
    return Q(**{f"{prefix}grade__isnull": False})


def unanswered(prefix: str = "") -> Q:
    """Shown to the candidate, then left without a grade when the interview ended."""
    return Q(
        **{
            f"{prefix}shown_at__isnull": False,
            f"{prefix}grade__isnull": True,
            f"{prefix}skipped": True,
        }
    )


@dataclass(frozen=True)
class CategoryScore:
    name: str
    graded: int
    points: int
    unanswered: int = 0

    @property
    def percent(self) -> int | None:
        return score_percent(self.points, self.graded)

    @property
    def bar_width(self) -> int:
        """The bar's length out of 100; a sliver even at 0 % so the row still shows a bar."""
        return max(self.percent or 0, 1)

    @property
    def band(self) -> str:
        """For the bar colour: below half is weak, from 75 % strong."""
        percent = self.percent or 0
        return "weak" if percent < 50 else "strong" if percent >= 75 else "fair"


def category_totals() -> dict[str, Aggregate]:
    """What a category's score is made of, as aggregates over its items (an item never shown
    adds to none of them)."""
    return {
        "graded": Count("pk", filter=graded()),
        "points": Sum("grade", default=0),
        "unanswered": Count("pk", filter=unanswered()),
    }


def category_scores(items: QuerySet[Item]) -> list[CategoryScore]:
    """Per category of the shown `items`: graded count, points and unanswered, in bank order."""
    rows = (
        items.filter(shown_at__isnull=False)
        .values("category__name", "category__position")
        .annotate(**category_totals())
        .order_by("category__position", "category__name")
    )
    return [category_score(row) for row in rows]


def category_score(row: Mapping[str, Any]) -> CategoryScore:
    """A category's score from a row holding its `category__name` and `category_totals()`."""
    return CategoryScore(
        name=short_category_name(row["category__name"]),
        graded=row["graded"],
        points=row["points"],
        unanswered=row["unanswered"],
    )
