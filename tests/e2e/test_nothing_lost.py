"""Nothing lost in a real browser: signed out mid-answer, and the connection gone at a reveal.

Issue 11's browser test. The notes typed are kept in the browser until the server has them: a
login lost in another tab leaves them on screen with a way to log in again, and they come back
on the interview page after logging in. With the network down, the reveal says so and offers to
try again; the notes stay in the box.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect
from pytest_playwright.pytest_playwright import CreateContextCallback

from questions.bank import ParsedBank
from sessions.models import InterviewSession
from tests.cast import PASSWORD
from tests.e2e.conftest import BrowserProblems, Screenshot, log_in
from tests.e2e.interview_page import model_answer, notes_box, start_practice

pytestmark = pytest.mark.e2e


@pytest.fixture
def practice_run(live_bank: ParsedBank) -> InterviewSession:
    return start_practice([1, 2])


def status(page: Page) -> Locator:
    return page.locator("[data-autosave-status]")


def assert_only_expected(problems: BrowserProblems, *expected: str) -> None:
    """The failures staged here are logged to the console (the browser's own line and htmx's
    error events); nothing else may be."""
    unexpected = [found for found in problems.found if not any(text in found for text in expected)]
    assert unexpected == []


def test_notes_survive_a_lost_login(
    new_context: CreateContextCallback,
    practice_run: InterviewSession,
    problems: BrowserProblems,
    screenshot: Screenshot,
) -> None:
    context = problems.watch(new_context(viewport={"width": 1280, "height": 900}))
    page = context.new_page()
    log_in(page)
    page.goto(practice_run.item_url(0))
    page.keyboard.type("Saved while signed in.")
    expect(status(page)).to_have_text(re.compile(r"^Saved \d"))

    # Logged out in another tab; the candidate goes on typing.
    other = context.new_page()
    other.goto("/")
    other.get_by_role("button", name="Log out").click()
    # The other tab is left open, signed out: closing it while its logout navigation was still
    # settling once hung Chromium's close for the whole test timeout (CI, SQLite run).
    expect(other.get_by_role("link", name="Log in")).to_be_visible()
    notes_box(page).press_sequentially(" Typed after the login was gone.")
    expect(status(page)).to_contain_text("Not saved. You were signed out.")
    expect(notes_box(page)).to_have_value("Saved while signed in. Typed after the login was gone.")
    screenshot(page, "1-signed-out")

    status(page).get_by_role("link", name="Log in again").click()
    page.get_by_label("Username").fill("candidate")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(re.compile(rf"{practice_run.item_url(0)}$"))
    expect(notes_box(page)).to_have_value("Saved while signed in. Typed after the login was gone.")
    expect(status(page)).to_have_text(re.compile(r"^Saved \d"))
    assert practice_run.items.get(position=0).notes.endswith("Typed after the login was gone.")
    assert_only_expected(problems, "401", "htmx:afterRequest", "htmx:responseError")
    # Closed before the database is emptied for the next test: no late request may reach it.
    context.close()


def test_a_reveal_without_a_connection_says_so_and_keeps_the_notes(
    new_context: CreateContextCallback,
    practice_run: InterviewSession,
    problems: BrowserProblems,
    screenshot: Screenshot,
) -> None:
    context = problems.watch(new_context(viewport={"width": 360, "height": 800}))
    page = context.new_page()
    log_in(page)
    page.goto(practice_run.item_url(0))
    page.keyboard.type("Models that create new content.")
    expect(status(page)).to_have_text(re.compile(r"^Saved \d"))

    context.set_offline(True)
    page.keyboard.press("Control+Enter")
    alert = page.locator("[data-interview-alert]")
    expect(alert).to_contain_text("Couldn't reach the server; your notes are safe.")
    expect(notes_box(page)).to_have_value("Models that create new content.")
    screenshot(page, "1-offline")

    context.set_offline(False)
    alert.get_by_role("button", name="Try again").click()
    expect(model_answer(page)).to_be_visible()
    expect(alert).to_be_hidden()
    assert practice_run.items.get(position=0).notes == "Models that create new content."
    context.close()  # as above: nothing left to reach the database while it is emptied
    assert_only_expected(
        problems, "ERR_INTERNET_DISCONNECTED", "htmx:afterRequest", "htmx:sendError"
    )
