"""A candidate reviews their progress in a real browser: dashboard, history, per-question record.

One interview is played through the pages (practice mode, two questions, no follow-ups), the
other is made through the services with a fixed clock; another user's interviews sit beside
them and must never show. The pages are then photographed light, dark and at 360 px.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect
from pytest_django.live_server_helper import LiveServer
from pytest_playwright.pytest_playwright import CreateContextCallback

from questions.bank import ParsedBank
from questions.models import Question
from sessions.models import Grade, InterviewSession
from tests.cast import make_user
from tests.e2e.conftest import BrowserProblems, Screenshot, assert_fits, log_in
from tests.histories import LATE, Answer, play

pytestmark = pytest.mark.e2e


def questions(*numbers: int) -> list[Question]:
    by_number = Question.objects.in_bulk(numbers, field_name="number")
    return [by_number[number] for number in numbers]


@pytest.fixture
def candidate(live_bank: ParsedBank) -> User:
    return make_user("candidate")


@pytest.fixture
def earlier_interview(candidate: User) -> InterviewSession:
    """Two days ago, timed: Missed (late), Partial, Excellent: 4 of 9 points, 44 %."""
    return play(
        candidate,
        questions(11, 12, 13),
        [Answer(Grade.MISSED, seconds=LATE), Answer(Grade.PARTIAL), Answer(Grade.EXCELLENT)],
        at=timezone.now() - timedelta(days=2),
    )


@pytest.fixture
def other_users_interviews(candidate: User) -> list[InterviewSession]:
    other = make_user("other")
    now = timezone.now()
    return [
        play(other, questions(150, 151), [Answer(Grade.MISSED)] * 2, at=now - timedelta(days=1)),
        play(other, questions(160), [Answer(Grade.PARTIAL, seconds=LATE)], at=now),
    ]


# Helpers -----------------------------------------------------------------------------------


def play_in_the_browser(page: Page, grades: list[str]) -> InterviewSession:
    """A practice interview of len(grades) questions without follow-ups, graded as given."""
    page.goto("/interviews/new/")
    page.get_by_label("Number of questions").fill(str(len(grades)))
    page.get_by_label("Ask scenario follow-ups").uncheck()
    page.get_by_label("Practice (no clock)").check()
    page.get_by_role("button", name="Start interview").click()
    expect(page).to_have_url(re.compile(r"/interviews/\d+/items/0/$"))
    for number, grade in enumerate(grades, start=1):
        expect(page.locator(".progress-label > span").first).to_have_text(
            f"Question {number} of {len(grades)}"
        )
        page.get_by_role("textbox", name=re.compile(r"^Your answer")).fill(f"Answer {number}")
        page.get_by_role("button", name="Reveal answer").click()
        page.get_by_role("button", name=re.compile(rf"^{grade} ")).click()
    expect(page.get_by_role("heading", name="Interview summary", level=1)).to_be_visible()
    return InterviewSession.objects.latest("started_at")


def cell_texts(rows: Locator, column: int) -> list[str]:
    return [row.locator("td").nth(column).inner_text().strip() for row in rows.all()]


# The tests ---------------------------------------------------------------------------------


def test_a_candidate_reviews_two_interviews_and_practises_the_weakest(
    page: Page,
    live_server: LiveServer,
    candidate: User,
    earlier_interview: InterviewSession,
    other_users_interviews: list[InterviewSession],
    problems: BrowserProblems,
    screenshot: Screenshot,
) -> None:
    log_in(page)
    played = play_in_the_browser(page, ["Solid", "Missed"])
    assert (played.user, played.mode, played.status) == (candidate, "practice", "finished")
    expect(page.get_by_test_id("score")).to_have_text("33%")  # 2 + 0 of 6 points

    # The dashboard: both scores in the recent table, the chart and its table alternative.
    page.goto("/")
    expect(page.get_by_role("heading", name="Your progress", level=1)).to_be_visible()
    recent = page.locator("table.session-table tbody tr")
    expect(recent).to_have_count(2)
    assert cell_texts(recent, 2) == ["2 of 2", "3 of 3"]  # graded of asked, none unanswered
    assert cell_texts(recent, 3) == ["33%", "44%"]
    chart = page.locator("svg.score-chart")
    expect(chart).to_be_visible()
    expect(chart.locator("circle.score-dot")).to_have_count(2)
    expect(chart.locator("polyline.score-line")).to_be_visible()
    expect(page.get_by_role("img", name="Interview scores over time")).to_be_visible()
    page.get_by_text("Show the scores as a table").click()
    alternative = page.locator("details.chart-table tbody tr")
    expect(alternative.first).to_be_visible()
    assert cell_texts(alternative, 1) == ["33%", "44%"]
    screenshot(page, "1-dashboard")

    # History lists both; the older one's summary opens from its row.
    page.get_by_role("link", name="Full history").click()
    expect(page.get_by_role("heading", name="Your interviews", level=1)).to_be_visible()
    rows = page.locator("table.session-table tbody tr")
    expect(rows).to_have_count(2)
    assert cell_texts(rows, 1) == ["Practice", "Timed"]
    expect(page.locator("table.session-table thead th").nth(3)).to_have_text("Graded")
    assert cell_texts(rows, 3) == ["2 of 2", "3 of 3"]
    assert cell_texts(rows, 4) == ["33%", "44%"]
    # 90 + 30 + 30 s from shown to revealed; each number held to its unit (no-break spaces).
    assert cell_texts(rows, 5)[1] == "2\u00a0min 30\u00a0s"
    assert cell_texts(rows, 6) == ["0", "1"]
    screenshot(page, "2-history")
    rows.nth(1).get_by_role("link").click()
    expect(page).to_have_url(f"{live_server.url}/interviews/{earlier_interview.pk}/summary/")
    expect(page.get_by_role("heading", name="Interview summary", level=1)).to_be_visible()
    expect(page.get_by_test_id("score")).to_have_text("44%")
    screenshot(page, "3-summary-from-history")

    # The per-question record of a question asked in the browser.
    first_number = played.items.order_by("position").first().question.number
    page.goto(f"/questions/{first_number}/")
    attempts = page.locator("section.attempts tbody tr")
    expect(attempts).to_have_count(1)
    expect(attempts.first).to_contain_text("Solid")
    screenshot(page, "4-question-record")

    # Practise these: the interview asks exactly the questions listed, in order.
    page.goto("/")
    listed = [
        int(re.match(r"(\d+)\.", text).group(1))
        for text in page.locator(".weak-list li a").all_inner_texts()
    ]
    missed_in_browser = played.items.get(grade=Grade.MISSED).question.number
    assert missed_in_browser in listed
    assert {11, 12} <= set(listed)  # Missed (late) and Partial two days ago
    assert not {150, 151, 160} & set(listed)  # the other user's
    page.get_by_role("button", name="Practise these").click()
    expect(page).to_have_url(re.compile(r"/interviews/\d+/items/0/$"))
    practice = InterviewSession.objects.filter(user=candidate).latest("started_at")
    assert page.url.endswith(practice.item_url(0))
    asked = [
        item.question.number
        for item in practice.items.select_related("question").order_by("position")
        if item.kind == "question"
    ]
    assert asked == listed
    first = Question.objects.get(number=listed[0])
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Bank question {first.number} {first.title}"
    )

    # Asking again while that interview is open starts nothing: a prompt offers to resume it.
    page.goto("/")
    page.get_by_role("button", name="Practise these").click()
    expect(page.get_by_role("heading", name="You have an interview in progress")).to_be_visible()
    assert InterviewSession.objects.filter(user=candidate).count() == 3
    page.get_by_role("link", name="Resume it").click()
    expect(page).to_have_url(f"{live_server.url}{practice.item_url(0)}")
    # Chromium logs the 409 that carries the prompt; nothing else may go wrong.
    problems.assert_none(expected="the server responded with a status of 409 (Conflict)")


@pytest.fixture
def full_history(candidate: User) -> None:
    """Enough to fill every part of the dashboard: six interviews, one still open."""
    now = timezone.now()
    grades = [
        [Grade.SOLID, Grade.PARTIAL, Grade.MISSED],
        [Grade.EXCELLENT, Grade.SOLID, Grade.SOLID],
        [Grade.MISSED, Grade.PARTIAL, Grade.SOLID],
        [Grade.EXCELLENT, Grade.EXCELLENT, Grade.SOLID],
        [Grade.SOLID, Grade.MISSED, Grade.EXCELLENT],
    ]
    for day, session_grades in enumerate(grades):
        numbers = [1 + day * 2, 31 + day * 10, 121 + day * 15]
        answers = [
            Answer(grade, seconds=LATE if index == day % 3 else 40 + 7 * index)
            for index, grade in enumerate(session_grades)
        ]
        play(
            candidate,
            questions(*numbers),
            answers,
            at=now - timedelta(days=6 - day),
            mode="practice" if day == 2 else "timed",
        )
    play(candidate, questions(1, 2), [Answer(Grade.PARTIAL)], at=now - timedelta(hours=1))


def test_the_progress_pages_fit_the_screen_light_and_dark(
    new_context: CreateContextCallback,
    live_server: LiveServer,
    candidate: User,
    full_history: None,
    other_users_interviews: list[InterviewSession],
    screenshot: Screenshot,
    width: int,
    color_scheme: str,
) -> None:
    problems = BrowserProblems()
    context = new_context(viewport={"width": width, "height": 900}, color_scheme=color_scheme)
    page = problems.watch(context).new_page()
    log_in(page)

    page.goto("/")
    expect(page.locator("svg.score-chart circle.score-dot")).to_have_count(5)
    expect(page.locator("section.in-progress")).to_be_visible()
    expect(page.locator("table.category-table svg.bar-meter")).to_have_count(7)
    expect(page.locator(".weak-list li")).to_have_count(6)
    assert_fits(page)
    screenshot(page, "dashboard")
    page.get_by_text("Show the scores as a table").click()
    expect(page.locator("details.chart-table tbody tr")).to_have_count(5)
    assert_fits(page)
    screenshot(page, "dashboard-table")

    page.goto("/history/")
    expect(page.locator("table.session-table tbody tr")).to_have_count(6)
    assert_fits(page)
    screenshot(page, "history")

    page.goto("/history/?mode=timed&category=advanced-topics")
    expect(page.locator("table.session-table tbody tr")).to_have_count(4)
    assert_fits(page)
    screenshot(page, "history-filtered")

    page.goto("/questions/1/")
    expect(page.locator("section.attempts tbody tr")).to_have_count(2)
    assert_fits(page)
    screenshot(page, "question-record")
    problems.assert_none()
