"""Readiness and the plan in a real browser (issue 13): the category table, the forecast's SVG and
its table, light and dark at 1280 and 360 px; the plan form, its refusal and the browser's time
zone button."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer
from pytest_playwright.pytest_playwright import CreateContextCallback

from questions.bank import ParsedBank
from questions.models import Question
from sessions.models import Grade, Preferences
from tests.cast import make_user
from tests.e2e.conftest import BrowserProblems, Screenshot, assert_fits, log_in
from tests.histories import Answer, play

pytestmark = pytest.mark.e2e


@pytest.fixture
def candidate(live_bank: ParsedBank) -> User:
    """Graded over the last two weeks in four categories, with an interview date ahead."""
    user = make_user("candidate")
    now = timezone.now()
    by_number = Question.objects.in_bulk(field_name="number")
    grades = [Grade.MISSED, Grade.PARTIAL, Grade.SOLID, Grade.EXCELLENT]
    for day, numbers in enumerate([(1, 2, 3), (21, 22), (41, 42, 43, 44), (121, 122), (5, 23)]):
        play(
            user,
            [by_number[number] for number in numbers],
            [Answer(grades[(day + index) % 4]) for index in range(len(numbers))],
            at=now - timedelta(days=12 - 3 * day),
        )
    Preferences.objects.create(
        user=user, interview_date=(now + timedelta(days=20)).date(), time_zone="Europe/Berlin"
    )
    return user


def test_the_readiness_page_fits_the_screen_light_and_dark(
    new_context: CreateContextCallback,
    live_server: LiveServer,
    candidate: User,
    screenshot: Screenshot,
    width: int,
    color_scheme: str,
) -> None:
    problems = BrowserProblems()
    context = new_context(viewport={"width": width, "height": 900}, color_scheme=color_scheme)
    page = problems.watch(context).new_page()
    log_in(page)

    # The dashboard's own link, there at every width (on a phone the navigation's is in the Menu).
    page.locator("section.today").get_by_role("link", name=re.compile("how ready you are")).click()
    expect(page.get_by_role("heading", name="How ready you are")).to_be_visible()
    table = page.locator("table.readiness-table")
    expect(table.locator("tbody tr")).to_have_count(13)
    expect(table.locator("tbody tr.never-practised")).to_have_count(9)
    expect(table.get_by_role("columnheader", name="On the day")).to_be_attached()
    chart = page.get_by_role("img", name="Reviews due per day")
    expect(chart).to_be_visible()
    expect(chart.locator("rect.forecast-bar")).to_have_count(14)
    assert_fits(page)
    screenshot(page, "readiness")

    page.get_by_text("Show the reviews due as a table").click()
    expect(page.locator("table.forecast-table tbody tr")).to_have_count(14)
    assert_fits(page)
    screenshot(page, "readiness-table")
    problems.assert_none()


def test_the_plan_form_refuses_a_past_date_and_takes_the_browsers_zone(
    new_context: CreateContextCallback,
    live_server: LiveServer,
    candidate: User,
    screenshot: Screenshot,
) -> None:
    problems = BrowserProblems()
    context = new_context(viewport={"width": 360, "height": 900}, timezone_id="Asia/Tokyo")
    page = problems.watch(context).new_page()
    log_in(page)
    page.goto("/readiness/")
    page.get_by_role("link", name="Change your plan").click()

    page.get_by_label("Interview date").fill("2020-01-02")
    page.get_by_label("New questions a day").fill("7")
    page.get_by_role("button", name="Use this browser’s time zone").click()
    expect(page.get_by_label("Time zone")).to_have_value("Asia/Tokyo")
    page.get_by_role("button", name="Save plan").click()

    expect(page.get_by_text("2 Jan 2020 has passed")).to_be_visible()
    expect(page.get_by_label("New questions a day")).to_have_value("7")
    expect(page.get_by_label("Time zone")).to_have_value("Asia/Tokyo")
    assert_fits(page)
    screenshot(page, "plan-refused")

    page.get_by_role("button", name="Clear the date").click()

    expect(page.get_by_text("Interview date cleared; plan saved.")).to_be_visible()
    saved = Preferences.objects.get(user=candidate)
    assert (saved.interview_date, saved.new_per_day, saved.time_zone) == (None, 7, "Asia/Tokyo")
    problems.assert_none(expected="status of 400")  # the refusal is a 400 on purpose


def test_the_practise_button_starts_an_interview_of_its_category(
    page: Page, candidate: User, problems: BrowserProblems
) -> None:
    log_in(page)
    page.goto("/readiness/")

    page.get_by_role("button", name="Practise Evaluation Metrics").click()

    expect(page.get_by_role("button", name="Reveal answer")).to_be_visible()
    problems.assert_none()


def test_the_bank_list_filters_to_the_questions_never_seen(
    page: Page, candidate: User, problems: BrowserProblems, screenshot: Screenshot
) -> None:
    log_in(page)
    page.goto("/questions/")

    page.get_by_label("Show").select_option("Never seen")

    expect(page.get_by_role("heading", name="187 questions never seen")).to_be_visible()
    expect(page).to_have_url(re.compile(r"memory=unseen"))
    expect(page.locator("#results .question-list li")).to_have_count(187)
    assert_fits(page)
    screenshot(page, "never-seen")
    problems.assert_none()
