from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypedDict, cast

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from fsrs import Rating, State

from questions.models import KEY_POINT_MAX_LENGTH, Category, Question, Scenario
from sessions.scoring import MAX_POINTS_PER_ITEM, Grade, grade_label, score_percent, time_taken

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

# The most new questions a day a candidate may ask the drill for.
NEW_PER_DAY_MAX = 50


class SessionTotals(TypedDict):
    """The totals that progress.sessions_with_totals annotates; score_percent reads them."""

    points: int
    graded: int
    unanswered: int
    asked: int
    item_total: int
    timed_out: int
    time_taken: timedelta | None


class InterviewSession(models.Model):
    class Mode(models.TextChoices):
        TIMED = "timed", "Timed interview"
        PRACTICE = "practice", "Practice (no clock)"
        # The day's spaced-repetition review (sessions.plan): due cards, then new questions.
        DRILL = "drill", "Daily drill"

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        FINISHED = "finished", "Finished"
        ENDED_EARLY = "ended_early", "Ended early"
        # Left untouched for longer than INTERVIEW_ABANDON_AFTER_HOURS, and ended for the owner.
        ABANDONED = "abandoned", "Abandoned"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interview_sessions"
    )
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.TIMED)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    seconds_per_item = models.PositiveIntegerField()
    include_scenarios = models.BooleanField(default=True)
    # Whether its grades move the candidate's FSRS cards (sessions.memory); only a practice run
    # may leave them out.
    counts_toward_schedule = models.BooleanField(default=True)
    categories = models.ManyToManyField(Category, related_name="+")
    # Index into the items (by position) of the one being asked; equals the item count at the end.
    current_position = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(mode="practice") | Q(counts_toward_schedule=True),
                name="session_only_practice_skips_schedule",
            )
        ]
        indexes = [
            # Newest first with the id as the tie-break, as the history pages and the dashboard
            # order them: a page (or the latest few) is read off the index, no sort.
            models.Index(fields=["user", "-started_at", "-id"], name="session_user_started_id"),
            # Every page load looks for the user's open interviews (services.settle_open_sessions).
            models.Index(
                fields=["user"], condition=Q(status="in_progress"), name="session_user_open"
            ),
        ]

    def __str__(self) -> str:
        return f"Interview {self.pk} of {self.user}"

    def get_absolute_url(self) -> str:
        return reverse("interviews:detail", args=[self.pk])

    @property
    def is_timed(self) -> bool:
        return self.mode == self.Mode.TIMED

    @property
    def is_drill(self) -> bool:
        return self.mode == self.Mode.DRILL

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.IN_PROGRESS

    @property
    def score_percent(self) -> int | None:
        """The score (see sessions.scoring), of a session from progress.sessions_with_totals."""
        # Declared as attributes, the totals would clash with the annotations in django-stubs.
        totals = cast("WithAnnotations[InterviewSession, SessionTotals]", self)
        return score_percent(totals.points, totals.graded)

    @property
    def status_tone(self) -> str:
        """The colour of its status badge."""
        tones = {self.Status.FINISHED: "ok", self.Status.IN_PROGRESS: "neutral"}
        return tones.get(self.Status(self.status), "warning")

    def item_url(self, position: int) -> str:
        return reverse("interviews:item", args=[self.pk, position])


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
        return time_taken(self.shown_at, self.revealed_at)

    @property
    def grade_label(self) -> str:
        return grade_label(self.grade, skipped=self.skipped, shown=self.shown_at is not None)

    def remaining(self, now: datetime) -> timedelta | None:
        """Time left on the clock (never negative); None when the item has no deadline."""
        if self.deadline_at is None:
            return None
        return max(self.deadline_at - now, timedelta(0))

    def is_overdue(self, now: datetime) -> bool:
        """Past the deadline plus the grace for latency: a reveal now is recorded as timed out."""
        return self.deadline_at is not None and now > self.deadline_at + grace_period()

    def times_out(self, now: datetime, *, browser_saw_zero: bool = False) -> bool:
        """Whether a reveal at `now` is late. The browser may report a time-out it saw (its
        countdown reached zero, so within the grace before the deadline), never hide one."""
        if self.deadline_at is None:
            return False
        return self.is_overdue(now) or (
            browser_saw_zero and now >= self.deadline_at - grace_period()
        )


