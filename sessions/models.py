from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Count, Q, Sum
from django.urls import reverse

from questions.models import Category, Question, Scenario, short_category_name


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


def grade_label(grade: int | None, *, skipped: bool) -> str:
    """How an item's outcome reads: its grade, or why it has none."""
    if grade is not None:
        return Grade(grade).label
    return "Skipped" if skipped else "In progress"


def score_percent(points: int, items: int) -> int:
    """points ÷ (3 × items) as a whole percentage, halves rounded up as the database rounds.

    Python's round() would take 12.5 to 12 while PostgreSQL and SQLite give 13; integer
    arithmetic keeps it exact.
    """
    max_points = MAX_POINTS_PER_ITEM * items
    return (200 * points + max_points) // (2 * max_points)


class InterviewSession(models.Model):
    class Mode(models.TextChoices):
        TIMED = "timed", "Timed interview"
        PRACTICE = "practice", "Practice (no clock)"

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        FINISHED = "finished", "Finished"
        ENDED_EARLY = "ended_early", "Ended early"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interview_sessions"
    )
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.TIMED)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    seconds_per_item = models.PositiveIntegerField()
    include_scenarios = models.BooleanField(default=True)
    categories = models.ManyToManyField(Category, related_name="+")
    # Index into the items (by position) of the one being asked; equals the item count at the end.
    current_position = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["user", "-started_at"], name="session_user_started")]

    def __str__(self) -> str:
        return f"Interview {self.pk} of {self.user}"

    def get_absolute_url(self) -> str:
        return reverse("interviews:detail", args=[self.pk])

    @property
    def is_timed(self) -> bool:
        return self.mode == self.Mode.TIMED

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.IN_PROGRESS

    @property
    def is_finished(self) -> bool:
        return self.status == self.Status.FINISHED

    @property
    def is_ended_early(self) -> bool:
        return self.status == self.Status.ENDED_EARLY

    def category_breakdown(self) -> list[CategoryScore]:
        rows = (
            self.items.filter(shown_at__isnull=False)
            .values("category__name", "category__position")
            .annotate(asked=Count("pk"), points=Sum("grade", default=0))
            .order_by("category__position", "category__name")
        )
        return [
            CategoryScore(
                name=short_category_name(row["category__name"]),
                asked=row["asked"],
                points=row["points"],
            )
            for row in rows
        ]


@dataclass(frozen=True)
class CategoryScore:
    name: str
    asked: int
    points: int

    @property
    def percent(self) -> int:
        return score_percent(self.points, self.asked)


class Item(models.Model):
    """One asked question or scenario follow-up, with a snapshot of exactly what was shown."""

    class Kind(models.TextChoices):
        QUESTION = "question", "Question"
        SCENARIO = "scenario", "Follow-up scenario"

    session = models.ForeignKey(InterviewSession, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.QUESTION)
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    scenario = models.ForeignKey(
        Scenario, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    # Snapshots: an editor's later revision must not rewrite what this session showed.
    label = models.CharField(max_length=40)
    prompt = models.TextField()
    answer = models.TextField()

    notes = models.TextField(blank=True)
    time_limit_seconds = models.PositiveIntegerField(null=True, blank=True)
    shown_at = models.DateTimeField(null=True, blank=True)
    deadline_at = models.DateTimeField(null=True, blank=True)
    revealed_at = models.DateTimeField(null=True, blank=True)
    graded_at = models.DateTimeField(null=True, blank=True)
    timed_out = models.BooleanField(default=False)
    skipped = models.BooleanField(default=False)
    grade = models.PositiveSmallIntegerField(choices=Grade.choices, null=True, blank=True)

    class Meta:
        ordering = ["session", "position"]
        constraints = [
            models.UniqueConstraint(fields=["session", "position"], name="unique_item_position"),
            models.CheckConstraint(
                condition=Q(grade__isnull=True) | Q(grade__gte=0, grade__lte=MAX_POINTS_PER_ITEM),
                name="item_grade_in_range",
            ),
        ]
        indexes = [models.Index(fields=["question", "session"], name="item_question_session")]

    def __str__(self) -> str:
        return f"{self.label} in interview {self.session_id}"

    @property
    def is_scenario(self) -> bool:
        return self.kind == self.Kind.SCENARIO

    @property
    def is_revealed(self) -> bool:
        return self.revealed_at is not None

    @property
    def time_taken(self) -> timedelta | None:
        """From first shown to reveal, uncapped; None until revealed (grading needs a reveal)."""
        if self.shown_at is None or self.revealed_at is None:
            return None
        return self.revealed_at - self.shown_at

    @property
    def grade_label(self) -> str:
        return grade_label(self.grade, skipped=self.skipped)
