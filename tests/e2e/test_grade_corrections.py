"""A candidate corrects grades in a real browser: undo with Z, Back to an earlier item, the summary.

Issue 10's browser test. The pool is cut down to questions 1–3 (each has one scenario follow-up),
so a 2-question interview with follow-ups asks question, follow-up, question, follow-up. The
limit is long, so no item runs out: the clock is never waited for and nothing sleeps.

Keys: Ctrl+Enter reveals, 1–4 grade (1 Missed, 2 Partial, 3 Solid, 4 Excellent), Z undoes.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Locator, Page, expect
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer
from pytest_playwright.pytest_playwright import CreateContextCallback

from questions.bank import ParsedBank
from questions.models import Question
from sessions.models import Grade, GradeChange, InterviewSession
from tests.cast import make_user
from tests.e2e.conftest import DESKTOP, PHONE, BrowserProblems, Screenshot, assert_fits, log_in
from tests.e2e.interview_page import (
    fill_time_per_question,
    heading,
    is_same_document,
    items_of,
    mark_document,
    model_answer,
    notes_box,
    progress,
    undo_bar,
)

pytestmark = pytest.mark.e2e

POOL = (1, 2, 3)
LIMIT = 120  # seconds per item: long enough that nothing here ever runs out


@pytest.fixture
def small_pool(live_bank: ParsedBank, settings: Settings) -> list[Question]:
    """Only questions 1–3 stay active: each has exactly one follow-up."""
    settings.INTERVIEW_MIN_SECONDS_PER_ITEM = 2
    Question.objects.exclude(number__in=POOL).update(is_active=False)
    pool = list(Question.objects.active().prefetch_related("scenarios"))
    assert [question.number for question in pool] == list(POOL)
    assert all(question.scenarios.count() == 1 for question in pool)
    return pool


@pytest.fixture
def candidate(small_pool: list[Question]) -> User:
    return make_user("candidate")


# Helpers -----------------------------------------------------------------------------------


def grade_buttons(page: Page) -> Locator:
    return page.locator("[data-grade-form] [data-grade-key]")


def assert_focus_ring(locator: Locator) -> None:
    """The focused control is visibly marked (an outline or a box-shadow ring)."""
    expect(locator).to_be_focused()
    style = locator.evaluate(
        "element => { const s = getComputedStyle(element);"
        " return [s.outlineStyle, s.outlineWidth, s.boxShadow]; }"
    )
    outline_style, outline_width, box_shadow = style
    ringed = (outline_style != "none" and outline_width != "0px") or box_shadow != "none"
    assert ringed, f"no focus ring: {style}"


def tab_to(page: Page, target: Locator, limit: int = 80) -> None:
    """Press Tab until `target` has the focus, as a keyboard user would."""
    for _ in range(limit):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    expect(target).to_be_focused()


def item_url(session: InterviewSession, position: int) -> re.Pattern[str]:
    return re.compile(rf"/interviews/{session.pk}/items/{position}/$")


def type_answer_and_grade(page: Page, notes: str, key: str) -> None:
    """Right after a grade: the first character typed lands in the notes box, then reveal, grade."""
    expect(notes_box(page)).to_be_visible()
    page.keyboard.type(notes)
    expect(notes_box(page)).to_be_focused()
    expect(notes_box(page)).to_have_value(notes)
    page.keyboard.press("Control+Enter")
    expect(model_answer(page)).to_be_focused()
    page.keyboard.press(key)


# The test ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("color_scheme", "width"), [("light", DESKTOP), ("dark", DESKTOP), ("light", PHONE)]
)
def test_a_candidate_undoes_a_grade_goes_back_and_corrects_one_on_the_summary(
    new_context: CreateContextCallback,
    live_server: LiveServer,
    candidate: User,
    problems: BrowserProblems,
    screenshot: Screenshot,
    color_scheme: str,
    width: int,
) -> None:
    context = new_context(viewport={"width": width, "height": 900}, color_scheme=color_scheme)
    page = problems.watch(context).new_page()
    log_in(page)

    # The new-interview form says how long the interview will be, and follows its settings.
    page.goto("/interviews/new/")
    length = page.locator("#interview-length")
    fill_time_per_question(page, LIMIT)
    page.get_by_label("Number of questions").fill("3")
    expect(length).to_have_text("3 questions + up to 3 follow-ups, at most 12 min")
    page.get_by_label("Number of questions").fill("2")
    expect(length).to_have_text("2 questions + up to 2 follow-ups, at most 8 min")
    page.get_by_label("Ask scenario follow-ups").uncheck()
    expect(length).to_have_text("2 questions, at most 4 min")
    page.get_by_label("Ask scenario follow-ups").check()
    expect(length).to_have_text("2 questions + up to 2 follow-ups, at most 8 min")
    assert_fits(page)
    screenshot(page, "0-new-interview-length")
    page.get_by_role("button", name="Start interview").click()

    session = InterviewSession.objects.get(user=candidate)
    expect(page).to_have_url(item_url(session, 0))
    items = items_of(session)
    assert [item.kind for item in items] == ["question", "scenario", "question", "scenario"]
    labels = [item.label for item in items]

    # 1. Type, Ctrl+Enter, 4: "Excellent" is recorded and the follow-up comes, with an Undo.
    expect(progress(page)).to_have_text(re.compile(r"^\s*Question 1 of 2\s"))
    expect(notes_box(page)).to_be_focused()
    mark_document(page)
    page.keyboard.type("Models that learn a data distribution and sample from it.")
    page.keyboard.press("Control+Enter")
    expect(model_answer(page)).to_be_focused()
    page.keyboard.press("4")

    expect(page).to_have_url(item_url(session, 1))
    expect(progress(page)).to_contain_text("Question 1 of 2 · follow-up 1 of 1")
    expect(undo_bar(page).get_by_role("status")).to_have_text(
        f"Recorded Excellent for {labels[0]}."
    )
    expect(heading(page)).to_be_focused()  # so Z reaches the page, not the notes box
    expect(heading(page).locator(".item-parent")).to_have_text(items[0].prompt)
    assert is_same_document(page), "grading reloaded the page instead of swapping the item"
    assert_fits(page)
    screenshot(page, "1-undo-status-line")
    assert items_of(session)[0].grade == Grade.EXCELLENT
    assert items_of(session)[1].shown_at is not None

    # 2. Z: the first item is revealed again with its notes and the grade buttons, ungraded.
    page.keyboard.press("z")
    expect(page).to_have_url(item_url(session, 0))
    expect(undo_bar(page)).to_have_count(0)
    expect(progress(page)).to_have_text(re.compile(r"^\s*Question 1 of 2\s"))
    expect(page.locator(".compare-notes")).to_contain_text("learn a data distribution")
    expect(grade_buttons(page)).to_have_count(4)
    expect(model_answer(page)).to_be_focused()
    assert is_same_document(page)
    first, follow_up = items_of(session)[:2]
    assert first.grade is None and first.notes.startswith("Models that learn")
    assert (follow_up.shown_at, follow_up.deadline_at) == (None, None)  # its clock is reset

    # 3. 2 (Partial) this time; the follow-up again, and typing goes straight into its notes.
    page.keyboard.press("2")
    expect(page).to_have_url(item_url(session, 1))
    expect(undo_bar(page).get_by_role("status")).to_have_text(f"Recorded Partial for {labels[0]}.")
    expect(heading(page)).to_be_focused()
    follow_up_notes = "Few-shot prompting with sample descriptions"
    with page.expect_response(
        lambda response: (
            response.url.endswith(f"/interviews/{session.pk}/items/1/notes/")
            and response.request.method == "POST"
        )
    ) as saved:
        page.keyboard.type(follow_up_notes)
    assert saved.value.status == 204
    expect(notes_box(page)).to_be_focused()
    expect(notes_box(page)).to_have_value(follow_up_notes)
    assert items_of(session)[1].notes == follow_up_notes
    # The Undo button is still on offer, and reachable by Tab with a visible focus ring.
    undo_button = undo_bar(page).get_by_role("button", name=re.compile(r"^Undo"))
    tab_to(page, undo_button)
    assert_focus_ring(undo_button)
    screenshot(page, "2-undo-button-focused")

    # 4. Back from the second item shows the first one read-only, with its grade.
    page.go_back()
    expect(page).to_have_url(item_url(session, 0))
    record = page.locator("#interview")
    expect(record.locator(".result-meta .grade-pill")).to_have_text("Partial")
    expect(notes_box(page)).to_have_count(0)
    expect(grade_buttons(page)).to_have_count(0)
    # The follow-up's answer is not revealed yet, so this grade can still be taken back here.
    expect(undo_bar(page)).to_contain_text("You can still take this grade back")
    expect(record.locator(".compare-notes")).to_contain_text("learn a data distribution")
    change_form = record.locator("form.change-grade")
    expect(change_form).to_have_count(1)
    expect(change_form.get_by_label(f"Grade for {labels[0]}")).to_have_value(str(Grade.PARTIAL))
    expect(record.locator(".grade-changes")).to_contain_text("Excellent → undone by you")
    expect(record.get_by_role("link", name="Back to the current question")).to_be_visible()
    assert not is_same_document(page)  # htmx keeps no history cache: Back asks the server
    # Nothing stale: the page is the interview, never the new-interview form.
    expect(page.get_by_role("heading", name="New interview")).to_have_count(0)
    assert_fits(page)
    screenshot(page, "3-earlier-item-read-only")
    select = change_form.locator("select")
    tab_to(page, select)
    assert_focus_ring(select)
    screenshot(page, "4-earlier-item-change-focused")

    # Forward again: the live follow-up, its notes kept; the next character continues them.
    # htmx answers the history move by reloading the page: wait for that load, or the next
    # navigation could race it.
    with page.expect_event("load"):
        page.go_forward()
    expect(page).to_have_url(item_url(session, 1))
    # A later item's address leads to the current one (nothing about it is shown early).
    page.goto(f"/interviews/{session.pk}/items/3/")
    expect(page).to_have_url(item_url(session, 1))
    expect(notes_box(page)).to_have_value(follow_up_notes)
    expect(undo_bar(page).get_by_role("status")).to_have_text(f"Recorded Partial for {labels[0]}.")
    # (A space is not a "first character": with the focus on the page it would scroll it.)
    page.keyboard.type(", plus an eval set.")
    expect(notes_box(page)).to_be_focused()
    expect(notes_box(page)).to_have_value(follow_up_notes + ", plus an eval set.")
    page.keyboard.press("Control+Enter")
    expect(model_answer(page)).to_be_focused()
    expect(page.locator(".compare-notes")).to_contain_text(follow_up_notes + ", plus an eval set.")
    page.keyboard.press("3")  # Solid

    # 5. The rest by keyboard: 4 (Excellent) then 1 (Missed); the last grade opens the summary.
    expect(progress(page)).to_have_text(re.compile(r"^\s*Question 2 of 2\s"))
    expect(undo_bar(page).get_by_role("status")).to_have_text(f"Recorded Solid for {labels[1]}.")
    type_answer_and_grade(page, "VAEs, GANs, diffusion and autoregressive models.", "4")
    expect(progress(page)).to_contain_text("Question 2 of 2 · follow-up 1 of 1")
    type_answer_and_grade(page, "Not sure.", "1")

    expect(page.get_by_role("heading", name="Interview summary", level=1)).to_be_visible()
    session.refresh_from_db()
    assert session.status == InterviewSession.Status.FINISHED
    assert [item.grade for item in items_of(session)] == [
        Grade.PARTIAL,
        Grade.SOLID,
        Grade.EXCELLENT,
        Grade.MISSED,
    ]
    # 1 + 2 + 3 + 0 = 6 of 12 points.
    expect(page.get_by_test_id("score")).to_have_text("50%")
    expect(page.locator(".stats")).to_contain_text("Score (6 of 12 points)")
    expect(page.get_by_test_id("graded")).to_have_text("4")
    expect(page.get_by_test_id("unanswered")).to_have_text("0")

    # 6. Change the last grade (Missed → Excellent) with the keyboard: Tab, choose, submit.
    last_card = page.locator("#item-3")
    expect(last_card.locator(".grade-pill")).to_have_text("Missed")
    select = last_card.get_by_label(f"Grade for {labels[3]}")
    expect(select).to_have_value(str(Grade.MISSED))
    mark_document(page)
    tab_to(page, select)
    assert_focus_ring(select)
    page.keyboard.press("End")  # the last option of a closed select: Excellent
    expect(select).to_have_value(str(Grade.EXCELLENT))
    expect(page.get_by_test_id("score")).to_have_text("50%")  # nothing sent yet
    screenshot(page, "5-summary-change-chosen")
    page.keyboard.press("Tab")
    change = last_card.get_by_role("button", name=f"Change the grade of {labels[3]}")
    assert_focus_ring(change)
    page.keyboard.press("Enter")

    # The score updates in place (HTMX), the card shows the new grade and the correction.
    expect(page.get_by_test_id("score")).to_have_text("75%")
    expect(page.locator(".stats")).to_contain_text("Score (9 of 12 points)")
    last_card = page.locator("#item-3")
    expect(last_card.locator(".grade-pill")).to_have_text("Excellent")
    expect(last_card.locator(".grade-changes")).to_contain_text("Missed → Excellent by you")
    expect(last_card.get_by_label(f"Grade for {labels[3]}")).to_have_value(str(Grade.EXCELLENT))
    assert is_same_document(page), "changing a grade reloaded the summary"
    # The keyboard user keeps their place: the focus is back on the same Change button.
    assert_focus_ring(last_card.get_by_role("button", name=f"Change the grade of {labels[3]}"))
    assert items_of(session)[3].grade == Grade.EXCELLENT
    changes = GradeChange.objects.filter(item__session=session).order_by("changed_at", "pk")
    assert [(c.item.position, c.old_grade, c.new_grade, c.changed_by) for c in changes] == [
        (0, Grade.EXCELLENT, None, candidate),
        (3, Grade.MISSED, Grade.EXCELLENT, candidate),
    ]
    assert_fits(page)
    screenshot(page, "6-summary-changed")

    # 7. The dashboard follows: the recent interviews table shows the new score.
    page.goto("/")
    recent = page.get_by_role("region", name="Recent interviews").locator("tbody tr")
    expect(recent).to_have_count(1)
    expect(recent.first.locator(".cell-score")).to_have_text("75%")
    expect(recent.first).to_contain_text("4 of 4")
    assert_fits(page)
    screenshot(page, "7-dashboard")
    problems.assert_none()
