"""Scale benchmark: do a candidate's pages stay fast as their history grows? (`make bench-scale`)

1. Prepares a PostgreSQL database (dropped and re-created; `--reuse` keeps one a previous run
   filled with the same seed and sizes), migrates it and imports the bank.
2. Gives each of three candidates 10, 100 and 1,000 finished interviews of 10 questions, played
   through `sessions.services` (start, show, reveal, grade) with a seeded random generator and
   a fixed clock, so every run builds the same history. Nothing is bulk-created: each grade logs
   its FSRS review and moves its card as in real use.
3. Starts gunicorn from gunicorn.conf.py with production settings (`bench.settings`: the
   project's settings plus the benchmark-only bare view, the floor `make bench` uses too) on
   127.0.0.1, signs each candidate in through the log-in form, then requests every page in
   turn, sequentially, `--rounds` times after one warm-up, and prints each page's median time
   at each size and its ratio to the bare view's median in the same run.

The measuring part (`pages_for`, `measure`, `report`) takes any fetch function, so the smoke
test (tests/test_bench_scale.py) runs it on the test client without gunicorn.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import math
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: the project and `bench` import from the root
    sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from django.contrib.auth.models import User

SIZES = (10, 100, 1000)
QUESTIONS_PER_INTERVIEW = 10
SEED = 15
SECONDS_PER_ITEM = 120
# The last interview of every candidate starts here; the earlier ones 8 hours apart before it
# (1,000 interviews: three a day for most of a year).
LAST_START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
INTERVAL = timedelta(hours=8)
PASSWORD = "Scale-bench-lantern-15"
BARE_PATH = "/bench/floor"  # bench/urls.py serves it
HISTORY_PAGE_SIZE = 20  # sessions.views.HISTORY_PAGE_SIZE, read without importing Django
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

HTMX = (("HX-Request", "true"),)  # the header HTMX sends with a region's request


def username(size: int) -> str:
    return f"scale-{size}"


# The history, through the services ---------------------------------------------------------


def play_interview(user: User, rng: random.Random, started: datetime) -> None:
    """One finished interview of QUESTIONS_PER_INTERVIEW active questions, as a candidate
    plays it: each question shown, revealed after 15–150 s (over the limit: timed out), graded."""
    from questions.models import Question
    from sessions import services
    from sessions.models import InterviewSession
    from sessions.scoring import Grade

    numbers = sorted(Question.objects.active().values_list("number", flat=True))
    chosen = rng.sample(numbers, QUESTIONS_PER_INTERVIEW)
    by_number = Question.objects.in_bulk(chosen, field_name="number")
    practice = rng.random() < 0.2
    session = services.start_session(
        user=user,
        questions=[by_number[number] for number in chosen],
        mode=InterviewSession.Mode.PRACTICE if practice else InterviewSession.Mode.TIMED,
        seconds_per_item=SECONDS_PER_ITEM,
        include_scenarios=False,
        now=started,
    )
    now = started
    grades = list(Grade)
    for _ in chosen:
        item = services.show_current_item(session=session, now=now)
        assert item is not None
        now += timedelta(seconds=rng.randint(15, 150))
        services.reveal_item(session=session, position=item.position, notes="My answer.", now=now)
        now += timedelta(seconds=rng.randint(3, 20))
        grade = rng.choices(grades, weights=[2, 3, 4, 2])[0]
        services.grade_item(session=session, position=item.position, grade=grade, now=now)
    assert session.status == InterviewSession.Status.FINISHED


def make_candidate(size: int, *, seed: int = SEED, name: str | None = None) -> User:
    """A candidate with `size` finished interviews, the same for the same seed and size."""
    from django.contrib.auth.models import User

    user = User.objects.create_user(username=name or username(size), password=PASSWORD)
    rng = random.Random(f"{seed}-{size}")
    for index in range(size):
        play_interview(user, rng, LAST_START - (size - 1 - index) * INTERVAL)
    return user


def has_candidate(size: int) -> bool:
    from sessions.models import InterviewSession

    finished = InterviewSession.objects.filter(
        user__username=username(size), status=InterviewSession.Status.FINISHED
    )
    return finished.count() == size


# What is measured --------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()


# A fetch requests a page and returns the status and the seconds until its last byte arrived.
Fetch = Callable[[Page], tuple[int, float]]


PAGE_NAMES = (
    "bare view",
    "dashboard",
    "history, first page",
    "history, last page",
    "history, filtered, last page",
    "question page",
    "question attempts (HTMX region)",
    "history CSV",
    "readiness",
)


def pages_for(user: User) -> list[Page]:
    """The pages measured for `user`, bare view first; the question is the one they attempted
    most, the filter their most practised category."""
    from django.db.models import Count
    from django.urls import reverse

    from sessions.models import InterviewSession, Item

    sessions = InterviewSession.objects.filter(user=user)
    last_page = max(1, math.ceil(sessions.count() / HISTORY_PAGE_SIZE))
    top = (
        Item.objects.filter(session__user=user, kind=Item.Kind.QUESTION)
        .values("question__number")
        .annotate(asked=Count("pk"))
        .order_by("-asked", "question__number")
        .first()
    )
    assert top is not None, "the candidate has no attempts"
    category = (
        Item.objects.filter(session__user=user)
        .values("category__slug")
        .annotate(asked=Count("pk"))
        .order_by("-asked", "category__slug")
        .values_list("category__slug", flat=True)
        .first()
    )
    filtered = sessions.filter(categories__slug=category).count()
    filtered_last = max(1, math.ceil(filtered / HISTORY_PAGE_SIZE))
    number = top["question__number"]
    history = reverse("history")
    paths = [
        BARE_PATH,
        reverse("home"),
        history,
        f"{history}?page={last_page}",
        f"{history}?category={category}&page={filtered_last}",
        reverse("questions:detail", args=[number]),
        reverse("interviews:question_attempts", args=[number]),
        reverse("history_csv"),
        reverse("readiness"),
    ]
    pages = [Page(name, path) for name, path in zip(PAGE_NAMES, paths, strict=True)]
    # The question page fetches its attempts region by HTMX: measured as it is fetched.
    pages[6] = Page(pages[6].name, pages[6].path, HTMX)
    return pages


def measure(
    fetchers: dict[int, Fetch], pages: dict[int, list[Page]], rounds: int
) -> dict[int, dict[str, list[float]]]:
    """Seconds of each page at each size: one warm-up, then `rounds` rounds; each round asks
    every page of every size once, so a slow moment of the machine hits them all alike."""
    times: dict[int, dict[str, list[float]]] = {size: {} for size in fetchers}
    for round_number in range(rounds + 1):
        for size, fetch in fetchers.items():
            for page in pages[size]:
                status, seconds = fetch(page)
                if status != 200:
                    raise RuntimeError(f"{page.path} answered {status} for size {size}")
                if round_number:
                    times[size].setdefault(page.name, []).append(seconds)
    return times


def report(times: dict[int, dict[str, list[float]]]) -> str:
    """A table: per page, the median in ms at each size with its ratio to the bare view's, the
    slowest request at the largest size, and the growth from the smallest size to the largest."""
    sizes = sorted(times)
    medians = {
        size: {name: statistics.median(values) for name, values in times[size].items()}
        for size in sizes
    }
    header = ["page"] + [f"{size} interviews" for size in sizes]
    header += [f"slowest at {sizes[-1]}", f"{sizes[-1]} ÷ {sizes[0]}"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in PAGE_NAMES:
        cells = [name]
        for size in sizes:
            median, bare = medians[size][name], medians[size]["bare view"]
            cells.append(f"{1000 * median:.1f} ms ({median / bare:.1f}× bare)")
        cells.append(f"{1000 * max(times[sizes[-1]][name]):.1f} ms")
        cells.append(f"{medians[sizes[-1]][name] / medians[sizes[0]][name]:.2f}×")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# Against gunicorn --------------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Client:
    """One signed-in candidate's HTTP client (cookies kept, redirects not followed)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirects()
        )

    def request(
        self, path: str, data: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, str, float]:
        body = None if data is None else urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        started = time.perf_counter()
        try:
            response = self._opener.open(request, timeout=60)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            text = response.read().decode()
        return response.status, text, time.perf_counter() - started

    def fetch(self, page: Page) -> tuple[int, float]:
        status, _, seconds = self.request(page.path, headers=dict(page.headers))
        return status, seconds

    def log_in(self, name: str) -> None:
        _, form, _ = self.request("/accounts/login/")
        token = CSRF_INPUT.search(form)
        assert token, "no CSRF token on the log-in form"
        status, _, _ = self.request(
            "/accounts/login/",
            {"csrfmiddlewaretoken": token.group(1), "username": name, "password": PASSWORD},
        )
        if status != 302:
            raise RuntimeError(f"signing in {name} answered {status}")


