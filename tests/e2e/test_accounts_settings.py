"""The settings page on a 360 px phone, light and dark: reached from the header, every part
usable, the data downloaded, a wrong password answered in place."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings
from pytest_playwright.pytest_playwright import CreateContextCallback

from tests.cast import make_user
from tests.e2e.conftest import PHONE, Screenshot, assert_fits, log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def phone(new_context: CreateContextCallback, color_scheme: str) -> Page:
    context = new_context(viewport={"width": PHONE, "height": 800}, color_scheme=color_scheme)
    return context.new_page()


def test_the_settings_page_on_a_phone(
    phone: Page, live_server: object, transactional_db: None, screenshot: Screenshot
) -> None:
    page = phone
    make_user("candidate", email="candidate@example.com")
    page.goto("/accounts/login/")
    expect(page.get_by_role("link", name="Forgot password?")).to_be_visible()
    assert_fits(page)
    screenshot(page, "login")
    log_in(page)

    # On a phone the account link waits, folded, in the header's Menu.
    page.locator(".nav-menu-button").click()
    page.get_by_role("link", name="candidate").click()

    expect(page.get_by_role("heading", name="Account settings")).to_be_visible()
    expect(page.get_by_label("E-mail address")).to_have_value("candidate@example.com")
    assert_fits(page)
    screenshot(page, "settings")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download my data").click()
    download = download_info.value
    assert download.suggested_filename.startswith("interview-prep-data-")
    data = json.loads(download.path().read_text(encoding="utf-8"))
    assert data["account"]["username"] == "candidate"

    page.get_by_label("Your password").fill("not-my-password")
    page.get_by_role("button", name="Delete my account and data").click()
    expect(
        page.get_by_text("That is not your password. Your account was not deleted.")
    ).to_be_visible()
    assert_fits(page)
    screenshot(page, "wrong-password")


def test_a_throttled_sign_up_on_a_phone(
    phone: Page,
    live_server: object,
    transactional_db: None,
    settings: Settings,
    screenshot: Screenshot,
) -> None:
    page = phone
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "signup": "1/h"}
    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill("taken-already")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Password confirmation").fill("short")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("This password is too short.", exact=False)).to_be_visible()

    page.get_by_label("Email").fill("me@example.com")
    page.get_by_label("Password", exact=True).fill("correct-Horse-battery-9")
    page.get_by_label("Password confirmation").fill("correct-Horse-battery-9")
    page.get_by_role("button", name="Sign up").click()

    expect(page.get_by_role("heading", name="Too many attempts from your address")).to_be_visible()
    expect(page.get_by_label("Username")).to_have_value("taken-already")
    expect(page.get_by_label("Email")).to_have_value("me@example.com")
    assert_fits(page)
    screenshot(page, "throttled")
