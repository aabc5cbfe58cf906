"""An editor fixes an answer in the admin, checks it on the site, compares and reverts it."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from questions.bank import ParsedBank
from questions.models import Question
from tests.cast import PASSWORD, make_editor
from tests.e2e.conftest import Screenshot

pytestmark = pytest.mark.e2e

OLD_WORDS = "RAG combines retrieval with generation"
NEW_WORDS = "RAG pairs a retriever with a generator"


@pytest.fixture
def editor(editors_group: Group) -> User:
    return make_editor("editor")


def reveal_answer(page: Page, number: int) -> None:
    page.goto(f"/questions/{number}/")
    page.get_by_text("Reveal answer", exact=True).click()


def test_an_editor_fixes_compares_and_reverts_an_answer(
    page: Page,
    live_server: LiveServer,
    live_bank: ParsedBank,
    editor: User,
    screenshot: Screenshot,
) -> None:
    question = Question.objects.get(number=121)
    original = question.answer
    assert original.startswith(OLD_WORDS)

    # Log in to the admin.
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/admin/$"))
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(PASSWORD)
    screenshot(page, "1-login")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    screenshot(page, "2-admin-index")

    # Find the question.
    page.locator("#content-main").get_by_role("link", name="Questions", exact=True).click()
    page.locator("#searchbar").fill("RAG")
    page.locator("#searchbar").press("Enter")
    results = page.locator("#result_list")
    title = "What is retrieval-augmented generation (RAG)?"
    expect(results.get_by_role("link", name=title, exact=True)).to_be_visible()
    expect(results.locator("tbody tr")).not_to_have_count(0)
    screenshot(page, "3-search-rag")
    results.get_by_role("link", name=title, exact=True).click()

    # Edit and save the answer.
    expect(page.get_by_role("heading", name="Change question")).to_be_visible()
    answer_field = page.locator("#id_answer")
    expect(answer_field).to_have_value(original)
    answer_field.fill(original.replace(OLD_WORDS, NEW_WORDS, 1))
    screenshot(page, "4-edit-answer")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("ul.messagelist")).to_contain_text("was changed successfully")
    screenshot(page, "5-saved")

    # The public page shows the new text at once.
    reveal_answer(page, 121)
    answer = page.locator(".reveal .answer").first
    expect(answer).to_be_visible()
    expect(answer).to_contain_text(NEW_WORDS)
    expect(answer).not_to_contain_text(OLD_WORDS)
    screenshot(page, "6-question-page-new-text")

    # The history shows who changed which words.
    page.goto(f"/admin/questions/question/{question.pk}/change/")
    page.get_by_role("link", name="History").click()
    history = page.locator("#change-history")
    expect(history.locator("tbody tr")).to_have_count(2)
    newest = history.locator("tbody tr").first
    expect(newest).to_contain_text("editor")
    diff = newest.locator(".history-diff")
    expect(diff.locator("del")).to_have_text(["combines", "retrieval", "generation"])
    expect(diff.locator("ins")).to_have_text(["pairs", "a retriever", "a generator"])
    screenshot(page, "7-history-diff")

    # Revert to the imported revision.
    history.locator("tbody tr").last.get_by_role("link", name=re.compile(r"^121\. ")).click()
    expect(page.locator("#id_answer")).to_have_value(original)
    screenshot(page, "8-revert-form")
    page.get_by_role("button", name="Revert").first.click()
    expect(page.locator("ul.messagelist")).to_contain_text("was reverted to the version of")
    screenshot(page, "9-reverted")

    # The old text is back where candidates see it.
    reveal_answer(page, 121)
    answer = page.locator(".reveal .answer").first
    expect(answer).to_contain_text(OLD_WORDS)
    expect(answer).not_to_contain_text(NEW_WORDS)
    screenshot(page, "10-question-page-old-text")
    question.refresh_from_db()
    assert question.answer == original
    assert question.history.count() == 3
