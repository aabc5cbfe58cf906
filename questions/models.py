from __future__ import annotations

from django.db import models
from django.urls import reverse

from questions.bank import short_category_name


class Category(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    position = models.PositiveSmallIntegerField(default=0)

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

    class Meta:
        ordering = ["question__number", "position", "label"]
        constraints = [
            models.UniqueConstraint(fields=["question", "label"], name="unique_scenario_label")
        ]

    def __str__(self) -> str:
        return f"Scenario {self.label}"
