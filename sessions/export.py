"""The candidate's history as a CSV file: one row per item ever asked, streamed."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime

from django.contrib.auth.models import User
from django.db.models import Count, F, Q

from questions.models import short_category_name
from sessions.models import Item

CSV_HEADER = [
    "session", "session_started_at", "mode", "session_status", "position", "kind", "label",
    "category", "question_number", "grade", "points", "timed_out", "skipped",
    "shown_at", "revealed_at", "graded_at", "seconds_taken",
    "key_points_total", "key_points_covered", "notes",
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


def history_csv_lines(user: User) -> Iterator[str]:
    """The CSV export, one line at a time: every item of every session of the user."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    items = (
        Item.objects.filter(session__user=user)
        .select_related("session", "category")
        .annotate(
            question_number=F("question__number"),
            key_points_total=Count("key_points"),
            key_points_covered=Count("key_points", filter=Q(key_points__covered=True)),
        )
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
                item.key_points_total,
                # Ticks exist only once the answer was revealed.
                item.key_points_covered if item.is_revealed else "",
                _cell(item.notes),
            ]
        )
