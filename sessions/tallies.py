"""The dashboard's running totals per user: attempts per question and scores per category.

Reading "questions to practise" and the category averages off the items grows with the history
(a year of three interviews a day is 10,000 items: 50 ms a dashboard, docs/performance.md).
These tables hold the same figures, at most one row per question and per category, so the
dashboard reads a few hundred rows whatever the history. They are derived data:

- `sessions.services` keeps them in the same transaction as every change of an item that they
  count: an interview's start makes its rows, a grade, an undo and a changed grade move them,
  and the end of an interview counts its unanswered items;
- `rebuild` derives them again from the items (the migration that added them, the test
  histories made in bulk, and the test proving both ways agree).

The counters move by arithmetic (each change says by how much), and a grade makes its item the
question's last attempt unless a newer one is counted; an undo, or the end of an interview,
recounts the question's attempts from its items instead, because an undo has to find which
attempt was the last before it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.apps import apps as global_apps
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from sessions import scoring
from sessions.models import CategoryProgress, InterviewSession, Item, QuestionProgress

if TYPE_CHECKING:
    from django.apps.registry import Apps


def attempts(items: QuerySet[Any]) -> QuerySet[Any]:
    """The `items` that are attempts at a question: the question itself (not a follow-up),
    shown and over (graded, or skipped when its interview ended); the question on screen right
    now is not one yet."""
    return items.filter(
        Q(grade__isnull=False) | Q(skipped=True),
        kind=Item.Kind.QUESTION,
        shown_at__isnull=False,
    )


def open_rows(session: InterviewSession, items: Sequence[Item]) -> None:
    """Make the rows a new interview's items will count in (the ones it asks for the first
    time): two INSERTs that leave existing rows alone."""
    questions = {item.question_id for item in items if item.kind == Item.Kind.QUESTION}
    categories = {item.category_id for item in items}
    QuestionProgress.objects.bulk_create(
        [QuestionProgress(user_id=session.user_id, question_id=pk) for pk in sorted(questions)],
        ignore_conflicts=True,
    )
    CategoryProgress.objects.bulk_create(
        [CategoryProgress(user_id=session.user_id, category_id=pk) for pk in sorted(categories)],
        ignore_conflicts=True,
    )


def grade_moved(item: Item, *, user_id: int, old: int | None, new: int | None) -> None:
    """Count an item's grade going from `old` to `new` (None: ungraded): a grade, an undo or a
    changed grade. Two UPDATEs at most."""
    graded = (new is not None) - (old is not None)
    points = (new or 0) - (old or 0)
    CategoryProgress.objects.filter(user_id=user_id, category_id=item.category_id).update(
        graded=F("graded") + graded, points=F("points") + points
    )
    if item.kind != Item.Kind.QUESTION or not graded:
        return  # a changed grade leaves the attempts be: the last one's is read through it
    if graded > 0:
        _count_new_attempt(item, user_id=user_id)
    else:  # an undo: which attempt is the last now is for the items to say
        recount_attempts(user_ids=[user_id], question_ids=[item.question_id])


def _count_new_attempt(item: Item, *, user_id: int) -> None:
    """Add one attempt, just graded, to its question's row, without reading the items: the
    grade step's UPDATE. It becomes the last attempt unless a newer one is counted already (a
    second interview, shown later, graded first)."""
    assert item.shown_at is not None  # graded, so revealed, so shown
    newer = (
        Q(last_shown_at__isnull=True)
        | Q(last_shown_at__lt=item.shown_at)
        | Q(last_shown_at=item.shown_at, last_item_id__lt=item.pk)
    )
    QuestionProgress.objects.filter(user_id=user_id, question_id=item.question_id).update(
        attempts=F("attempts") + 1,
        timed_out=F("timed_out") + int(item.timed_out),
        last_item=Case(
            When(newer, then=Value(item.pk)), default=F("last_item"), output_field=BigIntegerField()
        ),
        last_shown_at=Case(When(newer, then=Value(item.shown_at)), default=F("last_shown_at")),
    )


def ended(session: InterviewSession) -> None:
    """Count what `end_session` just left unanswered: its items shown but never graded, which it
    marked skipped (an open interview has none skipped before), and recount those questions'
    attempts. Two UPDATEs."""
    left = session.items.filter(scoring.unanswered())
    in_category = (
        left.filter(category=OuterRef("category"))
        .order_by()
        .values("category")
        .annotate(total=Count("pk"))
        .values("total")
    )
    CategoryProgress.objects.filter(
        user_id=session.user_id, category__in=left.values("category")
    ).update(unanswered=F("unanswered") + Subquery(in_category))
    questions = left.filter(kind=Item.Kind.QUESTION).values("question")
    recount_attempts(user_ids=[session.user_id], question_ids=questions)


def recount_attempts(
    *,
    user_ids: Collection[int],
    question_ids: Iterable[int] | QuerySet[Any] | None = None,
    apps: Apps = global_apps,
) -> None:
    """Recount the attempts, time-outs and last attempt of these users' rows for `question_ids`
    (all of theirs when None), from the items. One UPDATE; each row's
    subqueries read that user's items of that question (index `item_question_session`)."""
    progress = apps.get_model("interviews", "QuestionProgress")
    item_model = apps.get_model("interviews", "Item")
    own = attempts(
        item_model.objects.filter(session__user=OuterRef("user"), question=OuterRef("question"))
    ).order_by()
    counted = own.values("question").annotate(total=Count("pk")).values("total")
    late = own.filter(timed_out=True).values("question").annotate(total=Count("pk")).values("total")
    newest = own.order_by("-shown_at", "-pk")
    rows = progress.objects.filter(user_id__in=user_ids)
    if question_ids is not None:
        rows = rows.filter(question_id__in=question_ids)
    rows.update(
        attempts=Coalesce(Subquery(counted), Value(0)),
        timed_out=Coalesce(Subquery(late), Value(0)),
        last_item=Subquery(newest.values("pk")[:1]),
        last_shown_at=Subquery(newest.values("shown_at")[:1]),
    )


