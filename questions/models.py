from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, TypedDict

from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.text import slugify
from simple_history.models import HistoricalRecords

if TYPE_CHECKING:
    from django.contrib.auth.models import User

_NUMBER_RANGE_SUFFIX = re.compile(r"\s*\(\d+\s*[-–]\s*\d+\)\s*$")


def short_category_name(name: str) -> str:
    """ "Advanced Topics (121-200)" reads as "Advanced Topics": the range is only numbering."""
    return _NUMBER_RANGE_SUFFIX.sub("", name) or name


def category_slug(name: str) -> str:
    return slugify(short_category_name(name)) or slugify(name)


class ActiveCount(TypedDict):
    active_count: int


class CategoryQuerySet(models.QuerySet["Category"]):
    def with_active_questions(self) -> CategoryQuerySet:
        """Categories that have active questions, each annotated with `active_count`."""
        return (
            self.annotate(active_count=Count("questions", filter=Q(questions__is_active=True)))
            .filter(active_count__gt=0)
            .order_by("position", "name")  # Meta.ordering is not applied to GROUP BY queries
        )


class Category(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    position = models.PositiveSmallIntegerField(default=0)

    objects = CategoryQuerySet.as_manager()
    history = HistoricalRecords()
    _change_reason: str  # set before save(); simple_history records it with the change

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return short_category_name(self.name)


class QuestionQuerySet(models.QuerySet["Question"]):
    def active(self) -> QuestionQuerySet:
        return self.filter(is_active=True)


class Question(models.Model):
    number = models.PositiveIntegerField(unique=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="questions")
    title = models.CharField(max_length=300)
    answer = models.TextField(help_text="Markdown (CommonMark). Raw HTML is not rendered.")
    is_active = models.BooleanField(
        default=True, help_text="Retired questions stay in past interviews but are not asked again."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuestionQuerySet.as_manager()
    history = HistoricalRecords()
    _change_reason: str  # set before save(); simple_history records it with the change

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("questions:detail", args=[self.number])


class Scenario(models.Model):
    """A follow-up scenario asked after its question, labelled like "1.1"."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="scenarios")
    label = models.CharField(max_length=20)
    prompt = models.TextField()
    answer = models.TextField(help_text="Markdown (CommonMark). Raw HTML is not rendered.")
    position = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords()
    _change_reason: str  # set before save(); simple_history records it with the change

    class Meta:
        ordering = ["question__number", "position", "label"]
        constraints = [
            models.UniqueConstraint(fields=["question", "label"], name="unique_scenario_label")
        ]

    def __str__(self) -> str:
        return f"Scenario {self.label}"


KEY_POINT_MAX_LENGTH = 200


class KeyPoint(models.Model):
    """One statement a good answer covers, in order, under its question or under a scenario.

    A question's own points have `question` set; a follow-up's points have `scenario` set (and
    no question), so `question.key_points` never mixes in the follow-ups' points.
    """

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, null=True, blank=True, related_name="key_points"
    )
    scenario = models.ForeignKey(
        Scenario, on_delete=models.CASCADE, null=True, blank=True, related_name="key_points"
    )
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=KEY_POINT_MAX_LENGTH)

    history = HistoricalRecords()
    _change_reason: str  # set before save(); simple_history records it with the change

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(question__isnull=False, scenario__isnull=True)
                | Q(question__isnull=True, scenario__isnull=False),
                name="key_point_has_one_owner",
            )
        ]

    def __str__(self) -> str:
        return self.text


class AnswerFlag(models.Model):
    """A candidate's report that a model answer is wrong or unclear; editors work the queue."""

    class Reason(models.TextChoices):
        WRONG = "wrong", "The answer is wrong"
        UNCLEAR = "unclear", "The answer is unclear"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    # How each reason reads after "You flagged this answer as …".
    REASON_WORDS = {Reason.WRONG: "wrong", Reason.UNCLEAR: "unclear"}
    MAX_COMMENT_LENGTH = 500
    MAX_REPLY_LENGTH = 500

    # A flag on a follow-up's answer names the scenario too; `question` is always its question.
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="flags")
    scenario = models.ForeignKey(
        Scenario, on_delete=models.CASCADE, null=True, blank=True, related_name="flags"
    )
    # Raised in an interview: the item that showed the answer. The interviews app's model, named
    # by its label so that this app imports nothing from it.
    item = models.ForeignKey(
        "interviews.Item", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The answer exactly as the candidate read it: an editor may have changed it since, and an
    # interview shows its own snapshot. Empty for flags raised before it was recorded.
    text_shown = models.TextField(blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="answer_flags"
    )
    reason = models.CharField(max_length=10, choices=Reason.choices)
    comment = models.TextField(max_length=MAX_COMMENT_LENGTH)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reply = models.TextField(
        max_length=MAX_REPLY_LENGTH,
        blank=True,
        help_text="Optional. Plain text; the candidate reads it on their dashboard once the flag "
        "is resolved.",
    )
    # The candidate read the notice that the flag was resolved (with its reply) and put it away.
    reply_dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["status", "-created_at"]
        verbose_name = "answer flag"
        # One open flag per user and answer: the question's own, and each scenario's. Two
        # constraints, because a unique constraint never treats NULL scenarios as equal.
        constraints = [
            models.UniqueConstraint(
                fields=["question", "user"],
                condition=Q(status="open", scenario__isnull=True),
                name="one_open_flag_per_user_and_question",
            ),
            models.UniqueConstraint(
                fields=["scenario", "user"],
                condition=Q(status="open", scenario__isnull=False),
                name="one_open_flag_per_user_and_scenario",
            ),
        ]
        indexes = [models.Index(fields=["status", "question"], name="flag_status_question")]

    def __str__(self) -> str:
        kind, name = self._target
        return f"{self.get_reason_display()}: {kind} {name}"

    @property
    def _target(self) -> tuple[str, str]:
        if self.scenario_id is not None and self.scenario is not None:
            return "scenario", self.scenario.label
        return "question", str(self.question.number)

    @property
    def target_label(self) -> str:
        """The answer flagged: "Question 12" or "Scenario 12.1"."""
        kind, name = self._target
        return f"{kind.capitalize()} {name}"

    @property
    def reason_word(self) -> str:
        return self.REASON_WORDS[self.Reason(self.reason)]

    def resolve(self, *, by: User | None, now: datetime) -> None:
        """Mark it resolved (not saved): the candidate is told, reply or not, until they dismiss
        the notice."""
        self.status = self.Status.RESOLVED
        self.resolved_at = now
        self.resolved_by = by
        self.reply_dismissed_at = None

    def reopen(self) -> None:
        """Mark it open again (not saved)."""
        self.status = self.Status.OPEN
        self.resolved_at = None
        self.resolved_by = None

    def dismiss_notice(self, *, now: datetime) -> None:
        """The candidate put away the notice that it was resolved; a second dismissal (another
        tab, a double click) keeps the first time."""
        AnswerFlag.objects.filter(pk=self.pk, reply_dismissed_at__isnull=True).update(
            reply_dismissed_at=now
        )


class SearchDocument(models.Model):
    """One searchable text of a question, as plain text: its title, its answer, its key points,
    or a follow-up's prompt, answer or key points.

    Derived data, never edited: `questions.search` rebuilds a question's documents and terms
    whenever the question, a scenario or a key point of it is saved or deleted.
    """

    class Kind(models.TextChoices):
        TITLE = "title", "Title"
        ANSWER = "answer", "Answer"
        KEY_POINTS = "key_points", "Key points"
        SCENARIO_PROMPT = "scenario_prompt", "Scenario"
        SCENARIO_ANSWER = "scenario_answer", "Scenario answer"
        SCENARIO_KEY_POINTS = "scenario_key_points", "Scenario key points"

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="search_documents"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    label = models.CharField(max_length=20, blank=True)  # the scenario's, e.g. "3.1"
    text = models.TextField()

    class Meta:
        ordering = ["question", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.label}".strip()


SEARCH_WORD_MAX_LENGTH = 60


class SearchTerm(models.Model):
    """A stemmed term of a search document, with how often it occurs there: the inverted index.

    `word` is the term's commonest spelling in the document (case-folded), the vocabulary that
    "Did you mean …?" draws on.
    """

    document = models.ForeignKey(SearchDocument, on_delete=models.CASCADE, related_name="terms")
    stem = models.CharField(max_length=SEARCH_WORD_MAX_LENGTH)
    word = models.CharField(max_length=SEARCH_WORD_MAX_LENGTH)
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["document", "stem"], name="unique_search_term")
        ]
        indexes = [
            models.Index(fields=["stem"], name="search_term_stem"),
            models.Index(fields=["word"], name="search_term_word"),
        ]

    def __str__(self) -> str:
        return self.stem
