"""A candidate runs timed mock interviews in a real browser: keyboard, clock, follow-ups, summary.

The pool is cut down to questions 1–3 (each has one scenario follow-up), so a 3-question
interview with follow-ups always asks question, follow-up, question, follow-up, question,
follow-up, in a random question order. The progress line counts questions only ("Question 1 of
3 · follow-up 1 of 1"), and every item has its own address, `/interviews/<id>/items/<position>/`.
The server's clock is real: the time limit is lowered to a few seconds so one item can run out
while the test waits for it with `expect`.
"""

from __future__ import annotations

import re
from datetime import timedelta
from fractions import Fraction
from math import floor

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Locator, Page, expect
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer
from pytest_playwright.pytest_playwright import CreateContextCallback

from questions.bank import ParsedBank
from questions.models import Question
from sessions.models import Grade, InterviewSession
from tests.cast import PASSWORD, make_user
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
# Short enough to wait for, long enough to answer an item by keyboard before it runs out.
SHORT_LIMIT = 5
LONG_LIMIT = 120
CLOCK_SLACK_MS = 10_000
GRADE_KEYS = {"1": "Missed", "2": "Partial", "3": "Solid", "4": "Excellent"}


@pytest.fixture
def fast_settings(settings: Settings) -> Settings:
    settings.INTERVIEW_MIN_SECONDS_PER_ITEM = 2
    return settings


@pytest.fixture
def small_pool(live_bank: ParsedBank) -> list[Question]:
    """Only questions 1–3 stay active: what an interview draws is known, each has a follow-up."""
    Question.objects.exclude(number__in=POOL).update(is_active=False)
    pool = list(Question.objects.active().prefetch_related("scenarios"))
    assert [question.number for question in pool] == list(POOL)
    assert all(question.scenarios.count() == 1 for question in pool)
    return pool


@pytest.fixture
def candidate(small_pool: list[Question], fast_settings: Settings) -> User:
    return make_user("candidate")


# Helpers -----------------------------------------------------------------------------------


def start_interview(
    page: Page,
    *,
    questions: int,
    seconds: int,
    screenshot: Screenshot | None = None,
    scripted: bool = True,
) -> InterviewSession:
    """Fill in the new-interview form (timed, follow-ups on, every category) and start.

    With the page's script on (`scripted`), the form's length line follows the fields: every
    question of the pool has one follow-up, so it promises `questions` of them at most.
    """
    page.goto("/interviews/new/")
    expect(page.get_by_role("heading", name="New interview", level=1)).to_be_visible()
    expect(page.get_by_label("Timed interview")).to_be_checked()
    expect(page.get_by_label("Ask scenario follow-ups")).to_be_checked()
    # Only categories with active questions are offered, all ticked by default.
    categories = page.get_by_role("group", name="Categories").get_by_role("checkbox")
    expect(categories).to_have_count(1)
    expect(categories).to_be_checked()
    page.get_by_label("Number of questions").fill(str(questions))
    fill_time_per_question(page, seconds)
    if scripted:
        longest = whole_minutes_or_seconds(timedelta(seconds=2 * questions * seconds))
        expect(page.locator("#interview-length")).to_have_text(
            f"{questions} questions + up to {questions} follow-ups, at most {longest}"
        )
    if screenshot is not None:
        assert_fits(page)
        screenshot(page, "0-new-interview")
    page.get_by_role("button", name="Start interview").click()
    # The interview's address leads to the address of its first item.
    expect(page).to_have_url(re.compile(r"/interviews/\d+/items/0/$"))
    session = InterviewSession.objects.latest("started_at")
    assert page.url.endswith(session.item_url(0))
    return session


def place(page: Page) -> Locator:
    """The progress line's own words ("Question 1 of 3 · follow-up 1 of 1"), without the tags."""
    return progress(page).locator("span").first


def places(questions: int) -> list[str]:
    """What the progress line reads at each item when every question has one follow-up."""
    return [
        text
        for number in range(1, questions + 1)
        for text in (
            f"Question {number} of {questions}",
            f"Question {number} of {questions} · follow-up 1 of 1",
        )
    ]


