"""Security: headers and CSP on real responses, cookies, CSRF, production settings, the
brute-force lockout, the error pages and `/healthz`.

Settings are read from the environment once, at import, so everything that depends on the
environment (`check --deploy`, the HTTPS switch, settings that refuse a bad value) runs in a
subprocess with exactly the variables a deployment would set.
"""

from __future__ import annotations

import json
import os
import secrets
import string
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path
from django.utils import timezone

from interview_prep import settings as project_settings
from interview_prep import urls as project_urls
from sessions.models import InterviewSession, Item
from tests.cast import PASSWORD, T0, html, logged_in, make_question, make_user, start_interview
from tests.dom import parse

ROOT = Path(__file__).resolve().parent.parent
LOGIN_URL = "/accounts/login/"
LOCKOUT_TEXT = "Too many failed log-in attempts"
SUBPROCESS_TIMEOUT = 60


# Reading responses.
def tags(markup: str, name: str) -> list[dict[str, str | None]]:
    return [node.attrs for node in parse(markup).find_all(name)]


def policy(response: HttpResponse) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        assert name not in directives, f"{name} appears twice"
        directives[name] = sources
    return directives


def htmx_nonce(markup: str) -> str:
    (script,) = [attrs for attrs in tags(markup, "script") if "htmx" in (attrs.get("src") or "")]
    assert script.get("nonce"), script
    return script["nonce"]


def page_token(markup: str) -> str:
    """The CSRF token the page gives HTMX requests (the cookie is HttpOnly)."""
    (body,) = tags(markup, "body")
    return json.loads(body["hx-headers"])["X-CSRFToken"]


def form_token(markup: str) -> str:
    inputs = [tag for tag in tags(markup, "input") if tag.get("name") == "csrfmiddlewaretoken"]
    assert inputs, "no CSRF token in a form on the page"
    return inputs[0]["value"]


def has_layout(markup: str) -> bool:
    """The site's header, navigation and footer are there: the page extends base.html."""
    navs = tags(markup, "nav")
    links = [attrs.get("href") for attrs in tags(markup, "a")]
    return (
        any(nav.get("class") == "site-nav" for nav in navs)
        and "/questions/" in links
        and 'class="site-footer"' in markup
        and any(attrs.get("rel") == "stylesheet" for attrs in tags(markup, "link"))
    )


def assert_no_internals(markup: str) -> None:
    for leak in ("Traceback", "Exception Value", 'File "', "django.db", "kaboom"):
        assert leak not in markup, leak


# Subprocesses with a production environment.
def secret_key() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(50))


def environment(**variables: str | None) -> dict[str, str]:
    """The test process's environment without any setting of this project, plus `variables`
    (None removes one)."""
    prefixes = ("DJANGO_", "DATABASE_URL", "AXES_", "INTERVIEW_", "GUNICORN_")
    env = {key: value for key, value in os.environ.items() if not key.startswith(prefixes)}
    for key, value in variables.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def production_environment(**variables: str | None) -> dict[str, str]:
    """What the README tells an operator to set, DJANGO_DEBUG left unset."""
    return environment(
        **{
            "DJANGO_HTTPS": "true",
            "DJANGO_SECRET_KEY": secret_key(),
            "DJANGO_ALLOWED_HOSTS": "prep.example.com",
            **variables,
        }
    )


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
    )


@pytest.fixture
def interview(owner: User) -> InterviewSession:
    """Questions 1 and 2, started now: the pages below read the real clock."""
    questions = [make_question(1), make_question(2)]
    return start_interview(owner, questions, seconds_per_item=120, now=timezone.now())


