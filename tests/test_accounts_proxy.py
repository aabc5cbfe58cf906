"""The client's address behind the proxy (interview_prep.client_ip), and django-axes keyed on it.

Every request here comes from the proxy's address (REMOTE_ADDR); the clients differ only in the
X-Forwarded-For the proxy appended. Before the lockout read the forwarded address, five failures
from anyone locked the account for everyone behind the proxy.
"""

from __future__ import annotations

from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client, RequestFactory
from pytest_django.fixtures import Settings

from interview_prep.client_ip import client_ip
from tests.cast import PASSWORD, html

PROXY = "10.0.0.1"
ADDRESS_A = "203.0.113.10"  # the attacker
ADDRESS_B = "198.51.100.20"  # the owner
LOGIN_URL = "/accounts/login/"
LOCKOUT_TEXT = "Too many failed log-in attempts"


def behind_proxy(forwarded_for: str | None, *, remote_addr: str = PROXY) -> Client:
    headers: dict[str, Any] = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return Client(**headers)


def log_in(client: Client, password: str, username: str = "owner") -> HttpResponse:
    return client.post(LOGIN_URL, {"username": username, "password": password})


def fail_five_times(client: Client) -> list[int]:
    return [log_in(client, f"wrong-{attempt}").status_code for attempt in range(5)]


class TestClientIp:
    @pytest.mark.parametrize(
        ("proxies", "forwarded_for", "expected"),
        [
            pytest.param(0, None, PROXY, id="no-proxy-no-header"),
            pytest.param(0, ADDRESS_B, PROXY, id="no-proxy-header-ignored"),
            pytest.param(1, None, PROXY, id="one-proxy-bypassed"),
            pytest.param(1, ADDRESS_A, ADDRESS_A, id="one-proxy"),
            pytest.param(1, f"{ADDRESS_B}, {ADDRESS_A}", ADDRESS_A, id="one-proxy-spoof-prepended"),
            pytest.param(2, f"{ADDRESS_B}, {ADDRESS_A}, 10.0.0.2", ADDRESS_A, id="two-proxies"),
            pytest.param(2, "10.0.0.2", PROXY, id="two-proxies-short-header"),
            pytest.param(1, "not-an-address", PROXY, id="garbage"),
            pytest.param(1, "2001:db8::7", "2001:db8::7", id="ipv6"),
        ],
    )
    def test_it_reads_the_address_the_nearest_trusted_proxy_appended(
        self, settings: Settings, proxies: int, forwarded_for: str | None, expected: str
    ) -> None:
        settings.TRUSTED_PROXY_COUNT = proxies
        headers = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}

        request = RequestFactory().get("/", REMOTE_ADDR=PROXY, **headers)

        assert client_ip(request) == expected


@pytest.mark.django_db
class TestLockoutBehindTheProxy:
    @pytest.fixture(autouse=True)
    def _one_proxy(self, settings: Settings, clock: Any) -> None:
        settings.TRUSTED_PROXY_COUNT = 1

    def test_five_failures_from_one_address_lock_that_address_only(self, owner: User) -> None:
        attacker = behind_proxy(ADDRESS_A)

        statuses = fail_five_times(attacker)

        assert statuses == [200, 200, 200, 200, 429]
        assert LOCKOUT_TEXT in html(log_in(attacker, PASSWORD))
        (attempt,) = AccessAttempt.objects.all()
        assert (attempt.username, attempt.ip_address) == ("owner", ADDRESS_A)

    def test_the_owner_from_another_address_still_logs_in(self, owner: User) -> None:
        fail_five_times(behind_proxy(ADDRESS_A))
        owner_client = behind_proxy(ADDRESS_B)

        response = log_in(owner_client, PASSWORD)

        assert (response.status_code, response["Location"]) == (302, "/")
        assert int(owner_client.session["_auth_user_id"]) == owner.pk

    def test_an_attacker_cannot_pose_as_the_owners_address(self, owner: User) -> None:
        # The attacker writes the owner's address into the header; the proxy appends the real one.
        fail_five_times(behind_proxy(f"{ADDRESS_B}, {ADDRESS_A}"))

        assert log_in(behind_proxy(ADDRESS_B), PASSWORD).status_code == 302
        assert log_in(behind_proxy(f"{ADDRESS_B}, {ADDRESS_A}"), PASSWORD).status_code == 429


@pytest.mark.django_db
class TestWithoutATrustedProxy:
    @pytest.fixture(autouse=True)
    def _no_proxy(self, settings: Settings, clock: Any) -> None:
        settings.TRUSTED_PROXY_COUNT = 0

    def test_a_spoofed_forwarded_for_changes_nothing(self, owner: User) -> None:
        # Connecting directly, the attacker names the owner's address: it is not read.
        statuses = fail_five_times(behind_proxy(ADDRESS_B, remote_addr=ADDRESS_A))

        assert statuses == [200, 200, 200, 200, 429]
        (attempt,) = AccessAttempt.objects.all()
        assert attempt.ip_address == ADDRESS_A
        # A fresh made-up header each time does not escape the lockout either.
        assert log_in(behind_proxy("192.0.2.99", remote_addr=ADDRESS_A), PASSWORD).status_code == (
            429
        )
        owner_client = behind_proxy(None, remote_addr=ADDRESS_B)
        assert log_in(owner_client, PASSWORD).status_code == 302
        assert int(owner_client.session["_auth_user_id"]) == owner.pk
