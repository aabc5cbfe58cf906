from __future__ import annotations

from datetime import timedelta

from django import template

from sessions.checklist import Checklist, checklist
from sessions.models import Item
from sessions.scoring import format_duration

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    return format_duration(value)


@register.filter(name="checklist")
def checklist_of(item: Item) -> Checklist:
    """The item's key points as ticked (prefetch `key_points` when listing many items)."""
    return checklist(item)
