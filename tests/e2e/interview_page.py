"""What the browser tests read on the interview screen, and the page-reload probe they share."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page

from sessions.models import InterviewSession, Item


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


def mark_document(page: Page) -> None:
    """A flag on `window` survives HTMX swaps and is lost by any full page load."""
    page.evaluate("() => { window.__sameDocument = true; }")


def is_same_document(page: Page) -> bool:
    return page.evaluate("() => window.__sameDocument === true")


def items_of(session: InterviewSession) -> list[Item]:
    return list(session.items.order_by("position"))
