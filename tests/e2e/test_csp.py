"""Every page type under the strict Content-Security-Policy, in a real browser: no violation,
no console error, no uncaught script error.

Violations are caught two ways: a `securitypolicyviolation` listener installed before any page
script runs, and Chromium's own console errors ("Refused to …"), which survive navigations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import ConsoleMessage, Error, Page, Response, expect
from pytest_django.live_server_helper import LiveServer

from questions.bank import ParsedBank
from questions.models import Question
from tests.cast import PASSWORD, make_user
from tests.e2e.conftest import Screenshot

pytestmark = pytest.mark.e2e

MISSING_PAGE = "/no-such-page/"
COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"}` +
    ` in ${event.sourceFile || event.documentURI}:${event.lineNumber}` +
    (event.sample ? ` (${event.sample})` : "")
  );
});
"""


@dataclass
class Watch:
    """What went wrong on which page, gathered as the test walks through the site."""

    page: Page
    problems: list[str] = field(default_factory=list)
    _console: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "")
        # The browser reports the 404 status of the missing page itself; that one is expected.
        if url.endswith(MISSING_PAGE) and "status of 404" in message.text:
            return
        self._console.append(f"console: {message.text} ({url})")

    def on_page_error(self, error: Error) -> None:
        self._console.append(f"uncaught: {error}")

    def check(self, label: str) -> None:
        """Gather what the current page reported, then start afresh for the next one."""
        self.page.wait_for_load_state("load")
        violations = self.page.evaluate("() => (window.__cspViolations || []).splice(0, Infinity)")
        found = [f"CSP: {violation}" for violation in violations] + self._console
        self.problems.extend(f"{label}: {problem}" for problem in found)
        self._console.clear()

    def visit(self, url: str, label: str, *, status: int = 200) -> Response:
        response = self.page.goto(url)
        assert response is not None
        assert response.status == status, (label, response.status)
        assert_strict_policy(response, label)
        self.check(label)
        return response


def assert_strict_policy(response: Response, label: str) -> None:
    """The page really was served under the policy: no violation would prove nothing otherwise."""
    policy = response.headers.get("content-security-policy", "")
    # The nonce appears only where the page used it (for htmx): the admin needs none.
    assert re.search(r"script-src 'self'( 'nonce-[A-Za-z0-9+/=]+')?(;|$)", policy), (label, policy)
    assert "style-src 'self';" in policy + ";", (label, policy)
    assert "unsafe-" not in policy, (label, policy)


@pytest.fixture
def watch(page: Page) -> Watch:
    watch = Watch(page)
    page.set_default_timeout(10_000)
    page.add_init_script(COLLECT_VIOLATIONS)
    page.on("console", watch.on_console)
    page.on("pageerror", watch.on_page_error)
    return watch


@pytest.fixture
def candidate(live_bank: ParsedBank) -> User:
    return make_user("candidate")


@pytest.fixture
def superuser(live_bank: ParsedBank) -> User:
    return make_user("boss", is_staff=True, is_superuser=True)


def log_in_to_the_admin(watch: Watch) -> None:
    watch.visit("/admin/login/", "admin log-in")
    watch.page.get_by_label("Username").fill("boss")
    watch.page.get_by_label("Password").fill(PASSWORD)
    watch.page.get_by_role("button", name="Log in").click()
    expect(watch.page.get_by_role("heading", name="Site administration")).to_be_visible()
    watch.check("admin index")


def test_it_notices_a_violation(watch: Watch, live_server: LiveServer, live_bank: ParsedBank):
    """The detector itself: an inline style and a foreign image are reported."""
    watch.visit("/questions/", "question list")

    watch.page.evaluate(
        """() => {
            document.body.setAttribute("style", "outline: 1px solid red");
            const image = document.createElement("img");
            image.src = "https://images.example.invalid/tracker.png";
            document.body.append(image);
        }"""
    )
    watch.page.wait_for_function("() => window.__cspViolations.length >= 2")
    watch.check("tampered page")

    assert any("style-src-attr blocked inline" in problem for problem in watch.problems)
    assert any(
        "img-src blocked https://images.example.invalid/tracker.png" in problem
        for problem in watch.problems
    )