def remaining_ms(page: Page) -> int:
    return int(page.locator("[data-timer]").get_attribute("data-remaining-ms") or "")


def answer_by_keyboard(page: Page, notes: str, key: str) -> None:
    """Type, Ctrl+Enter to reveal, a digit to grade: the keyboard-only path through an item
    that follows a grade. The focus waits on the heading (so Z could undo); the first character
    typed moves it into the notes box and is not lost."""
    expect(heading(page)).to_be_focused()
    page.keyboard.type(notes)
    expect(notes_box(page)).to_be_focused()
    expect(notes_box(page)).to_have_value(notes)
    page.keyboard.press("Control+Enter")
    expect(model_answer(page)).to_be_focused()
    page.keyboard.press(key)


def whole_minutes_or_seconds(value: timedelta) -> str:
    """A duration the way the summary prints it ("42 s", "3 min 05 s", "2 min")."""
    minutes, seconds = divmod(round(value.total_seconds()), 60)
    if not minutes:
        return f"{seconds} s"
    return f"{minutes} min {seconds:02d} s" if seconds else f"{minutes} min"


def check_summary_against_database(page: Page, session: InterviewSession) -> None:
    """Every number on the summary is the one the items in the database add up to.

    The score is points ÷ (3 × graded items), halves rounded up; items shown but never graded
    are counted apart as unanswered, not as zeros.
    """
    items = items_of(session)
    graded = [item for item in items if item.grade is not None]
    unanswered = [item for item in items if item.shown_at is not None and item.grade is None]
    points = sum(item.grade for item in graded)
    timed_out = sum(item.timed_out for item in items)
    assert graded, "a summary without a graded item has no score to check"
    percent = floor(Fraction(100 * points, 3 * len(graded)) + Fraction(1, 2))
    expect(page.get_by_test_id("score")).to_have_text(f"{percent}%")
    expect(page.locator(".stats")).to_contain_text(f"Score ({points} of {3 * len(graded)} points)")
    expect(page.get_by_test_id("graded")).to_have_text(str(len(graded)))
    expect(page.locator(".stats")).to_contain_text(f"Graded of {len(items)}")
    expect(page.get_by_test_id("unanswered")).to_have_text(str(len(unanswered)))
    expect(page.get_by_test_id("timed-out")).to_have_text(str(timed_out))
    total = sum(
        (item.revealed_at - item.shown_at for item in items if item.revealed_at), timedelta()
    )
    expect(page.get_by_test_id("total-time")).to_have_text(whole_minutes_or_seconds(total))

    cards = page.locator(".item-card")
    expect(cards).to_have_count(len(items))
    for card, item in zip(cards.all(), items, strict=True):
        expect(card.locator(".eyebrow")).to_have_text(item.label)
        expect(card.locator(".grade-pill")).to_have_text(item.grade_label)
        expect(card.get_by_text("Time's up", exact=True)).to_have_count(int(item.timed_out))
        if item.notes:
            expect(card.locator(".notes-text")).to_have_text(item.notes)


# The tests ---------------------------------------------------------------------------------


