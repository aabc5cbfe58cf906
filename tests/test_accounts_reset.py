"""Password reset by e-mail: Django's own views, this site's pages, one link used once."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.http import HttpResponse
from django.test import Client

from tests.cast import PASSWORD, anonymous, html, make_user
from tests.dom import find_all

pytestmark = pytest.mark.django_db

RESET_URL = "/accounts/password/reset/"
SENT_URL = "/accounts/password/reset/sent/"
NEW_PASSWORD = "brand-New-phrase-5"


def reset_link() -> str:
    (message,) = mail.outbox
    (link,) = re.findall(r"http://testserver(/accounts/password/reset/\S+/)", message.body)
    return link


def choose_password(client: Client, link: str, password: str = NEW_PASSWORD) -> str:
    """Follow the e-mailed link and set `password`; the page it ends on."""
    landing = client.get(link)
    # Django swaps the token in the address for one in the session, then shows the form.
    assert landing.status_code == 302
    form_url = landing["Location"]
    response = client.post(form_url, {"new_password1": password, "new_password2": password})
    assert response.status_code == 302, html(response)
    return response["Location"]


def main_text(response: HttpResponse) -> str:
    (main,) = find_all(html(response), "main")
    return main.words


def test_the_login_page_offers_a_reset() -> None:
    page = html(anonymous().get("/accounts/login/"))

    (link,) = find_all(page, "a", href=RESET_URL)
    assert link.words == "Forgot password?"


def test_sign_up_says_the_email_is_what_a_reset_needs() -> None:
    page = html(anonymous().get("/accounts/signup/"))

    (email,) = find_all(page, "input", name="email")
    assert "required" not in email.attrs
    (help_text,) = find_all(page, "div", id="id_email_helptext")
    assert "needed to reset a forgotten password" in help_text.words


def test_the_reset_page_is_in_the_sites_layout() -> None:
    page = html(anonymous().get(RESET_URL))

    assert find_all(page, "header", cls="site-header")
    (section,) = find_all(page, "section", cls="narrow")
    assert find_all(section, "input", name="email", type="email")
    (form,) = find_all(section, "form", action=RESET_URL)
    assert form.attrs["method"] == "post"


def test_a_reset_link_sets_a_new_password_once(owner: User) -> None:
    client = anonymous()

    response = client.post(RESET_URL, {"email": "owner@example.com"})

    assert (response.status_code, response["Location"]) == (302, SENT_URL)
    (message,) = mail.outbox
    assert message.to == ["owner@example.com"]
    assert message.subject == "Reset your Interview Prep password"
    assert "Hello owner" in message.body
    link = reset_link()
    done = choose_password(client, link)
    assert "Password set" in html(client.get(done))
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)
    assert anonymous().post(
        "/accounts/login/", {"username": "owner", "password": NEW_PASSWORD}
    ).status_code == (302)

    # The same link again: refused with a way on, and the password stays.
    again = anonymous().get(link, follow=True)
    assert "This reset link no longer works" in html(again)
    assert find_all(html(again), "a", href=RESET_URL)
    assert not find_all(html(again), "input", name="new_password1")
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)


def test_the_new_password_goes_through_the_validators(owner: User) -> None:
    client = anonymous()
    client.post(RESET_URL, {"email": "owner@example.com"})
    form_url = client.get(reset_link())["Location"]

    response = client.post(form_url, {"new_password1": "short", "new_password2": "short"})

    assert response.status_code == 200
    assert "This password is too short." in html(response)
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


@pytest.mark.parametrize(
    "email",
    ["nobody@example.com", "OWNER@example.org"],
    ids=["unknown", "other-domain"],
)
def test_an_unknown_address_sees_the_same_sent_page(owner: User, email: str) -> None:
    known = anonymous().post(RESET_URL, {"email": "owner@example.com"}, follow=True)
    mail.outbox.clear()

    unknown = anonymous().post(RESET_URL, {"email": email}, follow=True)

    # Nothing tells an outsider whether the address has an account.
    assert unknown.redirect_chain == known.redirect_chain == [(SENT_URL, 302)]
    assert main_text(unknown) == main_text(known)
    assert "If an account has that address" in html(unknown)
    assert mail.outbox == []


def test_accounts_without_an_email_or_inactive_get_no_mail() -> None:
    make_user("silent")
    make_user("gone", email="gone@example.com", is_active=False)

    for email in ["", "gone@example.com"]:
        anonymous().post(RESET_URL, {"email": email})

    assert mail.outbox == []
