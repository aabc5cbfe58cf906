"""axe-core over every page type, light and dark: no WCAG 2 A or AA violation (contrast included).

axe is vendored for the tests only (tests/e2e/vendor/axe.min.js, never served). Playwright adds
it as an inline <script>, which the strict Content-Security-Policy rightly refuses, so this
test's context alone bypasses the policy (test_csp.py checks the policy itself).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_playwright.pytest_playwright import CreateContextCallback

from questions.bank import ParsedBank
from questions.models import Question
from sessions import services
from sessions.models import InterviewSession
from tests.cast import make_user
from tests.e2e.conftest import Screenshot, log_in
from tests.e2e.interview_page import model_answer, notes_box

pytestmark = pytest.mark.e2e

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
RUN_AXE = """async () => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa"]}});
  return result.violations.map((v) =>
    `${v.id} (${v.impact}): ${v.help} — ` +
    v.nodes.slice(0, 3).map((n) => n.target.join(" ") + " " + n.failureSummary).join(" | "));
}"""


def violations(page: Page) -> list[str]:
    page.add_script_tag(path=AXE)
    return page.evaluate(RUN_AXE)


def test_every_page_type_passes_axe(
    new_context: CreateContextCallback,
    live_bank: ParsedBank,
    screenshot: Screenshot,
    color_scheme: str,
) -> None:
    user = make_user("candidate")
    session = services.start_session(
        user=user,
        questions=list(Question.objects.filter(number__in=[1, 24]).order_by("number")),
        mode=InterviewSession.Mode.TIMED,
        seconds_per_item=120,
        include_scenarios=False,
        now=timezone.now(),
    )
    context = new_context(
        viewport={"width": 1280, "height": 900}, color_scheme=color_scheme, bypass_csp=True
    )
    page = context.new_page()
    found: dict[str, list[str]] = {}

    def check(label: str) -> None:
        found[label] = violations(page)

    page.goto("/accounts/login/")
    check("log-in")
    log_in(page)

    page.goto(session.item_url(0))
    expect(notes_box(page)).to_be_visible()
    check("interview, question")
    notes_box(page).fill("Generative AI creates new content.")
    page.get_by_role("button", name="Reveal answer").click()
    expect(model_answer(page)).to_be_focused()
    check("interview, revealed")
    page.get_by_role("button", name="Partial").click()
    expect(page.locator("[data-undo-form]")).to_contain_text("Recorded Partial")
    check("interview, just graded (Undo)")
    page.get_by_role("button", name="Reveal answer").click()
    page.get_by_role("button", name="Solid").click()
    expect(page.get_by_role("heading", name="Interview summary")).to_be_visible()
    check("summary")

    for url, label in [
        ("/", "dashboard"),
        ("/history/", "history"),
        ("/interviews/new/", "new interview"),
        ("/questions/", "question list"),
        ("/questions/1/", "question detail"),
    ]:
        page.goto(url)
        check(label)
        screenshot(page, label)
    assert {label: problems for label, problems in found.items() if problems} == {}
