"""A candidate browses the bank in a real browser: live search, open a question, reveal it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from questions.bank import ParsedBank
from questions.models import AnswerFlag
from tests.cast import PASSWORD, make_user
from tests.e2e.conftest import Screenshot, log_in

pytestmark = pytest.mark.e2e


def test_it_finds_a_question_by_live_search_and_reveals_its_answer(
    page: Page, live_server: LiveServer, live_bank: ParsedBank, screenshot: Screenshot
) -> None:
    page.goto("/questions/")
    expect(page.get_by_role("heading", name="Question bank", level=1)).to_be_visible()
    expect(page.locator("section.category")).to_have_count(13)
    screenshot(page, "1-bank")

    search = page.get_by_label("Search questions, answers and follow-ups")
    search.fill("LoRA")

    results = page.locator("#results")
    expect(results.locator(".results-heading")).to_have_text("5 results for “LoRA”")
    expect(results.get_by_role("list").get_by_role("link")).to_have_text(
        [re.compile(rf"^{number}\. ") for number in (33, 190, 34, 8, 21)]
    )
    # Each result says where the word was found, the word marked.
    expect(results.locator(".snippet").nth(3)).to_contain_text("Scenario answer 8.1:")
    expect(results.locator(".snippet").nth(3).locator("mark").first).to_have_text("LoRA")
    # HTMX swapped the results in place: no page load took the focus away from the box,
    # and the address bar holds the search so it can be shared or reloaded.
    expect(search).to_be_focused()
    expect(page).to_have_url(re.compile(r"/questions/\?q=LoRA"))
    screenshot(page, "2-search-lora")

    results.get_by_role("link", name=re.compile(r"^33\. What is LoRA")).click()

    expect(page).to_have_url(f"{live_server.url}/questions/33/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "33. What is LoRA (Low-Rank Adaptation)?"
    )
    answer = page.locator(".reveal .answer")
    expect(answer).to_be_hidden()
    screenshot(page, "3-question-33")

    page.get_by_text("Reveal answer", exact=True).click()

    expect(answer).to_be_visible()
    expect(answer).to_contain_text("parameter-efficient fine-tuning technique")
    screenshot(page, "4-question-33-answer")


def test_it_lets_a_candidate_flag_an_unclear_answer(
    page: Page, live_server: LiveServer, live_bank: ParsedBank, screenshot: Screenshot
) -> None:
    make_user("candidate")
    page.goto("/questions/33/")
    page.get_by_text("Reveal answer", exact=True).click()
    page.locator(".flag").get_by_role("link", name="Log in").click()
    page.get_by_label("Username").fill("candidate")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/questions/33/")

    page.get_by_text("Reveal answer", exact=True).click()
    page.get_by_text("Flag this answer", exact=True).click()
    page.get_by_label("The answer is unclear").check()
    page.get_by_label("Comment").fill("It never says which layers get the adapters.")
    screenshot(page, "1-flag-form")
    page.get_by_role("button", name="Send flag").click()

    expect(page.get_by_text("Thank you: the answer is flagged for the editors.")).to_be_visible()
    # Swapped in place by HTMX: the answer is still revealed on the same page.
    expect(page.locator(".reveal .answer")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/questions/33/")
    flag = AnswerFlag.objects.get()
    assert (flag.question.number, flag.reason) == (33, AnswerFlag.Reason.UNCLEAR)
    screenshot(page, "2-flag-sent")


@pytest.mark.parametrize("who", ["anonymous", "signed in"])
def test_back_after_a_live_search_shows_the_whole_page(
    page: Page, live_server: LiveServer, live_bank: ParsedBank, screenshot: Screenshot, who: str
) -> None:
    """The search's address was fetched by htmx for the results alone: Back must not show that
    fragment as the page (htmx keeps no history snapshot and reloads; Vary: HX-Request keeps
    the browser's cache from answering the reload with the fragment)."""
    if who == "signed in":
        make_user("candidate")
        log_in(page)
    page.goto("/questions/")
    page.get_by_label("Search questions, answers and follow-ups").fill("LoRA")
    results = page.locator("#results")
    expect(results.locator(".results-heading")).to_have_text("5 results for “LoRA”")
    expect(page).to_have_url(re.compile(r"/questions/\?q=LoRA"))
    results.get_by_role("link", name=re.compile(r"^33\. What is LoRA")).click()
    expect(page).to_have_url(f"{live_server.url}/questions/33/")

    page.go_back()

    expect(page).to_have_url(re.compile(r"/questions/\?q=LoRA(&|$)"))
    expect(page.locator("header.site-header")).to_be_visible()
    expect(page.get_by_role("heading", name="Question bank", level=1)).to_be_visible()
    expect(page.get_by_label("Search questions, answers and follow-ups")).to_have_value("LoRA")
    expect(page.locator("#results .results-heading")).to_have_text("5 results for “LoRA”")
    assert page.evaluate("() => document.querySelectorAll('html').length") == 1
    expect(page).to_have_title("“LoRA” · Question bank · Interview Prep")
    screenshot(page, f"back-after-search-{who.replace(' ', '-')}")
