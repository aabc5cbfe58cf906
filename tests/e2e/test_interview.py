"""A candidate runs timed mock interviews in a real browser: keyboard, clock, follow-ups, summary.

The pool is cut down to questions 1–3 (each has one scenario follow-up), so a 3-question
interview with follow-ups always asks question, follow-up, question, follow-up, question,
follow-up, in a random question order. The server's clock is real: the time limit is lowered to
a few seconds so one item can run out while the test waits for it with `expect`.
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
from sessions.models import Grade, InterviewSession, Item
from tests.cast import PASSWORD, make_user
from tests.e2e.conftest import DESKTOP, PHONE, BrowserProblems, Screenshot, assert_fits, log_in

pytestmark = pytest.mark.e2e

POOL = (1, 2, 3)
# Short enough to wait for, long enough to answer an item by keyboard before it runs out.
SHORT_LIMIT = 5
LONG_LIMIT = 120
CLOCK_SLACK_MS = 10_000


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
    page: Page, *, questions: int, seconds: int, screenshot: Screenshot | None = None
) -> InterviewSession:
    """Fill in the new-interview form (timed, follow-ups on, every category) and start."""
    page.goto("/interviews/new/")
    expect(page.get_by_role("heading", name="New interview", level=1)).to_be_visible()
    expect(page.get_by_label("Timed interview")).to_be_checked()
    expect(page.get_by_label("Ask scenario follow-ups")).to_be_checked()
    # Only categories with active questions are offered, all ticked by default.
    categories = page.get_by_role("group", name="Categories").get_by_role("checkbox")
    expect(categories).to_have_count(1)
    expect(categories).to_be_checked()
    page.get_by_label("Number of questions").fill(str(questions))
    page.get_by_label("Seconds per question").fill(str(seconds))
    if screenshot is not None:
        assert_fits(page)
        screenshot(page, "0-new-interview")
    page.get_by_role("button", name="Start interview").click()
    expect(page).to_have_url(re.compile(r"/interviews/\d+/$"))
    return InterviewSession.objects.latest("started_at")


def notes_box(page: Page) -> Locator:
    return page.get_by_role("textbox", name=re.compile(r"^Your answer"))


def model_answer(page: Page) -> Locator:
    return page.get_by_role("heading", name="Model answer", level=2)


def progress(page: Page) -> Locator:
    return page.locator(".progress-label")


def remaining_ms(page: Page) -> int:
    return int(page.locator("[data-timer]").get_attribute("data-remaining-ms") or "")


def mark_document(page: Page) -> None:
    """A flag on `window` survives HTMX swaps and is lost by any full page load."""
    page.evaluate("() => { window.__sameDocument = true; }")


def is_same_document(page: Page) -> bool:
    return page.evaluate("() => window.__sameDocument === true")


def answer_by_keyboard(page: Page, notes: str, key: str) -> None:
    """Type, Ctrl+Enter to reveal, a digit to grade: the keyboard-only path through an item."""
    expect(notes_box(page)).to_be_focused()
    page.keyboard.type(notes)
    page.keyboard.press("Control+Enter")
    expect(model_answer(page)).to_be_focused()
    page.keyboard.press(key)


def items_of(session: InterviewSession) -> list[Item]:
    return list(session.items.order_by("position"))


def check_summary_against_database(page: Page, session: InterviewSession) -> None:
    """Every number on the summary is the one the items in the database add up to."""
    items = items_of(session)
    asked = [item for item in items if item.shown_at is not None]
    points = sum(item.grade or 0 for item in items)
    timed_out = sum(item.timed_out for item in items)
    percent = round(100 * points / (3 * len(asked)))
    expect(page.get_by_test_id("score")).to_have_text(f"{percent}%")
    expect(page.locator(".stats")).to_contain_text(f"Score ({points} of {3 * len(asked)} points)")
    expect(page.get_by_test_id("asked")).to_have_text(str(len(asked)))
    expect(page.locator(".stats")).to_contain_text(f"Asked of {len(items)}")
    expect(page.get_by_test_id("timed-out")).to_have_text(str(timed_out))

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
    expect(progress(page)).to_contain_text("Question 1 of 6")
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

    # 2. Its follow-up scenario comes next, swapped in place with the focus on the notes box.
    expect(progress(page)).to_contain_text("Question 2 of 6")
    assert is_same_document(page), "grading reloaded the page instead of swapping the item"
    expect(progress(page).get_by_text("Follow-up scenario", exact=True)).to_be_visible()
    first, follow_up = items_of(session)[:2]
    expect(page.locator("#item-heading .eyebrow")).to_have_text(
        f"Follow-up scenario {follow_up.scenario.label}"
    )
    assert follow_up.question_id == first.question_id
    expect(page.locator("#item-prompt")).to_contain_text(follow_up.prompt[:40])
    expect(notes_box(page)).to_be_focused()
    screenshot(page, "3-follow-up")

    # It runs out of time: the page reveals by itself and keeps what was typed.
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

    # 3–6. The rest, all by keyboard.
    for number, (notes, key) in enumerate(
        [
            ("VAEs, GANs, diffusion, autoregressive.", "4"),
            ("A scenario I could not answer.", "1"),
            ("Discriminative models learn p(y|x).", "3"),
            ("Generative for drafting replies, discriminative for routing.", "4"),
        ],
        start=3,
    ):
        expect(progress(page)).to_contain_text(f"Question {number} of 6")
        answer_by_keyboard(page, notes, key)

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
    # 1 + 2 + 3 + 0 + 2 + 3 = 11 of 18 points.
    expect(page.get_by_test_id("score")).to_have_text("61%")
    expect(page.get_by_test_id("timed-out")).to_have_text("1")
    expect(page.get_by_test_id("asked")).to_have_text("6")
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
    after = remaining_ms(page)
    assert 0 < after < before <= 60_000
    assert items_of(session)[0].deadline_at == deadline
    expect(page.locator("[data-timer-value]")).to_have_text(re.compile(r"^0:5\d$"))
    screenshot(page, "1-after-reload")

    page.get_by_role("button", name="Reveal answer").click()
    expect(model_answer(page)).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Solid ")).click()

    # The follow-up: end the interview here, through the confirmation page.
    expect(progress(page)).to_contain_text("Question 2 of 4")
    # Leaving at once, before the pause that saves notes: they are saved on the way out.
    notes_box(page).fill("Half an answer")
    page.get_by_role("link", name="End interview").click()
    expect(page.get_by_role("heading", name="End this interview now?")).to_be_visible()
    expect(page.locator("main")).to_contain_text(
        "3 questions not yet graded will be recorded as skipped"
    )
    # The safe choice has the focus, so Enter alone never throws an interview away.
    expect(page.get_by_role("link", name="Keep going")).to_be_focused()
    screenshot(page, "2-end-confirmation")
    page.get_by_role("button", name="End interview").click()

    expect(page.get_by_role("heading", name="Interview summary", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_have_text(
        "Interview ended. Unanswered questions are recorded as skipped."
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
    # Two items were asked (the follow-up counts, ungraded), 2 of 6 points.
    expect(page.get_by_test_id("score")).to_have_text("33%")
    expect(page.get_by_test_id("asked")).to_have_text("2")
    expect(page.get_by_test_id("timed-out")).to_have_text("0")
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
    session = start_interview(page, questions=2, seconds=60)
    url = page.url

    for number, grade in enumerate(["Excellent", "Partial", "Missed", "Solid"], start=1):
        expect(progress(page)).to_contain_text(f"Question {number} of 4")
        # Without the script the clock is shown as the limit, not counted down.
        expect(page.locator("[data-timer-value]")).to_have_text("60s")
        notes_box(page).fill(f"Plain notes {number}")
        page.get_by_role("button", name="Reveal answer").click()
        expect(model_answer(page)).to_be_visible()
        expect(page.locator(".compare-notes")).to_contain_text(f"Plain notes {number}")
        if number == 1:
            screenshot(page, "1-revealed")
        page.get_by_role("button", name=re.compile(rf"^{grade} ")).click()
        expect(page).to_have_url(url)  # every post redirects back to the interview

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

    expect(progress(page).get_by_text("Follow-up scenario", exact=True)).to_be_visible()
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

        for checkbox in categories.all():
            checkbox.uncheck()
        page.get_by_label("Number of questions").fill("31")
        page.get_by_label("Seconds per question").fill("1")
        page.get_by_role("button", name="Start interview").click()

        expect(page.get_by_role("heading", name="New interview", level=1)).to_be_visible()
        expect(page.get_by_text("Choose at least one category.")).to_be_visible()
        expect(page.get_by_label("Number of questions")).to_have_attribute("aria-invalid", "true")
        expect(page.get_by_label("Seconds per question")).to_have_attribute("aria-invalid", "true")
        expect(page.locator(".errorlist")).to_have_count(3)
        expect(page.get_by_role("alert")).to_have_text(
            "The interview was not started: fix the fields marked below."
        )
        assert_fits(page)
        screenshot(page, f"{color_scheme}-{width}-2-errors")
    assert not InterviewSession.objects.exists()
    # Chromium logs the 400 that carries the re-rendered form; nothing else may go wrong.
    problems.assert_none(expected="the server responded with a status of 400 (Bad Request)")