# Headers.
@pytest.mark.django_db
def test_it_sends_a_strict_content_security_policy_with_the_pages_nonce() -> None:
    response = Client().get("/")

    assert response.status_code == 200
    nonce = htmx_nonce(html(response))
    assert policy(response) == {
        "default-src": ["'self'"],
        "script-src": ["'self'", f"'nonce-{nonce}'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "media-src": ["'self'", "blob:"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
    header = response["Content-Security-Policy"]
    assert "unsafe-inline" not in header
    assert "unsafe-eval" not in header
    assert "Content-Security-Policy-Report-Only" not in response


@pytest.mark.django_db
def test_it_draws_a_fresh_unguessable_nonce_for_every_response() -> None:
    client = Client()
    nonces = [htmx_nonce(html(client.get("/"))) for _ in range(3)]

    assert len(set(nonces)) == 3
    assert all(len(nonce) >= 22 for nonce in nonces)  # 16 random bytes, base64


@pytest.mark.django_db
def test_its_pages_have_no_inline_script_or_style(owner: User, interview: InterviewSession) -> None:
    client = logged_in(owner)

    pages = ["/", "/questions/", "/questions/1/", "/interviews/new/", interview.item_url(0)]
    for url in pages:
        markup = html(client.get(url))
        scripts = tags(markup, "script")
        assert scripts, url
        assert all(attrs.get("src", "").startswith("/static/") for attrs in scripts), url
        assert "<style" not in markup, url
        assert not any("style" in node.attrs for node in parse(markup).iter()), url


@pytest.mark.django_db
def test_it_sends_the_browser_hardening_headers() -> None:
    response = Client().get("/questions/")

    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    # Only a deployment with DJANGO_HTTPS promises HTTPS (tested in a subprocess below).
    assert "Strict-Transport-Security" not in response


# Cookies.
def test_it_gives_the_session_cookie_httponly_and_samesite_lax(owner: User) -> None:
    client = Client()
    client.get(LOGIN_URL)

    response = client.post(LOGIN_URL, {"username": "owner", "password": PASSWORD})

    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == owner.pk
    session_cookie = response.cookies["sessionid"]
    assert session_cookie["httponly"] is True
    assert session_cookie["samesite"] == "Lax"
    assert session_cookie.value == client.cookies["sessionid"].value
    # The CSRF token reaches scripts through the page, so its cookie is HttpOnly as well.
    csrf_cookie = client.cookies["csrftoken"]
    assert csrf_cookie["httponly"] is True
    assert csrf_cookie["samesite"] == "Lax"


# CSRF.
def test_it_refuses_a_form_post_without_the_csrf_token(owner: User) -> None:
    client = logged_in(owner, enforce_csrf_checks=True)
    make_question(1)

    response = client.post("/interviews/new/", {"question_count": "1"})

    assert response.status_code == 403
    assert not InterviewSession.objects.exists()


def test_it_accepts_a_form_post_with_the_token_from_the_form(owner: User) -> None:
    client = logged_in(owner, enforce_csrf_checks=True)
    question = make_question(1)
    form = html(client.get("/interviews/new/"))

    response = client.post(
        "/interviews/new/",
        {
            "csrfmiddlewaretoken": form_token(form),
            "categories": [question.category_id],
            "question_count": "1",
            "seconds_per_item": "120",
            "mode": "timed",
        },
    )

    session = InterviewSession.objects.get(user=owner)
    assert response.status_code == 302
    assert response["Location"] == session.get_absolute_url()


def test_it_accepts_an_htmx_post_with_the_pages_x_csrftoken_header(
    owner: User, interview: InterviewSession
) -> None:
    client = logged_in(owner, enforce_csrf_checks=True)
    token = page_token(html(client.get(interview.item_url(0))))

    response = client.post(
        f"/interviews/{interview.pk}/items/0/notes/",
        {"notes": "Attention weighs every token."},
        HTTP_HX_REQUEST="true",
        HTTP_X_CSRFTOKEN=token,
    )

    assert response.status_code == 204
    assert Item.objects.get(session=interview, position=0).notes == "Attention weighs every token."


@pytest.mark.parametrize("token", [None, "not-the-token-" + "x" * 18])
def test_it_refuses_an_htmx_post_without_a_valid_x_csrftoken_header(
    owner: User, interview: InterviewSession, token: str | None
) -> None:
    client = logged_in(owner, enforce_csrf_checks=True)
    client.get(interview.item_url(0))  # the CSRF cookie is set
    headers = {"HTTP_HX_REQUEST": "true"}
    if token is not None:
        headers["HTTP_X_CSRFTOKEN"] = token

    response = client.post(
        f"/interviews/{interview.pk}/items/0/notes/", {"notes": "Forged."}, **headers
    )

    assert response.status_code == 403
    assert Item.objects.get(session=interview, position=0).notes == ""


def test_it_shows_a_csrf_failure_in_the_sites_layout(owner: User) -> None:
    client = logged_in(owner, enforce_csrf_checks=True)

    response = client.post("/interviews/new/", {})

    assert response.status_code == 403
    markup = html(response)
    assert has_layout(markup)
    assert "Not allowed" in markup
    assert "reload the page and try again" in markup
    assert_no_internals(markup)
    assert "CSRF verification failed" not in markup  # Django's own bare page
    # Rendered with the request: the navigation still shows who is logged in.
    assert 'title="Account settings">owner</a>' in markup


# Production settings, through the environment.
def test_it_passes_the_deployment_checks_with_the_documented_environment() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_environment())

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_it_fails_the_deployment_checks_without_https() -> None:
    env = production_environment(DJANGO_HTTPS=None)

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr, warning


def test_it_fails_the_deployment_checks_with_debug_on() -> None:
    env = production_environment(DJANGO_DEBUG="true")

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode != 0
    assert "security.W018" in result.stderr


HTTPS_PROBE = """
import json
from django.conf import settings
from django.test import Client

client = Client(HTTP_HOST="prep.example.com")
plain = client.get("/healthz")
proxied = client.get("/healthz", HTTP_X_FORWARDED_PROTO="https")
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location")],
    "proxied": [proxied.status_code, proxied.get("Strict-Transport-Security"),
                json.loads(proxied.content)],
    "cookies_secure": [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE],
}))
"""


def test_it_redirects_http_to_https_behind_the_proxy_when_https_is_on(tmp_path: Path) -> None:
    env = production_environment(DATABASE_URL=f"sqlite:///{tmp_path / 'probe.sqlite3'}")

    result = manage("shell", "--no-imports", "-c", HTTPS_PROBE, env=env)

    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["plain"] == [301, "https://prep.example.com/healthz"]
    assert probe["proxied"] == [
        200,
        "max-age=31536000; includeSubDomains; preload",
        {"status": "ok", "database": "ok"},
    ]
    assert probe["cookies_secure"] == [True, True]


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DJANGO_DEBUG", "maybe", "DJANGO_DEBUG must be true or false"),
        ("DJANGO_HTTPS", "sure", "DJANGO_HTTPS must be true or false"),
        ("DJANGO_DB_CONN_MAX_AGE", "sixty", "DJANGO_DB_CONN_MAX_AGE must be a whole number"),
        ("DJANGO_DB_CONN_MAX_AGE", "-1", "DJANGO_DB_CONN_MAX_AGE must be at least 0"),
        ("AXES_FAILURE_LIMIT", "0", "AXES_FAILURE_LIMIT must be at least 1"),
        ("DATABASE_URL", "", "DATABASE_URL is set but empty"),
    ],
)
def test_it_refuses_to_start_with_a_malformed_variable(
    variable: str, value: str, message: str
) -> None:
    result = manage("check", env=production_environment(**{variable: value}))

    assert result.returncode != 0
    assert f"ImproperlyConfigured: {message}" in result.stderr