def wait_until_up(base: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /healthz in time")


def prepare(database_url: str, sizes: Sequence[int], *, reuse: bool) -> None:
    """A database with the bank and each size's candidate; django is set up here."""
    import django
    import psycopg

    name = database_url.rsplit("/", 1)[-1]
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not (reuse and exists):
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
    django.setup()
    from django.core.management import call_command
    from django.db import connection as db

    call_command("migrate", "--noinput", verbosity=0)
    call_command("import_questions", verbosity=0)
    # Durability of each commit is not what is measured; the rows are the same either way.
    with db.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    for size in sizes:
        if reuse and has_candidate(size):
            print(f"reusing the candidate with {size} interviews", flush=True)
            continue
        from django.contrib.auth.models import User

        User.objects.filter(username=username(size)).delete()
        started = time.monotonic()
        make_candidate(size)
        print(f"{size} interviews played in {time.monotonic() - started:.0f} s", flush=True)
    with db.cursor() as cursor:
        cursor.execute("ANALYZE")
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="interviews per user")
    parser.add_argument("--rounds", type=int, default=15, help="measured requests per page")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reuse", action="store_true", help="keep a database already filled")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_SCALE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/interview_prep_scale"
        ),
    )
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))

    static_root = tempfile.mkdtemp(prefix="bench-scale-static-")
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_STATIC_ROOT": static_root,
        "GUNICORN_BIND": f"127.0.0.1:{args.port}",
        "GUNICORN_WORKERS": str(args.workers),
        "GUNICORN_LOG_LEVEL": "warning",
        "GUNICORN_ACCESS_LOG": "",
        "PYTHONPATH": str(ROOT),
    }
    os.environ.update(env)
    prepare(args.database_url, sizes, reuse=args.reuse)
    from django.contrib.auth.models import User

    pages = {size: pages_for(User.objects.get(username=username(size))) for size in sizes}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--config", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{args.port}"
        wait_until_up(base, time.monotonic() + 30)
        clients = {size: Client(base) for size in sizes}
        for size, client in clients.items():
            client.log_in(username(size))
        times = measure({size: c.fetch for size, c in clients.items()}, pages, args.rounds)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    print(
        f"\nMedians of {args.rounds} sequential requests, gunicorn ({args.workers} workers) + "
        f"PostgreSQL, {os.cpu_count()} cores:\n"
    )
    print(report(times))


if __name__ == "__main__":
    main()
