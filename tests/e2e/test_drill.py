"""The daily drill in a real browser (issue 13): a question graded Missed in an interview is due
on the dashboard the next day, the drill asks it, schedules it later and readiness follows; the
dashboard and the drill light and dark at 360 and 1280 px.

The live server runs in this process, so time-machine moves its clock too: a day passes at once.
"""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer
from pytest_playwright.pytest_playwright import CreateContextCallback
from time_machine import TimeMachineFixture

from questions.bank import ParsedBank
from sessions.models import Card, InterviewSession, Preferences
from tests.cast import make_user
from tests.e2e.conftest import BrowserProblems, Screenshot, assert_fits, log_in
from tests.e2e.interview_page import model_answer

pytestmark = pytest.mark.e2e

# A category without scenario follow-ups, so the drill asks exactly the question missed.
CATEGORY = "Evaluation Metrics"


def recall_today(page: Page) -> str:
    page.goto("/readiness/")
    row = page.locator("table.readiness-table tbody tr", has_text=CATEGORY)
    return row.locator("td[data-label='Recall today']").inner_text()


def reveal_and_grade(page: Page, grade: str) -> None:
    page.get_by_role("button", name=re.compile(r"^Reveal answer")).click()
    expect(model_answer(page)).to_be_visible()
    page.get_by_role("button", name=re.compile(rf"^{grade}")).click()


def test_a_missed_question_comes_back_in_the_drill_and_is_scheduled_later(
    new_context: CreateContextCallback,
    live_server: LiveServer,
    live_bank: ParsedBank,
    time_machine: TimeMachineFixture,
    screenshot: Screenshot,
    width: int,
    color_scheme: str,
) -> None:
    candidate = make_user("candidate")
    # No new questions: the drill is the missed question alone.
    Preferences.objects.create(user=candidate, new_per_day=0, time_zone="Europe/Berlin")
    problems = BrowserProblems()
    context = new_context(viewport={"width": width, "height": 900}, color_scheme=color_scheme)
    page = problems.watch(context).new_page()
    log_in(page)

    # 1. An interview of one question, graded Missed.
    page.goto("/interviews/new/")
    page.get_by_role("button", name="Select none").click()
    page.locator("label.choice", has_text=CATEGORY).locator("input").check()
    page.get_by_label("Number of questions").fill("1")
    page.get_by_role("button", name="Start interview").click()
    reveal_and_grade(page, "Missed")
    expect(page.get_by_role("heading", name=re.compile("summary", re.I)).first).to_be_visible()
    card = Card.objects.get(user=candidate)
    missed_due = card.due

    # 2. A day later it is due on the dashboard.
    time_machine.move_to(timezone.now() + timedelta(days=1), tick=True)
    before = recall_today(page)
    page.goto("/")
    today = page.locator("section.today")
    expect(today.get_by_test_id("due-today")).to_have_text("1 due today")
    expect(today.get_by_test_id("overdue")).to_have_text("1 overdue")
    expect(today.get_by_role("link", name=re.compile("how ready you are"))).to_be_visible()
    assert_fits(page)
    screenshot(page, "dashboard-due")

    # 3. The drill asks it, untimed; graded Excellent, it is scheduled days ahead.
    today.get_by_role("button", name="Review due").click()
    expect(page.locator(".progress-label")).to_contain_text("Daily drill · no clock")
    expect(page.locator("[data-timer]")).to_have_count(0)
    drill = InterviewSession.objects.get(user=candidate, mode=InterviewSession.Mode.DRILL)
    assert list(drill.items.values_list("question_id", flat=True)) == [card.question_id]
    assert_fits(page)
    screenshot(page, "drill")
    reveal_and_grade(page, "Excellent")
    expect(page.get_by_role("heading", name=re.compile("summary", re.I)).first).to_be_visible()
    card.refresh_from_db()
    assert card.reviews == 2 and card.due > timezone.now() + timedelta(days=1) > missed_due

    # 4. Nothing is due now: the dashboard says when the next review is, in Berlin time.
    page.goto("/")
    next_review = page.locator("section.today").get_by_test_id("next-review")
    local = timezone.localtime(card.due, timezone=ZoneInfo("Europe/Berlin"))
    expect(next_review).to_have_text(f"{local:%A} {local.day} {local:%B, %H:%M}")
    assert_fits(page)
    screenshot(page, "dashboard-done")

    # 5. The drill page offers new questions instead of a dead end.
    page.goto("/interviews/drill/")
    expect(page.get_by_test_id("nothing-due")).to_contain_text("Nothing is due now.")
    expect(page.get_by_role("button", name="Learn new questions instead")).to_be_visible()
    assert_fits(page)
    screenshot(page, "drill-nothing-due")

    # 6. Readiness follows: recall of the category rose with the review.
    after = recall_today(page)
    assert int(after.rstrip("%")) > int(before.rstrip("%")), (before, after)
    problems.assert_none()
