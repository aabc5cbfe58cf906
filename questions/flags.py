"""Candidates' flags on model answers: raising one and finding the open one."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, transaction

from questions.models import AnswerFlag, Question


class AlreadyFlagged(Exception):
    """The user already has an open flag on this question's answer."""


def flag_answer(*, user: User, question: Question, reason: str, comment: str) -> AnswerFlag:
    """Record a candidate's flag; one open flag per user and question (a unique constraint)."""
    try:
        with transaction.atomic():
            return AnswerFlag.objects.create(
                question=question, user=user, reason=reason, comment=comment.strip()
            )
    except IntegrityError:
        raise AlreadyFlagged(
            "You have already flagged this answer; an editor will look at it."
        ) from None


def open_flag_for(user: User | AnonymousUser, question: Question) -> AnswerFlag | None:
    if not user.is_authenticated:
        return None
    return AnswerFlag.objects.filter(
        user=user, question=question, status=AnswerFlag.Status.OPEN
    ).first()
