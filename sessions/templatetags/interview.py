from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import template

from sessions.progress import question_attempts
from sessions.scoring import format_duration

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    return format_duration(value)


@register.inclusion_tag("sessions/_attempts.html", takes_context=True)
def your_attempts(context: dict[str, Any], question: Any) -> dict[str, Any]:
    """The signed-in user's own attempts at `question`, for its page in the bank."""
    return {"attempts": question_attempts(context["request"].user, question)}
