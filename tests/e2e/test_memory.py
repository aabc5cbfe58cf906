"""The memory model in a real browser (issue 13): "Count toward my schedule" is a practice run's
choice, shown only while Practice is chosen (by the stylesheet alone: no script)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from questions.bank import ParsedBank
from sessions.models import InterviewSession
from tests.cast import make_user
from tests.e2e.conftest import BrowserProblems, Screenshot, log_in

pytestmark = pytest.mark.e2e


def test_the_schedule_choice_is_offered_for_practice_runs_only(
    page: Page, live_bank: ParsedBank, problems: BrowserProblems, screenshot: Screenshot
) -> None:
    candidate = make_user("candidate")
    log_in(page)
    page.goto("/interviews/new/")
    choice = page.get_by_label("Count toward my schedule")
    expect(choice).to_be_hidden()  # Timed is chosen: its grades always count

    page.get_by_label("Practice (no clock)").check()

    expect(choice).to_be_visible()
    expect(choice).to_be_checked()
    screenshot(page, "practice-chosen")
    choice.uncheck()
    page.get_by_role("button", name="Start interview").click()
    expect(page.get_by_role("button", name="Reveal answer")).to_be_visible()
    session = InterviewSession.objects.get(user=candidate)
    assert (session.mode, session.counts_toward_schedule) == ("practice", False)
    problems.assert_none()
