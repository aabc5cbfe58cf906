"""Grading against key points in a real browser: pre-ticked from the notes, ticked by keyboard.

Issue 12's browser test, on bank question 1, whose derived key points are the first sentence of
each of its three paragraphs. The notes mention the first point only, so the checklist opens at
"1 of 3 → Partial"; the letter b ticks the second, Space unticks and re-ticks it, the suggestion
follows, the candidate grades Solid and the summary lists the point missed.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from pytest_playwright.pytest_playwright import CreateContextCallback

from questions.bank import ParsedBank
from sessions.models import InterviewSession, ItemKeyPoint
from tests.e2e.conftest import PHONE, BrowserProblems, Screenshot, assert_fits, log_in
from tests.e2e.interview_page import model_answer, notes_box, start_practice

pytestmark = pytest.mark.e2e

NOTES = "Generative AI creates new content: text, images, code."


@pytest.fixture
def practice_run(live_bank: ParsedBank) -> InterviewSession:
    """The candidate's untimed practice run of question 1 alone."""
    return start_practice([1])


def ticks(session: InterviewSession) -> list[bool]:
    points = ItemKeyPoint.objects.filter(item__session=session).order_by("position")
    return list(points.values_list("covered", flat=True))


def test_a_candidate_grades_against_the_key_points(
    new_context: CreateContextCallback,
    practice_run: InterviewSession,
    problems: BrowserProblems,
    screenshot: Screenshot,
    color_scheme: str,
    width: int,
) -> None:
    context = new_context(viewport={"width": width, "height": 900}, color_scheme=color_scheme)
    page = problems.watch(context).new_page()
    log_in(page)
    texts = list(
        ItemKeyPoint.objects.filter(item__session=practice_run)
        .order_by("position")
        .values_list("text", flat=True)
    )
    assert len(texts) == 3

    page.goto(practice_run.item_url(0))
    expect(notes_box(page)).to_be_focused()
    page.keyboard.type(NOTES)
    page.keyboard.press("Control+Enter")
    expect(model_answer(page)).to_be_focused()

    # The checklist comes first: the point the notes mention is marked and pre-ticked.
    boxes = page.get_by_role("checkbox")
    expect(boxes).to_have_count(3)
    expect(boxes.nth(0)).to_be_checked()
    expect(boxes.nth(1)).not_to_be_checked()
    expect(boxes.nth(2)).not_to_be_checked()
    first_point = page.locator(".key-point").nth(0)
    expect(first_point.locator(".tag-mentioned")).to_have_text("mentioned in your notes")
    expect(page.locator(".key-point .tag-mentioned")).to_have_count(1)
    # The words that matched, not the question's own "Generative AI".
    expect(page.locator(".notes-text mark")).to_have_text(
        ["creates", "new", "content", "text", "images", "code"]
    )
    expect(page.locator("#key-point-suggestion")).to_have_text(
        re.compile(r"1 of 3 key points →\s+Partial\s+suggested")
    )
    prose = page.locator("details.answer-prose")
    if width == PHONE:
        expect(prose).not_to_have_attribute("open", "")  # folded: the points are the answer
    else:
        expect(prose).to_have_attribute("open", "")
    assert_fits(page)
    screenshot(page, "1-revealed")

    # The letter b ticks the second point (saved at once), and the suggestion follows.
    page.keyboard.press("b")
    expect(boxes.nth(1)).to_be_checked()
    expect(page.locator("#key-point-suggestion")).to_contain_text("2 of 3 key points")
    expect(page.locator("#key-point-suggestion")).to_contain_text("Solid")
    assert ticks(practice_run) == [True, True, False]

    # Tab reaches the checkboxes with a visible ring; Space unticks and ticks again.
    model_answer(page).focus()
    page.keyboard.press("Tab")
    expect(boxes.nth(0)).to_be_focused()
    ring = page.locator(".key-point").nth(0).evaluate("e => getComputedStyle(e).outlineStyle")
    assert ring != "none"
    page.keyboard.press("Space")
    expect(page.locator("#key-point-suggestion")).to_contain_text("1 of 3 key points")
    page.keyboard.press("Space")
    expect(page.locator("#key-point-suggestion")).to_contain_text("2 of 3 key points")
    screenshot(page, "2-ticked")
    assert ticks(practice_run) == [True, True, False]

    # The candidate chooses the grade; the summary says what was covered and missed.
    page.keyboard.press("3")
    expect(page.get_by_role("heading", name="Interview summary", level=1)).to_be_visible()
    card = page.locator("#item-0")
    expect(card.locator(".coverage-line")).to_have_text("Covered 2 of 3 key points")
    expect(card.locator(".coverage-missed li")).to_have_text([texts[2]])
    assert_fits(page)
    screenshot(page, "3-summary")
    problems.assert_none()
