"""Accounts: sign up, log in, log out (POST only), change password, and the nav that shows who."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.cast import PASSWORD, anonymous, html, logged_in
from tests.dom import find_all

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-Long-phrase-77"
SIGNUP_URL = "/accounts/signup/"
LOGIN_URL = "/accounts/login/"
LOGOUT_URL = "/accounts/logout/"
PASSWORD_URL = "/accounts/password/"
SETTINGS_URL = "/accounts/settings/"


# Reading pages.
def errors(markup: str) -> list[str]:
    """Every form error shown on the page, field and non-field."""
    return [li.words for ul in find_all(markup, "ul", cls="errorlist") for li in ul.elements]


def nav(markup: str) -> str:
    (element,) = find_all(markup, "nav", **{"aria-label": "Main"})
    return element.words


def logged_in_user(client: Client) -> User | None:
    pk = client.session.get("_auth_user_id")
    return User.objects.get(pk=pk) if pk else None


def signup_data(**changes: str) -> dict[str, str]:
    data = {
        "username": "newcomer",
        "email": "",
        "password1": "correct-Horse-battery-9",
        "password2": "correct-Horse-battery-9",
    }
    data.update(changes)
    return data


def change_data(old: str, new: str) -> dict[str, str]:
    return {"old_password": old, "new_password1": new, "new_password2": new}


class TestSignup:
    def test_it_asks_for_username_password_twice_and_optional_email(self) -> None:
        page = html(anonymous().get(SIGNUP_URL))

        names = [i.attrs.get("name") for i in find_all(page, "input")]
        assert {"username", "email", "password1", "password2"} <= set(names)
        (email,) = find_all(page, "input", name="email")
        assert "required" not in email.attrs
        (password,) = find_all(page, "input", name="password1")
        assert password.attrs["type"] == "password"

    def test_it_creates_the_user_logs_them_in_and_goes_home(self) -> None:
        client = anonymous()

        response = client.post(SIGNUP_URL, signup_data())

        assert (response.status_code, response["Location"]) == (302, "/")
        user = User.objects.get(username="newcomer")
        assert user.email == ""
        assert user.check_password("correct-Horse-battery-9")
        assert logged_in_user(client) == user
        assert "newcomer" in nav(html(client.get("/")))

    def test_it_keeps_an_email_when_given(self) -> None:
        anonymous().post(SIGNUP_URL, signup_data(email="new@example.com"))

        assert User.objects.get(username="newcomer").email == "new@example.com"

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            pytest.param(
                {"password1": "Ab1!x", "password2": "Ab1!x"},
                "This password is too short. It must contain at least 8 characters.",
                id="short",
            ),
            pytest.param(
                {"password1": "password123", "password2": "password123"},
                "This password is too common.",
                id="common",
            ),
            pytest.param(
                {"password1": "40958271630", "password2": "40958271630"},
                "This password is entirely numeric.",
                id="numeric",
            ),
            pytest.param(
                {"password2": "correct-Horse-battery-0"},
                "The two password fields didn’t match.",
                id="mismatch",
            ),
            pytest.param({"email": "not-an-email"}, "Enter a valid email address.", id="email"),
            pytest.param({"username": ""}, "This field is required.", id="no-username"),
        ],
    )
    def test_it_rejects_bad_input_with_a_message_and_creates_nobody(
        self, changes: dict[str, str], message: str
    ) -> None:
        client = anonymous()

        response = client.post(SIGNUP_URL, signup_data(**changes))

        assert response.status_code == 400
        assert message in errors(html(response))
        assert not User.objects.exists()
        assert logged_in_user(client) is None

    def test_it_rejects_a_taken_username(self, owner: User) -> None:
        response = anonymous().post(SIGNUP_URL, signup_data(username="owner"))

        assert response.status_code == 400
        assert "A user with that username already exists." in errors(html(response))
        assert User.objects.count() == 1
        owner.refresh_from_db()
        assert owner.check_password(PASSWORD)

    def test_a_logged_in_user_is_sent_home(self, owner: User) -> None:
        response = logged_in(owner).post(SIGNUP_URL, signup_data())

        assert (response.status_code, response["Location"]) == (302, "/")
        assert User.objects.count() == 1


class TestLogin:
    def test_it_shows_the_login_form(self) -> None:
        page = html(anonymous().get(LOGIN_URL))

        (form,) = find_all(page, "form", action=LOGIN_URL)
        assert form.attrs["method"] == "post"
        assert find_all(form, "input", name="username")
        assert find_all(form, "input", name="password", type="password")
        assert find_all(page, "a", href=SIGNUP_URL)

    def test_it_says_why_when_sent_from_a_protected_page(self) -> None:
        page = html(anonymous().get(LOGIN_URL, {"next": "/interviews/new/"}))

        assert "Log in to continue." in page
        (next_field,) = find_all(page, "input", name="next")
        assert next_field.attrs["value"] == "/interviews/new/"

    def test_it_logs_in_and_follows_next(self, owner: User) -> None:
        client = anonymous()

        response = client.post(
            LOGIN_URL, {"username": "owner", "password": PASSWORD, "next": "/interviews/new/"}
        )

        assert (response.status_code, response["Location"]) == (302, "/interviews/new/")
        assert logged_in_user(client) == owner

    def test_it_goes_home_without_next(self, owner: User) -> None:
        client = anonymous()

        response = client.post(LOGIN_URL, {"username": "owner", "password": PASSWORD})

        assert response["Location"] == "/"
        assert logged_in_user(client) == owner

    def test_it_refuses_a_wrong_password(self, owner: User) -> None:
        client = anonymous()

        response = client.post(LOGIN_URL, {"username": "owner", "password": "wrong-one-42"})

        assert response.status_code == 200
        assert any("correct username and password" in e for e in errors(html(response)))
        assert logged_in_user(client) is None

    def test_it_never_redirects_off_site(self, owner: User) -> None:
        response = anonymous().post(
            LOGIN_URL,
            {"username": "owner", "password": PASSWORD, "next": "https://evil.example/"},
        )

        assert response["Location"] == "/"


class TestLogout:
    def test_it_refuses_get(self, owner: User) -> None:
        client = logged_in(owner)

        response = client.get(LOGOUT_URL)

        assert response.status_code == 405
        assert logged_in_user(client) == owner

    def test_it_logs_out_on_post(self, owner: User) -> None:
        client = logged_in(owner)

        response = client.post(LOGOUT_URL)

        assert (response.status_code, response["Location"]) == (302, "/")
        assert logged_in_user(client) is None
        assert "owner" not in nav(html(client.get("/")))

    def test_it_needs_the_csrf_token(self, owner: User) -> None:
        client = logged_in(owner, enforce_csrf_checks=True)

        forged = client.post(LOGOUT_URL)
        assert forged.status_code == 403
        assert logged_in_user(client) == owner

        page = html(client.get("/"))
        (form,) = find_all(page, "form", action=LOGOUT_URL)
        (token,) = find_all(form, "input", name="csrfmiddlewaretoken")
        response = client.post(LOGOUT_URL, {"csrfmiddlewaretoken": token.attrs["value"]})
        assert response.status_code == 302
        assert logged_in_user(client) is None


class TestPasswordChange:
    def test_it_requires_login(self) -> None:
        for url in [PASSWORD_URL, PASSWORD_URL + "done/"]:
            response = anonymous().get(url)
            assert (response.status_code, response["Location"]) == (302, f"{LOGIN_URL}?next={url}")

    def test_it_changes_the_password_and_keeps_the_user_logged_in(self, owner: User) -> None:
        client = logged_in(owner)
        assert find_all(html(client.get(PASSWORD_URL)), "input", name="old_password")

        response = client.post(
            PASSWORD_URL,
            {
                "old_password": PASSWORD,
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        )

        assert (response.status_code, response["Location"]) == (302, PASSWORD_URL + "done/")
        owner.refresh_from_db()
        assert owner.check_password(NEW_PASSWORD)
        assert logged_in_user(client) == owner
        assert "Password changed" in html(client.get(PASSWORD_URL + "done/"))
        fresh = anonymous()
        assert (
            fresh.post(LOGIN_URL, {"username": "owner", "password": NEW_PASSWORD}).status_code
            == 302
        )
        assert logged_in_user(fresh) == owner

    def test_it_refuses_a_wrong_old_password(self, owner: User) -> None:
        response = logged_in(owner).post(
            PASSWORD_URL,
            {
                "old_password": "not-it-42",
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        )

        assert response.status_code == 200
        assert "Your old password was entered incorrectly. Please enter it again." in errors(
            html(response)
        )
        owner.refresh_from_db()
        assert owner.check_password(PASSWORD)

    def test_it_applies_the_password_validators(self, owner: User) -> None:
        response = logged_in(owner).post(
            PASSWORD_URL,
            change_data(PASSWORD, "short"),
        )

        assert "This password is too short. It must contain at least 8 characters." in errors(
            html(response)
        )
        owner.refresh_from_db()
        assert owner.check_password(PASSWORD)


class TestNav:
    def test_it_shows_the_username_and_log_out_when_logged_in(self, owner: User) -> None:
        page = html(logged_in(owner).get("/"))

        (account,) = find_all(page, "a", href=SETTINGS_URL)
        assert account.words == "owner"
        assert find_all(page, "form", action=LOGOUT_URL, method="post")
        assert find_all(page, "a", href="/interviews/new/")
        assert "Log in" not in nav(page)

    def test_it_offers_log_in_and_sign_up_to_visitors(self, owner: User) -> None:
        page = html(anonymous().get("/"))

        assert find_all(page, "a", href=LOGIN_URL)
        assert find_all(page, "a", href=SIGNUP_URL)
        assert "owner" not in nav(page)
        assert not find_all(page, "form", action=LOGOUT_URL)
        assert not find_all(page, "a", href="/interviews/new/")