def test_it_refuses_to_serve_without_a_secret_key_when_debug_is_off() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import interview_prep.wsgi"],
        cwd=ROOT,
        env=production_environment(DJANGO_SECRET_KEY=None),
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY is required" in result.stderr


def test_the_deploy_check_fails_without_a_secret_key() -> None:
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env=production_environment(DJANGO_SECRET_KEY=None),
    )

    assert result.returncode != 0
    assert "security.W009" in result.stderr + result.stdout


def test_commands_that_sign_nothing_run_without_a_secret_key() -> None:
    result = manage(
        "makemigrations", "--check", "--dry-run", env=production_environment(DJANGO_SECRET_KEY=None)
    )

    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


def test_it_falls_back_to_a_development_key_only_with_debug_on() -> None:
    env = production_environment(DJANGO_SECRET_KEY=None, DJANGO_DEBUG="true", DJANGO_HTTPS=None)

    result = manage("check", env=env)

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("raw", "expected"), [("1", True), (" Yes ", True), ("off", False)])
def test_env_bool_reads_the_usual_spellings(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool
) -> None:
    monkeypatch.setenv("PREP_TEST_FLAG", raw)

    assert project_settings.env_bool("PREP_TEST_FLAG", not expected) is expected


def test_env_helpers_use_the_default_only_when_the_variable_is_unset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PREP_TEST_VALUE", raising=False)
    assert project_settings.env_bool("PREP_TEST_VALUE", True) is True
    assert project_settings.env_int("PREP_TEST_VALUE", 7) == 7
    assert project_settings.env_list("PREP_TEST_VALUE", ["a"]) == ["a"]

    monkeypatch.setenv("PREP_TEST_VALUE", " a.example , ,b.example ")
    assert project_settings.env_list("PREP_TEST_VALUE", ["a"]) == ["a.example", "b.example"]