def test_a_new_candidate_finishes_a_timed_interview_from_the_keyboard(
    page: Page,
    live_server: LiveServer,
    small_pool: list[Question],
    fast_settings: Settings,
    problems: BrowserProblems,
    screenshot: Screenshot,
) -> None:
    # Sign up with the keyboard alone: the username box has the focus, Tab moves on, Enter sends.
    page.goto("/accounts/signup/")
    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.type("keyboard-kim")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type("kim@example.com")
    for label in ("Password", "Password confirmation"):
        page.keyboard.press("Tab")
        expect(page.get_by_label(label, exact=True)).to_be_focused()
        page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/")
    # The dashboard, logged in, offers a way into a first interview.
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.locator("main a[href='/interviews/new/']").first).to_be_visible()
    user = User.objects.get(username="keyboard-kim")
    assert user.email == "kim@example.com"

    session = start_interview(page, questions=3, seconds=SHORT_LIMIT, screenshot=screenshot)
    assert (session.user, session.mode, session.include_scenarios) == (user, "timed", True)
    assert session.items.count() == 6  # three questions, each followed by its scenario

    # 1. A question, answered with the keyboard only: type, Ctrl+Enter, 2 (Partial).
    # The progress line counts the three questions, not the six items.
    expect(place(page)).to_have_text("Question 1 of 3")
    expect(undo_bar(page)).to_have_count(0)  # nothing graded yet, nothing to undo
    expect(page.locator("[data-timer]")).to_be_visible()
    expect(notes_box(page)).to_be_focused()
    screenshot(page, "1-question")
    mark_document(page)
    page.keyboard.type("Models that learn a data distribution and sample new content from it.")
    page.keyboard.press("Control+Enter")
    expect(model_answer(page)).to_be_focused()
    expect(page.locator(".compare-notes")).to_contain_text("learn a data distribution")
    expect(page.get_by_role("button", name=re.compile(r"^Partial "))).to_be_visible()
    screenshot(page, "2-revealed")
    page.keyboard.press("2")

    # 2. Its follow-up scenario comes next, swapped in place at its own address, under a bar
    # that says what was recorded and offers Undo; the focus waits on the heading.
    expect(place(page)).to_have_text("Question 1 of 3 · follow-up 1 of 1")
    assert is_same_document(page), "grading reloaded the page instead of swapping the item"
    expect(page).to_have_url(f"{live_server.url}{session.item_url(1)}")
    expect(progress(page).get_by_text("Follow-up scenario", exact=True)).to_be_visible()
    first, follow_up = items_of(session)[:2]
    expect(undo_bar(page).get_by_role("status")).to_have_text(
        f"Recorded Partial for {first.label}."
    )
    expect(undo_bar(page).get_by_role("button", name=re.compile(r"^Undo"))).to_be_visible()
    expect(heading(page).locator(".eyebrow")).to_have_text(
        f"Follow-up scenario {follow_up.scenario.label}"
    )
    assert follow_up.question_id == first.question_id
    # The follow-up repeats the title of the question it follows.
    expect(heading(page).locator(".item-parent")).to_have_text(first.prompt)
    expect(page.locator("#item-prompt")).to_contain_text(follow_up.prompt[:40])
    expect(heading(page)).to_be_focused()
    screenshot(page, "3-follow-up")

    # It runs out of time: the page reveals by itself and keeps what was typed, first character
    # included (typing from the heading moves the focus into the notes box).
    page.keyboard.type("Few-shot prompting with the sample descriptions")
    expect(page.locator(".result-meta").get_by_text("Time's up")).to_be_visible(
        timeout=SHORT_LIMIT * 1000 + CLOCK_SLACK_MS
    )
    expect(page.locator(".compare-notes")).to_contain_text(
        "Few-shot prompting with the sample descriptions"
    )
    expect(model_answer(page)).to_be_focused()
    assert is_same_document(page)
    screenshot(page, "4-times-up")
    page.keyboard.press("3")  # Solid

    # 3–6. The rest, all by keyboard; each item's bar names the grade just given.
    previous_grade = "Solid"
    for position, (notes, key) in enumerate(
        [
            ("VAEs, GANs, diffusion, autoregressive.", "4"),
            ("A scenario I could not answer.", "1"),
            ("Discriminative models learn p(y|x).", "3"),
            ("Generative for drafting replies, discriminative for routing.", "4"),
        ],
        start=2,
    ):
        expect(place(page)).to_have_text(places(3)[position])
        expect(page).to_have_url(f"{live_server.url}{session.item_url(position)}")
        previous_label = items_of(session)[position - 1].label
        expect(undo_bar(page).get_by_role("status")).to_have_text(
            f"Recorded {previous_grade} for {previous_label}."
        )
        answer_by_keyboard(page, notes, key)
        previous_grade = GRADE_KEYS[key]

    # The last grade leaves for the summary.
    expect(page.get_by_role("heading", name="Interview summary", level=1)).to_be_visible()
    expect(page.locator(".meta-line")).to_contain_text("Finished")
    session.refresh_from_db()
    assert session.status == InterviewSession.Status.FINISHED
    items = items_of(session)
    assert [item.grade for item in items] == [
        Grade.PARTIAL,
        Grade.SOLID,
        Grade.EXCELLENT,
        Grade.MISSED,
        Grade.SOLID,
        Grade.EXCELLENT,
    ]
    assert [item.timed_out for item in items] == [False, True, False, False, False, False]
    assert items[1].notes == "Few-shot prompting with the sample descriptions"
    assert all(item.kind == "scenario" for item in items[1::2])
    check_summary_against_database(page, session)
    # 1 + 2 + 3 + 0 + 2 + 3 = 11 of 18 points, six graded, none unanswered.
    expect(page.get_by_test_id("score")).to_have_text("61%")
    expect(page.get_by_test_id("timed-out")).to_have_text("1")
    expect(page.get_by_test_id("graded")).to_have_text("6")
    expect(page.get_by_test_id("unanswered")).to_have_text("0")
    expect(page.locator(".item-card").nth(1).locator(".badge-danger")).to_have_text("Time's up")
    screenshot(page, "5-summary")
    problems.assert_none()


