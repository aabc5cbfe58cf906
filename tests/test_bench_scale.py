"""A smoke test of the scale benchmark (bench/scale.py) on tiny sizes, through the test client:
the histories it plays, the pages it asks for, and the report it prints. No gunicorn, no timing
asserted (the benchmark itself is `make bench-scale`)."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.auth.models import User

from bench import scale
from questions.bank import ParsedBank
from sessions.models import InterviewSession, Item
from tests.cast import logged_in

pytestmark = [pytest.mark.django_db, pytest.mark.urls("bench.urls")]

SIZES = (1, 3)


@pytest.fixture
def candidates(bank: ParsedBank) -> dict[int, User]:
    return {size: scale.make_candidate(size, name=f"smoke-{size}") for size in SIZES}


def test_a_candidate_gets_finished_interviews_played_through_the_services(
    candidates: dict[int, User],
) -> None:
    sessions = InterviewSession.objects.filter(user=candidates[3])
    assert sessions.filter(status=InterviewSession.Status.FINISHED).count() == 3
    items = Item.objects.filter(session__user=candidates[3])
    assert items.count() == 3 * scale.QUESTIONS_PER_INTERVIEW
    assert not items.filter(grade__isnull=True).exists()
    # Each grade of a timed interview was logged as an FSRS review, as in real use.
    assert items.filter(session__mode="timed", review__isnull=True).count() == 0


def test_the_same_seed_plays_the_same_history(bank: ParsedBank) -> None:
    def history(name: str) -> list[tuple[object, ...]]:
        user = scale.make_candidate(2, name=name)
        return list(
            Item.objects.filter(session__user=user)
            .order_by("session__started_at", "position")
            .values_list("question__number", "grade", "shown_at", "revealed_at", "timed_out")
        )

    assert history("first") == history("second")


def test_the_report_gives_every_page_at_every_size_against_the_bare_view(
    candidates: dict[int, User],
) -> None:
    def fetcher(user: User) -> scale.Fetch:
        client = logged_in(user)

        def fetch(page: scale.Page) -> tuple[int, float]:
            started = time.perf_counter()
            response = client.get(page.path, headers=dict(page.headers))
            if response.streaming:
                b"".join(response.streaming_content)
            return response.status_code, time.perf_counter() - started

        return fetch

    pages = {size: scale.pages_for(user) for size, user in candidates.items()}
    started = time.monotonic()
    times = scale.measure({size: fetcher(candidates[size]) for size in SIZES}, pages, rounds=2)
    table = scale.report(times).splitlines()

    assert time.monotonic() - started < 30
    assert table[0] == "| page | 1 interviews | 3 interviews | slowest at 3 | 3 ÷ 1 |"
    cell = r"\d+\.\d ms \(\d+\.\d× bare\)"
    row = re.compile(rf"^\| (.+) \| {cell} \| {cell} \| \d+\.\d ms \| \d+\.\d\d× \|$")
    names = [match.group(1) for line in table[2:] if (match := row.match(line))]
    assert names == list(scale.PAGE_NAMES)
    assert table[2].startswith("| bare view | ") and "(1.0× bare)" in table[2]
    assert all(len(values) == 2 for size in SIZES for values in times[size].values())