def rebuild(user_ids: Collection[int], *, apps: Apps = global_apps) -> None:
    """Derive the rows of these users from their items again, as if every interview had been
    played through the services."""
    progress = apps.get_model("interviews", "QuestionProgress")
    category_progress = apps.get_model("interviews", "CategoryProgress")
    item_model = apps.get_model("interviews", "Item")
    items = item_model.objects.filter(session__user__in=user_ids)
    progress.objects.filter(user_id__in=user_ids).delete()
    category_progress.objects.filter(user_id__in=user_ids).delete()
    asked = items.filter(kind=Item.Kind.QUESTION).values_list("session__user", "question")
    progress.objects.bulk_create(
        [progress(user_id=user, question_id=question) for user, question in set(asked)]
    )
    recount_attempts(user_ids=user_ids, apps=apps)
    totals = (
        items.values("session__user", "category").order_by().annotate(**scoring.category_totals())
    )
    category_progress.objects.bulk_create(
        [
            category_progress(
                user_id=row["session__user"],
                category_id=row["category"],
                graded=row["graded"],
                points=row["points"],
                unanswered=row["unanswered"],
            )
            for row in totals
        ]
    )


def snapshot(user_ids: Collection[int]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """These users' tallies as plain rows, to compare before and after a rebuild."""
    return (
        list(
            QuestionProgress.objects.filter(user_id__in=user_ids)
            .order_by("user", "question")
            .values_list("user", "question", "attempts", "timed_out", "last_item", "last_shown_at")
        ),
        list(
            CategoryProgress.objects.filter(user_id__in=user_ids)
            .order_by("user", "category")
            .values_list("user", "category", "graded", "points", "unanswered")
        ),
    )