def test_env_int_names_the_variable_it_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREP_TEST_NUMBER", "12.5")

    with pytest.raises(ImproperlyConfigured, match="PREP_TEST_NUMBER must be a whole number"):
        project_settings.env_int("PREP_TEST_NUMBER", 1)


# Brute force: django-axes.
def log_in(client: Client, username: str, password: str) -> HttpResponse:
    return client.post(LOGIN_URL, {"username": username, "password": password})


def is_logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_it_locks_a_username_out_after_five_failures(owner: User, clock: Any) -> None:
    client = Client()

    statuses = [log_in(client, "owner", f"wrong-{attempt}").status_code for attempt in range(5)]
    response = log_in(client, "owner", PASSWORD)

    # The fifth failure already answers with the lockout; the right password cannot lift it.
    assert statuses == [200, 200, 200, 200, 429]
    assert response.status_code == 429
    assert LOCKOUT_TEXT in html(response)
    assert "paused for 15 minutes after 5 failed attempts" in html(response)
    assert has_layout(html(response))
    assert not is_logged_in(client)


def test_it_keeps_other_usernames_from_the_same_address_working(owner: User, clock: Any) -> None:
    other = make_user("other")
    client = Client()
    for attempt in range(5):
        log_in(client, "owner", f"wrong-{attempt}")

    other_client = Client()
    response = log_in(other_client, "other", PASSWORD)

    assert response.status_code == 302
    assert int(other_client.session["_auth_user_id"]) == other.pk
    assert log_in(Client(), "owner", PASSWORD).status_code == 429


def test_it_forgets_failures_after_a_successful_login(owner: User, clock: Any) -> None:
    client = Client()
    for attempt in range(4):
        assert log_in(client, "owner", f"wrong-{attempt}").status_code == 200
    assert log_in(client, "owner", PASSWORD).status_code == 302
    client.post("/accounts/logout/")

    statuses = [log_in(client, "owner", f"again-{attempt}").status_code for attempt in range(4)]
    response = log_in(client, "owner", PASSWORD)

    assert statuses == [200, 200, 200, 200]
    assert response.status_code == 302
    assert is_logged_in(client)


def test_it_lifts_the_lockout_fifteen_minutes_after_the_fifth_failure(
    owner: User, clock: Any
) -> None:
    client = Client()
    for attempt in range(5):
        log_in(client, "owner", f"wrong-{attempt}")

    # Trying again while locked out is refused, and does not restart the 15 minutes.
    clock.move_to(T0 + timedelta(minutes=10), tick=False)
    assert log_in(client, "owner", "wrong-again").status_code == 429
    clock.move_to(T0 + timedelta(minutes=14, seconds=59), tick=False)
    assert log_in(client, "owner", PASSWORD).status_code == 429

    clock.move_to(T0 + timedelta(minutes=15, seconds=1), tick=False)
    response = log_in(client, "owner", PASSWORD)

    assert response.status_code == 302
    assert is_logged_in(client)


# Error pages. A test-only URLconf: the project's routes plus views that fail on purpose.
def _crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("kaboom: internals the visitor must never see")


def _database_down(request: HttpRequest) -> HttpResponse:
    raise OperationalError("kaboom: connection to server at 127.0.0.1 failed")


