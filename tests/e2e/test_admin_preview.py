"""An editor types in the admin and the previews follow: the answer, a scenario's answer and the
key points, rendered by the server as candidates will see them, under the strict CSP."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.db.models import Q
from playwright.sync_api import Locator, Page, Request, expect
from pytest_django.live_server_helper import LiveServer

from questions.bank import ParsedBank
from questions.models import KeyPoint, Question
from tests.cast import make_editor
from tests.e2e.conftest import DESKTOP, BrowserProblems, Screenshot, log_in

pytestmark = pytest.mark.e2e

PREVIEW_PATH = "/admin/questions/question/preview/"


@pytest.fixture
def editor(editors_group: Group) -> User:
    return make_editor("editor")


def preview_beside(page: Page, field: str) -> Locator:
    """The rendered preview in the same fieldset as the textarea `#field`."""
    fieldset = page.locator("fieldset").filter(has=page.locator(f"#{field}")).last
    return fieldset.locator("[data-preview-body]")


def list_style(item: Locator) -> str:
    return item.evaluate("element => getComputedStyle(element).listStyleType")


def test_the_preview_follows_what_the_editor_types(
    page: Page,
    live_server: LiveServer,
    live_bank: ParsedBank,
    editor: User,
    screenshot: Screenshot,
    problems: BrowserProblems,
) -> None:
    question = Question.objects.get(number=121)
    original = question.answer
    # The editor writes the points from scratch: drop the ones the import derived.
    own_points = KeyPoint.objects.filter(Q(question=question) | Q(scenario__question=question))
    own_points.delete()
    page.set_viewport_size({"width": DESKTOP, "height": 900})
    previews: list[Request] = []
    page.on("request", lambda r: previews.append(r) if PREVIEW_PATH in r.url else None)
    log_in(page, "editor")
    page.goto(f"/admin/questions/question/{question.pk}/change/")

    # The answer: the saved text at first, then what is typed, with bullets as on the site.
    answer = page.locator("#id_answer")
    preview = preview_beside(page, "id_answer")
    expect(preview).to_contain_text("RAG combines retrieval with generation")
    answer.fill("RAG in three steps:\n\n- **retrieve** the passages\n- rerank them\n")
    answer.press("End")
    answer.press_sequentially("- generate <script>alert(1)</script>", delay=30)
    items = preview.locator("ul > li")
    expect(items).to_have_text(
        ["retrieve the passages", "rerank them", "generate <script>alert(1)</script>"]
    )
    expect(preview.locator("strong")).to_have_text("retrieve")
    assert [list_style(item) for item in items.all()] == ["disc"] * 3
    # Typing a line at human speed sends one request once the typing pauses, not one a key.
    assert 1 <= len(previews) <= 3, [request.url for request in previews]

    # The scenario's answer in the inline, numbered.
    scenario_answer = page.locator("#id_scenarios-0-answer")
    scenario_answer.fill("Two steps:\n\n1. index the docs\n2. retrieve at query time")
    scenario_items = preview_beside(page, "id_scenarios-0-answer").locator("ol > li")
    expect(scenario_items).to_have_text(["index the docs", "retrieve at query time"])
    assert list_style(scenario_items.first) == "decimal"

    # Key points: plain text, in the order they will be saved.
    page.locator("#id_key_points-0-text").fill("Retrieval grounds the answer")
    page.locator("#id_key_points-0-position").fill("2")
    page.locator("#key_points-group").get_by_role("button", name="Add another Key point").click()
    page.locator("#id_key_points-1-text").fill("Chunking **matters**")
    page.locator("#id_key_points-1-position").fill("1")
    key_points = page.locator("[data-key-points-editor] [data-preview-body] li")
    expect(key_points).to_have_text(["Chunking **matters**", "Retrieval grounds the answer"])
    assert list_style(key_points.first) == "decimal"

    page.locator("#id_answer").scroll_into_view_if_needed()
    screenshot(page, "1-typing")
    problems.assert_none()
    # Nothing is saved until the editor saves.
    question.refresh_from_db()
    assert question.answer == original
    assert not own_points.exists()

    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator("ul.messagelist")).to_contain_text("was changed successfully")
    expect(preview_beside(page, "id_answer").locator("ul > li")).to_have_count(3)
    assert list(question.key_points.values_list("text", flat=True)) == [
        "Chunking **matters**",
        "Retrieval grounds the answer",
    ]
    screenshot(page, "2-saved")

    # A scenario's own page, from the link in the question's scenario inline.
    page.get_by_role("link", name="Edit key points of 121.1").click()
    expect(page.get_by_role("heading", name="Change scenario")).to_be_visible()
    expect(preview_beside(page, "id_answer").locator("ol > li")).to_have_count(2)
    page.locator("#id_answer").fill("Index, then:\n\n- retrieve\n- answer")
    page.locator("#id_key_points-0-text").fill("Index the documentation first")
    expect(preview_beside(page, "id_answer").locator("ul > li")).to_have_text(
        ["retrieve", "answer"]
    )
    expect(page.locator("[data-key-points-editor] [data-preview-body] li")).to_have_text(
        ["Index the documentation first"]
    )
    screenshot(page, "3-scenario-page")
    problems.assert_none()
