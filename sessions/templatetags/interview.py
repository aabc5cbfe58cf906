from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone

from sessions.checklist import Checklist, checklist
from sessions.models import Item
from sessions.scoring import format_duration

register = template.Library()

NBSP = "\u00a0"


@register.filter
def duration(value: timedelta | None) -> str:
    """format_duration with each number held to its unit ("1 min 17 s" never wraps a lone
    "s"); the line may still break between "1 min" and "17 s"."""
    words = format_duration(value).split(" ")
    pairs = [NBSP.join(words[index : index + 2]) for index in range(0, len(words), 2)]
    return " ".join(pairs)


@register.filter(name="checklist")
def checklist_of(item: Item) -> Checklist:
    """The item's key points as ticked (prefetch `key_points` when listing many items)."""
    return checklist(item)


@register.filter
def datetime_attr(value: datetime | None) -> str:
    """A `<time datetime>` value: in the page's time zone, to the second. HTML allows at most
    three fraction digits, and Django's `date:'c'` prints the database's six."""
    if value is None:
        return ""
    return timezone.localtime(value).isoformat(timespec="seconds")