def _connection_lost(request: HttpRequest) -> HttpResponse:
    raise InterfaceError("kaboom: connection already closed")


def _forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("kaboom: not yours")


urlpatterns = [
    path("test-errors/crash/", _crash),
    path("test-errors/database-down/", _database_down),
    path("test-errors/connection-lost/", _connection_lost),
    path("test-errors/forbidden/", _forbidden),
    *project_urls.urlpatterns,
]
handler500 = project_urls.handler500


@pytest.fixture
def failing_client() -> Client:
    client = Client()
    client.raise_request_exception = False
    return client


@pytest.mark.django_db
def test_it_shows_404_in_the_sites_layout_without_debug_details(settings) -> None:
    assert settings.DEBUG is False

    response = Client().get("/no-such-page/")

    assert response.status_code == 404
    markup = html(response)
    assert "<h1>Page not found</h1>" in markup
    assert has_layout(markup)
    assert "Using the URLconf" not in markup
    assert "/no-such-page/" not in markup
    assert policy(response)["frame-ancestors"] == ["'none'"]


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_it_shows_500_from_its_template_when_a_view_crashes(failing_client: Client) -> None:
    response = failing_client.get("/test-errors/crash/")

    assert response.status_code == 500
    markup = html(response)
    assert "<h1>Something went wrong</h1>" in markup
    assert has_layout(markup)
    assert_no_internals(markup)
    assert "Retry-After" not in response
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.urls(__name__)
@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/test-errors/database-down/", "/test-errors/connection-lost/"])
def test_it_answers_503_with_retry_after_when_the_database_is_down(
    failing_client: Client, url: str
) -> None:
    response = failing_client.get(url)

    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    markup = html(response)
    assert "<h1>Temporarily unavailable</h1>" in markup
    assert "Your interview and notes saved so far are safe" in markup
    assert has_layout(markup)
    assert_no_internals(markup)


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_it_shows_403_in_the_sites_layout(failing_client: Client) -> None:
    response = failing_client.get("/test-errors/forbidden/")

    assert response.status_code == 403
    markup = html(response)
    assert "<h1>Not allowed</h1>" in markup
    assert has_layout(markup)
    assert_no_internals(markup)


@pytest.mark.django_db
def test_it_shows_400_in_the_sites_layout_for_a_foreign_host() -> None:
    response = Client().get("/", HTTP_HOST="attacker.example.com")

    assert response.status_code == 400
    markup = html(response)
    assert "<h1>Bad request</h1>" in markup
    assert has_layout(markup)
    assert "attacker.example.com" not in markup
    assert "DisallowedHost" not in markup


# /healthz.
@pytest.mark.django_db
def test_healthz_answers_ok_when_the_database_answers() -> None:
    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
def test_healthz_sets_no_cookie_even_for_a_logged_in_user(owner: User) -> None:
    for client in (Client(), logged_in(owner)):
        response = client.get("/healthz")

        assert response.status_code == 200
        assert "Set-Cookie" not in response
        assert not response.cookies


@pytest.mark.django_db
def test_healthz_answers_head_without_a_body() -> None:
    response = Client().head("/healthz")

    assert response.status_code == 200
    assert response.content == b""


@pytest.mark.django_db
def test_healthz_rejects_post() -> None:
    response = Client().post("/healthz")

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


@pytest.mark.django_db
@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_healthz_answers_503_when_the_database_does_not(error: type[Exception]) -> None:
    with mock.patch.object(connections["default"], "cursor", side_effect=error("down")) as cursor:
        response = Client().get("/healthz")

    assert cursor.called
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "unavailable", "database": "unreachable"}
    assert "Set-Cookie" not in response


@pytest.mark.django_db
def test_healthz_does_not_hide_a_programming_error() -> None:
    # Only "the database is unreachable" is a 503; a broken query is a bug, reported as one.
    client = Client()
    client.raise_request_exception = False
    with mock.patch.object(connections["default"], "cursor", side_effect=ValueError("bug")):
        response = client.get("/healthz")

    assert response.status_code == 500
    assert "<h1>Something went wrong</h1>" in html(response)
