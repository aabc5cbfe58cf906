"""The candidate's history as CSV files: one row per item ever asked (streamed), and one per
FSRS card."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count, F, Q
from fsrs import Rating

from questions.models import short_category_name
from sessions import memory, scoring
from sessions.models import Card, InterviewSession, Item

CSV_HEADER = [
    "session", "session_started_at", "mode", "session_status", "position", "kind", "label",
    "category", "question_number", "grade", "points", "timed_out", "skipped",
    "shown_at", "revealed_at", "graded_at", "seconds_taken",
    "key_points_total", "key_points_covered", "rating", "reviewed_at", "notes",
]  # fmt: skip
CARDS_CSV_HEADER = [
    "question_number", "scenario", "state", "due", "stability", "difficulty", "retrievability",
    "reviews", "last_review",
]  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write() returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def _cell(value: str) -> str:
    # A spreadsheet would run "=HYPERLINK(…)" typed into the notes as a formula.
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def _guarded_row(writer: Any, row: list[object]) -> str:
    """One CSV line, every text cell through the formula guard (an editor's category name
    or a label reaches every candidate's export as much as their own notes do)."""
    return writer.writerow([_cell(value) if isinstance(value, str) else value for value in row])


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


# What a CSV row reads: only these columns, never the wide prompt and model answer, so each row
# costs the same small amount to sort, send and turn into Python values.
_HISTORY_COLUMNS = (
    "session_id", "session__started_at", "session__mode", "session__status", "position", "kind",
    "label", "category__name", "question__number", "grade", "timed_out", "skipped", "shown_at",
    "revealed_at", "graded_at", "key_points_total", "key_points_covered", "review__rating",
    "review__reviewed_at", "notes",
)  # fmt: skip


def history_csv_lines(user: User) -> Iterator[str]:
    """The CSV export, one line at a time: every item of every session of the user, except
    the items an open interview has not shown yet (what is coming next stays unseen)."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    rows = (
        Item.objects.filter(session__user=user)
        .exclude(session__status=InterviewSession.Status.IN_PROGRESS, shown_at__isnull=True)
        .annotate(
            key_points_total=Count("key_points"),
            key_points_covered=Count("key_points", filter=Q(key_points__covered=True)),
        )
        # The review of an item that counted toward the schedule, joined in the same query.
        .values_list(*_HISTORY_COLUMNS)
        .order_by("session__started_at", "session_id", "position")
    )
    for (
        session_id, started_at, mode, status, position, kind, label, category, number, grade,
        timed_out, skipped, shown_at, revealed_at, graded_at, key_points_total,
        key_points_covered, rating, reviewed_at, notes,
    ) in rows.iterator(chunk_size=2000):  # fmt: skip
        taken = scoring.time_taken(shown_at, revealed_at)
        yield _guarded_row(
            writer,
            [
                session_id,
                _iso(started_at),
                mode,
                status,
                position + 1,
                kind,
                label,
                short_category_name(category),
                number,
                scoring.grade_label(grade, skipped=skipped, shown=shown_at is not None),
                "" if grade is None else grade,
                "yes" if timed_out else "no",
                "yes" if skipped else "no",
                _iso(shown_at),
                _iso(revealed_at),
                _iso(graded_at),
                "" if taken is None else round(taken.total_seconds()),
                key_points_total,
                # Ticks exist only once the answer was revealed.
                key_points_covered if revealed_at is not None else "",
                "" if rating is None else Rating(rating).name,
                _iso(reviewed_at),
                notes,
            ],
        )


def cards_csv_lines(user: User, now: datetime) -> Iterator[str]:
    """The user's cards, one line each, in bank order (a question's own card before its
    follow-ups'), with each card's predicted recall at `now`."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CARDS_CSV_HEADER)
    cards = list(
        Card.objects.filter(user=user)
        .annotate(question_number=F("question__number"), scenario_label=F("scenario__label"))
        .order_by("question_number", F("scenario__position").asc(nulls_first=True), "pk")
    )
    recall = memory.retrievabilities(cards, now)
    for card in cards:
        yield _guarded_row(
            writer,
            [
                card.question_number,
                card.scenario_label or "",
                card.state_label,
                _iso(card.due),
                card.stability,
                card.difficulty,
                round(recall[card.pk], 4),
                card.reviews,
                _iso(card.last_review),
            ],
        )