def test_a_reload_keeps_the_clock_and_the_notes_and_ending_early_needs_confirming(
    page: Page,
    live_server: LiveServer,
    candidate: User,
    problems: BrowserProblems,
    screenshot: Screenshot,
) -> None:
    log_in(page)
    session = start_interview(page, questions=2, seconds=60)
    assert session.items.count() == 4

    # Notes are saved as they are typed; a reload shows them again and the clock runs on.
    before = remaining_ms(page)
    mark_document(page)
    with page.expect_response(
        lambda response: (
            response.url.endswith("/items/0/notes/") and response.request.method == "POST"
        )
    ) as saved:
        notes_box(page).press_sequentially("Attention lets every token look at every other.")
    assert saved.value.status == 204
    deadline = items_of(session)[0].deadline_at
    page.reload()
    expect(notes_box(page)).to_have_value("Attention lets every token look at every other.")
    assert not is_same_document(page)
    expect(page).to_have_url(f"{live_server.url}{session.item_url(0)}")
    after = remaining_ms(page)
    assert 0 < after < before <= 60_000
    assert items_of(session)[0].deadline_at == deadline
    expect(page.locator("[data-timer-value]")).to_have_text(re.compile(r"^0:5\d$"))
    screenshot(page, "1-after-reload")

    page.get_by_role("button", name="Reveal answer").click()
    expect(model_answer(page)).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Solid ")).click()

    # The follow-up: end the interview here, through the confirmation page.
    expect(place(page)).to_have_text("Question 1 of 2 · follow-up 1 of 1")
    expect(page).to_have_url(f"{live_server.url}{session.item_url(1)}")
    # The interview's own address leads to the item being asked.
    page.goto(session.get_absolute_url())
    expect(page).to_have_url(f"{live_server.url}{session.item_url(1)}")
    expect(place(page)).to_have_text("Question 1 of 2 · follow-up 1 of 1")
    # Leaving at once, before the pause that saves notes: they are saved on the way out.
    notes_box(page).fill("Half an answer")
    page.get_by_role("link", name="End interview").click()
    expect(page.get_by_role("heading", name="End this interview now?")).to_be_visible()
    expect(page.locator("main")).to_contain_text(
        "3 questions not yet graded will be left unanswered"
    )
    # The safe choice has the focus, so Enter alone never throws an interview away.
    expect(page.get_by_role("link", name="Keep going")).to_be_focused()
    screenshot(page, "2-end-confirmation")
    page.get_by_role("button", name="End interview").click()

    expect(page.get_by_role("heading", name="Interview summary", level=1)).to_be_visible()
    # A closed interview's own address is its summary.
    expect(page).to_have_url(f"{live_server.url}{session.get_absolute_url()}")
    expect(page.get_by_role("status")).to_have_text(
        "Interview ended. What you had not graded is left unanswered and not scored."
    )
    expect(page.locator(".meta-line")).to_contain_text("Ended early")
    session.refresh_from_db()
    assert session.status == InterviewSession.Status.ENDED_EARLY
    items = items_of(session)
    assert [item.grade for item in items] == [Grade.SOLID, None, None, None]
    assert [item.skipped for item in items] == [False, True, True, True]
    assert items[1].shown_at is not None and items[2].shown_at is None
    assert items[1].notes == "Half an answer"
    check_summary_against_database(page, session)
    # One item graded, 2 of 3 points; the follow-up was shown but never graded, so it is
    # unanswered (counted apart, not a zero), and the last two were never asked.
    expect(page.get_by_test_id("score")).to_have_text("67%")
    expect(page.get_by_test_id("graded")).to_have_text("1")
    expect(page.get_by_test_id("unanswered")).to_have_text("1")
    expect(page.get_by_test_id("timed-out")).to_have_text("0")
    pills = page.locator(".item-card .grade-pill")
    expect(pills).to_have_text(["Solid", "Unanswered", "Not asked", "Not asked"])
    expect(page.locator(".item-card").nth(3)).to_contain_text("Not asked.")
    screenshot(page, "3-summary-ended-early")
    problems.assert_none()


