"""The pages hold together on a 360 px phone and on a desktop, light and dark, by keyboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer
from pytest_playwright.pytest_playwright import CreateContextCallback

from questions.bank import ParsedBank
from tests.e2e.conftest import PHONE, Screenshot

pytestmark = pytest.mark.e2e


def page_width(page: Page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


@pytest.fixture
def sized_page(new_context: CreateContextCallback, color_scheme: str, width: int) -> Page:
    context = new_context(viewport={"width": width, "height": 800}, color_scheme=color_scheme)
    return context.new_page()


def test_it_fits_the_screen(
    sized_page: Page,
    live_server: LiveServer,
    live_bank: ParsedBank,
    screenshot: Screenshot,
    width: int,
    color_scheme: str,
) -> None:
    page = sized_page
    assert page.evaluate("() => matchMedia('(prefers-color-scheme: dark)').matches") is (
        color_scheme == "dark"
    )

    page.goto("/")
    expect(page.get_by_role("link", name="Browse the question bank")).to_be_visible()
    assert page_width(page) <= width
    screenshot(page, "home")

    page.goto("/questions/")
    expect(page.locator("section.category")).to_have_count(13)
    assert page_width(page) <= width
    screenshot(page, "list")

    page.goto("/questions/?q=attention")
    expect(page.locator(".results-heading")).to_have_text("15 results for “attention”")
    assert page_width(page) <= width
    screenshot(page, "search")

    page.goto("/questions/?q=hallucinaton")
    expect(page.locator(".suggestion")).to_have_text("Did you mean hallucination?")
    assert page_width(page) <= width
    screenshot(page, "search-suggestion")

    page.goto("/questions/?q=sourdough&category=advanced-topics")
    expect(page.locator(".empty")).to_be_visible()
    assert page_width(page) <= width
    screenshot(page, "search-empty")

    # A crafted address: the site's own 400 page, saying what is wrong.
    page.goto("/questions/?q=kv%00cache")
    expect(page.get_by_role("alert")).to_contain_text("a control character (U+0000)")
    expect(page.locator("header.site-header")).to_be_visible()
    assert page_width(page) <= width
    screenshot(page, "400-crafted-address")

    page.goto("/questions/1/")
    page.get_by_text("Reveal answer", exact=True).click()
    page.get_by_text("Reveal scenario answer", exact=True).click()
    answers = page.locator(".answer")
    expect(answers).to_have_count(2)
    for answer in answers.all():
        expect(answer).to_be_visible()
    assert page_width(page) <= width
    screenshot(page, "detail-1-revealed")

    # An answer with a bulleted list.
    page.goto("/questions/24/")
    page.get_by_text("Reveal answer", exact=True).click()
    expect(page.locator(".answer li")).to_have_count(3)
    assert page_width(page) <= width
    screenshot(page, "detail-24-revealed")


def test_it_shows_where_the_keyboard_focus_is(
    new_context: CreateContextCallback,
    live_server: LiveServer,
    live_bank: ParsedBank,
    screenshot: Screenshot,
) -> None:
    page = new_context(viewport={"width": PHONE, "height": 800}).new_page()
    page.goto("/questions/")

    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to content")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()

    search = page.get_by_label("Search questions, answers and follow-ups")
    for _ in range(10):
        if search.evaluate("element => element === document.activeElement"):
            break
        page.keyboard.press("Tab")
    expect(search).to_be_focused()
    outline = search.evaluate(
        """element => {
            const style = getComputedStyle(element);
            return {style: style.outlineStyle, width: parseFloat(style.outlineWidth)};
        }"""
    )
    assert outline["style"] != "none"
    assert outline["width"] >= 2
    screenshot(page, "search-focused")
