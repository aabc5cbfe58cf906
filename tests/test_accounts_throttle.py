"""Throttles on sign-up, the password change, the password reset and account deletion.

Posts per client address (the one interview_prep.client_ip gives), counted in the cache every
process shares. The suite counts in memory (tests/conftest.py); the database cache, the one a
deployment without Redis uses, has its own tests at the end.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from pytest_django.fixtures import Settings

from interview_prep.throttle import window_words
from tests.cast import PASSWORD, T0, html, logged_in
from tests.dom import find_all
from tests.test_interview_concurrency import race

pytestmark = pytest.mark.django_db

ADDRESS_A = "203.0.113.10"
ADDRESS_B = "198.51.100.20"
ROOT = Path(__file__).resolve().parent.parent
DATABASE_CACHE = {
    "default": {
        "BACKEND": "interview_prep.cache.AtomicDatabaseCache",
        "LOCATION": "interview_prep_cache",
    }
}
THROTTLED = "Too many attempts from your address"


@pytest.fixture(autouse=True)
def _three_an_hour(settings: Settings, clock: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    settings.THROTTLE_RATES = {
        "signup": "3/h",
        "password_change": "3/h",
        "password_reset": "3/h",
    }


def from_address(address: str) -> Client:
    return Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=address)


def signup_data(username: str) -> dict[str, str]:
    return {
        "username": username,
        "email": f"{username}@example.com",
        "password1": "correct-Horse-battery-9",
        "password2": "correct-Horse-battery-9",
    }


def input_value(response: HttpResponse, name: str) -> str | None:
    (field,) = find_all(html(response), "input", name=name)
    return field.attrs.get("value")


class TestSignup:
    def test_the_fourth_sign_up_from_one_address_gets_429_with_the_form_kept(self) -> None:
        statuses = [
            from_address(ADDRESS_A).post("/accounts/signup/", signup_data(f"user{n}")).status_code
            for n in range(3)
        ]

        response = from_address(ADDRESS_A).post("/accounts/signup/", signup_data("fourth"))

        assert statuses == [302, 302, 302]
        assert User.objects.count() == 3
        assert response.status_code == 429
        assert THROTTLED in html(response)
        assert "Wait up to an hour" in html(response)
        assert not User.objects.filter(username="fourth").exists()
        # What was typed comes back (the passwords never do), ready to send again.
        assert input_value(response, "username") == "fourth"
        assert input_value(response, "email") == "fourth@example.com"
        assert input_value(response, "password1") is None
        (form,) = find_all(html(response), "form", action="/accounts/signup/")
        assert form.attrs["method"] == "post"
        # Nothing was validated: a throttled form shows no errors.
        assert not find_all(html(response), "ul", cls="errorlist")

    def test_another_address_still_signs_up(self) -> None:
        for n in range(4):
            from_address(ADDRESS_A).post("/accounts/signup/", signup_data(f"user{n}"))

        response = from_address(ADDRESS_B).post("/accounts/signup/", signup_data("neighbour"))

        assert response.status_code == 302
        assert User.objects.filter(username="neighbour").exists()

    def test_refused_sign_ups_count_too_and_the_window_ends(self, clock: Any) -> None:
        bad = {**signup_data("x"), "password2": "does-not-match-1"}
        for _ in range(3):
            assert from_address(ADDRESS_A).post("/accounts/signup/", bad).status_code == 400
        assert from_address(ADDRESS_A).post("/accounts/signup/", bad).status_code == 429

        clock.move_to(T0 + timedelta(hours=1, seconds=1), tick=False)
        response = from_address(ADDRESS_A).post("/accounts/signup/", signup_data("later"))

        assert response.status_code == 302

    def test_viewing_the_form_is_never_throttled(self) -> None:
        for _ in range(5):
            response = from_address(ADDRESS_A).get("/accounts/signup/")
            assert response.status_code == 200
        assert find_all(html(response), "input", name="username")


class TestPasswordChange:
    def test_the_fourth_change_gets_429_and_checks_no_password(self, owner: User) -> None:
        client = logged_in(owner, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=ADDRESS_A)
        wrong = {
            "old_password": "guess-1",
            "new_password1": "brand-New-phrase-5",
            "new_password2": "brand-New-phrase-5",
        }
        statuses = [client.post("/accounts/password/", wrong).status_code for _ in range(3)]

        response = client.post("/accounts/password/", {**wrong, "old_password": PASSWORD})

        assert statuses == [200, 200, 200]
        assert response.status_code == 429
        assert THROTTLED in html(response)
        assert "except the passwords" in html(response)
        assert find_all(html(response), "form", action="/accounts/password/")
        owner.refresh_from_db()
        assert owner.check_password(PASSWORD)


class TestPasswordReset:
    def test_the_fourth_request_gets_429_and_sends_nothing(self, owner: User) -> None:
        for _ in range(3):
            response = from_address(ADDRESS_A).post(
                "/accounts/password/reset/", {"email": "owner@example.com"}
            )
            assert response.status_code == 302
        assert len(mail.outbox) == 3

        response = from_address(ADDRESS_A).post(
            "/accounts/password/reset/", {"email": "owner@example.com"}
        )

        assert response.status_code == 429
        assert input_value(response, "email") == "owner@example.com"
        assert len(mail.outbox) == 3


class TestAccountDeletion:
    def test_it_shares_the_password_change_throttle(self, owner: User) -> None:
        client = logged_in(owner, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=ADDRESS_A)
        for _ in range(3):
            client.post("/accounts/password/", {"old_password": "guess"})

        response = client.post("/accounts/settings/delete/", {"password": PASSWORD})

        assert response.status_code == 429
        assert "except the passwords" in html(response)
        assert find_all(html(response), "form", action="/accounts/settings/delete/")
        assert User.objects.filter(pk=owner.pk).exists()


@pytest.mark.parametrize(
    ("rate", "words"),
    [("10/h", "an hour"), ("5/m", "a minute"), ("5/15m", "15 minutes"), ("2/d", "a day")],
)
def test_it_says_how_long_to_wait(rate: str, words: str) -> None:
    assert window_words(rate) == words


# The database cache: what every gunicorn process shares when REDIS_URL is unset.
class TestDatabaseCache:
    @pytest.fixture(autouse=True)
    def _database_cache(self, settings: Settings) -> None:
        settings.CACHES = DATABASE_CACHE

    def test_the_table_comes_with_the_migrations(self, tmp_path: Path) -> None:
        # Django's test runner makes cache tables itself; a deployment only runs `migrate`.
        database = tmp_path / "fresh.sqlite3"
        env = {
            "PATH": "/usr/bin:/bin",
            "DJANGO_SECRET_KEY": "x",
            "DATABASE_URL": f"sqlite:///{database}",
        }
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=120,
        )

        with sqlite3.connect(database) as fresh:
            tables = {row[0] for row in fresh.execute("SELECT name FROM sqlite_master")}
        assert "interview_prep_cache" in tables

    def test_two_processes_count_against_one_throttle(self) -> None:
        # Two clients stand for two processes: the count lives in the database, not in either.
        first, second = from_address(ADDRESS_A), from_address(ADDRESS_A)
        first.post("/accounts/signup/", {"username": "a"})
        second.post("/accounts/signup/", {"username": "b"})
        first.post("/accounts/signup/", {"username": "c"})

        response = second.post("/accounts/signup/", {"username": "d"})

        assert response.status_code == 429
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM interview_prep_cache")
            assert cursor.fetchone()[0] == 1

    def test_incr_of_a_missing_or_expired_key_fails_as_djangos_does(self, clock: Any) -> None:
        with pytest.raises(ValueError):
            cache.incr("missing")
        cache.set("short", 1, timeout=10)
        clock.move_to(T0 + timedelta(seconds=11), tick=False)
        with pytest.raises(ValueError):
            cache.incr("short")


@pytest.mark.django_db(transaction=True)
def test_concurrent_increments_of_the_database_cache_lose_none(settings: Settings) -> None:
    # Django's own DatabaseCache.incr (a get, then a set) loses some of these.
    settings.CACHES = DATABASE_CACHE
    cache.set("count", 0, timeout=600)
    threads, rounds = 6, 15

    def bump() -> None:
        for _ in range(rounds):
            cache.incr("count")

    try:
        outcomes = race(*[bump] * threads)
        assert [outcome.error for outcome in outcomes] == [None] * threads
        assert cache.get("count") == threads * rounds
    finally:
        cache.clear()  # the table is not a model's: the flush after this test leaves it


def test_redis_url_selects_djangos_redis_cache() -> None:
    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "interview_prep.settings",
        "DJANGO_SECRET_KEY": "x",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.stdout.strip() == "django.core.cache.backends.redis.RedisCache", result.stderr


@pytest.mark.parametrize("value", ["ten/h", "10", "10/w", "10/h/2"])
def test_a_malformed_rate_stops_start_up(value: str) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "interview_prep.settings",
        "DJANGO_SECRET_KEY": "x",
        "THROTTLE_SIGNUP_RATE": value,
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "THROTTLE_SIGNUP_RATE must be a rate such as 10/h" in result.stderr