def test_an_interview_can_be_finished_without_javascript(
    new_context: CreateContextCallback,
    live_server: LiveServer,
    candidate: User,
    problems: BrowserProblems,
    screenshot: Screenshot,
) -> None:
    page = problems.watch(new_context(java_script_enabled=False)).new_page()
    log_in(page)
    session = start_interview(page, questions=2, seconds=60, scripted=False)
    items = items_of(session)

    grade_names = ["Excellent", "Partial", "Missed", "Solid"]
    for position, grade in enumerate(grade_names):
        number = position + 1
        # Every post redirects to the address of the item it leaves the candidate on.
        expect(page).to_have_url(f"{live_server.url}{session.item_url(position)}")
        expect(place(page)).to_have_text(places(2)[position])
        if position:
            expect(undo_bar(page).get_by_role("status")).to_have_text(
                f"Recorded {grade_names[position - 1]} for {items[position - 1].label}."
            )
        # Without the script the clock is shown as the limit, not counted down.
        expect(page.locator("[data-timer-value]")).to_have_text("60s")
        notes_box(page).fill(f"Plain notes {number}")
        page.get_by_role("button", name="Reveal answer").click()
        expect(page).to_have_url(f"{live_server.url}{session.item_url(position)}")
        expect(model_answer(page)).to_be_visible()
        expect(page.locator(".compare-notes")).to_contain_text(f"Plain notes {number}")
        if number == 1:
            screenshot(page, "1-revealed")
        page.get_by_role("button", name=re.compile(rf"^{grade} ")).click()

    # The last grade leads to the interview's own address, now its summary.
    expect(page).to_have_url(f"{live_server.url}{session.get_absolute_url()}")
    expect(page.get_by_role("heading", name="Interview summary", level=1)).to_be_visible()
    items = items_of(session)
    grades = [Grade.EXCELLENT, Grade.PARTIAL, Grade.MISSED, Grade.SOLID]
    assert [item.grade for item in items] == grades
    assert [item.notes for item in items] == [f"Plain notes {n}" for n in range(1, 5)]
    check_summary_against_database(page, session)
    expect(page.get_by_test_id("score")).to_have_text("50%")  # 6 of 12 points
    screenshot(page, "2-summary")
    problems.assert_none()


