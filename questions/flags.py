"""Candidates' flags on model answers: raising one and finding the open ones.

A flag names the exact answer: the question's own, or one of its scenarios'. Raised in an
interview, it also names the item and keeps the answer as that item showed it; the interviews
app passes those in, so this app never imports it.
"""

from __future__ import annotations

from typing import NamedTuple

from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, transaction

from questions.models import AnswerFlag, Question, Scenario


class AlreadyFlagged(Exception):
    """The user already has an open flag on this answer."""


def flag_answer(
    *,
    user: User,
    question: Question,
    scenario: Scenario | None = None,
    reason: str,
    comment: str,
    item_id: int | None = None,
    text_shown: str | None = None,
) -> AnswerFlag:
    """Record a candidate's flag on the question's answer, or on `scenario`'s.

    One open flag per user and answer (unique constraints). `text_shown` is the answer as the
    candidate read it; by default the answer as it is now.
    """
    if scenario is not None and scenario.question_id != question.pk:
        raise ValueError(f"{scenario} is not a follow-up of question {question.number}")
    if text_shown is None:
        text_shown = (scenario or question).answer
    try:
        with transaction.atomic():
            return AnswerFlag.objects.create(
                question=question,
                scenario=scenario,
                item_id=item_id,
                text_shown=text_shown,
                user=user,
                reason=reason,
                comment=comment.strip(),
            )
    except IntegrityError:
        raise AlreadyFlagged(
            "You have already flagged this answer; an editor will look at it."
        ) from None


def open_flag_for(
    user: User | AnonymousUser, question: Question, scenario: Scenario | None = None
) -> AnswerFlag | None:
    """The user's open flag on the question's own answer, or on `scenario`'s."""
    if not user.is_authenticated:
        return None
    return AnswerFlag.objects.filter(
        user=user, question=question, scenario=scenario, status=AnswerFlag.Status.OPEN
    ).first()


def open_flags_on(user: User | AnonymousUser, question: Question) -> dict[int | None, AnswerFlag]:
    """The user's open flags on the question's answers, by scenario id (None: its own answer).

    One query for a page that shows every answer of the question.
    """
    if not user.is_authenticated:
        return {}
    open_flags = AnswerFlag.objects.filter(
        user=user, question=question, status=AnswerFlag.Status.OPEN
    )
    return {flag.scenario_id: flag for flag in open_flags}


NOTICES_SHOWN = 5


class Notices(NamedTuple):
    """The user's resolved flags to tell them about, newest first, and whether more wait."""

    flags: list[AnswerFlag]
    more: bool


def resolved_notices(user: User) -> Notices:
    """Flags of the user's resolved since they last looked (with or without a reply): one query."""
    newest = list(
        AnswerFlag.objects.filter(
            user=user, status=AnswerFlag.Status.RESOLVED, reply_dismissed_at__isnull=True
        )
        .select_related("question", "scenario")
        .order_by("-resolved_at", "-pk")[: NOTICES_SHOWN + 1]
    )
    return Notices(newest[:NOTICES_SHOWN], more=len(newest) > NOTICES_SHOWN)
