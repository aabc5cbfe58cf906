"""The interview on a phone (issue 16): a 360 px touch screen, and a desktop with a keyboard.

On the phone the header is one row (its links folded into a Menu that opens without JS), the
clock stays in view while the candidate scrolls, the grade buttons stay in view after the reveal
and no keyboard hint shows. On the desktop the hints show and `?` opens the shortcut sheet.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_playwright.pytest_playwright import CreateContextCallback

from questions.bank import ParsedBank
from questions.models import Question
from sessions import services
from sessions.models import InterviewSession, Item
from tests.cast import make_user
from tests.e2e.conftest import (
    DESKTOP,
    PHONE,
    BrowserProblems,
    Screenshot,
    assert_fits,
    log_in,
)
from tests.e2e.interview_page import model_answer, notes_box, undo_bar

pytestmark = pytest.mark.e2e

LIMIT = 300  # seconds per question


@pytest.fixture
def timed_run(live_bank: ParsedBank) -> InterviewSession:
    """A timed interview of questions 24 (a bulleted answer) and 1, without follow-ups."""
    return services.start_session(
        user=make_user("candidate"),
        questions=list(Question.objects.filter(number__in=[24, 1]).order_by("-number")),
        mode=InterviewSession.Mode.TIMED,
        seconds_per_item=LIMIT,
        include_scenarios=False,
        now=timezone.now(),
    )


def grade_buttons(page: Page) -> list:
    return [
        page.get_by_role("button", name=name)
        for name in ("Missed", "Partial", "Solid", "Excellent")
    ]


def test_an_interview_is_run_and_graded_on_a_phone_without_scrolling_to_grade(
    new_context: CreateContextCallback,
    timed_run: InterviewSession,
    problems: BrowserProblems,
    screenshot: Screenshot,
    color_scheme: str,
) -> None:
    context = new_context(
        viewport={"width": PHONE, "height": 740},
        color_scheme=color_scheme,
        has_touch=True,
        is_mobile=True,
    )
    page = problems.watch(context).new_page()
    assert page.evaluate("() => matchMedia('(hover: hover) and (pointer: fine)').matches") is False
    log_in(page)

    # The header is one row: the brand and a Menu button; History is one tap away, no JS needed.
    header = page.locator(".site-header").bounding_box()
    assert header is not None and header["height"] < 70, header
    history = page.locator(".site-nav").get_by_role("link", name="History", exact=True)
    expect(history).to_be_hidden()
    page.locator(".nav-menu-button").click()
    expect(history).to_be_visible()
    assert_fits(page)
    screenshot(page, "1-menu-open")
    history.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your interviews")

    # Before the reveal: no keyboard hint on a touch screen; the clock stays at the top.
    page.goto(timed_run.item_url(0))
    expect(notes_box(page)).to_be_visible()
    expect(page.get_by_text("reveals the model answer")).to_be_hidden()
    notes_box(page).fill("Mixture of experts routes each token to a few experts.\n" * 12)
    # The on-screen keyboard takes half the screen: what is left scrolls under the clock.
    page.set_viewport_size({"width": PHONE, "height": 400})
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    timer = page.locator("[data-timer]")
    expect(timer).to_be_in_viewport()
    box = timer.bounding_box()
    assert box is not None and 0 <= box["y"] <= 8, box  # stuck to the top of the screen
    assert_fits(page)
    page.screenshot(path=screenshot(page, "2-question").with_suffix(".viewport.png"))

    # After the reveal: the four grade buttons are on screen, before any scroll and after one.
    page.set_viewport_size({"width": PHONE, "height": 740})
    page.get_by_role("button", name="Reveal answer").click()
    expect(model_answer(page)).to_be_focused()
    expect(page.locator("details.answer-prose")).not_to_have_attribute("open", "")
    for button in grade_buttons(page):
        expect(button).to_be_in_viewport()
    expect(page.locator(".grade-key").first).to_be_hidden()  # no "1" key on a touch screen
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    for button in grade_buttons(page):
        expect(button).to_be_in_viewport()
    assert_fits(page)
    page.screenshot(path=screenshot(page, "3-revealed").with_suffix(".viewport.png"))

    # Graded with a tap; the record of it and its Undo take the buttons' place, in view.
    page.get_by_role("button", name="Solid").click()
    expect(undo_bar(page)).to_contain_text("Recorded Solid")
    expect(undo_bar(page).get_by_role("button", name="Undo")).to_be_in_viewport()
    expect(undo_bar(page).locator("kbd")).to_be_hidden()
    assert Item.objects.get(session=timed_run, position=0).grade == 2
    page.screenshot(path=screenshot(page, "4-graded").with_suffix(".viewport.png"))

    # The second question, then the summary: its figures and its table fit the phone.
    page.get_by_role("button", name="Reveal answer").click()
    page.get_by_role("button", name="Partial").click()
    expect(page.get_by_role("heading", name="Interview summary")).to_be_visible()
    total = page.get_by_test_id("total-time")
    # A number never parts from its unit ("1 min 17 s" may break only after "min").
    assert "\u00a0" in total.inner_text()
    table = page.locator(".breakdown-table")
    expect(table).to_be_visible()
    screenshot(page, "5-summary")
    clipped = page.evaluate(
        "() => [...document.querySelectorAll('.table-wrap')]"
        ".filter((wrap) => wrap.scrollWidth > wrap.clientWidth)"
        ".map((wrap) => [wrap.scrollWidth, wrap.clientWidth])"
    )
    assert clipped == []
    assert_fits(page)
    problems.assert_none()


def test_the_clock_warns_in_the_last_fifth(
    new_context: CreateContextCallback,
    timed_run: InterviewSession,
    problems: BrowserProblems,
    screenshot: Screenshot,
    color_scheme: str,
) -> None:
    # The first question has been on screen for 4 of its 5 minutes: 60 s (20 %) are left.
    now = timezone.now()
    Item.objects.filter(session=timed_run, position=0).update(
        shown_at=now - timedelta(seconds=LIMIT - 60), deadline_at=now + timedelta(seconds=60)
    )
    context = new_context(viewport={"width": PHONE, "height": 740}, color_scheme=color_scheme)
    page = problems.watch(context).new_page()
    log_in(page)
    page.goto(timed_run.item_url(0))
    timer = page.locator("[data-timer]")
    expect(timer).to_have_class("timer is-low")
    screenshot(page, "low")

    # With more than a fifth left the clock is calm.
    Item.objects.filter(session=timed_run, position=0).update(
        deadline_at=now + timedelta(seconds=LIMIT - 30)
    )
    page.reload()
    expect(timer).to_have_class("timer")
    problems.assert_none()


def test_the_shortcut_sheet_opens_with_the_question_mark_and_its_button(
    new_context: CreateContextCallback,
    timed_run: InterviewSession,
    problems: BrowserProblems,
    screenshot: Screenshot,
    color_scheme: str,
) -> None:
    context = new_context(viewport={"width": DESKTOP, "height": 900}, color_scheme=color_scheme)
    page = problems.watch(context).new_page()
    log_in(page)
    page.goto(timed_run.item_url(0))
    expect(notes_box(page)).to_be_focused()
    # With a keyboard the hints show.
    expect(page.get_by_text("reveals the model answer")).to_be_visible()

    # ? typed in the answer is part of the answer; outside it, it opens the sheet.
    page.keyboard.type("Why?")
    expect(notes_box(page)).to_have_value("Why?")
    sheet = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(sheet).to_be_hidden()
    page.locator("#item-heading").focus()
    page.keyboard.press("?")
    expect(sheet).to_be_visible()
    expect(sheet.get_by_role("button", name="Close")).to_be_focused()
    expect(sheet).to_contain_text("Grade: Missed, Partial, Solid, Excellent")
    screenshot(page, "sheet")
    # Keys meant for the interview do nothing while the sheet is open.
    page.keyboard.press("Control+Enter")
    page.keyboard.press("Escape")
    expect(sheet).to_be_hidden()
    expect(notes_box(page)).to_be_visible()  # not revealed

    # The visible button, reached with Tab, opens it too (an invoker command, no script).
    opener = page.get_by_role("button", name="Keyboard shortcuts")
    opener.focus()
    expect(opener).to_be_focused()
    screenshot(page, "focus-ring")
    page.keyboard.press("Enter")
    expect(sheet).to_be_visible()
    page.keyboard.press("Enter")  # Close
    expect(sheet).to_be_hidden()
    expect(opener).to_be_focused()
    problems.assert_none()