def test_every_page_type_runs_under_the_strict_policy(
    watch: Watch, live_server: LiveServer, candidate: User, screenshot: Screenshot
) -> None:
    page = watch.page

    # Anonymous.
    watch.visit("/", "home (anonymous)")
    watch.visit("/accounts/signup/", "sign-up")
    watch.visit("/questions/", "question list")
    page.get_by_label("Search questions, answers and follow-ups").fill("attention")
    expect(page.locator(".results-heading")).to_have_text(re.compile(r"results for “attention”"))
    watch.check("question list, live search (HTMX)")
    watch.visit("/questions/1/", "question detail")
    page.get_by_text("Reveal answer", exact=True).click()
    expect(page.locator(".reveal .answer").first).to_be_visible()
    watch.check("question detail, answer revealed")
    watch.visit(MISSING_PAGE, "404 page", status=404)
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    watch.check("404 page")
    watch.visit("/admin/login/", "admin log-in")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    watch.check("admin log-in")

    # Logged in, through the site's own form.
    watch.visit("/accounts/login/", "log-in")
    page.get_by_label("Username").fill("candidate")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="candidate")).to_be_visible()
    watch.check("home (logged in)")

    watch.visit("/interviews/new/", "new interview form")
    page.get_by_label("Number of questions").fill("1")
    page.get_by_label("Ask scenario follow-ups").uncheck()
    page.get_by_role("button", name="Start interview").click()
    expect(page.get_by_role("timer")).to_be_visible()
    watch.check("interview, question")

    # Notes are saved as the candidate types (an HTMX request with the CSRF header).
    with page.expect_response(re.compile(r"/notes/$")) as saved:
        page.get_by_role("textbox").fill("Queries, keys and values.")
    assert saved.value.status == 204
    page.get_by_role("button", name="Reveal answer").click()
    expect(page.get_by_role("heading", name="Model answer")).to_be_visible()
    watch.check("interview, answer revealed (HTMX)")
    screenshot(page, "interview-revealed")

    page.get_by_role("button", name=re.compile(r"^Solid\b")).click()
    expect(page.get_by_role("heading", name="Interview summary")).to_be_visible()
    watch.check("summary")
    screenshot(page, "summary")

    watch.visit("/", "home with a finished interview")
    watch.visit("/accounts/password/", "change password")

    assert watch.problems == []


def test_the_admin_runs_under_the_strict_policy(
    watch: Watch, live_server: LiveServer, superuser: User
) -> None:
    log_in_to_the_admin(watch)
    watch.visit("/admin/questions/question/", "admin question list")
    watch.visit("/admin/questions/question/?q=lora", "admin question search")
    question = Question.objects.get(number=1)
    watch.visit(f"/admin/questions/question/{question.pk}/change/", "admin question form")
    watch.visit("/admin/questions/question/add/", "admin new question form")
    scenario = question.scenarios.get()
    watch.visit("/admin/questions/scenario/", "admin scenario list")
    watch.visit(f"/admin/questions/scenario/{scenario.pk}/change/", "admin scenario form")
    watch.visit("/admin/questions/answerflag/", "admin flag queue")
    watch.visit("/admin/auth/user/", "admin user list")

    assert watch.problems == []


def test_the_admin_history_page_runs_under_the_strict_policy(
    watch: Watch, live_server: LiveServer, superuser: User
) -> None:
    log_in_to_the_admin(watch)
    question = Question.objects.get(number=1)
    watch.visit(f"/admin/questions/question/{question.pk}/history/", "admin question history")
    expect(watch.page.locator("p.paginator")).to_be_visible()

    assert watch.problems == []