class ItemKeyPoint(models.Model):
    """A key point as the item showed it (a snapshot, like the answer) and what became of it."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="key_points")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=KEY_POINT_MAX_LENGTH)
    # Its terms appeared in the notes when the answer was revealed (a suggestion, pre-ticked).
    mentioned = models.BooleanField(default=False)
    # Ticked by the candidate: "I covered this".
    covered = models.BooleanField(default=False)

    class Meta:
        ordering = ["item", "position"]
        constraints = [
            models.UniqueConstraint(fields=["item", "position"], name="unique_item_key_point")
        ]

    def __str__(self) -> str:
        return self.text


class Recording(models.Model):
    """The spoken answer to an item, kept on the server only when its owner turned on "keep
    recordings" (Preferences); otherwise recordings never leave the browser.

    In the database, not in files: any number of web processes share it, and it goes with the
    item, so with the interview and the account (CASCADE)."""

    # The containers MediaRecorder writes (Chromium and Firefox: WebM or Ogg; Safari: MP4).
    CONTENT_TYPES = ("audio/webm", "audio/ogg", "audio/mp4")

    item = models.OneToOneField(Item, on_delete=models.CASCADE, related_name="recording")
    content_type = models.CharField(max_length=20)
    audio = models.BinaryField()
    size = models.PositiveIntegerField()
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Recording of {self.item}"


def grace_period() -> timedelta:
    return timedelta(seconds=settings.INTERVIEW_GRACE_SECONDS)


class GradeChange(models.Model):
    """One correction of a grade: an undo (new grade None) or a change on the summary."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="grade_changes")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changed_at = models.DateTimeField()
    old_grade = models.PositiveSmallIntegerField(choices=Grade.choices)
    new_grade = models.PositiveSmallIntegerField(choices=Grade.choices, null=True, blank=True)

    class Meta:
        ordering = ["changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.item}: {self.old_label} → {self.new_label}"

    @property
    def old_label(self) -> str:
        return Grade(self.old_grade).label

    @property
    def new_label(self) -> str:
        return "undone" if self.new_grade is None else Grade(self.new_grade).label


class Card(models.Model):
    """What a user remembers of one bank question or one scenario follow-up: FSRS's memory state.

    Derived from its ReviewLog rows (sessions.memory replays them; `rebuild_schedule` does so for
    every card). A card exists once its first review counted, and goes when its last is undone.
    A scenario's card also names its question, so retiring the question retires both.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cards"
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="cards")
    # None: the card of the question itself.
    scenario = models.ForeignKey(
        Scenario, on_delete=models.CASCADE, null=True, blank=True, related_name="cards"
    )
    # The fields of fsrs.Card, so a card converts to the library's and back without loss.
    state = models.PositiveSmallIntegerField(choices=[(s.value, s.name) for s in State])
    step = models.PositiveSmallIntegerField(null=True, blank=True)
    stability = models.FloatField(null=True, blank=True)
    difficulty = models.FloatField(null=True, blank=True)
    due = models.DateTimeField()
    last_review = models.DateTimeField(null=True, blank=True)
    reviews = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "question"],
                condition=Q(scenario__isnull=True),
                name="unique_question_card",
            ),
            models.UniqueConstraint(
                fields=["user", "scenario"],
                condition=Q(scenario__isnull=False),
                name="unique_scenario_card",
            ),
        ]
        indexes = [models.Index(fields=["user", "due"], name="card_user_due")]

    def __str__(self) -> str:
        return f"Card of {self.user} for question {self.question_id}"

    @property
    def state_label(self) -> str:
        return State(self.state).name


class ReviewLog(models.Model):
    """One graded item that counted toward its card: the review FSRS replays."""

    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="logs")
    # An item is one review at most: grading it again after an undo replaces its row.
    item = models.OneToOneField(Item, on_delete=models.CASCADE, related_name="review")
    rating = models.PositiveSmallIntegerField(choices=[(r.value, r.name) for r in Rating])
    reviewed_at = models.DateTimeField()
    # The item's time taken (shown to revealed), uncapped: what FSRS's optimiser would read.
    duration = models.DurationField()

    class Meta:
        ordering = ["reviewed_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=int(Rating.Again), rating__lte=int(Rating.Easy)),
                name="review_rating_in_range",
            )
        ]
        indexes = [models.Index(fields=["card", "reviewed_at"], name="review_card_time")]

    def __str__(self) -> str:
        return f"{Rating(self.rating).name} on {self.item}"


class QuestionProgress(models.Model):
    """A user's attempts at one question so far, kept for the dashboard's "questions to
    practise" so that reading it costs the same however long the history.

    Derived from the items (`sessions.tallies` keeps it in the same transaction as every grade,
    undo and end of an interview, and rebuilds it from the items on demand). A row exists from
    the first interview that asks the question; `attempts` counts the question's items that are
    over (graded or skipped after being shown), not its follow-ups.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    attempts = models.PositiveIntegerField(default=0)
    timed_out = models.PositiveIntegerField(default=0)
    # The newest attempt (by shown time): its grade and time-out are read through it, so a
    # changed grade needs no update here.
    last_item = models.ForeignKey(
        Item, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The last attempt's shown time, copied: a grade compares its own against it in one UPDATE.
    last_shown_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "question progress"
        constraints = [
            models.UniqueConstraint(fields=["user", "question"], name="unique_question_progress")
        ]

    def __str__(self) -> str:
        return f"Progress of {self.user} on question {self.question_id}"


class CategoryProgress(models.Model):
    """A user's totals in one category (the items' own category, as the summary counts them):
    the dashboard's category averages, kept by `sessions.tallies` like QuestionProgress."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    graded = models.PositiveIntegerField(default=0)
    points = models.PositiveIntegerField(default=0)
    unanswered = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "category progress"
        constraints = [
            models.UniqueConstraint(fields=["user", "category"], name="unique_category_progress")
        ]

    def __str__(self) -> str:
        return f"Progress of {self.user} in category {self.category_id}"


class Preferences(models.Model):
    """What a candidate chose for their own preparation; absent until they first save it, and
    then `sessions.plan.preferences_for` answers the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences"
    )
    # An IANA name (zoneinfo): "today", and so what is due today, is the candidate's local day.
    time_zone = models.CharField(max_length=64, default="UTC")
    interview_date = models.DateField(null=True, blank=True)
    # The most never-seen questions a day's drill (and the plan to the interview date) adds.
    new_per_day = models.PositiveSmallIntegerField(
        default=10, validators=[MinValueValidator(0), MaxValueValidator(NEW_PER_DAY_MAX)]
    )

    # Spoken answers are uploaded and kept with the interview (Recording); off, they stay in
    # the browser that recorded them.
    keep_recordings = models.BooleanField(default=False)
    # A short beep when the clock enters its warning state (the last fifth).
    warning_sound = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "preferences"
        constraints = [
            models.CheckConstraint(
                condition=Q(new_per_day__lte=NEW_PER_DAY_MAX), name="preferences_new_per_day_max"
            )
        ]

    def __str__(self) -> str:
        return f"Preferences of {self.user}"
