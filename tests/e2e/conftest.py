"""Browser tests: the system Chromium driven by Playwright against pytest-django's live server.

Run only these with `pytest -m e2e`, or leave them out with `pytest -m "not e2e"`.
Screenshots land in `artifacts/screenshots/` (git-ignored) so a person can look at the pages.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect
from pytest_django.live_server_helper import LiveServer

from questions.bank import ParsedBank
from questions.importing import import_bank
from tests.cast import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A browser that records: the microphone is a fake device (a beeping tone) and the permission
# prompt answers yes by itself (tests of a refusal override getUserMedia).
MEDIA_ARGS = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
SCREENSHOT_DIR = Path("artifacts") / "screenshots"
MISSING_CHROMIUM = f"{CHROMIUM} is missing: the browser tests did NOT run"

Screenshot = Callable[[Page, str], Path]
PHONE = 360  # CSS pixels wide: the narrowest layout the design supports
DESKTOP = 1280


def pytest_configure(config: pytest.Config) -> None:
    # pytest-playwright 0.10 defines its fallback `base_url` fixture as a method of a plugin
    # class, which pytest 9 deprecates; nothing here can change that, so keep the noise out.
    config.addinivalue_line(
        "filterwarnings",
        "ignore:Session-scoped fixtures defined as instance methods are deprecated"
        r"\.\s+Instance attributes set in the 'base_url' fixture"
        ":pytest.PytestRemovedIn10Warning",
    )


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


@pytest.fixture(scope="session", autouse=True)
def _require_chromium() -> None:
    """Without the browser, fail in CI (a green build must mean the pages work); skip locally.

    Session-scoped so it runs before pytest-playwright launches the browser; pytest re-raises
    the skip or failure for every browser test.
    """
    if CHROMIUM.exists():
        return
    if _in_ci():
        pytest.fail(f"{MISSING_CHROMIUM} (CI=true, so this is an error).", pytrace=False)
    pytest.skip(f"!!! {MISSING_CHROMIUM}; install the chromium package to run them !!!")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if MISSING_CHROMIUM in str(report.longrepr)
    ]
    if skipped:
        terminalreporter.write_sep(
            "!", f"{MISSING_CHROMIUM}: {len(skipped)} skipped", red=True, bold=True
        )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    # The distribution's Chromium, never a downloaded one: `playwright install` is not used here.
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(
    browser_context_args: dict[str, Any], live_server: LiveServer
) -> dict[str, Any]:
    # Relative URLs in page.goto() resolve against the live server.
    return {**browser_context_args, "base_url": live_server.url, "locale": "en-GB"}


@pytest.fixture(scope="session")
def media_browser(launch_browser: Callable[..., Browser]) -> Iterator[Browser]:
    """A second Chromium, launched with the fake microphone (MEDIA_ARGS), for recording tests."""
    browser = launch_browser(args=[*CHROMIUM_ARGS, *MEDIA_ARGS])
    yield browser
    browser.close()


@pytest.fixture
def new_media_context(
    media_browser: Browser, browser_context_args: dict[str, Any]
) -> Iterator[Callable[..., BrowserContext]]:
    """`new_context` of the recording browser: contexts closed at the end of the test."""
    contexts: list[BrowserContext] = []

    def create(**kwargs: Any) -> BrowserContext:
        context = media_browser.new_context(**{**browser_context_args, **kwargs})
        contexts.append(context)
        return context

    yield create
    for context in contexts:
        context.close()


@pytest.fixture
def live_bank(transactional_db: None, parsed_bank: ParsedBank) -> ParsedBank:
    """The bundled bank, committed so the live server's thread can read it."""
    import_bank(parsed_bank)
    return parsed_bank


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Screenshot:
    """`screenshot(page, "search-results")` saves a full-page PNG named after the test."""
    folder = request.config.rootpath / SCREENSHOT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    test_name = request.node.originalname.removeprefix("test_")
    # Parametrised tests ("width", "color_scheme") get their values in the name.
    callspec = getattr(request.node, "callspec", None)
    params = callspec.params if callspec else {}
    variant = "-".join(str(value) for name, value in params.items() if name != "browser_name")

    def take(page: Page, name: str) -> Path:
        stem = "--".join(part for part in (test_name, variant, name) if part)
        path = folder / f"{re.sub(r'[^A-Za-z0-9._-]+', '-', stem)}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return take


# Runs before any page script: every CSP violation is reported back to the test.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__reportCspViolation(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline code"}` +
    ` (${event.sourceFile || location.pathname}:${event.lineNumber})`
  );
});
"""


@dataclass
class BrowserProblems:
    """Console errors, uncaught exceptions and CSP violations seen in any watched context."""

    found: list[str] = field(default_factory=list)

    def watch(self, context: BrowserContext) -> BrowserContext:
        context.expose_function("__reportCspViolation", self._csp)
        context.add_init_script(CSP_LISTENER)
        context.on("console", self._console)
        context.on("weberror", lambda error: self.found.append(f"uncaught: {error.error}"))
        return context

    def _csp(self, text: str) -> None:
        self.found.append(f"CSP violation: {text}")

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.found.append(f"console error: {message.text} ({message.location})")

    def assert_none(self, *, expected: str = "") -> None:
        """Nothing went wrong, apart from problems whose text contains `expected`."""
        assert [problem for problem in self.found if not expected or expected not in problem] == []


@pytest.fixture
def problems(context: BrowserContext) -> BrowserProblems:
    """Watches the default context (the `page` fixture's); call `.watch()` on any other."""
    problems = BrowserProblems()
    problems.watch(context)
    return problems


@pytest.fixture(params=["light", "dark"])
def color_scheme(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(params=[PHONE, DESKTOP])
def width(request: pytest.FixtureRequest) -> int:
    return request.param


def assert_fits(page: Page) -> None:
    """The page scrolls vertically only: nothing sticks out of the viewport's width."""
    width = page.viewport_size["width"] if page.viewport_size else DESKTOP
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} is {scroll_width}px wide in a {width}px viewport"


def log_in(page: Page, username: str = "candidate") -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # On a phone the Log out button waits, folded, in the header's Menu.
    expect(page.locator(".site-nav button", has_text="Log out")).to_be_attached()
