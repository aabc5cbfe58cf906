"""What the browser tests read on the interview screen, and the page-reload probe they share."""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.utils import timezone
from playwright.sync_api import Locator, Page

from questions.models import Question
from sessions import services
from sessions.models import InterviewSession, Item
from tests.cast import make_user


def notes_box(page: Page) -> Locator:
    return page.get_by_role("textbox", name=re.compile(r"^Your answer"))


def model_answer(page: Page) -> Locator:
    return page.get_by_role("heading", name="Model answer", level=2)


def progress(page: Page) -> Locator:
    return page.locator(".progress-label")


def undo_bar(page: Page) -> Locator:
    return page.locator("[data-undo-form]")


def heading(page: Page) -> Locator:
    return page.locator("#item-heading")


def fill_time_per_question(page: Page, seconds: int) -> None:
    """The new-interview form's time per question, typed as minutes and seconds."""
    minutes, rest = divmod(seconds, 60)
    page.get_by_label("Minutes").fill(str(minutes))
    page.get_by_label("Seconds").fill(str(rest))


def mark_document(page: Page) -> None:
    """A flag on `window` survives HTMX swaps and is lost by any full page load."""
    page.evaluate("() => { window.__sameDocument = true; }")


def is_same_document(page: Page) -> bool:
    return page.evaluate("() => window.__sameDocument === true")


def items_of(session: InterviewSession) -> list[Item]:
    return list(session.items.order_by("position"))


def start_practice(numbers: Sequence[int], username: str = "candidate") -> InterviewSession:
    """A new candidate's untimed practice run of these bank questions, without follow-ups."""
    return services.start_session(
        user=make_user(username),
        questions=list(Question.objects.filter(number__in=numbers).order_by("number")),
        mode=InterviewSession.Mode.PRACTICE,
        seconds_per_item=120,
        include_scenarios=False,
        now=timezone.now(),
    )
