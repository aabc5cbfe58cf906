"""The load generator `bench/run.py` starts, once per phase (Locust, `FastHttpUser`, headless).

Environment: BENCH_SCENARIO (one of SCENARIOS), BENCH_ACCOUNTS (the JSON bench/accounts.py wrote),
BENCH_OUT (where every request's timing is written as JSON when Locust quits), BENCH_THINK (mean
seconds between a candidate's requests, "think" only), BENCH_STATIC (a static file's path) and
BENCH_USERS (how many Locust users the phase runs, to deal the accounts out).
"""

from __future__ import annotations

import itertools
import json
import os
import random
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, constant, events, task
from locust.env import Environment

SCENARIO = os.environ.get("BENCH_SCENARIO", "floor")
ACCOUNTS: dict[str, Any] = json.loads(Path(os.environ["BENCH_ACCOUNTS"]).read_text())
THINK = float(os.environ.get("BENCH_THINK", "1"))
STATIC = os.environ.get("BENCH_STATIC", "")
USERS = int(os.environ.get("BENCH_USERS", "1"))
# Flat out: one list per Locust user (the accounts dealt round-robin), each worked through once.
FIXED_COUNT = {"reveal", "grade", "think"}
SCENARIOS = {"floor", "healthz", "static", "question", "dashboard", *FIXED_COUNT}

records: list[tuple[str, float, float, bool]] = []
user_numbers = itertools.count()
remaining = {"users": USERS}


@events.request.add_listener
def _record(name: str, response_time: float, exception: Any, start_time: float, **_: Any) -> None:
    records.append((name, start_time, response_time, exception is None))


@events.quitting.add_listener
def _write(environment: Environment, **_: Any) -> None:
    Path(os.environ["BENCH_OUT"]).write_text(json.dumps(records))


class Candidate(FastHttpUser):
    wait_time = constant(0)
    # No retries and generous timeouts: a slow answer is a figure, not an error to hide.
    network_timeout = 60.0
    connection_timeout = 60.0

    def on_start(self) -> None:
        if SCENARIO not in SCENARIOS:
            raise SystemExit(f"BENCH_SCENARIO must be one of {sorted(SCENARIOS)}")
        number = next(user_numbers)
        pool = ACCOUNTS["think" if SCENARIO == "think" else "saturation"]
        self.accounts = pool[number::USERS] if SCENARIO in FIXED_COUNT else pool[number:] or pool

    def _headers(self, account: dict[str, Any], *, htmx: bool = False) -> dict[str, str]:
        # One Locust user speaks for several candidates: each request carries its own cookies.
        self.client.cookiejar.clear()
        headers = {"Cookie": account["cookie"]}
        if htmx:
            headers |= {"HX-Request": "true", "X-CSRFToken": account["csrf"]}
        return headers

    def _get(self, name: str, path: str, account: dict[str, Any] | None = None) -> None:
        headers = self._headers(account) if account else {}
        self.client.get(path, name=name, headers=headers)

    def _post(self, name: str, path: str, data: dict[str, str], account: dict[str, Any], *,
              expect: str) -> bool:  # fmt: skip
        """An HTMX step; it fails unless the answer is a 200 with `expect` in it (or leads to
        the summary, after the last question)."""
        with self.client.post(
            path, data=data, name=name, headers=self._headers(account, htmx=True),
            catch_response=True, allow_redirects=False,
        ) as response:  # fmt: skip
            ok = response.status_code == 200 and (
                expect in (response.text or "") or "HX-Redirect" in response.headers
            )
            if not ok:
                response.failure(f"{response.status_code}: {expect!r} not in the answer")
            return ok

    def _question_path(self) -> str:
        return f"/questions/{random.choice(ACCOUNTS['question_numbers'])}/"

    def _think(self) -> None:
        if THINK > 0:
            gevent.sleep(THINK * random.uniform(0.5, 1.5))

    def _reveal(self, account: dict[str, Any], position: int) -> bool:
        return self._post("reveal", account["items"][position] + "reveal/",
                          {"notes": "My answer, typed."}, account, expect="/grade/")  # fmt: skip

    def _grade(self, account: dict[str, Any], position: int) -> bool:
        # The step renders the next question, whose form posts to its reveal.
        return self._post("grade step", account["items"][position] + "grade/", {"grade": "2"},
                          account, expect="/reveal/")  # fmt: skip

    def _candidate(self, account: dict[str, Any]) -> None:
        """A candidate through a whole interview, thinking before every request."""
        for position in range(len(account["items"])):
            for name, path in (("floor", "/bench/floor"), ("dashboard", "/"),
                               ("question page", self._question_path())):  # fmt: skip
                self._think()
                self._get(name, path, account)
            self._think()
            self._get("healthz", "/healthz")
            self._think()
            if not self._reveal(account, position):
                return
            self._think()
            if not self._grade(account, position):
                return

    @task
    def work(self) -> None:
        account = self.accounts[0]
        if SCENARIO == "floor":
            self._get("floor", "/bench/floor", account)
        elif SCENARIO == "healthz":
            self._get("healthz", "/healthz")
        elif SCENARIO == "static":
            self._get("static file", STATIC)
        elif SCENARIO == "question":
            self._get("question page", self._question_path(), account)
        elif SCENARIO == "dashboard":
            self._get("dashboard", "/", account)
        else:
            for account in self.accounts:
                if SCENARIO == "reveal":
                    self._reveal(account, 0)
                elif SCENARIO == "grade":
                    self._grade(account, 0)
                else:
                    self._candidate(account)
            self._done()

    def _done(self) -> None:
        remaining["users"] -= 1
        if remaining["users"] == 0 and self.environment.runner:
            gevent.spawn(self.environment.runner.quit)
        self.stop()