@pytest.mark.parametrize(
    ("color_scheme", "width"), [("dark", DESKTOP), ("light", PHONE), ("dark", PHONE)]
)
def test_the_interview_pages_hold_together_in_dark_mode_and_on_a_phone(
    new_context: CreateContextCallback,
    live_server: LiveServer,
    candidate: User,
    problems: BrowserProblems,
    screenshot: Screenshot,
    color_scheme: str,
    width: int,
) -> None:
    context = new_context(viewport={"width": width, "height": 800}, color_scheme=color_scheme)
    page = problems.watch(context).new_page()
    log_in(page)
    start_interview(page, questions=2, seconds=LONG_LIMIT, screenshot=screenshot)

    expect(notes_box(page)).to_be_focused()
    page.keyboard.type("Notes typed on a small screen.")
    assert_fits(page)
    screenshot(page, "1-question")

    page.keyboard.press("Control+Enter")
    expect(model_answer(page)).to_be_focused()
    assert_fits(page)
    screenshot(page, "2-revealed")

    # Tab reaches the grade buttons, and the focused one is clearly marked.
    solid = page.get_by_role("button", name=re.compile(r"^Solid "))
    for _ in range(30):
        if solid.evaluate("element => element === document.activeElement"):
            break
        page.keyboard.press("Tab")
    expect(solid).to_be_focused()
    outline = solid.evaluate("element => getComputedStyle(element).outlineStyle")
    assert outline != "none"
    screenshot(page, "3-grade-focused")
    page.keyboard.press("Enter")

    expect(place(page)).to_have_text("Question 1 of 2 · follow-up 1 of 1")
    expect(progress(page).get_by_text("Follow-up scenario", exact=True)).to_be_visible()
    expect(undo_bar(page).get_by_role("status")).to_have_text(re.compile(r"^Recorded Solid for "))
    expect(heading(page).locator(".item-parent")).to_be_visible()
    assert_fits(page)
    screenshot(page, "4-follow-up")
    for key in ("2", "4", "1"):
        answer_by_keyboard(page, "Short notes.", key)

    expect(page.get_by_role("heading", name="Interview summary", level=1)).to_be_visible()
    for details in page.locator(".item-card details").all()[:1]:
        details.locator("summary").click()
    assert_fits(page)
    screenshot(page, "5-summary")
    problems.assert_none()


def test_the_new_interview_form_says_what_is_wrong_and_starts_nothing(
    new_context: CreateContextCallback,
    live_server: LiveServer,
    live_bank: ParsedBank,
    fast_settings: Settings,
    problems: BrowserProblems,
    screenshot: Screenshot,
) -> None:
    make_user("candidate")
    for color_scheme, width in [("light", DESKTOP), ("dark", PHONE)]:
        context = new_context(viewport={"width": width, "height": 800}, color_scheme=color_scheme)
        page = problems.watch(context).new_page()
        log_in(page)
        page.goto("/interviews/new/")
        categories = page.get_by_role("group", name="Categories").get_by_role("checkbox")
        expect(categories).to_have_count(13)
        assert_fits(page)
        screenshot(page, f"{color_scheme}-{width}-1-form")

        # "Select none" clears the 13 boxes at once ("Select all" ticks them again).
        page.get_by_role("button", name="Select none").click()
        for checkbox in categories.all():
            expect(checkbox).not_to_be_checked()
        page.get_by_role("button", name="Select all").click()
        expect(categories.nth(12)).to_be_checked()
        page.get_by_role("button", name="Select none").click()
        page.get_by_label("Number of questions").fill("31")
        fill_time_per_question(page, 1)
        page.get_by_role("button", name="Start interview").click()

        expect(page.get_by_role("heading", name="New interview", level=1)).to_be_visible()
        expect(
            page.locator(".errorlist").get_by_text("Choose at least one category.", exact=True)
        ).to_be_visible()
        # The length line cannot say how long an impossible interview would be, and says why.
        expect(page.locator("#interview-length")).to_have_text(
            "Choose at least one category. Then this line says how long the interview can be."
        )
        expect(page.get_by_label("Number of questions")).to_have_attribute("aria-invalid", "true")
        expect(page.get_by_label("Minutes")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#id_seconds_per_item_error")).to_have_text(
            re.compile(r"^At least \d+ s per question\.$")
        )
        expect(page.locator(".errorlist")).to_have_count(3)
        expect(page.get_by_role("alert")).to_have_text(
            "The interview was not started: fix the fields marked below."
        )
        assert_fits(page)
        screenshot(page, f"{color_scheme}-{width}-2-errors")
    assert not InterviewSession.objects.exists()
    # Chromium logs the 400 that carries the re-rendered form; nothing else may go wrong.
    problems.assert_none(expected="the server responded with a status of 400 (Bad Request)")
