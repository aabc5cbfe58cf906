"""Everything one user owns, as one JSON document: "Download my data" on the settings page.

One query per table (interviews, their categories, items, key-point ticks, grade changes,
kept recordings, cards, reviews, flags, preferences), whatever the amount of data; the rows are
nested in Python. What the interviews showed is their own snapshot (prompt, model answer, key
points as shown), so the download reads the same after the bank changes. A kept recording is
listed (its type, size, time and address), not embedded: the audio is downloaded from there.
Nothing of other users is included: the only person named is the owner (an editor who
resolved a flag is not).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.urls import reverse
from fsrs import Rating, State

from questions.models import AnswerFlag
from sessions.models import (
    Card,
    GradeChange,
    InterviewSession,
    Item,
    ItemKeyPoint,
    Preferences,
    Recording,
    ReviewLog,
)
from sessions.scoring import Grade

FORMAT = "interview-prep-account-data"
VERSION = 1


def _grade_label(grade: int | None) -> str | None:
    return None if grade is None else Grade(grade).label


def _rows(values: Iterable[Mapping[str, Any]], **renames: str) -> Iterator[dict[str, Any]]:
    """A `.values()` query's rows as plain dicts, lookups renamed ("question__number" …)."""
    for row in values:
        yield {renames.get(name, name): value for name, value in row.items()}


def account_data(user: User, *, now: datetime) -> dict[str, Any]:
    """The user's account and all their data, ready for json.dumps (DjangoJSONEncoder)."""
    sessions = list(
        _rows(
        InterviewSession.objects.filter(user=user)
        .order_by("started_at", "pk")
        .values(
            "id", "mode", "status", "seconds_per_item", "include_scenarios",
            "counts_toward_schedule", "current_position", "started_at", "finished_at",
        ))
    )  # fmt: skip
    categories: defaultdict[int, list[str]] = defaultdict(list)
    for row in (
        InterviewSession.categories.through.objects.filter(interviewsession__user=user)
        .order_by("category__position", "category__name")
        .values_list("interviewsession_id", "category__name")
    ):
        categories[row[0]].append(row[1])

    key_points: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for point in _rows(
        ItemKeyPoint.objects.filter(item__session__user=user)
        .order_by("item_id", "position")
        .values("item_id", "position", "text", "mentioned", "covered")
    ):
        key_points[point.pop("item_id")].append(point)

    changes: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for change in _rows(
        GradeChange.objects.filter(item__session__user=user)
        .order_by("changed_at", "pk")
        .values("item_id", "changed_at", "old_grade", "new_grade")
    ):
        item_id = change.pop("item_id")
        change["old_grade_label"] = _grade_label(change["old_grade"])
        change["new_grade_label"] = _grade_label(change["new_grade"]) or "undone"
        changes[item_id].append(change)

    # The audio itself stays out of the query (and the document): each is listed with its URL.
    recordings: dict[int, dict[str, Any]] = {}
    for recording in _rows(
        Recording.objects.filter(item__session__user=user).values(
            "item_id", "item__session_id", "item__position", "content_type", "size",
            "recorded_at",
        )
    ):  # fmt: skip
        session_id, position = recording.pop("item__session_id"), recording.pop("item__position")
        recording["url"] = reverse("interviews:recording", args=[session_id, position])
        recordings[recording.pop("item_id")] = recording

    items: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for item in _rows(
        Item.objects.filter(session__user=user)
        .order_by("session_id", "position")
        .values(
            "id", "session_id", "position", "kind", "label", "question__number",
            "scenario__label", "category__name", "prompt", "answer", "notes",
            "time_limit_seconds", "shown_at", "deadline_at", "revealed_at", "graded_at",
            "timed_out", "skipped", "grade",
        ),
        question__number="question_number",
        scenario__label="scenario",
        category__name="category",
    ):  # fmt: skip
        item_id = item.pop("id")
        session_id = item.pop("session_id")
        item["grade_label"] = _grade_label(item["grade"])
        item["key_points"] = key_points.get(item_id, [])
        item["grade_changes"] = changes.get(item_id, [])
        item["recording"] = recordings.get(item_id)
        items[session_id].append(item)

    reviews: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for review in _rows(
        ReviewLog.objects.filter(card__user=user)
        .order_by("reviewed_at", "pk")
        .values(
            "card_id", "rating", "reviewed_at", "duration", "item__session_id", "item__position"
        ),
        item__session_id="interview",
        item__position="position",
    ):
        card_id = review.pop("card_id")
        review["rating_label"] = Rating(review["rating"]).name
        reviews[card_id].append(review)

    cards = []
    for card in _rows(
        Card.objects.filter(user=user)
        .order_by("question__number", "scenario__position", "pk")
        .values(
            "id", "question__number", "scenario__label", "state", "step", "stability",
            "difficulty", "due", "last_review", "reviews",
        ),
        question__number="question_number",
        scenario__label="scenario",
    ):  # fmt: skip
        card_id = card.pop("id")
        card["state_label"] = State(card["state"]).name
        card["review_log"] = reviews.get(card_id, [])
        cards.append(card)

    flags = list(
        _rows(
            AnswerFlag.objects.filter(user=user)
            .order_by("created_at", "pk")
            .values(
                "question__number", "scenario__label", "item__session_id", "item__position",
                "reason", "comment", "text_shown", "status", "created_at", "resolved_at",
                "reply", "reply_dismissed_at",
            ),
            question__number="question_number",
            scenario__label="scenario",
            item__session_id="interview",
            item__position="position",
        )
    )  # fmt: skip

    # None until the candidate first saves their preferences (the plan then uses defaults).
    preferences = (
        Preferences.objects.filter(user=user)
        .values("time_zone", "interview_date", "new_per_day", "keep_recordings", "warning_sound")
        .first()
    )

    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": now,
        "account": {
            "username": user.get_username(),
            "email": user.email,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
        },
        "interviews": [
            {
                **session,
                "categories": categories.get(session["id"], []),
                "items": items.get(session["id"], []),
            }
            for session in sessions
        ],
        "preferences": dict(preferences) if preferences else None,
        "cards": cards,
        "flags": flags,
    }
