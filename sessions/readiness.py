"""How ready a candidate is, per category and overall: seen, predicted recall and what is due.

A category's questions are its active ones; seen means the candidate has a card for the question
(sessions.memory). Predicted recall is the mean FSRS retrievability over all of the category's
active questions, a never-seen question counting as 0: so it rises as questions are seen and
falls as they are forgotten. It is judged now and on the interview date
(`plan.interview_moment`).

Recall and seen count the questions themselves, not their scenario follow-ups: the bank's
categories are sets of questions (9 of the 13 have no follow-up at all), and a follow-up is asked
only after its question. "Due now" counts every card that is due, follow-ups included, as the
daily plan does: each is a review to do.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, TypedDict, cast

from django.contrib.auth.models import User
from django.db.models import Count, F, Q

from questions.models import ActiveCount, Category
from sessions import memory, plan
from sessions.models import Card
from sessions.scoring import recall_percent

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class CategoryPk(TypedDict):
    category_pk: int


@dataclass(frozen=True)
class Row:
    """One category's readiness (`category` None: every category together)."""

    category: Category | None
    total: int  # active questions
    seen: int  # of those, the ones with a card
    recall_sum: float  # of retrievability now, over the seen ones
    recall_sum_on_date: float | None  # the same at the interview; None without a date ahead
    due_now: int  # cards due by now, follow-ups included

    @property
    def recall(self) -> float:
        return self.recall_sum / self.total if self.total else 0.0

    @property
    def recall_percent(self) -> int:
        return recall_percent(self.recall)

    @property
    def recall_on_date_percent(self) -> int | None:
        if self.recall_sum_on_date is None:
            return None
        return recall_percent(self.recall_sum_on_date / self.total if self.total else 0.0)

    @property
    def never_practised(self) -> bool:
        return self.seen == 0


@dataclass(frozen=True)
class Readiness:
    categories: list[Row]
    overall: Row
    interview_at: datetime | None  # when the "on the interview date" figures are judged


def readiness(user: User, now: datetime) -> Readiness:
    """The user's readiness in every category that has active questions, in the bank's order;
    three queries (and one for the preferences, unless read already), whatever the number of
    cards and reviews."""
    interview_at = plan.interview_moment(plan.preferences_for(user), now)
    categories = cast(
        "list[WithAnnotations[Category, ActiveCount]]",
        list(Category.objects.with_active_questions()),
    )
    cards = memory.schedulable_cards(user)
    counts = {
        row["question__category"]: row
        for row in cards.order_by()
        .values("question__category")
        .annotate(
            seen=Count("pk", filter=Q(scenario__isnull=True)),
            due_now=Count("pk", filter=Q(due__lte=now)),
        )
    }
    question_cards = cast(
        "list[WithAnnotations[Card, CategoryPk]]",
        list(cards.filter(scenario__isnull=True).annotate(category_pk=F("question__category"))),
    )
    recall_sums = _sums_by_category(question_cards, now)
    on_date_sums = None if interview_at is None else _sums_by_category(question_cards, interview_at)
    rows = [
        Row(
            category=category,
            total=category.active_count,
            seen=counts.get(category.pk, {}).get("seen", 0),
            recall_sum=recall_sums[category.pk],
            recall_sum_on_date=None if on_date_sums is None else on_date_sums[category.pk],
            due_now=counts.get(category.pk, {}).get("due_now", 0),
        )
        for category in categories
    ]
    overall = Row(
        category=None,
        total=sum(row.total for row in rows),
        seen=sum(row.seen for row in rows),
        recall_sum=sum(row.recall_sum for row in rows),
        recall_sum_on_date=None
        if on_date_sums is None
        else sum(row.recall_sum_on_date or 0.0 for row in rows),
        due_now=sum(row.due_now for row in rows),
    )
    return Readiness(categories=rows, overall=overall, interview_at=interview_at)


def _sums_by_category(
    cards: list[WithAnnotations[Card, CategoryPk]], at: datetime
) -> defaultdict[int, float]:
    """Retrievability at `at` summed per category, every card judged in one pass."""
    recall = memory.retrievabilities(cards, at)
    sums: defaultdict[int, float] = defaultdict(float)
    for card in cards:
        sums[card.category_pk] += recall[card.pk]
    return sums
